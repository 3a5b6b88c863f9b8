"""psycopg 3 against a flinkwire whose sessions run in streaming mode: a server-side (named)
cursor over an unbounded datagen query read with fetchmany, then conn.cancel() from another
thread -> 57014, and the Flink job CANCELED on the JobManager.

Run by scripts/test.sh with PGHOST/PGPORT pointing at a streaming flinkwire and
FLINKWIRE_TEST_FLINK_REST at the JobManager REST API.
"""
import json
import os
import sys
import threading
import time
import urllib.request

import psycopg

DSN = f"host={os.environ.get('PGHOST', '127.0.0.1')} port={os.environ.get('PGPORT', '5433')} user=test dbname=default_catalog"
REST = os.environ["FLINKWIRE_TEST_FLINK_REST"]
TABLE = f"fw_psy_{os.getpid()}_{int(time.time())}"


def job_states():
    with urllib.request.urlopen(f"{REST}/jobs/overview") as resp:
        jobs = json.load(resp)["jobs"]
    return [j["state"] for j in jobs if TABLE in j["name"]]


def wait_cancelled(limit=10.0):
    start = time.time()
    while time.time() - start < limit:
        states = job_states()
        if states and all(s == "CANCELED" for s in states):
            return time.time() - start
        time.sleep(0.2)
    sys.exit(f"FAIL: job on {TABLE} not CANCELED after {limit}s: {job_states()}")


with psycopg.connect(DSN) as conn:  # autocommit off: psycopg wraps the cursor in BEGIN
    conn.execute("SET flinkwire.result_mode = 'append'")
    conn.execute(
        f"CREATE TEMPORARY TABLE {TABLE} (id BIGINT, label STRING) WITH ("
        "'connector' = 'datagen', 'rows-per-second' = '20', 'fields.label.length' = '4')"
    )
    cur = conn.cursor(name="endless")
    cur.execute(f"SELECT id, label FROM {TABLE}")
    got = 0
    for _ in range(3):
        got += len(cur.fetchmany(10))
    assert got == 30, got
    assert [d.name for d in cur.description] == ["id", "label"], cur.description
    threading.Timer(1.5, conn.cancel).start()
    started = time.time()
    try:
        cur.fetchmany(100000)  # blocks: 20 rows/s
        sys.exit("FAIL: fetchmany was not cancelled")
    except psycopg.errors.QueryCanceled as e:
        assert e.sqlstate == "57014", e.sqlstate
    assert time.time() - started < 10
    conn.rollback()
    took = wait_cancelled()
    print(f"psycopg named cursor + cancel: 57014, job CANCELED after {took:.1f}s")
    # The connection is still usable.
    assert conn.execute("SELECT 1").fetchone() == (1,)

print("psycopg streaming: ok")
