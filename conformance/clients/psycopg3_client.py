"""psycopg 3 through the conformance checklist."""
import datetime as dt
import decimal
import threading
import time

import psycopg

from harness import (CANCEL_SQL, HOST, PORT, STREAM_PORT, TLS_OTHER_CA, TLS_SQL, TLS_USER, TYPES_SQL, UNBOUNDED_SQL,
                     Fail, Skip, expect, expect_refused, expect_types, libpq_tls, main)

DSN = f"host={HOST} port={PORT} user=test dbname=default_catalog"

TYPES = [
    ("c_bool", True, "bool"), ("c_tinyint", 1, "int"), ("c_smallint", 2, "int"), ("c_int", 3, "int"),
    ("c_bigint", 4, "int"), ("c_float", 1.5, "float"), ("c_double", 2.25, "float"),
    ("c_decimal", decimal.Decimal("12.34"), "Decimal"), ("c_char", "ab ", "str"), ("c_varchar", "xyz", "str"),
    ("c_string", "hello", "str"), ("c_bytes", b"\x01\x02\xff", "bytes"), ("c_date", dt.date(2024, 1, 2), "date"),
    ("c_time", dt.time(12, 34, 56), "time"), ("c_timestamp", dt.datetime(2024, 1, 2, 3, 4, 5, 123000), "datetime"),
    ("c_timestamp_ltz", lambda v: isinstance(v, dt.datetime) and v.tzinfo is not None
     and v == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc), "aware datetime"),
    ("c_interval", dt.timedelta(days=2), "timedelta"), ("c_array", [1, 2, 3], "list"),
    ("c_map", {"k": 1}, "dict (json)"), ("c_row", lambda v: isinstance(v, dict) and list(v.values()) == [1, "x"], "dict (json)"),
]


def connect(port=PORT, **kw):
    return psycopg.connect(f"host={HOST} port={port} user=test dbname=default_catalog", **kw)


def c_connect():
    with connect(autocommit=True) as c:
        expect("status", c.info.status, psycopg.pq.ConnStatus.OK)


def c_tls():
    with psycopg.connect(**libpq_tls(), autocommit=True) as c:
        expect("ssl_in_use", c.pgconn.ssl_in_use, True)
        expect("current_user", c.execute("SELECT current_user").fetchone(), (TLS_USER,))
        expect("row", c.execute(TLS_SQL).fetchone(), ("carol",))
    expect_refused("sslmode=disable", lambda: psycopg.connect(**libpq_tls(sslmode="disable", channel_binding="disable")),
                   "requires TLS")
    expect_refused("wrong password", lambda: psycopg.connect(**libpq_tls(password="wrong")),
                   f'password authentication failed for user "{TLS_USER}"')
    if TLS_OTHER_CA:
        expect_refused("verify-full against another CA", lambda: psycopg.connect(**libpq_tls(ca=TLS_OTHER_CA)),
                       "certificate verify failed")
    return (f"verify-full (host localhost; another CA refused) + SCRAM-SHA-256-PLUS (channel_binding=require, "
            f"libpq {psycopg.pq.version()}); plaintext refused (requires TLS); wrong password refused")


def c_simple():
    with connect(autocommit=True) as c:
        rows = c.execute("SELECT order_id, customer FROM orders ORDER BY order_id").fetchall()
        expect("first row", rows[0], (1, "alice"))


def c_param():
    with connect(autocommit=True) as c:
        row = c.execute("SELECT customer, amount FROM orders WHERE order_id = %s AND customer = %s",
                        (3, "carol")).fetchone()
        expect("row", row, ("carol", decimal.Decimal("99.99")))


def c_types():
    with connect(autocommit=True) as c:
        expect_types(c.execute(TYPES_SQL).fetchone(), TYPES)
        with c.cursor(binary=True) as cur:
            expect_types(cur.execute(TYPES_SQL).fetchone(), TYPES)


def c_metadata():
    with connect(autocommit=True) as c:
        tables = {r[0] for r in c.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'default_database'")}
        if not {"orders", "products", "big_orders"} <= tables:
            raise Fail(f"information_schema.tables: {sorted(tables)}")
        cols = c.execute("SELECT column_name, data_type FROM information_schema.columns "
                         "WHERE table_name = 'orders' ORDER BY ordinal_position").fetchall()
        expect("orders columns", [r[0] for r in cols], ["order_id", "customer", "amount", "order_date"])
        return "information_schema.tables/columns"


def c_error():
    with connect(autocommit=True) as c:
        try:
            c.execute("SELECT * FROM no_such_table")
            raise Fail("no error")
        except psycopg.errors.UndefinedTable as e:
            expect("sqlstate", e.sqlstate, "42P01")
        expect("usable after error", c.execute("SELECT 1").fetchone(), (1,))


def c_cancel():
    with connect(autocommit=True) as c:
        threading.Timer(2.0, c.cancel).start()
        t = time.time()
        try:
            c.execute(CANCEL_SQL).fetchall()
            raise Fail("query finished instead of being cancelled")
        except psycopg.errors.QueryCanceled:
            pass
        if time.time() - t > 15:
            raise Fail("cancelled only after %.0fs" % (time.time() - t))
        expect("usable after cancel", c.execute("SELECT 1").fetchone(), (1,))


def c_stream():
    if not STREAM_PORT:
        raise Skip("no streaming-mode flinkwire (FW_CONF_STREAM_PORT)")
    with connect(port=int(STREAM_PORT)) as c:
        with c.cursor(name="endless_cur") as cur:  # server-side cursor: DECLARE + FETCH
            cur.itersize = 10
            cur.execute(UNBOUNDED_SQL)
            rows = cur.fetchmany(20)
            expect("rows fetched", len(rows), 20)
        return "named cursor (DECLARE/FETCH)"


main("psycopg3", {
    "connect": c_connect, "connect_tls": c_tls,
    "simple_query": c_simple, "param_query": c_param, "types": c_types, "metadata": c_metadata,
    "error_sqlstate": c_error, "cancel": c_cancel, "streaming": c_stream,
}, {"connect_tls": 150, "cancel": 25, "streaming": 30})
