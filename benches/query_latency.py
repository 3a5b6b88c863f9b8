"""Time to first row and throughput through flinkwire (a benchmark, not a test).

Usage: python3 benches/query_latency.py [--port 5433] [--runs 5] [--rows 100000]

Against a running stack (scripts/quickstart.sh). Prints, per case, the median and best of
--runs: connect time, time to first row of `SELECT 1`, and time to first row / total time /
rows per second of a bounded datagen scan. datagen is given an explicit rows-per-second so its
default 10 000 rows/s cap does not make the benchmark measure datagen.
"""
import argparse
import statistics
import time

import psycopg


def stream(conn, sql):
    """Returns (seconds to first row, seconds total, rows) using a streaming read."""
    start = time.perf_counter()
    first = None
    rows = 0
    with conn.cursor() as cur:
        for _ in cur.stream(sql):
            if first is None:
                first = time.perf_counter() - start
            rows += 1
    return first, time.perf_counter() - start, rows


def summary(name, values, unit="s"):
    med = statistics.median(values)
    print(f"{name:<44} median {med:8.3f} {unit}   best {min(values):8.3f} {unit}   (n={len(values)})")
    return med


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5433)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    dsn = f"host={args.host} port={args.port} user=bench dbname=default_catalog"

    connects, select1, scan_first, scan_total, rates = [], [], [], [], []
    for _ in range(args.runs):
        t = time.perf_counter()
        conn = psycopg.connect(dsn, autocommit=True)
        connects.append(time.perf_counter() - t)
        with conn:
            first, _, _ = stream(conn, "SELECT 1")
            select1.append(first)
            conn.execute(
                "CREATE TEMPORARY TABLE bench_gen (id BIGINT, v DOUBLE, name STRING) WITH ("
                "'connector' = 'datagen', 'number-of-rows' = '%d', 'rows-per-second' = '100000000', "
                "'fields.name.length' = '10')" % args.rows
            )
            first, total, rows = stream(conn, "SELECT id, v, name FROM bench_gen")
            assert rows == args.rows, rows
            scan_first.append(first)
            scan_total.append(total)
            rates.append(rows / total)

    print(f"flinkwire on {args.host}:{args.port}, {args.runs} runs")
    summary("connect (opens a Flink SQL Gateway session)", connects)
    summary("SELECT 1: time to first row", select1)
    summary(f"datagen scan of {args.rows} rows: first row", scan_first)
    summary(f"datagen scan of {args.rows} rows: total", scan_total)
    med = statistics.median(rates)
    print(f"{'datagen scan throughput':<44} median {med:8.0f} rows/s")


if __name__ == "__main__":
    main()
