#!/usr/bin/env bash
# One command from a fresh machine to a PostgreSQL endpoint in front of Flink:
# installs what is missing (Java 17, the Flink 2.3.0 jars), builds the agent and flinkwire,
# starts a local Flink session cluster, the agent (SQL Gateway REST API) and flinkwire on
# 127.0.0.1:5433 with demo tables, and stops everything on Ctrl-C or SIGTERM.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$FW_ROOT/scripts/lib/flink.sh"
cd "$FW_ROOT"

PG_PORT="${FW_PG_PORT:-5433}"
FLINK_PORT="${FW_FLINK_PORT:-8081}"
AGENT_PORT="${FW_AGENT_PORT:-8083}"
RUN_DIR="$FW_ROOT/.run/quickstart"

fw_ensure_cargo
fw_ensure_java
fw_ensure_flink
fw_build_agent
fw_log "building flinkwire"
CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" cargo build --bin flinkwire

rm -rf "$RUN_DIR" && mkdir -p "$RUN_DIR"
stop() {
    trap - EXIT INT TERM
    fw_log "stopping"
    [ -f "$RUN_DIR/flinkwire.pid" ] && kill "$(cat "$RUN_DIR/flinkwire.pid")" 2>/dev/null || true
    fw_stop_all "$RUN_DIR" || true
    exit 0
}
trap stop EXIT INT TERM

fw_log "starting Flink (web UI http://127.0.0.1:$FLINK_PORT)"
fw_start_flink "$RUN_DIR" "$FLINK_PORT"
fw_log "starting the agent (SQL Gateway REST API on 127.0.0.1:$AGENT_PORT)"
fw_start_agent "$RUN_DIR" "$AGENT_PORT" "$FLINK_PORT"

# TLS with a self-signed certificate kept across runs, so sslmode=require (and verify-full with
# sslrootcert) work out of the box; plaintext stays allowed on loopback.
TLS_DIR="$FW_ROOT/.run/quickstart-tls"
fw_make_certificate "$TLS_DIR"
sed -e "s#@DEMO_DIR@#$FW_ROOT/demo#g" -e "s#@PG_PORT@#$PG_PORT#g" -e "s#@AGENT_PORT@#$AGENT_PORT#g" \
    -e "s#@TLS_DIR@#$TLS_DIR#g" demo/flinkwire.toml.in >"$RUN_DIR/flinkwire.toml"
fw_start_flinkwire "$RUN_DIR" "$PG_PORT" "$AGENT_PORT" "$RUN_DIR/flinkwire.toml"

cat <<MSG

  flinkwire is ready on 127.0.0.1:$PG_PORT (logs in $RUN_DIR).

    psql -h 127.0.0.1 -p $PG_PORT -c 'SELECT 1'
    psql -h 127.0.0.1 -p $PG_PORT -c 'SELECT customer, SUM(amount) FROM orders GROUP BY customer'
    psql -h 127.0.0.1 -p $PG_PORT -c 'SELECT COUNT(*) FROM clicks'
    psql "host=localhost port=$PG_PORT sslmode=verify-full sslrootcert=$TLS_DIR/server.crt" -c 'SELECT 1'

  Ctrl-C stops Flink, the agent and flinkwire.

MSG
# Stay in the foreground until a signal or until flinkwire exits.
wait "$(cat "$RUN_DIR/flinkwire.pid")" || true
