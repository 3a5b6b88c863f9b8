#!/usr/bin/env bash
# Builds the cargo-fuzz targets (fuzz/ and fuzz/sql/) and runs each one for a fixed time against
# its committed corpus (fuzz/corpus/<target>/); fails if any target crashes, times out or runs out
# of memory. See docs/fuzzing.md.
#
#   scripts/fuzz.sh [SECONDS]         every target, SECONDS each (default 20)
#   FUZZ_TARGETS="params router" scripts/fuzz.sh 60
#                                     only these targets
#   FUZZ_SKIP_SQL=1 scripts/fuzz.sh   only the protocol targets (fuzz/: no DataFusion build)
#   scripts/fuzz.sh --reseed          rebuild the committed corpora: fresh seeds from the
#                                     repository's tests and gateway transcripts (fuzz/seeds.py),
#                                     plus $FUZZ_MERGE_FROM/<target>/ if set, minimised with
#                                     `cargo fuzz cmin` (a set cover of the edges)
#
# New inputs found during a run go to a scratch directory, not into the committed corpus; a
# crashing input is kept in fuzz[/sql]/artifacts/<target>/ with the command that replays it. The
# inputs of fixed crashes (fuzz/regressions/<target>/) are replayed by every run.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$FW_ROOT"

RESEED=0
if [ "${1:-}" = "--reseed" ]; then
    RESEED=1
    shift
fi
SECONDS_PER_TARGET="${1:-20}"
[[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || fw_die "usage: scripts/fuzz.sh [--reseed] [seconds-per-target]"

# Target → fuzz crate. The protocol crate's targets build in a few minutes; the root crate's
# pull in DataFusion (see docs/fuzzing.md for the measured cost).
PROTOCOL_TARGETS=(params fetch_results json_cell gateway_error logical_type framing)
SQL_TARGETS=(router dialect session_settings)

fw_ensure_cargo
if ! cargo fuzz --version >/dev/null 2>&1; then
    fw_log "installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz --locked
fi
# cargo-fuzz passes nightly-only flags (-Zsanitizer, sanitizer coverage) to the stable compiler.
export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

crate_of() {
    local t
    for t in "${SQL_TARGETS[@]}"; do [ "$t" = "$1" ] && { echo sql; return; }; done
    for t in "${PROTOCOL_TARGETS[@]}"; do [ "$t" = "$1" ] && { echo protocol; return; }; done
    fw_die "unknown fuzz target $1 (known: ${PROTOCOL_TARGETS[*]} ${SQL_TARGETS[*]})"
}
fuzz_dir() { [ "$(crate_of "$1")" = sql ] && echo "$FW_ROOT/fuzz/sql" || echo "$FW_ROOT/fuzz"; }
# The root crate's targets run without AddressSanitizer: they exercise safe Rust only (router,
# sqlparser, dialect rules, settings), and ASan would double their build time and halve their
# speed. The protocol targets keep it (arrow builds arrays with unsafe code).
sanitizer() { [ "$(crate_of "$1")" = sql ] && echo none || echo address; }
dict_of() {
    case "$1" in
        params | router | dialect) echo "$FW_ROOT/fuzz/dict/sql.dict" ;;
        fetch_results | json_cell) echo "$FW_ROOT/fuzz/dict/json.dict" ;;
        *) echo "$FW_ROOT/fuzz/dict/$1.dict" ;;
    esac
}

if [ -n "${FUZZ_TARGETS:-}" ]; then
    read -r -a TARGETS <<<"$FUZZ_TARGETS"
    for t in "${TARGETS[@]}"; do crate_of "$t" >/dev/null; done
elif [ "${FUZZ_SKIP_SQL:-0}" = 1 ]; then
    TARGETS=("${PROTOCOL_TARGETS[@]}")
else
    TARGETS=("${PROTOCOL_TARGETS[@]}" "${SQL_TARGETS[@]}")
fi

# Build each needed crate once, timed.
for crate in protocol sql; do
    need=0
    for t in "${TARGETS[@]}"; do [ "$(crate_of "$t")" = "$crate" ] && need=1; done
    [ $need = 1 ] || continue
    if [ $crate = sql ]; then dir="$FW_ROOT/fuzz/sql" san=none; else dir="$FW_ROOT/fuzz" san=address; fi
    fw_log "building the $crate fuzz targets ($dir, sanitizer $san)"
    start=$(date +%s)
    cargo fuzz build --fuzz-dir "$dir" -s "$san"
    fw_log "built in $(($(date +%s) - start)) s; $(du -sh "$dir/target" | cut -f1) in $dir/target"
done

SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/flinkwire-fuzz.XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT

if [ $RESEED = 1 ]; then
    python3 "$FW_ROOT/fuzz/seeds.py" "$SCRATCH/seeds"
    for t in "${TARGETS[@]}"; do
        corpus="$FW_ROOT/fuzz/corpus/$t"
        mkdir -p "$corpus" "$SCRATCH/seeds/$t"
        [ -n "${FUZZ_MERGE_FROM:-}" ] && [ -d "$FUZZ_MERGE_FROM/$t" ] && cp -n "$FUZZ_MERGE_FROM/$t"/* "$SCRATCH/seeds/$t/" 2>/dev/null || true
        cp -n "$SCRATCH/seeds/$t"/* "$corpus/" 2>/dev/null || true
        fw_log "minimising the $t corpus ($(find "$corpus" -type f | wc -l) inputs)"
        # A set cover of the edges (hit counts ignored): every edge the inputs reach, in a few
        # hundred small files rather than thousands.
        cargo fuzz cmin --fuzz-dir "$(fuzz_dir "$t")" -s "$(sanitizer "$t")" "$t" "$corpus" -- \
            -set_cover_merge=1 -use_counters=0 -timeout=10 -rss_limit_mb=2048 \
            >"$SCRATCH/$t.cmin.log" 2>&1 || { tail -n 30 "$SCRATCH/$t.cmin.log"; fw_die "cmin of $t failed"; }
        fw_log "  → $(find "$corpus" -type f | wc -l) inputs, $(du -sh --apparent-size "$corpus" | cut -f1)"
    done
    exit 0
fi

failed=()
summary=()
for t in "${TARGETS[@]}"; do
    corpus="$FW_ROOT/fuzz/corpus/$t"
    [ -d "$corpus" ] || fw_die "no corpus for $t in $corpus (scripts/fuzz.sh --reseed makes one)"
    dict="$(dict_of "$t")"
    args=(-max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
    [ -f "$dict" ] && args+=(-dict="$dict")
    mkdir -p "$SCRATCH/$t"
    fw_log "fuzzing $t for $SECONDS_PER_TARGET s ($(find "$corpus" -type f | wc -l) corpus inputs)"
    log="$SCRATCH/$t.log"
    # The scratch directory comes first: libFuzzer writes new inputs to the first corpus only.
    # fuzz/regressions/<target>/: every input that once crashed a target, replayed each run.
    corpora=("$SCRATCH/$t" "$corpus")
    [ -d "$FW_ROOT/fuzz/regressions/$t" ] && corpora+=("$FW_ROOT/fuzz/regressions/$t")
    if cargo fuzz run --fuzz-dir "$(fuzz_dir "$t")" -s "$(sanitizer "$t")" "$t" "${corpora[@]}" -- "${args[@]}" >"$log" 2>&1; then
        runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log" | tail -n 1)
        rate=$(sed -n 's/.*exec\/s: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
        summary+=("$t: ${runs:-?}, ${rate:-?} exec/s, 0 crashes")
    else
        grep -E "panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer|SUMMARY" -A 3 "$log" | head -n 40 >&2 || tail -n 40 "$log" >&2
        artifact=$(sed -n "s/.*Test unit written to \(.*\)$/\1/p" "$log" | tail -n 1)
        fw_log "$t FAILED; input: ${artifact:-see log above}"
        [ -n "$artifact" ] && fw_log "replay: RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir $(fuzz_dir "$t") -s $(sanitizer "$t") $t $artifact"
        summary+=("$t: FAILED")
        failed+=("$t")
    fi
done

fw_log "fuzzing summary (${SECONDS_PER_TARGET} s per target):"
for line in "${summary[@]}"; do printf '  %s\n' "$line" >&2; done
[ ${#failed[@]} -eq 0 ] || fw_die "fuzz targets failed: ${failed[*]}"
