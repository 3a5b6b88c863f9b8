"""Connect-to-first-row with and without the pre-warmed session pool (a benchmark, not a test).

Usage: python3 benches/connect_pool.py [--gateway http://127.0.0.1:8083] [--runs 10]
       [--binary target/release/flinkwire]

Starts flinkwire twice against the given SQL Gateway, each time with one environment of five
statements (a declared in-memory catalog, a database, a view, a datagen table, USE):
`pool.size = 0` (every connection opens a gateway session and runs the environment) and
`pool.size = 2` (connections take a pre-warmed session). For each, --runs times: connect with
psycopg, run `SELECT total FROM totals` (a view of the environment), read the row, disconnect.
Prints median and best. Pauses between pooled runs so the pool can refill (a burst larger than
the pool falls back to opening sessions).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import psycopg

ENV = """
[pool]
size = {size}
health_check_interval_secs = 1

[environments.bench]
init_sql = [
  "CREATE DATABASE IF NOT EXISTS mem.sales",
  "CREATE VIEW mem.sales.totals AS SELECT 42 AS total",
  "CREATE TABLE mem.sales.orders (id BIGINT, amount DOUBLE) WITH ('connector' = 'datagen', 'number-of-rows' = '10')",
]
default_catalog = "mem"
default_database = "sales"
[[environments.bench.catalogs]]
name = "mem"
type = "generic_in_memory"
"""


def run_case(binary, gateway, port, size, runs):
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(ENV.format(size=size))
        path = f.name
    env = dict(os.environ, RUST_LOG="warn")
    proc = subprocess.Popen(
        [binary, "serve", "--listen", f"127.0.0.1:{port}", "--gateway", gateway, "--config", path],
        env=env,
    )
    try:
        dsn = f"host=127.0.0.1 port={port} user=bench dbname=mem"
        deadline = time.time() + 60
        while True:  # ready = one successful query (also warms the snapshot and pool)
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute("SELECT 1").fetchone()
                break
            except psycopg.Error:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        times = []
        for _ in range(runs):
            if size:
                time.sleep(2.5)  # let the pool refill
            start = time.perf_counter()
            with psycopg.connect(dsn, autocommit=True) as conn:
                row = conn.execute("SELECT total FROM totals").fetchone()
            times.append(time.perf_counter() - start)
            assert row == (42,), row
        return times
    finally:
        proc.terminate()
        proc.wait()
        os.unlink(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateway", default="http://127.0.0.1:8083")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--port", type=int, default=55433)
    ap.add_argument("--binary", default="target/release/flinkwire")
    args = ap.parse_args()
    if not os.path.exists(args.binary):
        sys.exit(f"{args.binary} not found: cargo build --release (or pass --binary)")
    for label, size in (("without pool (pool.size = 0)", 0), ("with pool (pool.size = 2)", 2)):
        t = run_case(args.binary, args.gateway, args.port, size, args.runs)
        print(f"connect-to-first-row {label:<30} median {statistics.median(t)*1000:8.1f} ms"
              f"   best {min(t)*1000:8.1f} ms   (n={len(t)})")


if __name__ == "__main__":
    main()
