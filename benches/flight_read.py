"""Reads every row of a query into a pyarrow Table and prints the seconds it took (and the rows).

  flight_read.py flight  grpc://HOST:PORT  SQL   # adbc-driver-flightsql: cursor.fetch_arrow_table()
  flight_read.py psycopg DSN               SQL   # psycopg 3, binary results, rows → pyarrow Table

For benches/run.sh's Flight SQL row: the same rows through flinkwire's two front ends into the
same kind of object, so the ratio is what a data tool gains from Arrow batches over PostgreSQL rows.
Runs in the Python data stack's virtual environment (conformance/pydata/setup.sh).
"""
import sys
import time

import pyarrow as pa


def flight(uri, sql):
    import adbc_driver_flightsql.dbapi as flightsql
    with flightsql.connect(uri, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetch_arrow_table()


def psycopg_binary(dsn, sql):
    import psycopg
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor(binary=True) as cur:
        cur.execute(sql)
        names = [c.name for c in cur.description]
        rows = cur.fetchall()
    # Column-wise, as pandas/pyarrow users build a table from DB-API rows.
    columns = list(zip(*rows)) if rows else [[] for _ in names]
    return pa.table({name: list(values) for name, values in zip(names, columns)})


if __name__ == "__main__":
    mode, target, sql = sys.argv[1:4]
    started = time.perf_counter()
    table = flight(target, sql) if mode == "flight" else psycopg_binary(target, sql)
    elapsed = time.perf_counter() - started
    print(f"{elapsed:.6f} {table.num_rows}")
