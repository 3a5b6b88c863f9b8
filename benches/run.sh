#!/usr/bin/env bash
# flinkwire's benchmarks: one table, every row a ratio of two figures measured in this run.
#
#   benches/run.sh [--rows "1000000 10000000"] [--repeat N] [--no-build] [--no-report]
#                  [--only own_pipeline|flight|latency]
#
# Builds release once (flinkwire + benches/tools), starts what the rows need on 127.0.0.1 under a
# temporary directory (PostgreSQL 15, installed from Debian if missing; the replay gateway), prints
# the table and writes docs/benchmarks.md (figures, machine, date; --no-report to skip).
#
# Rows so far (issue 14): flinkwire's own result pipeline against PostgreSQL serving the same
# rows, text (psql) and binary (benches/tools pg_read, tokio-postgres), with flinkwire's CPU per
# row and its peak RSS; latencies (benches/tools latency) on a real Flink session cluster and the
# agent: `SELECT 1` against a direct REST client of the same gateway, connect and catalog queries
# against PostgreSQL, and flinkwire's memory per idle connection. To add a row: write a `bench_<name>` function that calls `add_row` (see
# bench_own_pipeline) and append its name to BENCHES; start what it needs with the `start_*`
# helpers (each starts once).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib/common.sh"
cd "$FW_ROOT"

ROWS_LIST="1000000 10000000"
REPEAT=3
BUILD=1
REPORT=1
BENCHES=(bench_own_pipeline bench_flight bench_latency)
while [ $# -gt 0 ]; do
    case "$1" in
        --rows) ROWS_LIST="$2"; shift 2 ;;
        --repeat) REPEAT="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --no-report) REPORT=0; shift ;;
        --only) BENCHES=("bench_$2"); shift 2 ;;
        *) fw_die "unknown argument $1 (see the header of $0)" ;;
    esac
done

BIN="$FW_ROOT/target/release"
WORK="$(mktemp -d /tmp/flinkwire-bench.XXXXXX)"
chmod 755 "$WORK"
PG_PORT="${FW_BENCH_PG_PORT:-55432}"
GW_PORT="${FW_BENCH_GATEWAY_PORT:-58083}"
FW_PORT="${FW_BENCH_FLINKWIRE_PORT:-55433}"
FLIGHT_PORT="${FW_BENCH_FLIGHT_PORT:-55435}"
PG_BIN=/usr/lib/postgresql/15/bin
PIDS=()
ROWS_OUT=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    if [ -f "$WORK/pg/postmaster.pid" ]; then runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true; fi
    if [ "$FLINK_STARTED" = 1 ]; then fw_stop_all "$WORK/flink"; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
# Building and starting things (each once)
# ---------------------------------------------------------------------------------------------

build() {
    [ "$BUILD" = 1 ] || return 0
    fw_log "building release (flinkwire, benches/tools)"
    nice -n 10 cargo build --release -p flinkwire --bin flinkwire -p flinkwire-bench --bins >&2
}

PG_STARTED=0
start_postgres() {
    [ "$PG_STARTED" = 1 ] && return 0
    fw_ensure_pkg "$PG_BIN/initdb" postgresql-15
    # initdb refuses root: the cluster belongs to the postgres user, in our temporary directory.
    install -d -o postgres "$WORK/pg"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pg" -A trust -U bench >/dev/null
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w start \
        -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $WORK/pg -c shared_buffers=1GB -c fsync=off" >/dev/null
    PG_POSTMASTER="$(head -1 "$WORK/pg/postmaster.pid")"
    PG_STARTED=1
}

# Creates bench_N in PostgreSQL from the same generator the replay gateway serves.
LOADED=" "
pg_load() {
    local n="$1"
    [[ "$LOADED" == *" $n "* ]] && return 0
    fw_log "loading $n rows into PostgreSQL"
    psql_pg -q -c "DROP TABLE IF EXISTS bench_$n" -c "CREATE TABLE bench_$n $("$BIN/replay_gateway" ddl)"
    "$BIN/replay_gateway" csv "$n" | psql_pg -q -c "COPY bench_$n FROM STDIN (FORMAT csv)"
    psql_pg -q -c "VACUUM ANALYZE bench_$n"
    LOADED="$LOADED$n "
}

psql_pg() { psql -X -h 127.0.0.1 -p "$PG_PORT" -U bench -d postgres "$@"; }

GATEWAY_STARTED=0
start_replay_gateway() {
    [ "$GATEWAY_STARTED" = 1 ] && return 0
    "$BIN/replay_gateway" serve "127.0.0.1:$GW_PORT" >"$WORK/gateway.log" 2>&1 &
    PIDS+=($!)
    GW_PID=$!
    fw_wait_port "$GW_PORT" "replay gateway" 120
    GATEWAY_STARTED=1
}

FLINK_STARTED=0
FLINK_PORT="${FW_BENCH_FLINK_PORT:-58081}"
AGENT_PORT="${FW_BENCH_AGENT_PORT:-58084}"
FWF_PORT="${FW_BENCH_FLINKWIRE_FLINK_PORT:-55434}"
FWF_PID=""
# A Flink session cluster (scripts/lib/flink.sh: the quick start's settings), the agent, and a
# flinkwire in front of them.
start_flink() {
    [ "$FLINK_STARTED" = 1 ] && return 0
    source "$FW_ROOT/scripts/lib/flink.sh"
    fw_log "starting Flink (REST $FLINK_PORT), the agent ($AGENT_PORT) and a flinkwire on them ($FWF_PORT)"
    FLINK_STARTED=1
    fw_start_flink "$WORK/flink" "$FLINK_PORT"
    fw_start_agent "$WORK/flink" "$AGENT_PORT" "$FLINK_PORT"
    cat >"$WORK/flinkwire-flink.toml" <<EOF
listen = "127.0.0.1:$FWF_PORT"
[gateway]
url = "http://127.0.0.1:$AGENT_PORT"
[limits]
max_connections = 5000
[pool]
max_sessions = 5000
EOF
    RUST_LOG=warn "$BIN/flinkwire" serve --config "$WORK/flinkwire-flink.toml" >"$WORK/flinkwire-flink.log" 2>&1 &
    FWF_PID=$!
    PIDS+=("$FWF_PID")
    fw_wait_port "$FWF_PORT" "flinkwire (Flink)" 60
}

FW_PID=""
start_flinkwire() {
    [ -n "$FW_PID" ] && return 0
    start_replay_gateway
    # No users: trust, allowed on a loopback listener.
    cat >"$WORK/flinkwire.toml" <<EOF
listen = "127.0.0.1:$FW_PORT"
[gateway]
url = "http://127.0.0.1:$GW_PORT"
[flight]
listen = "127.0.0.1:$FLIGHT_PORT"
EOF
    RUST_LOG=warn "$BIN/flinkwire" serve --config "$WORK/flinkwire.toml" >"$WORK/flinkwire.log" 2>&1 &
    FW_PID=$!
    PIDS+=("$FW_PID")
    fw_wait_port "$FW_PORT" "flinkwire" 60
}

# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------

now() { date +%s.%N; }
# CPU seconds (user + system) a process has used so far.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }
# CPU seconds of a process's children that have ended and been waited for (PostgreSQL's backends,
# reaped by the postmaster; a client, reaped by the shell that ran it).
children_cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ print ($16 + $17) / hz }' "/proc/$1/stat"; }
# Resets a process's peak RSS (VmHWM) so the next reading covers only what follows.
reset_peak() { echo 5 >"/proc/$1/clear_refs"; }
peak_mib() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# Runs a command, prints its wall-clock seconds; fails loudly if it fails.
timed() {
    local start end
    start="$(now)"
    "$@" >"$WORK/last.out" 2>"$WORK/last.err" || { cat "$WORK/last.err" >&2; fw_die "failed: $*"; }
    end="$(now)"
    children_cpu_of "$BASHPID" >"$WORK/last.cpu" # the client's CPU (this subshell's only children)
    echo "$end - $start" | bc -l
}

# A client reading every row of `sql` from port $2 in format $1 (text: psql; binary: pg_read).
read_rows() {
    local format="$1" port="$2" sql="$3"
    case "$format" in
        text) psql -X -q -h 127.0.0.1 -p "$port" -U bench -d postgres -o /dev/null -c "$sql" ;;
        binary) "$BIN/pg_read" "host=127.0.0.1 port=$port user=bench dbname=postgres" "$sql" ;;
    esac
}

# add_row NAME BASELINE_S OURS_S EXTRA...: one table row; ratio = baseline / ours (higher is better).
add_row() {
    local name="$1" base="$2" ours="$3"; shift 3
    local ratio; ratio="$(echo "$base / $ours" | bc -l)"
    ROWS_OUT+=("$(printf '| %s | %s | %s | **%.2f×** | %s |' "$name" "$(seconds "$base")" "$(seconds "$ours")" "$ratio" "$*")")
    echo "${ROWS_OUT[-1]}" >&2
}
# A time in seconds as `1.234 s`, or `12.3 ms` below a second.
seconds() {
    if [ "$(echo "$1 < 0.001" | bc -l)" = 1 ]; then printf '%.3f ms' "$(echo "$1 * 1000" | bc -l)"
    elif [ "$(echo "$1 < 1" | bc -l)" = 1 ]; then printf '%.1f ms' "$(echo "$1 * 1000" | bc -l)"; else printf '%.3f s' "$1"; fi
}
FOOTPRINT_OUT=()
CPU_OUT=()

# ---------------------------------------------------------------------------------------------
# Benchmarks
# ---------------------------------------------------------------------------------------------

# Fails unless both servers answer `sql` with the same rows: text (psql's unaligned output) and
# binary (pg_read's checksum of every value's bytes) compared byte for byte.
check_same() {
    local sql="$1" format port
    for format in text binary; do
        local sums=()
        for port in "$PG_PORT" "$FW_PORT"; do
            case "$format" in
                text) sums+=("$(psql -X -A -t -h 127.0.0.1 -p "$port" -U bench -d postgres -c "$sql" | md5sum | cut -d' ' -f1)") ;;
                binary) sums+=("$("$BIN/pg_read" --check "host=127.0.0.1 port=$port user=bench dbname=postgres" "$sql" | sed 's/, [0-9.]* s$//')") ;;
            esac
        done
        [ "${sums[0]}" = "${sums[1]}" ] || fw_die "$format rows differ for $sql: PostgreSQL ${sums[0]}, flinkwire ${sums[1]}"
        fw_log "same $format rows from both servers: $sql (${sums[0]})"
    done
}

# psql/pg_read ← PostgreSQL vs psql/pg_read ← flinkwire ← replay gateway, same rows, median of
# $REPEAT runs each, interleaved. Extra columns: rows/s through flinkwire, flinkwire's CPU per row
# (median run), its peak RSS over the runs.
bench_own_pipeline() {
    start_postgres
    start_flinkwire
    local n format
    for n in $ROWS_LIST; do
        pg_load "$n"
        local sql="SELECT * FROM bench_$n" repeat="$REPEAT"
        # The comparison reads every row twice more: once, on the smallest result, is enough.
        [ "$n" = "${ROWS_LIST%% *}" ] && check_same "$sql"
        [ "$n" -ge 10000000 ] && repeat=$(( REPEAT > 1 ? REPEAT - 1 : 1 ))
        for format in text binary; do
            read_rows "$format" "$PG_PORT" "$sql" >/dev/null # warm PostgreSQL's cache
            local pg_times="" fw_times="" fw_cpus="" i
            # Where the CPU of the whole machine goes, per side (the machine has 2 cores):
            # the client, the server (PostgreSQL's backend / flinkwire) and the replay gateway.
            local pg_client="" pg_server="" fw_client="" gw_cpus=""
            reset_peak "$FW_PID"
            for i in $(seq "$repeat"); do
                local backends0; backends0="$(children_cpu_of "$PG_POSTMASTER")"
                pg_times="$pg_times $(timed read_rows "$format" "$PG_PORT" "$sql")"
                pg_client="$pg_client $(cat "$WORK/last.cpu")"
                sleep 0.2 # the postmaster reaps the ended backend
                pg_server="$pg_server $(echo "$(children_cpu_of "$PG_POSTMASTER") - $backends0" | bc -l)"
                local cpu0 gw0; cpu0="$(cpu_of "$FW_PID")"; gw0="$(cpu_of "$GW_PID")"
                fw_times="$fw_times $(timed read_rows "$format" "$FW_PORT" "$sql")"
                fw_client="$fw_client $(cat "$WORK/last.cpu")"
                fw_cpus="$fw_cpus $(echo "$(cpu_of "$FW_PID") - $cpu0" | bc -l)"
                gw_cpus="$gw_cpus $(echo "$(cpu_of "$GW_PID") - $gw0" | bc -l)"
            done
            CPU_OUT+=("$(printf '| %s rows, %s | %.2f s | %.2f s | %.2f s | %.2f s | %.2f s |' "$(numfmt --to=si "$n")" "$format" \
                "$(echo "$pg_client" | median)" "$(echo "$pg_server" | median)" \
                "$(echo "$fw_client" | median)" "$(echo "$fw_cpus" | median)" "$(echo "$gw_cpus" | median)")")
            echo "${CPU_OUT[-1]}" >&2
            local pg fw cpu
            pg="$(echo "$pg_times" | median)"; fw="$(echo "$fw_times" | median)"; cpu="$(echo "$fw_cpus" | median)"
            add_row "own pipeline, $(numfmt --to=si "$n") rows, $format" "$pg" "$fw" \
                "$(printf '%.2f M rows/s | %.2f µs | %s MiB' "$(echo "$n / $fw / 1000000" | bc -l)" \
                    "$(echo "$cpu * 1000000 / $n" | bc -l)" "$(peak_mib "$FW_PID")")"
        done
    done
}

# A pyarrow Table of every row through flinkwire's Flight SQL listener (adbc-driver-flightsql)
# against psycopg 3 (binary) from flinkwire's PostgreSQL listener building the same Table, both in
# front of the replay gateway (benches/flight_read.py); median of $REPEAT runs each, interleaved.
# Extra columns: rows/s through Flight SQL, flinkwire's CPU per row, its peak RSS.
bench_flight() {
    start_postgres
    start_flinkwire
    local venv; venv="$("$FW_ROOT/conformance/pydata/setup.sh")"
    local py="$venv/bin/python" reader="$FW_ROOT/benches/flight_read.py" n
    local dsn="host=127.0.0.1 port=$FW_PORT user=bench dbname=postgres" uri="grpc://127.0.0.1:$FLIGHT_PORT"
    local pg_dsn="host=127.0.0.1 port=$PG_PORT user=bench dbname=postgres"
    fw_wait_port "$FLIGHT_PORT" "flinkwire (Flight SQL)" 60
    for n in $ROWS_LIST; do
        local sql="SELECT * FROM bench_$n" pg_times="" pg15_times="" fl_times="" fl_cpus="" i out
        pg_load "$n"
        out="$("$py" "$reader" flight "$uri" "$sql")"
        [ "${out#* }" = "$n" ] || fw_die "Flight SQL read ${out#* } rows of $n"
        reset_peak "$FW_PID"
        for i in $(seq "$REPEAT"); do
            pg_times="$pg_times $("$py" "$reader" psycopg "$dsn" "$sql" | cut -d' ' -f1)"
            pg15_times="$pg15_times $("$py" "$reader" psycopg "$pg_dsn" "$sql" | cut -d' ' -f1)"
            local cpu0; cpu0="$(cpu_of "$FW_PID")"
            fl_times="$fl_times $("$py" "$reader" flight "$uri" "$sql" | cut -d' ' -f1)"
            fl_cpus="$fl_cpus $(echo "$(cpu_of "$FW_PID") - $cpu0" | bc -l)"
        done
        local pg fl cpu
        pg="$(echo "$pg_times" | median)"; fl="$(echo "$fl_times" | median)"; cpu="$(echo "$fl_cpus" | median)"
        add_row "Flight SQL into a pyarrow Table, $(numfmt --to=si "$n") rows (baseline: psycopg 3 binary from flinkwire)" "$pg" "$fl" \
            "$(printf '%.2f M rows/s | %.2f µs | %s MiB' "$(echo "$n / $fl / 1000000" | bc -l)" \
                "$(echo "$cpu * 1000000 / $n" | bc -l)" "$(peak_mib "$FW_PID")")"
        add_row "Flight SQL into a pyarrow Table, $(numfmt --to=si "$n") rows (baseline: psycopg 3 binary from PostgreSQL 15)" \
            "$(echo "$pg15_times" | median)" "$fl" "— | — | —"
    done
}

# Runs `latency ARGS…` once and prints its line of `key=value` figures.
latency() {
    "$BIN/latency" "$@" || fw_die "failed: latency $*"
}

# The value of KEY in a line `latency` printed.
field() {
    printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# add_rows NAME BASELINE_LINE OURS_LINE: the p50 and p99 rows of one measurement of each side.
add_rows() {
    local q
    for q in p50 p99; do
        add_row "$1, $q" "$(field "$q" "$2")" "$(field "$q" "$3")" "— | — | —"
    done
}

# Latencies on the real cluster: `SELECT 1` through flinkwire against a direct REST client of the
# same agent (so the ratio is flinkwire's own overhead on Flink's job submission), connect and a
# catalog query against PostgreSQL, and flinkwire's resident memory per idle connection.
bench_latency() {
    start_postgres
    start_flink
    local pg="host=127.0.0.1 port=$PG_PORT user=bench dbname=postgres"
    local fw="host=127.0.0.1 port=$FWF_PORT user=bench dbname=default_catalog"
    local rest="http://127.0.0.1:$AGENT_PORT" n="${FW_BENCH_LATENCY_RUNS:-15}"
    latency query "$fw" "SELECT 1" 2 >/dev/null # the pool and the snapshot are warm
    # `SELECT 1` flinkwire answers itself (docs/statements.md); the VALUES query is the shortest
    # that still runs on Flink.
    local short="SELECT x FROM (VALUES (1)) AS t(x)" catalog base ours
    # A measurement is assigned before it is used, so a failing one stops the script (set -e).
    # The REST client and flinkwire take turns run for run (`latency pair`), so neither meets a
    # warmer or quieter cluster than the other.
    local both
    both="$(latency pair "$fw" "$rest" "SELECT 1" "$n" execution.runtime-mode=batch)"
    add_rows "\`SELECT 1\`, warm session (baseline: a direct REST client of the same agent)" "$(sed -n 1p <<<"$both")" "$(sed -n 2p <<<"$both")"
    both="$(latency pair "$fw" "$rest" "$short" "$n" execution.runtime-mode=batch)"
    add_rows "\`$short\`, on Flink (baseline: a direct REST client of the same agent)" "$(sed -n 1p <<<"$both")" "$(sed -n 2p <<<"$both")"
    # The same Flink query answered from the result cache (docs/result-cache.md): the warm-up run
    # stores it, the timed runs are hits (well within the 60 s TTL). Baseline: the query on Flink.
    local cached="$fw options='-c flinkwire.result_cache=on'"
    base="$(field p50 "$(sed -n 2p <<<"$both")")"; ours="$(latency query "$cached" "$short" "$n")"
    add_row "result-cache hit, \`$short\`, p50 (baseline: the same query on Flink)" "$base" "$(field p50 "$ours")" "— | — | —"
    base="$(latency connect "$pg" 50)"; ours="$(latency connect "$fw" 50)"
    add_rows "connect, warm pool" "$base" "$ours"
    # A catalog query of the kind BI tools send on connecting (tables of the current schema).
    catalog="SELECT c.relname, c.relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() ORDER BY 1"
    base="$(latency query "$pg" "$catalog" 30 --fresh)"; ours="$(latency query "$fw" "$catalog" 30 --fresh)"
    add_row "first catalog query of a connection, p50" "$(field p50 "$base")" "$(field p50 "$ours")" "— | — | —"
    base="$(latency query "$pg" "$catalog" 100)"; ours="$(latency query "$fw" "$catalog" 100)"
    add_rows "later catalog queries" "$base" "$ours"
    local idle
    idle="$(latency idle "$fw" 1000 "$FWF_PID")"
    fw_log "1000 idle connections: $idle"
    FOOTPRINT_OUT+=("$(printf '| 1 000 idle connections | %s KiB per connection | %s MiB resident before, %s MiB with them open |' \
        "$(field kib_per_connection "$idle")" "$(( $(field rss_before_kib "$idle") / 1024 ))" "$(( $(field rss_after_kib "$idle") / 1024 ))")")
}

# ---------------------------------------------------------------------------------------------

HEADER='| benchmark | baseline (PostgreSQL 15 unless named) | flinkwire | ratio | flinkwire rows/s | flinkwire CPU per row | flinkwire peak RSS |
|---|---|---|---|---|---|---|'
FOOTPRINT_HEADER='| footprint | flinkwire | resident memory |
|---|---|---|'
CPU_HEADER='| own pipeline: CPU per run (median) | client ← PostgreSQL | PostgreSQL backend | client ← flinkwire | flinkwire | replay gateway |
|---|---|---|---|---|---|'

# Everything from this line on in docs/benchmarks.md is written by hand (history, profiles) and
# kept when the report is rewritten.
KEEP_MARK='<!-- Below: written by hand, kept by benches/run.sh. -->'

write_report() {
    local cpu kept=""; cpu="$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
    if [ -f docs/benchmarks.md ] && grep -qF "$KEEP_MARK" docs/benchmarks.md; then
        kept="$(sed -n "\|$KEEP_MARK|,\$p" docs/benchmarks.md)"
    fi
    cat >docs/benchmarks.md <<EOF
# Benchmarks

Written by \`benches/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') ($(git rev-parse --short HEAD)$(git diff --quiet || echo ', with local changes')).
Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); shared with other work, so
wall times vary by ±10 %; every ratio compares two figures measured in the same run, interleaved.

$HEADER
$(printf '%s\n' "${ROWS_OUT[@]}")
$(if [ "${#FOOTPRINT_OUT[@]}" -gt 0 ]; then printf '\n%s\n' "$FOOTPRINT_HEADER"; printf '%s\n' "${FOOTPRINT_OUT[@]}"; fi)
$(if [ "${#CPU_OUT[@]}" -gt 0 ]; then printf '\n%s\n' "$CPU_HEADER"; printf '%s\n' "${CPU_OUT[@]}"; fi)

## What is measured

**Own pipeline**: the same rows (checked before timing: psql's unaligned text and a checksum
of every binary value are identical from both servers, on the smallest row count), \`(id BIGINT, label VARCHAR(16), amount DOUBLE, ts TIMESTAMP(3))\`
(\`benches/tools/src/rows.rs\`: row i is generated from i mod 1 000 000, one label in 997 is NULL),
read by the same client from PostgreSQL 15 (a table, warm cache, \`shared_buffers\` 1 GB) and from
flinkwire in front of the replay gateway (\`benches/tools/src/bin/replay_gateway.rs\`), which serves
the rows from memory as a real Flink 2.3.0 SQL Gateway would: compact JSON pages of 5 000 rows
(the gateway's \`ResultFetcher\` buffer), \`nextResultUri\` paging, one thread. So only flinkwire's
own work is measured: HTTP, JSON, Arrow, PostgreSQL encoding, the socket.

- *text*: \`psql -X -q -o /dev/null -c 'SELECT * FROM bench_N'\` (simple query, text format; psql
  keeps the whole result in memory and formats it, the same work for both servers).
- *binary*: \`benches/tools/src/bin/pg_read.rs\` (tokio-postgres \`query_raw\`: extended protocol,
  every column in binary, each value's bytes touched, not decoded).
- Times are the median of the runs (10 M rows: one run fewer); *ratio* = PostgreSQL time ÷
  flinkwire time, so ≥ 1 means flinkwire is as fast. *CPU per row* is flinkwire's user + system
  CPU for the median run ÷ rows; *peak RSS* is flinkwire's VmHWM over that row's runs.
- *CPU per run*: user + system CPU of every process a run keeps busy, median over the runs: the
  client (the shell's reaped child), PostgreSQL's backend for the connection (reaped by the
  postmaster), flinkwire and the replay gateway. On 2 cores a side's wall time is at least half
  the sum of its processes' CPU: that is the bound the flinkwire side meets.

**Flight SQL** (\`benches/flight_read.py\`): the same replayed rows through flinkwire's two front
ends into a pyarrow Table: adbc-driver-flightsql's \`fetch_arrow_table()\` from the Flight SQL
listener against psycopg 3 with binary results from the PostgreSQL listener, its rows turned into
a Table column by column; *ratio* = psycopg time ÷ Flight SQL time.

**Latencies** (\`benches/tools/src/bin/latency.rs\`): a Flink 2.3.0 session cluster started by
\`scripts/lib/flink.sh\` with the quick start's settings, the agent, and flinkwire in front of it.
\`SELECT 1\` and the \`VALUES\` query are timed from the query to CommandComplete on one warm connection, in turns with a REST
client of the same agent (its session opened with flinkwire's default session property,
\`execution.runtime-mode\` = \`batch\`) that submits the statement, reads pages to EOS (pausing between polls
of a running operation as flinkwire does: 2 ms, doubling to 100 ms) and closes the operation
(what every gateway client pays: Flink's job submission); *connect* is TCP connect to the first
ReadyForQuery with a warm session pool; the catalog query is a pg_class ⋈ pg_namespace listing of
the current schema, the first on a fresh connection and later ones on one connection, against
PostgreSQL 15. The *result-cache hit* is the \`VALUES\` query on a connection with
\`options='-c flinkwire.result_cache=on'\` after one untimed run stored it, against the same
query on Flink. *Footprint*: flinkwire's VmRSS before and after 1 000 more connections log in and
stay idle.
EOF
    if [ -n "$kept" ]; then printf '\n%s\n' "$kept" >>docs/benchmarks.md; fi
    fw_log "wrote docs/benchmarks.md"
}

build
for bench in "${BENCHES[@]}"; do "$bench"; done
printf '\n%s\n' "$HEADER"
printf '%s\n' "${ROWS_OUT[@]}"
if [ "${#FOOTPRINT_OUT[@]}" -gt 0 ]; then printf '\n%s\n' "$FOOTPRINT_HEADER"; printf '%s\n' "${FOOTPRINT_OUT[@]}"; fi
if [ "${#CPU_OUT[@]}" -gt 0 ]; then printf '\n%s\n' "$CPU_HEADER"; printf '%s\n' "${CPU_OUT[@]}"; fi
[ "$REPORT" = 1 ] && write_report
