"""pyodbc + psqlODBC (Debian odbc-postgresql) through the conformance checklist, with
UseDeclareFetch=1 as Tableau sets it."""
import datetime as dt
import decimal
import threading
import time

import pyodbc

from harness import (CANCEL_SQL, HOST, PORT, STREAM_PORT, TLS_OTHER_CA, TLS_SQL, TLS_USER, TYPES_SQL, UNBOUNDED_SQL,
                     Fail, Skip, expect, expect_refused, expect_types, libpq_tls, main)

DRIVER = "/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so"

TYPES = [
    ("c_bool", lambda v: v in (True, 1, "1"), "bit"), ("c_tinyint", 1, "int"), ("c_smallint", 2, "int"),
    ("c_int", 3, "int"), ("c_bigint", 4, "int"), ("c_float", 1.5, "float"), ("c_double", 2.25, "float"),
    ("c_decimal", decimal.Decimal("12.34"), "Decimal"), ("c_char", "ab ", "str"), ("c_varchar", "xyz", "str"),
    ("c_string", "hello", "str"), ("c_bytes", lambda v: bytes(v) == b"\x01\x02\xff", "bytes"),
    ("c_date", dt.date(2024, 1, 2), "date"), ("c_time", dt.time(12, 34, 56), "time"),
    ("c_timestamp", dt.datetime(2024, 1, 2, 3, 4, 5, 123000), "datetime"),
    ("c_timestamp_ltz", lambda v: isinstance(v, (dt.datetime, str)), "datetime or str"),
    ("c_interval", lambda v: v is not None, "any"), ("c_array", lambda v: v is not None, "str"),
    ("c_map", lambda v: v is not None, "str"), ("c_row", lambda v: v is not None, "str"),
]


def connect(port=PORT, **extra):
    import os
    driver = os.environ.get("FW_CONF_PSQLODBC", DRIVER)
    opts = {"Driver": "{" + driver + "}", "Server": HOST, "Port": str(port), "Database": "default_catalog",
            "UID": "test", "PWD": "", "UseDeclareFetch": "1", "Fetch": "100", "SSLmode": "disable"}
    opts.update(extra)
    return pyodbc.connect(";".join(f"{k}={v}" for k, v in opts.items()), autocommit=True, timeout=10)


def c_connect():
    c = connect()
    expect("dbms", c.getinfo(pyodbc.SQL_DBMS_NAME), "PostgreSQL")
    c.close()


def tls_connect(sslmode="verify-full", **kw):
    """psqlODBC's SSLmode, and libpq's own options (sslrootcert, channel_binding) through pqopt."""
    kw = libpq_tls(sslmode=sslmode, **kw)
    pqopt = f"sslrootcert={kw['sslrootcert']} channel_binding={kw['channel_binding']}"
    return connect(int(kw["port"]), Server=kw["host"], UID=kw["user"], PWD="{" + kw["password"] + "}",
                   SSLmode=sslmode, pqopt="{" + pqopt + "}")


def c_tls():
    c = tls_connect()
    expect("current_user", tuple(c.cursor().execute("SELECT current_user").fetchone()), (TLS_USER,))
    expect("row", tuple(c.cursor().execute(TLS_SQL).fetchone()), ("carol",))
    c.close()
    expect_refused("SSLmode=disable", lambda: tls_connect("disable", channel_binding="disable"), "requires TLS")
    expect_refused("wrong password", lambda: tls_connect(password="wrong"),
                   f'password authentication failed for user "{TLS_USER}"')
    if TLS_OTHER_CA:
        expect_refused("verify-full against another CA", lambda: tls_connect(ca=TLS_OTHER_CA), "certificate verify failed")
    return ("SSLmode=verify-full, pqopt={sslrootcert channel_binding=require}: verify-full (host localhost; another CA "
            "refused) + SCRAM-SHA-256-PLUS; plaintext refused (requires TLS); wrong password refused")


def c_simple():
    c = connect()
    rows = c.cursor().execute("SELECT order_id, customer FROM orders ORDER BY order_id").fetchall()
    expect("first row", tuple(rows[0]), (1, "alice"))


def c_param():
    c = connect()
    row = c.cursor().execute("SELECT customer FROM orders WHERE order_id = ? AND customer = ?", 3, "carol").fetchone()
    expect("row", tuple(row), ("carol",))


def c_types():
    c = connect()
    expect_types(tuple(c.cursor().execute(TYPES_SQL).fetchone()), TYPES)


def c_metadata():
    c = connect()
    tables = {r.table_name for r in c.cursor().tables(schema="default_database")}
    if not {"orders", "products"} <= tables:
        raise Fail(f"SQLTables: {sorted(tables)}")
    cols = [r.column_name for r in c.cursor().columns(table="orders")]
    expect("SQLColumns", cols, ["order_id", "customer", "amount", "order_date"])
    return "SQLTables/SQLColumns"


def c_error():
    c = connect()
    try:
        c.cursor().execute("SELECT * FROM no_such_table")
        raise Fail("no error")
    except pyodbc.Error as e:
        expect("sqlstate", e.args[0], "42P01")
    expect("usable after error", tuple(c.cursor().execute("SELECT 1").fetchone()), (1,))


def c_cancel():
    c = connect()
    cur = c.cursor()
    threading.Timer(2.0, cur.cancel).start()
    t = time.time()
    try:
        cur.execute(CANCEL_SQL).fetchall()
        raise Fail("query finished instead of being cancelled")
    except pyodbc.Error as e:
        if "57014" not in str(e) and "cancel" not in str(e).lower():
            raise Fail(f"wrong error: {e}")
    if time.time() - t > 15:
        raise Fail("cancelled only after %.0fs" % (time.time() - t))


def c_stream():
    if not STREAM_PORT:
        raise Skip("no streaming-mode flinkwire (FW_CONF_STREAM_PORT)")
    c = connect(port=int(STREAM_PORT), Fetch="10")
    c.autocommit = False  # psqlODBC declares cursors only inside a transaction
    cur = c.cursor()
    cur.execute(UNBOUNDED_SQL)
    expect("rows fetched", len(cur.fetchmany(20)), 20)
    return "UseDeclareFetch=1, Fetch=10"


main("pyodbc", {
    "connect": c_connect, "connect_tls": c_tls,
    "simple_query": c_simple, "param_query": c_param, "types": c_types, "metadata": c_metadata,
    "error_sqlstate": c_error, "cancel": c_cancel, "streaming": c_stream,
}, {"connect_tls": 150, "cancel": 25, "streaming": 30})
