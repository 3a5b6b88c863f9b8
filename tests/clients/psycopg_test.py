"""psycopg 3 against a running flinkwire: server-side parameters, types, errors.

Run by scripts/test.sh with PGHOST/PGPORT pointing at flinkwire.
"""
import datetime
import decimal
import os
import sys

import psycopg

DSN = f"host={os.environ.get('PGHOST', '127.0.0.1')} port={os.environ.get('PGPORT', '5433')} user=test dbname=default_catalog"
failures = []


def check(name, got, want):
    if got != want:
        failures.append(f"{name}: got {got!r}, want {want!r}")


with psycopg.connect(DSN, autocommit=True) as conn:
    check("select 1", conn.execute("SELECT 1").fetchone(), (1,))

    # Server-side parameters ($1…) of every common type, inlined as Flink literals.
    row = conn.execute(
        "SELECT CAST(%s AS INT) + 1, %s, %s, %s, %s, %s, %s",
        (41, "it's; -- not a comment", decimal.Decimal("12.50"), True, 2.5,
         datetime.date(2024, 1, 2), None),
    ).fetchone()
    check("typed parameters", row, (42, "it's; -- not a comment", decimal.Decimal("12.50"), True, 2.5,
                                    datetime.date(2024, 1, 2), None))

    # Injection attempt: the value stays a value.
    evil = "x' AS s, 'pwned"
    check("injection", conn.execute("SELECT %s AS s", (evil,)).fetchall(), [(evil,)])

    # Binary results.
    with conn.cursor(binary=True) as cur:
        cur.execute("SELECT CAST(7 AS BIGINT) AS b, 'txt' AS t, DATE '2024-03-04' AS d")
        check("binary results", cur.fetchone(), (7, "txt", datetime.date(2024, 3, 4)))

    # Errors carry their SQLSTATE and leave the connection usable.
    try:
        conn.execute("SELEC 1")
        failures.append("bad SQL succeeded")
    except psycopg.errors.SyntaxError as e:
        check("syntax error sqlstate", e.sqlstate, "42601")
    try:
        conn.execute("SELECT * FROM no_such_table")
        failures.append("unknown table succeeded")
    except psycopg.errors.UndefinedTable as e:
        check("unknown table sqlstate", e.sqlstate, "42P01")
    check("after errors", conn.execute("SELECT 'ok'").fetchone(), ("ok",))

    # A prepared statement executed repeatedly (psycopg prepares after 5 executions).
    for i in range(7):
        check(f"prepared #{i}", conn.execute("SELECT CAST(%s AS INT) * 2", (i,)).fetchone(), (i * 2,))
    # That statement is `_pg3_0`; DEALLOCATE (what psycopg sends when its cache evicts one)
    # drops it, and a second time it is gone.
    conn.execute("DEALLOCATE _pg3_0")
    try:
        conn.execute("DEALLOCATE _pg3_0")
        failures.append("DEALLOCATE of a deallocated statement succeeded")
    except psycopg.errors.InvalidSqlStatementName as e:
        check("deallocate twice sqlstate", e.sqlstate, "26000")

# Default (non-autocommit) mode sends BEGIN/COMMIT around statements.
with psycopg.connect(DSN) as conn:
    check("in transaction", conn.execute("SELECT 5").fetchone(), (5,))
    conn.commit()

if failures:
    print("psycopg_test FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
    sys.exit(1)
print("psycopg_test: ok")
