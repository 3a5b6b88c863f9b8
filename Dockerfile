# syntax=docker/dockerfile:1
# flinkwire's container image: a Rust builder stage, then a slim Debian runtime running as a
# non-root user. Built by docker-compose.yml (`docker compose build flinkwire`) or by hand:
#   docker build -t flinkwire:local .
# The runtime runs `flinkwire serve --config /etc/flinkwire/flinkwire.toml`; mount the file
# there (docker-compose.yml, or the ConfigMap in deploy/kubernetes/). See docs/deployment.md.

# The builder and the runtime share the Debian release, so the binary links against the glibc
# it runs with. RUST_VERSION must be at least Cargo.toml's rust-version.
ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=trixie

FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS builder
WORKDIR /src
# Only what the server binary needs: the workspace manifests and the two crates' sources.
COPY Cargo.toml Cargo.lock ./
COPY protocol ./protocol
# A workspace member (the benchmarks' tools): cargo needs its manifest to read the workspace.
COPY benches/tools ./benches/tools
COPY src ./src
# BuildKit cache mounts keep the crate downloads and the target directory between builds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin flinkwire \
    && install -D -m 0755 target/release/flinkwire /out/flinkwire

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# ca-certificates: gateways behind https://. curl: the container healthchecks
# (curl -fsS http://127.0.0.1:9187/readyz).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 flinkwire \
    && useradd --system --uid 10001 --gid flinkwire --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin flinkwire
COPY --from=builder /out/flinkwire /usr/local/bin/flinkwire
USER 10001:10001
# 5433: PostgreSQL clients. 9187: the admin listener ([admin] listen), /livez /readyz /metrics.
EXPOSE 5433 9187
# flinkwire handles SIGTERM itself (drain for shutdown_timeout_secs, then cancel): it runs as
# PID 1 with no shell in between.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/flinkwire"]
CMD ["serve", "--config", "/etc/flinkwire/flinkwire.toml"]
