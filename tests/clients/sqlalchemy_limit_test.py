#!/usr/bin/env python3
"""SQLAlchemy Core queries as Superset builds them, with psycopg 3 and psycopg2, against flinkwire
started with tests/clients/catalog_flinkwire.toml (demo.shop.orders: order_id 1..10). PGPORT
names flinkwire's port.

- `.limit(n)` / `.offset(m)`: psycopg 3 renders `LIMIT %(param_1)s::INTEGER` (a server-side
  parameter, `$1::INTEGER`), psycopg2 inlines `LIMIT 2` on the client.
- Unnamed aggregates get PostgreSQL's column names (`count`, `sum`), which SQLAlchemy's result
  keys and Superset's column lists use.
"""
import os
import sys

from sqlalchemy import MetaData, Table, create_engine, func, select

port = os.environ.get("PGPORT", "5433")
failures = []


def check(name, got, want):
    if got != want:
        failures.append(f"{name}: got {got!r}, want {want!r}")


for driver in ("psycopg", "psycopg2"):
    engine = create_engine(f"postgresql+{driver}://test@127.0.0.1:{port}/demo")
    orders = Table("orders", MetaData(), schema="shop", autoload_with=engine)
    with engine.connect() as conn:
        ids = lambda q: [r[0] for r in conn.execute(q)]  # noqa: E731
        by_id = select(orders.c.order_id).order_by(orders.c.order_id)
        check(f"{driver} limit", ids(by_id.limit(2)), [1, 2])
        check(f"{driver} offset+limit", ids(by_id.offset(3).limit(2)), [4, 5])
        check(f"{driver} limit(0)", ids(by_id.limit(0)), [])
        # Superset's chart query: aggregates and a LIMIT (SQLAlchemy labels them count_1, sum_1).
        chart = select(func.count(), func.sum(orders.c.order_id)).select_from(orders).limit(10000)
        check(f"{driver} aggregate values", [tuple(r) for r in conn.execute(chart)], [(10, 55)])
        # SQL Lab: the user's own SQL, unaliased.
        result = conn.exec_driver_sql("SELECT COUNT(*), SUM(order_id), MAX(order_id) + 1 FROM shop.orders")
        check(f"{driver} unnamed column names", list(result.keys()), ["count", "sum", "?column?"])
        check(f"{driver} unnamed values", [tuple(r) for r in result], [(10, 55, 11)])
        raw = conn.exec_driver_sql("SELECT order_id FROM shop.orders ORDER BY order_id LIMIT 2 OFFSET 8")
        check(f"{driver} literal limit", [r[0] for r in raw], [9, 10])
    engine.dispose()

if failures:
    print("sqlalchemy limit: FAILED\n  " + "\n  ".join(failures))
    sys.exit(1)
print("sqlalchemy limit: ok (psycopg 3 and psycopg2: limit, offset, limit(0), aggregate names)")
