# syntax=docker/dockerfile:1
#
# notifier in a container: a cgo build (SQLite) in the Go image, then a
# small Debian runtime with a non-root user and the database on a volume.
#
#   docker build -t notifier .
#   docker run -d --name notifier -p 127.0.0.1:9464:9464 \
#     -v notifier-data:/var/lib/notifier \
#     -v "$PWD/config.yaml:/etc/notifier/config.yaml:ro" \
#     --env-file notifier.env --stop-timeout 20 notifier
#
# The config must say `database: /var/lib/notifier/notifier.db` and, for
# the health check, `http: {listen: "0.0.0.0:9464", ...}`.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# cgo for mattn/go-sqlite3; -trimpath and no VCS stamp for a reproducible binary.
RUN CGO_ENABLED=1 go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/notifier ./cmd/notifier

FROM debian:bookworm-slim
# ca-certificates: TLS to Slack, SMTP, AWS; tzdata: the config's timezone;
# curl: the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 notifier \
 && useradd --system --uid 10001 --gid notifier --home-dir /var/lib/notifier --shell /usr/sbin/nologin notifier \
 && install -d -o notifier -g notifier -m 0700 /var/lib/notifier \
 && install -d -m 0755 /etc/notifier
COPY --from=build /out/notifier /usr/local/bin/notifier
USER notifier:notifier
WORKDIR /var/lib/notifier
VOLUME ["/var/lib/notifier"]
EXPOSE 9464
# SIGTERM: sends in flight get 5 s, the daemon is gone within 15 s; give
# `docker stop` more than that (--stop-timeout 20 / stop_grace_period: 20s).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:9464/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/notifier", "--config", "/etc/notifier/config.yaml", "--log-format", "json"]
CMD ["run"]
