#!/usr/bin/env bash
# tokio-postgres: records the results of the workspace's end-to-end tests (tests/e2e.rs, which
# drive flinkwire with tokio-postgres) as the tokio-postgres column, and connect_tls from
# conformance/tokio-tls (tokio-postgres + tokio-postgres-rustls, a crate of its own so that its TLS
# connector stays out of flinkwire's dependencies).  OUT.json
set -uo pipefail
out="$1"
cd "$FW_ROOT"
declare -A map=([connect]=select_one [simple_query]=select_one [param_query]=prepared_statement_with_parameters
    [types]="every_type_in_text every_type_in_binary" [error_sqlstate]=errors_have_sqlstates_and_keep_the_connection)
log="$(dirname "$out")/tokio-postgres.log"
tls_json="$(dirname "$out")/tokio-postgres-tls.json" tls_log="$(dirname "$out")/tokio-postgres-tls.log"
rm -f "$tls_json"
if CARGO_TARGET_DIR="$FW_ROOT/target/conformance-tls" cargo build --locked \
    --manifest-path "$FW_ROOT/conformance/tokio-tls/Cargo.toml" >"$tls_log" 2>&1; then
    timeout 120 "$FW_ROOT/target/conformance-tls/debug/flinkwire-conformance-tokio-tls" >"$tls_json" 2>>"$tls_log"
fi
# connect_tls on record before the e2e tests (a long build when cold: run.sh's client timeout
# may end this script during it).
python3 - "$out" "$tls_json" <<'PY'
import json, sys
try:
    tls = json.load(open(sys.argv[2]))
except (OSError, ValueError):
    tls = {"status": "fail", "reason": "conformance/tokio-tls did not build or run (tokio-postgres-tls.log)"}
json.dump({"connect_tls": tls}, open(sys.argv[1], "w"), indent=1)
PY
timeout 600 cargo test --test e2e -- --include-ignored --test-threads=2 select_one prepared_statement_with_parameters \
    every_type_in errors_have_sqlstates >"$log" 2>&1
python3 - "$out" "$log" "$tls_json" "$tls_log" <<'PY'
import json, re, sys
out, log = sys.argv[1], open(sys.argv[2]).read()
status = dict(re.findall(r"^test (\S+) \.\.\. (ok|FAILED|ignored)", log, re.M))
m = {"connect": ["select_one"], "simple_query": ["select_one"], "param_query": ["prepared_statement_with_parameters"],
     "types": ["every_type_in_text", "every_type_in_binary"], "error_sqlstate": ["errors_have_sqlstates_and_keep_the_connection"]}
try:
    tls = json.load(open(sys.argv[3]))
except (OSError, ValueError):
    tls = {"status": "fail", "reason": f"conformance/tokio-tls did not build or run (log: {sys.argv[4]})"}
res = {"connect_tls": tls}
for check, tests in m.items():
    got = [status.get(t) for t in tests]
    if all(g == "ok" for g in got):
        res[check] = {"status": "pass", "reason": "tests/e2e.rs: " + ", ".join(tests)}
    else:
        res[check] = {"status": "fail", "reason": "tests/e2e.rs: " + ", ".join(f"{t}={g}" for t, g in zip(tests, got))}
for check in ("metadata", "cancel", "streaming"):
    res[check] = {"status": "skip", "reason": "no tokio-postgres test for this check in tests/e2e.rs yet"}
json.dump(res, open(out, "w"), indent=1)
for k, v in res.items():
    print(f"  {'tokio-postgres':16} {k:15} {v['status']:5} {v['reason']}", file=sys.stderr)
PY
