// Starts the SQS emulator the tests use (fauxqs, JSON protocol) on
// 127.0.0.1 and a free port, prints "listening <port>" once it answers,
// and exits when its standard input closes, so that a test that dies
// leaves no emulator behind.
import { buildApp } from "fauxqs";

const app = buildApp({ logger: false });
const address = await app.listen({ port: 0, host: "127.0.0.1" });
console.log("listening " + new URL(address).port);
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
