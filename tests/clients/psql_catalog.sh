#!/usr/bin/env bash
# psql 15's backslash commands against flinkwire started with tests/clients/catalog_flinkwire.toml
# (PGPORT): \l \dn \dt \dv \d orders \d+ \dt+ \d index \df \du \dp, answered by the pg_catalog emulation.
set -euo pipefail
run() { psql -h 127.0.0.1 -p "${PGPORT:-5433}" -U test -d demo -X -v ON_ERROR_STOP=1 -At -F '|' -c "$1"; }
# With footers (Indexes:, "primary key, …"), which tuples-only output leaves out.
run_full() { psql -h 127.0.0.1 -p "${PGPORT:-5433}" -U test -d demo -X -v ON_ERROR_STOP=1 -c "$1"; }
fail() { echo "psql catalog: FAILED: $*"; exit 1; }
# The metadata snapshot loads in the background after flinkwire starts listening.
for _ in $(seq 60); do run '\dt' 2>/dev/null | grep -q '^shop|orders|' && break; sleep 0.5; done
run '\l' | grep -q '^demo|' || fail '\l lists demo'
run '\dn' | grep -qx 'shop|postgres' || fail '\dn lists shop'
[ "$(run '\dt' | cut -d'|' -f1-3 | tr '\n' ' ')" = "shop|customers|table shop|orders|table " ] || fail '\dt'
[ "$(run '\dv' | cut -d'|' -f1-3)" = "shop|big_orders|view" ] || fail '\dv'
d=$(run '\d orders')
echo "$d" | grep -q '^order_id|bigint||not null|' || fail "\\d orders: $d"
echo "$d" | grep -q '^product|character varying(20)|' || fail "\\d orders: $d"
echo "$d" | grep -q '^amount|numeric(10,2)|' || fail "\\d orders: $d"
echo "$d" | grep -q '^ts|timestamp(3) without time zone|' || fail "\\d orders: $d"
run_full '\d orders' | grep -q '"orders_pkey" PRIMARY KEY, btree (order_id)' || fail '\d orders has no index'
run_full '\d orders_pkey' | grep -q '^primary key, btree, for table "shop.orders"' || fail '\d orders_pkey'
run '\d+ orders' | grep -q '^product|character varying(20)|.*|what was sold$' || fail '\d+ orders: column comment'
run '\dt+ orders' | grep -q '|one row per order$' || fail '\dt+ orders: table comment'
run '\df' >/dev/null || fail '\df'
run '\du' | grep -q '^test||{}$' || fail "\\du: $(run '\du')"
run '\dp' | grep -q '^shop|orders|table|||$' || fail "\\dp: $(run '\dp')"
[ "$(run 'SELECT "order_id" FROM "shop"."orders" ORDER BY "order_id" LIMIT 2' | tr '\n' ' ')" = "1 2 " ] || fail 'generated query'
echo "psql catalog: ok (\\l \\dn \\dt \\dv \\d orders \\d+ \\dt+ \\d orders_pkey \\df \\du \\dp, quoted query)"
