#!/usr/bin/env bash
# Apache Superset 6.1 against flinkwire: installs Superset (setup.sh), starts a Flink cluster, the
# agent and a flinkwire serving this directory's test tables, runs check.py, stops what it started.
#
#   conformance/superset/run.sh [--keep] [check.py options: --short --report-only]
#
#   FLINKWIRE_TEST_GATEWAY=http://127.0.0.1:PORT   use that agent (and its Flink): start neither
#   FW_SUPERSET_RUN          run directory (default $FW_ROOT/.run/superset)
#   FW_SUPERSET_FLINK_PORT   Flink REST port, first free from 38081
#   FW_SUPERSET_AGENT_PORT   agent port, first free from 38083
#   FW_SUPERSET_PG_PORT      flinkwire port, first free from 35433
#   --keep                   leave Flink, the agent and flinkwire running (for repeated runs:
#                            the next run reuses the cluster and agent of the run directory)
#
# flinkwire is the binary of target/${FW_PROFILE:-debug}, copied into the run directory first so a
# rebuild during the run does not change it underneath. Everything binds to 127.0.0.1.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../../scripts/lib/common.sh"
source "$FW_ROOT/scripts/lib/flink.sh"

KEEP=""
CHECK_ARGS=()
for arg in "$@"; do
    case "$arg" in
        --keep) KEEP=1 ;;
        *) CHECK_ARGS+=("$arg") ;;
    esac
done
RUN="${FW_SUPERSET_RUN:-$FW_ROOT/.run/superset}"
mkdir -p "$RUN"
RUN="$(cd "$RUN" && pwd)"

started=$SECONDS
VENV="$("$HERE/setup.sh" "$RUN/superset")"
fw_log "superset: setup took $((SECONDS - started))s"

stop_started() {
    [ -n "$KEEP" ] && return 0
    if [ -n "${FLINKWIRE_TEST_GATEWAY:-}" ]; then
        _fw_stop_pidfile "$RUN/flinkwire.pid" # the cluster and agent are someone else's
    else
        fw_stop_all "$RUN"
    fi
}
CHECK_PID=""
trap stop_started EXIT
# Through the EXIT trap; check.py first, which runs in the background so that a signal is
# handled at once (bash runs traps only between foreground commands).
trap '[ -n "$CHECK_PID" ] && kill -TERM "$CHECK_PID" 2>/dev/null; exit 130' INT TERM

if [ -n "${FLINKWIRE_TEST_GATEWAY:-}" ]; then
    GATEWAY="$FLINKWIRE_TEST_GATEWAY"
else
    fw_ensure_java
    fw_ensure_flink
    fw_build_agent
    # A cluster this run directory still has up (--keep) is reused on the ports it was started
    # on (fw_start_flink and fw_start_agent return at once when it answers there).
    if [ -f "$RUN/stack.ports" ] && [ -f "$RUN/jobmanager.pid" ] && kill -0 "$(cat "$RUN/jobmanager.pid")" 2>/dev/null; then
        source "$RUN/stack.ports"
    fi
    FLINK_PORT="${FW_SUPERSET_FLINK_PORT:-${FLINK_PORT:-$(_fw_free_port_from 38081)}}"
    AGENT_PORT="${FW_SUPERSET_AGENT_PORT:-${AGENT_PORT:-$(_fw_free_port_from 38083)}}"
    fw_log "superset: Flink REST 127.0.0.1:$FLINK_PORT, agent 127.0.0.1:$AGENT_PORT"
    fw_start_flink "$RUN" "$FLINK_PORT"
    fw_start_agent "$RUN" "$AGENT_PORT" "$FLINK_PORT"
    printf 'FLINK_PORT=%s\nAGENT_PORT=%s\n' "$FLINK_PORT" "$AGENT_PORT" >"$RUN/stack.ports"
    GATEWAY="http://127.0.0.1:$AGENT_PORT"
fi

# A flinkwire of our own: the test tables of flinkwire.toml.in, on the copied binary.
_fw_stop_pidfile "$RUN/flinkwire.pid"
PG_PORT="${FW_SUPERSET_PG_PORT:-$(_fw_free_port_from 35433)}"
BINARY="$FW_ROOT/target/${FW_PROFILE:-debug}/flinkwire"
[ -x "$BINARY" ] || { fw_ensure_cargo; cargo build --bin flinkwire; }
cp "$BINARY" "$RUN/flinkwire.tmp" && mv "$RUN/flinkwire.tmp" "$RUN/flinkwire"
sed -e "s#@DEMO_DIR@#$FW_ROOT/demo#g" -e "s#@SUPERSET_DIR@#$HERE#g" -e "s#@PG_PORT@#$PG_PORT#g" \
    -e "s#@GATEWAY@#$GATEWAY#g" "$HERE/flinkwire.toml.in" >"$RUN/flinkwire.toml"
"$RUN/flinkwire" serve --config "$RUN/flinkwire.toml" >"$RUN/flinkwire.log" 2>&1 &
echo $! >"$RUN/flinkwire.pid"
fw_wait_port "$PG_PORT" "flinkwire" 60

fw_log "superset: check.py ${CHECK_ARGS[*]:-} against flinkwire on 127.0.0.1:$PG_PORT (gateway $GATEWAY)"
started=$SECONDS
timeout "${FW_SUPERSET_CHECK_TIMEOUT:-900}" "$VENV/bin/python" "$HERE/check.py" \
    "postgresql+psycopg2://superset@127.0.0.1:$PG_PORT/default_catalog" --run-dir "$RUN/superset" \
    "${CHECK_ARGS[@]}" &
CHECK_PID=$!
rc=0
wait "$CHECK_PID" || rc=$?
CHECK_PID=""
fw_log "superset: check.py took $((SECONDS - started))s (exit $rc); summary in $RUN/superset/superset-check.json"
exit $rc
