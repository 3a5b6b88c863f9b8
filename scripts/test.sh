#!/usr/bin/env bash
# Everything CI runs: builds, unit tests, then one real Flink session cluster + the agent for the
# whole run, the agent's fidelity check against the real gateway's transcripts, end-to-end tests
# through flinkwire with tokio-postgres, psql, psycopg and PgJDBC.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$FW_ROOT/scripts/lib/flink.sh"
cd "$FW_ROOT"

FLINK_PORT="${FW_TEST_FLINK_PORT:-28081}"
AGENT_PORT="${FW_TEST_AGENT_PORT:-28083}"
PG_PORT="${FW_TEST_PG_PORT:-25433}"
RUN_DIR="${FW_TEST_RUN_DIR:-$FW_ROOT/.run/test}"

fw_ensure_cargo
fw_ensure_java
fw_ensure_pkg psql postgresql-client
fw_ensure_pkg openssl openssl
fw_ensure_pkg /usr/share/java/postgresql.jar libpostgresql-jdbc-java
fw_ensure_pip psycopg "psycopg[binary]>=3.1"
fw_ensure_pip sqlalchemy "sqlalchemy>=2.0"
fw_ensure_pip psycopg2 "psycopg2-binary>=2.9"
fw_ensure_pip yaml "PyYAML>=6"
fw_ensure_flink
fw_build_agent

fw_log "building and running unit tests"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
cargo build --all-targets
cargo test --workspace
fw_log "deployment files: docker-compose.yml, Dockerfile, deploy/ checked structurally (no Docker here)"
python3 tests/deploy/test_deploy.py

# The protocol fuzz targets for a fixed time each against the committed corpora (docs/fuzzing.md);
# the SQL targets (router, dialect, settings) need a sanitizer-coverage build of DataFusion, so
# they run out of CI: `scripts/fuzz.sh`.
fw_log "fuzzing: protocol targets, ${FW_FUZZ_SECONDS:-10} s each"
FUZZ_SKIP_SQL=1 scripts/fuzz.sh "${FW_FUZZ_SECONDS:-10}"

rm -rf "$RUN_DIR" && mkdir -p "$RUN_DIR"
cleanup() {
    local rc=$?
    [ -f "$RUN_DIR/flinkwire.pid" ] && kill "$(cat "$RUN_DIR/flinkwire.pid")" 2>/dev/null || true
    [ -f "$RUN_DIR/streaming/flinkwire.pid" ] && kill "$(cat "$RUN_DIR/streaming/flinkwire.pid")" 2>/dev/null || true
    [ -f "$RUN_DIR/catalog/flinkwire.pid" ] && kill "$(cat "$RUN_DIR/catalog/flinkwire.pid")" 2>/dev/null || true
    fw_stop_all "$RUN_DIR" || true
    if [ $rc -ne 0 ]; then
        fw_log "FAILED; logs in $RUN_DIR"
        for f in "$RUN_DIR"/*.log; do [ -f "$f" ] && { echo "=== tail $f"; tail -n 40 "$f"; }; done
    fi
    exit $rc
}
trap cleanup EXIT INT TERM

fw_log "starting Flink (REST 127.0.0.1:$FLINK_PORT) and the agent (127.0.0.1:$AGENT_PORT)"
fw_start_flink "$RUN_DIR" "$FLINK_PORT"
fw_start_agent "$RUN_DIR" "$AGENT_PORT" "$FLINK_PORT"

fw_log "agent fidelity against the real gateway's transcripts"
python3 agent/tests/fidelity.py "http://127.0.0.1:$AGENT_PORT"

export FLINKWIRE_TEST_GATEWAY="http://127.0.0.1:$AGENT_PORT"
export FLINKWIRE_TEST_FLINK_REST="http://127.0.0.1:$FLINK_PORT"
fw_log "end-to-end tests (tokio-postgres) against real Flink"
cargo test --test e2e -- --include-ignored --test-threads=2
fw_log "security: TLS from a throw-away CA, SCRAM(-PLUS), md5, cleartext, cert, reload, limits (psql, tokio-postgres)"
cargo test --test security -- --include-ignored --test-threads=2
fw_log "operations: SIGTERM drains, the shutdown timeout ends running queries with 57P01 (flinkwire serve processes)"
cargo test --test operations -- --include-ignored --test-threads=2
fw_log "clusters, routing, environments, pool, snapshot (two property sets on one agent)"
cargo test --test clusters -- --include-ignored --test-threads=2

fw_log "streaming results: modes, limits, cancel, disconnect, cursors, COPY, jobs, gateway faults (tests/streaming.rs)"
cargo test --test streaming -- --include-ignored --test-threads=2 --skip endings:: --skip taskmanager::
fw_log "nothing left running: ${FW_TEST_ENDINGS:-60} streaming queries ended six ways, three at a time, alone on the cluster's slots"
cargo test --test streaming endings:: -- --include-ignored
fw_log "a TaskManager killed mid-query (its supervisor restarts it; nothing else runs meanwhile)"
FLINKWIRE_TEST_TM_PIDFILE="$RUN_DIR/taskmanager-jvm.pid" cargo test --test streaming taskmanager:: -- --include-ignored

fw_log "real clients: psql, psycopg, PgJDBC"
fw_start_flinkwire "$RUN_DIR" "$PG_PORT" "$AGENT_PORT"
export PGPORT="$PG_PORT" PGHOST=127.0.0.1
tests/clients/psql_smoke.sh
python3 tests/clients/psycopg_test.py
tests/clients/run_java.sh

fw_log "real clients on a streaming flinkwire: psycopg named cursor + cancel, PgJDBC setFetchSize"
STREAM_PG_PORT=$((PG_PORT + 1))
printf '[session.properties]\n"execution.runtime-mode" = "streaming"\n' >"$RUN_DIR/streaming.toml"
mkdir -p "$RUN_DIR/streaming"
fw_start_flinkwire "$RUN_DIR/streaming" "$STREAM_PG_PORT" "$AGENT_PORT" "$RUN_DIR/streaming.toml"
PGPORT="$STREAM_PG_PORT" python3 tests/clients/psycopg_streaming_test.py
mkdir -p target/java-clients
javac -d target/java-clients -cp /usr/share/java/postgresql.jar tests/clients/JdbcStreaming.java
PGPORT="$STREAM_PG_PORT" java -cp target/java-clients:/usr/share/java/postgresql.jar JdbcStreaming
kill "$(cat "$RUN_DIR/streaming/flinkwire.pid")" 2>/dev/null || true

fw_log "PostgreSQL session commands and dialect translation against real Flink"
cargo test --test catalog_local_commands --test dialect -- --include-ignored --test-threads=2

fw_log "catalog emulation with real clients: psql, PgJDBC DatabaseMetaData, SQLAlchemy Inspector and Core (psycopg 3, psycopg2)"
CATALOG_PG_PORT=$((PG_PORT + 2))
mkdir -p "$RUN_DIR/catalog"
fw_start_flinkwire "$RUN_DIR/catalog" "$CATALOG_PG_PORT" "$AGENT_PORT" tests/clients/catalog_flinkwire.toml
PGPORT="$CATALOG_PG_PORT" tests/clients/psql_catalog.sh
javac -d target/java-clients -cp /usr/share/java/postgresql.jar tests/clients/JdbcCatalog.java
PGPORT="$CATALOG_PG_PORT" java -cp target/java-clients:/usr/share/java/postgresql.jar JdbcCatalog
PGPORT="$CATALOG_PG_PORT" python3 tests/clients/sqlalchemy_catalog_test.py
PGPORT="$CATALOG_PG_PORT" python3 tests/clients/sqlalchemy_limit_test.py
kill "$(cat "$RUN_DIR/catalog/flinkwire.pid")" 2>/dev/null || true

fw_log "conformance: every real client through one checklist (conformance/run.sh)"
FW_CONF_OUT="$RUN_DIR/conformance" FW_CONF_BASE_PORT=$((PG_PORT + 100)) conformance/run.sh

fw_log "all tests passed"
