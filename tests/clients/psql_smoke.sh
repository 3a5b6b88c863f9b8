#!/usr/bin/env bash
# psql against a running flinkwire (PGHOST/PGPORT set by scripts/test.sh).
set -euo pipefail
fail() { echo "psql_smoke: $*" >&2; exit 1; }
q() { psql -X -v ON_ERROR_STOP=1 -At "$@"; }

out=$(q -c 'SELECT 1') || fail "SELECT 1 failed"
[ "$out" = "1" ] || fail "SELECT 1 printed '$out'"

out=$(q -c "SELECT 'a;b' AS s; SELECT 2 + 3 AS n") || fail "two statements failed"
[ "$out" = $'a;b\n5' ] || fail "two statements printed '$out'"

# A bad statement: psql exits 1 and shows the SQLSTATE; the message names the problem.
if err=$(psql -X -v VERBOSITY=verbose -At -c 'SELEC 1' 2>&1); then fail "bad SQL succeeded"; fi
grep -q '42601' <<<"$err" || fail "bad SQL did not report 42601: $err"
grep -q 'Exception on server side' <<<"$err" && fail "a Java stack trace reached the client: $err"

# One connection: an error does not end the session.
out=$(psql -X -At <<'SQL' 2>/dev/null
SELECT * FROM no_such_table;
SELECT 'still here';
SQL
) || true
grep -q 'still here' <<<"$out" || fail "connection unusable after an error: $out"

echo "psql_smoke: ok"
