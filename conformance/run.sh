#!/usr/bin/env bash
# The real-client conformance suite: drives psql, psycopg 3, psycopg2, SQLAlchemy 2, PgJDBC, the
# flinkwire JDBC driver, node-postgres, pyodbc + psqlODBC, tokio-postgres and the Python data stack
# (ADBC, Polars, ConnectorX, pandas, pgcli: conformance/pydata/setup.sh) and the Arrow Flight SQL
# clients (ADBC Flight SQL, pyarrow.flight, Polars, DuckDB) through one checklist
# against flinkwire + real Flink, prints client x check, regenerates docs/compatibility.md and fails
# when a check that passed in conformance/baseline.json fails now.
#
#   FLINKWIRE_TEST_GATEWAY=http://127.0.0.1:PORT conformance/run.sh [--update-baseline]
#
# Uses the gateway (and, through it, the Flink cluster) of the test run; starts two flinkwire
# processes of its own on free ports: one in batch mode, one in streaming mode (a session's runtime
# mode is fixed when it opens). FLINKWIRE_TEST_FLINK_REST (optional): the Flink REST URL, used to
# cancel jobs a failed cancel check leaves behind, so later checks keep their task slots.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib/common.sh"
source "$FW_ROOT/scripts/lib/flink.sh"
cd "$FW_ROOT"
CONF="$FW_ROOT/conformance"
GATEWAY="${FLINKWIRE_TEST_GATEWAY:?set FLINKWIRE_TEST_GATEWAY to the SQL Gateway URL of the test stack}"
OUT="${FW_CONF_OUT:-$FW_ROOT/.run/conformance}"
UPDATE=""
[ "${1:-}" = "--update-baseline" ] && UPDATE="--update-baseline"

# ---- clients (fresh machine: apt-get, pip, npm) ------------------------------------------------
fw_ensure_java
fw_ensure_pkg psql postgresql-client
fw_ensure_pkg /usr/share/java/postgresql.jar libpostgresql-jdbc-java
fw_ensure_pkg /usr/share/java/junit-platform-console-standalone.jar junit5
fw_ensure_pkg odbcinst unixodbc
fw_ensure_pkg /usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so odbc-postgresql
fw_ensure_pkg node nodejs
fw_ensure_pkg npm npm
fw_ensure_pip psycopg "psycopg[binary]>=3.1"
fw_ensure_pip psycopg2 "psycopg2-binary>=2.9"
fw_ensure_pip sqlalchemy "sqlalchemy>=2,<3"
fw_ensure_pip pyodbc "pyodbc>=5"
if [ ! -d "$CONF/node/node_modules/pg-cursor" ]; then
    fw_log "installing pg and pg-cursor from npm (conformance/node)"
    (cd "$CONF/node" && npm ci --no-audit --no-fund --loglevel=error) || fw_die "npm ci in conformance/node failed"
fi
PYDATA_VENV="$("$CONF/pydata/setup.sh")"
"$FW_ROOT/drivers/jdbc/build.sh"
# tokio-postgres's TLS client (built here: cold, it would eat tokio_postgres.sh's client timeout).
CARGO_TARGET_DIR="$FW_ROOT/target/conformance-tls" cargo build --locked --manifest-path "$CONF/tokio-tls/Cargo.toml" ||
    fw_log "conformance/tokio-tls did not build: tokio-postgres's connect_tls will fail"
[ -x "$FW_ROOT/target/${FW_PROFILE:-debug}/flinkwire" ] || cargo build --bin flinkwire

# ---- three flinkwire servers of our own -------------------------------------------------------
# batch and streaming (no users: trusted on loopback), and for the connect_tls checks one with
# `[tls] mode = "require"`, a certificate for localhost from a throw-away CA made here, and one
# SCRAM user whose verifier comes from `flinkwire passwd`.
rm -rf "$OUT" && mkdir -p "$OUT"
port="$(_fw_free_port_from "${FW_CONF_BASE_PORT:-25533}")"
stream_port="$(_fw_free_port_from $((port + 1)))"
tls_port="$(_fw_free_port_from $((stream_port + 1)))"
# The Flight SQL listeners of the batch and streaming servers (docs/flight-sql.md).
flight_port="$(_fw_free_port_from $((tls_port + 1)))"
flight_stream_port="$(_fw_free_port_from $((flight_port + 1)))"
flight_tls_port="$(_fw_free_port_from $((flight_stream_port + 1)))"
fw_ensure_pkg openssl openssl
TLS_DIR="$OUT/tls" TLS_USER=conformance TLS_PASSWORD="conf-$(openssl rand -hex 12)"
make_ca() { # DIR NAME: a root CA (NAME.crt, NAME.key)
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=flinkwire conformance $2" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$1/$2.key" -out "$1/$2.crt"
}
mkdir -p "$TLS_DIR"
{
    make_ca "$TLS_DIR" root && make_ca "$TLS_DIR" other-root &&
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$TLS_DIR/server.key" &&
        openssl req -new -key "$TLS_DIR/server.key" -subj "/CN=localhost" -out "$TLS_DIR/server.csr" &&
        printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$TLS_DIR/server.ext" &&
        openssl x509 -req -in "$TLS_DIR/server.csr" -CA "$TLS_DIR/root.crt" -CAkey "$TLS_DIR/root.key" -CAcreateserial \
            -days 2 -sha256 -extfile "$TLS_DIR/server.ext" -out "$TLS_DIR/server.crt"
} >>"$TLS_DIR/openssl.log" 2>&1 || fw_die "openssl could not make the conformance CA (log: $TLS_DIR/openssl.log)"
chmod 600 "$TLS_DIR"/*.key
tls_user_entry="$(printf '%s\n' "$TLS_PASSWORD" | "$FW_ROOT/target/${FW_PROFILE:-debug}/flinkwire" passwd "$TLS_USER")" ||
    fw_die "flinkwire passwd failed"
stop_servers() {
    for f in "$OUT"/flinkwire-*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; rm -f "$f"; done
    return 0
}
trap stop_servers EXIT INT TERM
for mode in batch streaming tls; do
    p=$port; [ $mode = streaming ] && p=$stream_port; [ $mode = tls ] && p=$tls_port
    runtime=$mode; [ $mode = tls ] && runtime=batch
    sed -e "s#@DEMO_DIR@#$FW_ROOT/demo#g" -e "s#@PG_PORT@#$p#g" -e "s#@GATEWAY@#$GATEWAY#g" -e "s#@MODE@#$runtime#g" \
        "$CONF/flinkwire.toml.in" >"$OUT/flinkwire-$mode.toml"
    [ $mode = batch ] && printf '\n[flight]\nlisten = "127.0.0.1:%s"\n' "$flight_port" >>"$OUT/flinkwire-$mode.toml"
    [ $mode = streaming ] && printf '\n[flight]\nlisten = "127.0.0.1:%s"\n' "$flight_stream_port" >>"$OUT/flinkwire-$mode.toml"
    # With [tls], the Flight SQL listener serves TLS with the same certificate.
    [ $mode = tls ] && printf '\n[flight]\nlisten = "127.0.0.1:%s"\n' "$flight_tls_port" >>"$OUT/flinkwire-$mode.toml"
    [ $mode = tls ] && printf '\n[tls]\ncert = "%s"\nkey = "%s"\nmode = "require"\n\n%s\n' \
        "$TLS_DIR/server.crt" "$TLS_DIR/server.key" "$tls_user_entry" >>"$OUT/flinkwire-$mode.toml"
    "$FW_ROOT/target/${FW_PROFILE:-debug}/flinkwire" serve --config "$OUT/flinkwire-$mode.toml" >"$OUT/flinkwire-$mode.log" 2>&1 &
    echo $! >"$OUT/flinkwire-$mode.pid"
    fw_wait_port "$p" "flinkwire ($mode)" 60
done
export FW_CONF_HOST=127.0.0.1 FW_CONF_PORT=$port FW_CONF_STREAM_PORT=$stream_port FW_CONF_DIR="$CONF"
export FW_CONF_FLIGHT_PORT=$flight_port FW_CONF_FLIGHT_STREAM_PORT=$flight_stream_port FW_CONF_FLIGHT_TLS_PORT=$flight_tls_port
# connect_tls: clients connect to host localhost with verify-full against root.crt (other-root.crt:
# a CA the server's certificate is not from, which verify-full must refuse).
export FW_CONF_TLS_HOST=localhost FW_CONF_TLS_PORT=$tls_port FW_CONF_TLS_CA="$TLS_DIR/root.crt" \
    FW_CONF_TLS_OTHER_CA="$TLS_DIR/other-root.crt" FW_CONF_TLS_USER="$TLS_USER" FW_CONF_TLS_PASSWORD="$TLS_PASSWORD"

# Cancels the Flink jobs this suite's checks started (on the `slow` and `endless` tables) that are
# still running: a failed cancel check may leave one, and the test cluster has few task slots.
reap_jobs() {
    [ -n "${FLINKWIRE_TEST_FLINK_REST:-}" ] || return 0
    python3 - "$FLINKWIRE_TEST_FLINK_REST" <<'PY' || true
import json, sys, urllib.request
base = sys.argv[1].rstrip("/")
jobs = json.load(urllib.request.urlopen(base + "/jobs/overview", timeout=5))["jobs"]
for j in jobs:
    if j["state"] == "RUNNING" and ("`slow`" in j["name"] or "`endless`" in j["name"]):
        urllib.request.urlopen(urllib.request.Request(f"{base}/jobs/{j['jid']}?mode=cancel", method="PATCH"), timeout=5)
        print(f"  (cancelled leftover Flink job {j['jid']})", file=sys.stderr)
PY
}

run_client() { # NAME COMMAND...
    local name="$1"; shift
    fw_log "conformance: $name"
    timeout "${FW_CONF_CLIENT_TIMEOUT:-400}" "$@" || fw_log "$name exited with $? (its missing checks count as failures)"
    reap_jobs
}
cd "$CONF/clients"
run_client psql python3 psql_client.py "$OUT/psql.json"
run_client psycopg3 python3 psycopg3_client.py "$OUT/psycopg3.json"
run_client psycopg2 python3 psycopg2_client.py "$OUT/psycopg2.json"
run_client sqlalchemy python3 psycopg2_client.py --sqlalchemy "$OUT/sqlalchemy.json"
mkdir -p "$OUT/java"
javac -d "$OUT/java" -cp /usr/share/java/postgresql.jar JdbcClient.java
JCP="$OUT/java:/usr/share/java/postgresql.jar:$FW_ROOT/drivers/jdbc/build/flinkwire-jdbc.jar"
run_client pgjdbc java -cp "$JCP" JdbcClient pgjdbc "$OUT/pgjdbc.json"
run_client flinkwire-jdbc java -cp "$JCP" JdbcClient flinkwire-jdbc "$OUT/flinkwire-jdbc.json"
run_client node-postgres node "$CONF/node/client.js" "$OUT/node-postgres.json"
run_client pyodbc python3 pyodbc_client.py "$OUT/pyodbc.json"
run_client tokio-postgres ./tokio_postgres.sh "$OUT/tokio-postgres.json"
for client in adbc polars-adbc connectorx pandas pgcli; do
    run_client "$client" "$PYDATA_VENV/bin/python" pydata_client.py "$client" "$OUT/$client.json"
done
# Arrow Flight SQL clients against the Flight SQL listeners (conformance/clients/flightsql_client.py).
for client in flightsql-adbc pyarrow-flight polars-flightsql duckdb-flightsql; do
    run_client "$client" "$PYDATA_VENV/bin/python" flightsql_client.py "$client" "$OUT/$client.json"
done

# The flinkwire JDBC driver's own JUnit tests, against the same servers.
FLINKWIRE_JDBC_PORT=$port FLINKWIRE_JDBC_STREAM_PORT=$stream_port "$FW_ROOT/drivers/jdbc/build.sh" --test >"$OUT/jdbc-driver-tests.log" 2>&1 ||
    { tail -n 40 "$OUT/jdbc-driver-tests.log" >&2; fw_die "flinkwire JDBC driver tests failed (log: $OUT/jdbc-driver-tests.log)"; }
reap_jobs

cd "$FW_ROOT"
python3 "$CONF/report.py" "$OUT" $UPDATE || fw_die "conformance regressions (see above); results in $OUT"
# Apache Superset 6.1 in-process through its REST API, on the same gateway (conformance/superset/).
FW_SUPERSET_RUN="$OUT/superset" "$CONF/superset/run.sh" || fw_die "Superset conformance failed; results in $OUT/superset"
fw_log "conformance: ok (docs/compatibility.md regenerated)"
