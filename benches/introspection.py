#!/usr/bin/env python3
"""p50/p99 latency of client introspection queries answered by flinkwire's pg_catalog emulation.

Usage: benches/introspection.py [--port 5433] [--db demo] [--runs 200]
Start flinkwire first (e.g. with tests/clients/catalog_flinkwire.toml). Each query runs
`--runs` times on one connection after a warm-up; the goal is p50 <= 2 ms.
"""
import argparse
import statistics
import time

import psycopg

QUERIES = {
    "psql \\dt": """SELECT n.nspname as "Schema", c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','') AND n.nspname <> 'pg_catalog' AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema' AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2""",
    "psql \\dn": """SELECT n.nspname AS "Name", pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
FROM pg_catalog.pg_namespace n WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1""",
    "psql \\d orders (lookup)": """SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.~) '^(orders)$' COLLATE pg_catalog.default
  AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 2, 3""",
    "information_schema.columns": """SELECT column_name, data_type FROM information_schema.columns
WHERE table_schema = 'shop' AND table_name = 'orders' ORDER BY ordinal_position""",
    "pg_type by oid (PgJDBC)": "SELECT typname FROM pg_catalog.pg_type WHERE oid = 23",
    "version()": "SELECT version()",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=5433)
    ap.add_argument("--db", default="demo")
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    with psycopg.connect(host="127.0.0.1", port=args.port, user="test", dbname=args.db, autocommit=True) as conn:
        print(f"{'query':32} {'p50 ms':>8} {'p99 ms':>8} {'rows':>5}")
        for name, sql in QUERIES.items():
            cur = conn.cursor()
            for _ in range(5):
                cur.execute(sql)
                rows = cur.fetchall()
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                cur.execute(sql)
                rows = cur.fetchall()
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            p50 = statistics.median(times)
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            print(f"{name:32} {p50:8.2f} {p99:8.2f} {len(rows):5}")


if __name__ == "__main__":
    main()
