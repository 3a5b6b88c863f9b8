"""Soak: connection churn for hours against a running flinkwire, printing its RSS, open sockets
and gateway-side state over time (a long run for a release candidate, not part of CI).

Usage: python3 benches/soak.py --pid PID [--port 5433] [--hours 2] [--workers 20]
       [--flink-every 10] [--interval 60] [--flink-rest http://127.0.0.1:8081]

Each of --workers threads loops: connect with psycopg, run two catalog queries (pg_namespace,
pg_class joined to pg_namespace), and every --flink-every-th connection also `SELECT 1` on Flink,
then disconnect. Every --interval seconds one line: elapsed minutes, connections made, errors,
flinkwire's RSS (MiB, /proc/PID/status), its open sockets (/proc/PID/fd), and, with
--flink-rest, the JobManager's RUNNING jobs. A healthy server's RSS and sockets level off after
the first interval and the RUNNING jobs stay at 0; anything that grows line after line is a
leak. Ends with the first and last lines' RSS and sockets as ratios.
"""
import argparse
import json
import os
import threading
import time
import urllib.request

import psycopg


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


def open_sockets(pid):
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


def running_jobs(rest):
    with urllib.request.urlopen(f"{rest}/jobs/overview", timeout=5) as r:
        jobs = json.load(r)["jobs"]
    return sum(1 for j in jobs if j["state"] == "RUNNING")


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.connections = 0
        self.errors = 0
        self.last_error = None

    def add(self, error=None):
        with self.lock:
            self.connections += 1
            if error is not None:
                self.errors += 1
                self.last_error = error


def worker(args, counters, stop):
    n = 0
    while not stop.is_set():
        n += 1
        try:
            with psycopg.connect(host="127.0.0.1", port=args.port, user="soak", dbname=args.dbname,
                                 connect_timeout=10, autocommit=True) as conn:
                conn.execute("SELECT nspname FROM pg_catalog.pg_namespace").fetchall()
                conn.execute("SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
                             "ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog')").fetchall()
                if args.flink_every and n % args.flink_every == 0:
                    conn.execute("SELECT 1").fetchall()
            counters.add()
        except Exception as e:  # noqa: BLE001 - a soak counts every failure
            counters.add(repr(e))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--port", type=int, default=5433)
    p.add_argument("--dbname", default="default_catalog")
    p.add_argument("--hours", type=float, default=2.0)
    p.add_argument("--workers", type=int, default=20)
    p.add_argument("--flink-every", type=int, default=10)
    p.add_argument("--interval", type=float, default=60.0)
    p.add_argument("--flink-rest")
    args = p.parse_args()

    counters, stop = Counters(), threading.Event()
    threads = [threading.Thread(target=worker, args=(args, counters, stop), daemon=True) for _ in range(args.workers)]
    for t in threads:
        t.start()
    start = time.time()
    samples = []
    print("minutes  connections  errors  rss_mib  sockets  running_jobs", flush=True)
    while time.time() - start < args.hours * 3600:
        time.sleep(args.interval)
        jobs = running_jobs(args.flink_rest) if args.flink_rest else "-"
        sample = (rss_mib(args.pid), open_sockets(args.pid))
        samples.append(sample)
        print(f"{(time.time() - start) / 60:7.1f}  {counters.connections:11d}  {counters.errors:6d}  "
              f"{sample[0]:7d}  {sample[1]:7d}  {jobs}", flush=True)
        if counters.last_error:
            print(f"  last error: {counters.last_error}", flush=True)
            counters.last_error = None
    stop.set()
    for t in threads:
        t.join(timeout=30)
    if len(samples) >= 2:
        (r0, s0), (r1, s1) = samples[0], samples[-1]
        print(f"RSS last/first: {r1 / max(r0, 1):.2f} ({r0} → {r1} MiB); sockets last/first: "
              f"{s1 / max(s0, 1):.2f} ({s0} → {s1}); errors: {counters.errors} of {counters.connections}")


if __name__ == "__main__":
    main()
