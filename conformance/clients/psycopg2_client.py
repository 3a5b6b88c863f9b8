"""psycopg2 (and, with --sqlalchemy, SQLAlchemy 2 on psycopg2) through the conformance checklist."""
import datetime as dt
import decimal
import sys
import threading
import time

import psycopg2
import psycopg2.errors

from harness import (CANCEL_SQL, HOST, PORT, STREAM_PORT, TLS_OTHER_CA, TLS_SQL, TLS_USER, TYPES_SQL, UNBOUNDED_SQL,
                     Fail, Skip, expect, expect_refused, expect_types, libpq_tls, main)

TYPES = [
    ("c_bool", True, "bool"), ("c_tinyint", 1, "int"), ("c_smallint", 2, "int"), ("c_int", 3, "int"),
    ("c_bigint", 4, "int"), ("c_float", 1.5, "float"), ("c_double", 2.25, "float"),
    ("c_decimal", decimal.Decimal("12.34"), "Decimal"), ("c_char", "ab ", "str"), ("c_varchar", "xyz", "str"),
    ("c_string", "hello", "str"), ("c_bytes", lambda v: bytes(v) == b"\x01\x02\xff", "memoryview"),
    ("c_date", dt.date(2024, 1, 2), "date"), ("c_time", dt.time(12, 34, 56), "time"),
    ("c_timestamp", dt.datetime(2024, 1, 2, 3, 4, 5, 123000), "datetime"),
    ("c_timestamp_ltz", lambda v: isinstance(v, dt.datetime) and v.tzinfo is not None
     and v == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc), "aware datetime"),
    ("c_interval", dt.timedelta(days=2), "timedelta"), ("c_array", [1, 2, 3], "list"),
    ("c_map", {"k": 1}, "dict (json)"), ("c_row", lambda v: isinstance(v, dict) and list(v.values()) == [1, "x"], "dict (json)"),
]


def connect(port=PORT, autocommit=True):
    c = psycopg2.connect(host=HOST, port=port, user="test", dbname="default_catalog")
    c.autocommit = autocommit
    return c


def c_connect():
    c = connect()
    expect("server_version", c.server_version >= 90000, True)
    c.close()


def c_tls():
    c = psycopg2.connect(**libpq_tls())
    c.autocommit = True
    expect("ssl_in_use", c.info.ssl_in_use, True)
    with c.cursor() as cur:
        cur.execute("SELECT current_user")
        expect("current_user", cur.fetchone(), (TLS_USER,))
        cur.execute(TLS_SQL)
        expect("row", cur.fetchone(), ("carol",))
    c.close()
    expect_refused("sslmode=disable", lambda: psycopg2.connect(**libpq_tls(sslmode="disable", channel_binding="disable")),
                   "requires TLS")
    expect_refused("wrong password", lambda: psycopg2.connect(**libpq_tls(password="wrong")),
                   f'password authentication failed for user "{TLS_USER}"')
    if TLS_OTHER_CA:
        expect_refused("verify-full against another CA", lambda: psycopg2.connect(**libpq_tls(ca=TLS_OTHER_CA)),
                       "certificate verify failed")
    return (f"verify-full (host localhost; another CA refused) + SCRAM-SHA-256-PLUS (channel_binding=require, "
            f"libpq {psycopg2.__libpq_version__}); plaintext refused (requires TLS); wrong password refused")


def c_simple():
    with connect() as c, c.cursor() as cur:
        cur.execute("SELECT order_id, customer FROM orders ORDER BY order_id")
        expect("first row", cur.fetchall()[0], (1, "alice"))


def c_param():
    # psycopg2 interpolates parameters client-side (simple query protocol).
    with connect() as c, c.cursor() as cur:
        cur.execute("SELECT customer, amount FROM orders WHERE order_id = %s AND customer = %s", (3, "carol"))
        expect("row", cur.fetchone(), ("carol", decimal.Decimal("99.99")))
        return "client-side interpolation"


def c_types():
    with connect() as c, c.cursor() as cur:
        cur.execute(TYPES_SQL)
        expect_types(cur.fetchone(), TYPES)


def c_metadata():
    with connect() as c, c.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'default_database'")
        tables = {r[0] for r in cur.fetchall()}
        if not {"orders", "products", "big_orders"} <= tables:
            raise Fail(f"information_schema.tables: {sorted(tables)}")
        return "information_schema.tables"


def c_error():
    with connect() as c, c.cursor() as cur:
        try:
            cur.execute("SELECT * FROM no_such_table")
            raise Fail("no error")
        except psycopg2.errors.UndefinedTable as e:
            expect("sqlstate", e.pgcode, "42P01")
        cur.execute("SELECT 1")
        expect("usable after error", cur.fetchone(), (1,))


def c_cancel():
    c = connect()
    threading.Timer(2.0, c.cancel).start()
    t = time.time()
    with c.cursor() as cur:
        try:
            cur.execute(CANCEL_SQL)
            raise Fail("query finished instead of being cancelled")
        except psycopg2.errors.QueryCanceled:
            pass
        if time.time() - t > 15:
            raise Fail("cancelled only after %.0fs" % (time.time() - t))
        cur.execute("SELECT 1")
        expect("usable after cancel", cur.fetchone(), (1,))


def c_stream():
    if not STREAM_PORT:
        raise Skip("no streaming-mode flinkwire (FW_CONF_STREAM_PORT)")
    c = connect(port=int(STREAM_PORT), autocommit=False)
    with c.cursor(name="endless_cur") as cur:  # server-side cursor: DECLARE + FETCH
        cur.itersize = 10
        cur.execute(UNBOUNDED_SQL)
        expect("rows fetched", len(cur.fetchmany(20)), 20)
    return "named cursor (DECLARE/FETCH)"


# ---- SQLAlchemy 2 on psycopg2 --------------------------------------------------------------------

def engine(port=PORT):
    import sqlalchemy as sa
    return sa.create_engine(f"postgresql+psycopg2://test@{HOST}:{port}/default_catalog")


def s_connect():
    import sqlalchemy as sa
    with engine().connect() as c:
        expect("select 1", c.execute(sa.text("SELECT 1")).scalar(), 1)


def s_tls():
    import sqlalchemy as sa
    kw = libpq_tls()
    url = sa.engine.URL.create("postgresql+psycopg2", username=kw.pop("user"), password=kw.pop("password"),
                               host=kw.pop("host"), port=int(kw.pop("port")), database=kw.pop("dbname"))
    with sa.create_engine(url, connect_args=kw).connect() as c:
        expect("ssl_in_use", c.connection.dbapi_connection.info.ssl_in_use, True)
        expect("current_user", c.execute(sa.text("SELECT current_user")).scalar(), TLS_USER)
        expect("row", c.execute(sa.text(TLS_SQL)).scalar(), "carol")
    bad = sa.create_engine(url.set(password="wrong"), connect_args=kw)
    expect_refused("wrong password", lambda: bad.connect(), f'password authentication failed for user "{TLS_USER}"')
    plain = sa.create_engine(url, connect_args=dict(kw, sslmode="disable", channel_binding="disable"))
    expect_refused("sslmode=disable", lambda: plain.connect(), "requires TLS")
    if TLS_OTHER_CA:
        other = sa.create_engine(url, connect_args=dict(kw, sslrootcert=TLS_OTHER_CA))
        expect_refused("verify-full against another CA", lambda: other.connect(), "certificate verify failed")
    return ("create_engine(URL, connect_args={sslmode: verify-full, sslrootcert, channel_binding: require}): "
            "verify-full (host localhost; another CA refused) + SCRAM-SHA-256-PLUS; plaintext and a wrong password "
            "refused")


def s_simple():
    import sqlalchemy as sa
    t = sa.table("orders", sa.column("order_id"), sa.column("customer"))
    with engine().connect() as c:
        rows = c.execute(sa.select(t.c.order_id, t.c.customer).order_by(t.c.order_id)).fetchall()
        expect("first row", tuple(rows[0]), (1, "alice"))
    return "Core select()"


def s_param():
    import sqlalchemy as sa
    t = sa.table("orders", sa.column("order_id"), sa.column("customer"))
    with engine().connect() as c:
        row = c.execute(sa.select(t.c.customer).where(t.c.order_id == 3)).fetchone()
        expect("row", tuple(row), ("carol",))


def s_types():
    import sqlalchemy as sa
    with engine().connect() as c:
        expect_types(tuple(c.execute(sa.text(TYPES_SQL)).fetchone()), TYPES)


def s_metadata():
    import sqlalchemy as sa
    insp = sa.inspect(engine())
    schemas = insp.get_schema_names()
    if "default_database" not in schemas:
        raise Fail(f"get_schema_names: {schemas}")
    tables = insp.get_table_names(schema="default_database")
    if not {"orders", "products"} <= set(tables):
        raise Fail(f"get_table_names: {tables}")
    cols = [c["name"] for c in insp.get_columns("orders", schema="default_database")]
    expect("get_columns", cols, ["order_id", "customer", "amount", "order_date"])
    return "Inspector"


def s_error():
    import sqlalchemy as sa
    with engine().connect() as c:
        try:
            c.execute(sa.text("SELECT * FROM no_such_table"))
            raise Fail("no error")
        except sa.exc.ProgrammingError as e:
            expect("sqlstate", getattr(e.orig, "pgcode", None), "42P01")


def s_stream():
    import sqlalchemy as sa
    if not STREAM_PORT:
        raise Skip("no streaming-mode flinkwire (FW_CONF_STREAM_PORT)")
    with engine(int(STREAM_PORT)).connect() as c:
        res = c.execution_options(stream_results=True, max_row_buffer=10).execute(sa.text(UNBOUNDED_SQL))
        expect("rows fetched", len(res.fetchmany(20)), 20)
    return "stream_results=True (psycopg2 named cursor)"


if "--sqlalchemy" in sys.argv:
    sys.argv.remove("--sqlalchemy")
    import sqlalchemy
    assert sqlalchemy.__version__.startswith("2."), sqlalchemy.__version__
    main("sqlalchemy", {
        "connect": s_connect, "connect_tls": s_tls,
        "simple_query": s_simple, "param_query": s_param, "types": s_types, "metadata": s_metadata,
        "error_sqlstate": s_error, "cancel": "SQLAlchemy has no cancel API (see psycopg2)", "streaming": s_stream,
    }, {"connect_tls": 150, "streaming": 30})
else:
    main("psycopg2", {
        "connect": c_connect, "connect_tls": c_tls,
        "simple_query": c_simple, "param_query": c_param, "types": c_types, "metadata": c_metadata,
        "error_sqlstate": c_error, "cancel": c_cancel, "streaming": c_stream,
    }, {"connect_tls": 150, "cancel": 25, "streaming": 30})
