package main

import (
	"fmt"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// BenchmarkReplicasDispatch: 2,000 reminders due at once on one PostgreSQL
// database, a webhook answering in 50 ms (the webhook's 10 workers a
// replica), sent by one or three `notifier run` replicas with the default
// lease TTL: from the replicas' start (the planner's first sync and
// planning included) to the last reminder received. Reported: seconds a
// run, sends a second, and sends that arrived twice (none expected: no
// replica dies here).
func BenchmarkReplicasDispatch(b *testing.B) {
	const n = 2000
	rotated := time.Now().UTC().Add(-175 * 24 * time.Hour).Format(time.RFC3339)
	for _, replicas := range []int{1, 3} {
		b.Run(fmt.Sprintf("replicas=%d", replicas), func(b *testing.B) {
			var took time.Duration
			dups := 0
			for range b.N {
				b.StopTimer()
				sink := newKeySink(b, 50*time.Millisecond, false)
				dir, config, _, environ := pgFleetEnv(b, n, sink.srv.URL, "@hourly", rotated)
				migrate := exec.Command(binary, "--config", config, "migrate")
				migrate.Env = environ
				if out, err := migrate.CombinedOutput(); err != nil {
					b.Fatalf("migrate: %v\n%s", err, out)
				}
				b.StartTimer()
				start := time.Now()
				ds := make([]*daemonProc, replicas)
				for i := range ds {
					ds[i] = startDaemonEnv(b, dir, config, environ)
				}
				deadline := time.Now().Add(10 * time.Minute) // a liveness bound
				for keys, _ := sink.counts(); keys < n; keys, _ = sink.counts() {
					if time.Now().After(deadline) {
						b.Fatalf("%d of %d reminders received", keys, n)
					}
					select {
					case <-sink.seen:
					case <-time.After(time.Second):
					}
				}
				took += time.Since(start)
				b.StopTimer()
				for _, d := range ds {
					d.cmd.Process.Signal(syscall.SIGTERM)
					<-d.done
				}
				_, d := sink.counts()
				dups += d
			}
			secs := took.Seconds() / float64(b.N)
			b.ReportMetric(secs, "s/run")
			b.ReportMetric(n/secs, "sends/s")
			b.ReportMetric(float64(dups)/float64(b.N), "dups/run")
		})
	}
}
