#!/usr/bin/env bash
# Memory stays flat however long the result: streams N rows (default 10 000 000) of a bounded
# datagen table through flinkwire to a client that discards them, samples flinkwire's RSS, and
# prints peak RSS (VmHWM), rows, seconds and rows/s. Runs twice: a simple-query SELECT read
# with psql's FETCH_COUNT-free COPY, and a plain SELECT through psycopg's streaming cursor.
#
# Usage: benches/stream_rss.sh [ROWS] against a running agent + Flink:
#   FW_BENCH_AGENT_PORT=48083 FW_BENCH_PG_PORT=55499 benches/stream_rss.sh 10000000
# Uses target/${FW_PROFILE:-debug}/flinkwire (build it first; FW_PROFILE=release for real figures).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib/common.sh"
ROWS="${1:-10000000}"
AGENT_PORT="${FW_BENCH_AGENT_PORT:-48083}"
PG_PORT="${FW_BENCH_PG_PORT:-55499}"
RUN_DIR="${FW_BENCH_RUN_DIR:-$FW_ROOT/.run/bench}"
mkdir -p "$RUN_DIR"
fw_start_flinkwire "$RUN_DIR" "$PG_PORT" "$AGENT_PORT"
PID="$(cat "$RUN_DIR/flinkwire.pid")"
trap 'kill "$PID" 2>/dev/null || true' EXIT

TABLE="CREATE TEMPORARY TABLE big (id BIGINT, label STRING, amount DOUBLE) WITH ('connector' = 'datagen', \
'number-of-rows' = '$ROWS', 'rows-per-second' = '1000000000', 'fields.label.length' = '16')"

peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$PID/status"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$PID/status"; }

run_case() {
    local name="$1"; shift
    local before; before="$(rss_kib)"
    local max=0 start end
    start="$(date +%s.%N)"
    "$@" &
    local client=$!
    while kill -0 "$client" 2>/dev/null; do
        local now; now="$(rss_kib)"; [ "$now" -gt "$max" ] && max="$now"
        sleep 0.5
    done
    wait "$client"
    end="$(date +%s.%N)"
    python3 - "$name" "$ROWS" "$start" "$end" "$before" "$max" "$(peak_kib)" <<'PY'
import sys
name, rows, start, end, before, peak, hwm = sys.argv[1:]
secs = float(end) - float(start)
print(f"{name}: {int(rows):,} rows in {secs:.1f} s = {int(rows)/secs:,.0f} rows/s; "
      f"flinkwire RSS before {int(before)/1024:.1f} MiB, max sampled {int(peak)/1024:.1f} MiB, "
      f"VmHWM {int(hwm)/1024:.1f} MiB")
PY
}

copy_client() {
    PGOPTIONS= psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U bench -d default_catalog \
        -c "$TABLE" -c "COPY (SELECT * FROM big) TO STDOUT" | wc -l > "$RUN_DIR/copy.count"
}
select_client() {
    python3 - "$PG_PORT" "$TABLE" > "$RUN_DIR/select.count" <<'PY'
import sys, psycopg
port, table = sys.argv[1], sys.argv[2]
with psycopg.connect(host="127.0.0.1", port=port, user="bench", dbname="default_catalog", autocommit=True) as conn:
    conn.execute(table)
    n = 0
    with conn.cursor() as cur:
        for _ in cur.stream("SELECT * FROM big"):
            n += 1
    print(n)
PY
}

run_case "COPY TO STDOUT (psql)" copy_client
echo "  rows received: $(cat "$RUN_DIR/copy.count")"
run_case "SELECT (psycopg stream)" select_client
echo "  rows received: $(cat "$RUN_DIR/select.count")"
