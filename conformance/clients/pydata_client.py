"""The Python data stack through the conformance checklist: adbc-driver-postgresql (its DB-API),
Polars over ADBC, ConnectorX, pandas over SQLAlchemy + psycopg2, and pgcli's completion refresh.

  pydata_client.py CLIENT OUT.json     CLIENT: adbc | polars-adbc | connectorx | pandas | pgcli

Runs in the virtual environment of conformance/pydata/setup.sh (these packages are not in the
system site). ADBC and ConnectorX read results with `COPY (query) TO STDOUT (FORMAT binary)`,
so their `types` checks are the COPY binary encoding read back as Arrow types.
"""
import datetime as dt
import sys
import threading
import time

from harness import (CANCEL_SQL, HOST, PORT, STREAM_PORT, TYPES_SQL, UNBOUNDED_SQL, Fail, Skip, expect, main)

URI = f"postgresql://test@{HOST}:{PORT}/default_catalog"


def stream_uri():
    if not STREAM_PORT:
        raise Skip("no streaming-mode flinkwire (FW_CONF_STREAM_PORT)")
    return f"postgresql://test@{HOST}:{STREAM_PORT}/default_catalog"


def expect_columns(got, want):
    """got, want: {column: type name}; reports every column whose type differs."""
    bad = [f"{c}: {got.get(c)} (want {t})" for c, t in want.items() if got.get(c) != t]
    if bad:
        raise Fail("; ".join(bad))


# Arrow types of types.sql as adbc-driver-postgresql decodes them from COPY binary: numeric as
# its decimal text in an opaque extension type (any precision), json as the arrow.json extension.
NUMERIC = "extension<arrow.opaque[storage_type=string, type_name=numeric, vendor_name=PostgreSQL]>"
ARROW_TYPES = {
    "c_bool": "bool", "c_tinyint": "int16", "c_smallint": "int16", "c_int": "int32", "c_bigint": "int64",
    "c_float": "float", "c_double": "double", "c_decimal": NUMERIC, "c_char": "string",
    "c_varchar": "string", "c_string": "string", "c_bytes": "binary", "c_date": "date32[day]",
    "c_time": "time64[us]", "c_timestamp": "timestamp[us]", "c_timestamp_ltz": "timestamp[us, tz=UTC]",
    "c_interval": "month_day_nano_interval", "c_array": "list<item: int32>", "c_map": "extension<arrow.json>",
    "c_row": "extension<arrow.json>",
}


def arrow_types(table):
    return {f.name: str(f.type) for f in table.schema}


# ---- adbc-driver-postgresql (DB-API) -------------------------------------------------------------

def adbc_connect(uri=URI):
    import adbc_driver_postgresql.dbapi as adbc
    return adbc.connect(uri, autocommit=True)


def a_connect():
    with adbc_connect() as c:
        expect("vendor", c.adbc_get_info().get("vendor_name"), "PostgreSQL")


def a_simple():
    with adbc_connect() as c, c.cursor() as cur:
        cur.execute("SELECT order_id, customer FROM orders ORDER BY order_id")
        expect("first row", cur.fetchall()[0], (1, "alice"))


def a_param():
    with adbc_connect() as c, c.cursor() as cur:
        cur.execute("SELECT customer FROM orders WHERE order_id = $1", (3,))
        expect("row", cur.fetchone(), ("carol",))
        return "bound $1 (extended protocol)"


def a_types():
    with adbc_connect() as c, c.cursor() as cur:
        cur.execute(TYPES_SQL)
        table = cur.fetch_arrow_table()
        expect_columns(arrow_types(table), ARROW_TYPES)
        row = table.to_pylist()[0]
        expect("c_decimal", row["c_decimal"], "12.34")
        expect("c_timestamp", row["c_timestamp"], dt.datetime(2024, 1, 2, 3, 4, 5, 123000))
        expect("c_array", row["c_array"], [1, 2, 3])
        return "COPY binary → Arrow"


def a_metadata():
    with adbc_connect() as c:
        schema = c.adbc_get_table_schema("orders", db_schema_filter="default_database")
        expect("orders columns", schema.names, ["order_id", "customer", "amount", "order_date"])
        objects = c.adbc_get_objects(depth="all", db_schema_filter="default_database").read_all().to_pylist()
        schemas = [s for cat in objects if cat["catalog_name"] == "default_catalog" for s in cat["catalog_db_schemas"] or []]
        tables = {t["table_name"]: t for s in schemas for t in s["db_schema_tables"] or []}
        if "orders" not in tables:
            raise Fail(f"adbc_get_objects lists no orders: {sorted(tables)}")
        expect("orders type", tables["orders"]["table_type"], "table")
        columns = sorted((col["ordinal_position"], col["column_name"]) for col in tables["orders"]["table_columns"])
        expect("orders columns", [n for _, n in columns], ["order_id", "customer", "amount", "order_date"])
        return "adbc_get_table_schema, adbc_get_objects(depth='all')"


def a_error():
    import adbc_driver_manager
    with adbc_connect() as c, c.cursor() as cur:
        try:
            cur.execute("SELECT * FROM no_such_table")
            raise Fail("no error")
        except adbc_driver_manager.Error as e:
            expect("sqlstate", e.sqlstate, "42P01")
        cur.execute("SELECT 1")
        expect("usable after error", cur.fetchone(), (1,))


def a_cancel():
    import adbc_driver_manager
    with adbc_connect() as c, c.cursor() as cur:
        threading.Timer(2.0, cur.adbc_cancel).start()
        t = time.time()
        try:
            cur.execute(CANCEL_SQL)
            cur.fetchall()
            raise Fail("query finished instead of being cancelled")
        except adbc_driver_manager.Error as e:
            if "57014" not in str(e.sqlstate) and "cancel" not in str(e).lower():
                raise Fail(f"not a cancel: {e}")
        if time.time() - t > 15:
            raise Fail("cancelled only after %.0fs" % (time.time() - t))
        cur.execute("SELECT 1")
        expect("usable after cancel", cur.fetchone(), (1,))
        return "Cursor.adbc_cancel"


# ADBC's COPY reader hands over a batch only once it holds this many bytes (16 MiB by default),
# so a live stream of a few KiB/s needs a small hint to show its rows as they come (docs/python.md).
STREAM_BATCH_HINT = {"adbc.postgresql.batch_size_hint_bytes": "1024"}


def a_stream():
    import adbc_driver_manager
    with adbc_connect(stream_uri()) as c, c.cursor() as cur:
        cur.adbc_statement.set_options(**STREAM_BATCH_HINT)
        started = time.time()
        cur.execute(UNBOUNDED_SQL)
        reader = cur.fetch_record_batch()
        rows = reader.read_next_batch().num_rows
        first = time.time() - started
        while rows < 20:
            rows += reader.read_next_batch().num_rows
        # Cancelling the unbounded query ends the read with 57014 and leaves the connection usable.
        cur.adbc_cancel()
        cancelled = time.time()
        try:
            while True:
                reader.read_next_batch()
        except StopIteration:
            raise Fail("the stream ended instead of being cancelled")
        except (adbc_driver_manager.Error, OSError) as e:
            if "57014" not in str(getattr(e, "sqlstate", "")) and "cancel" not in str(e).lower():
                raise Fail(f"not a cancel: {e}")
        took = time.time() - cancelled
        if took > 15:
            raise Fail("cancelled only after %.0fs" % took)
        cur.execute("SELECT 1")
        expect("usable after cancel", cur.fetchone()[-1], 1)
    return (f"first batch after {first:.1f}s, {rows} rows through COPY binary (batch_size_hint_bytes=1024), "
            f"then adbc_cancel() in {took:.1f}s")


# ---- Polars over ADBC ------------------------------------------------------------------------------

POLARS_TYPES = {
    "c_bool": "Boolean", "c_tinyint": "Int16", "c_smallint": "Int16", "c_int": "Int32", "c_bigint": "Int64",
    "c_float": "Float32", "c_double": "Float64",
    "c_decimal": "Extension('arrow.opaque', String, '{\"type_name\": \"numeric\", \"vendor_name\": \"PostgreSQL\"}')",
    "c_char": "String",
    "c_varchar": "String", "c_string": "String", "c_bytes": "Binary", "c_date": "Date",
    "c_time": "Time", "c_timestamp": "Datetime(time_unit='us', time_zone=None)",
    "c_timestamp_ltz": "Datetime(time_unit='us', time_zone='UTC')", "c_array": "List(Int32)",
    "c_map": "Extension('arrow.json', String)", "c_row": "Extension('arrow.json', String)",
}


def polars_read(sql, uri=URI):
    import polars as pl
    return pl.read_database_uri(sql, uri, engine="adbc")


def p_connect():
    expect("select 1", polars_read("SELECT 1 AS one")["one"].to_list(), [1])


def p_simple():
    df = polars_read("SELECT order_id, customer FROM orders ORDER BY order_id")
    expect("first row", df.row(0), (1, "alice"))
    return f"{df.height} rows"


def p_types():
    df = polars_read(TYPES_SQL.replace(", INTERVAL '2' DAY AS c_interval", ""))
    expect_columns({c: str(t) for c, t in df.schema.items()}, POLARS_TYPES)
    return "read_database_uri(engine='adbc'); INTERVAL left out (Polars has no month-day-nano type)"


def p_error():
    import adbc_driver_manager
    try:
        polars_read("SELECT * FROM no_such_table")
        raise Fail("no error")
    except adbc_driver_manager.Error as e:
        expect("sqlstate", e.sqlstate, "42P01")


def p_stream():
    import adbc_driver_postgresql.dbapi as adbc
    import polars as pl
    with adbc.connect(stream_uri(), autocommit=True) as c, c.cursor() as cur:
        # Polars takes an ADBC cursor as its connection: the statement option goes on the cursor.
        cur.adbc_statement.set_options(**STREAM_BATCH_HINT)
        batches = pl.read_database(UNBOUNDED_SQL, cur, iter_batches=True, batch_size=10)
        frame = next(iter(batches))
        if frame.height == 0:
            raise Fail("empty first batch")
        cur.adbc_cancel()
    return (f"read_database(iter_batches=True) over an ADBC cursor with batch_size_hint_bytes=1024: "
            f"first frame of {frame.height} rows")


# ---- ConnectorX --------------------------------------------------------------------------------

def cx_read(sql, uri=URI, **kw):
    import connectorx as cx
    return cx.read_sql(uri, sql, return_type="arrow", **kw)


def x_connect():
    expect("select 1", cx_read("SELECT 1 AS one").column("one").to_pylist(), [1])


def x_simple():
    t = cx_read("SELECT order_id, customer FROM orders ORDER BY order_id")
    expect("first row", (t.column("order_id")[0].as_py(), t.column("customer")[0].as_py()), (1, "alice"))
    return f"{t.num_rows} rows"


# ConnectorX's own PostgreSQL → Arrow mapping (bytea as large_binary, timestamptz with the
# offset +00:00).
CX_TYPES = {
    "c_bool": "bool", "c_tinyint": "int16", "c_smallint": "int16", "c_int": "int32", "c_bigint": "int64",
    "c_float": "float", "c_double": "double", "c_char": "string", "c_varchar": "string", "c_string": "string",
    "c_bytes": "large_binary", "c_date": "date32[day]", "c_time": "time64[us]", "c_timestamp": "timestamp[us]",
    "c_timestamp_ltz": "timestamp[us, tz=+00:00]",
}


def x_types():
    sql = "SELECT " + TYPES_SQL.split("SELECT ", 1)[1].split(", INTERVAL", 1)[0]
    t = cx_read(sql)
    expect_columns(arrow_types(t), CX_TYPES)
    row = t.to_pylist()[0]
    expect("c_timestamp", row["c_timestamp"], dt.datetime(2024, 1, 2, 3, 4, 5, 123000))
    return "scalars through COPY binary (decimal, interval, array, map and row left out)"


def x_error():
    try:
        cx_read("SELECT * FROM no_such_table")
        raise Fail("no error")
    except Fail:
        raise
    except Exception as e:  # ConnectorX raises RuntimeError with the server's message
        if "no_such_table" not in str(e) and "42P01" not in str(e):
            raise Fail(f"unexpected error: {e}")
    return "RuntimeError with the server's message (ConnectorX keeps no SQLSTATE)"


# ---- pandas over SQLAlchemy + psycopg2 --------------------------------------------------------

def engine(port=PORT):
    import sqlalchemy as sa
    return sa.create_engine(f"postgresql+psycopg2://test@{HOST}:{port}/default_catalog")


def d_connect():
    import pandas as pd
    expect("select 1", pd.read_sql("SELECT 1 AS one", engine())["one"].tolist(), [1])


def d_simple():
    import pandas as pd
    df = pd.read_sql("SELECT order_id, customer FROM orders ORDER BY order_id", engine())
    expect("first row", tuple(df.iloc[0]), (1, "alice"))


def d_param():
    import pandas as pd
    import sqlalchemy as sa
    df = pd.read_sql(sa.text("SELECT customer FROM orders WHERE order_id = :id"), engine(), params={"id": 3})
    expect("row", df["customer"].tolist(), ["carol"])


PANDAS_TYPES = {
    "c_bool": "bool", "c_tinyint": "int64", "c_smallint": "int64", "c_int": "int64", "c_bigint": "int64",
    "c_float": "float64", "c_double": "float64", "c_date": "object", "c_timestamp": "datetime64[us]",
    "c_timestamp_ltz": "datetime64[us, UTC]", "c_interval": "timedelta64[us]",
}


def d_types():
    import pandas as pd
    df = pd.read_sql(TYPES_SQL, engine())
    expect_columns({c: str(t) for c, t in df.dtypes.items() if c in PANDAS_TYPES}, PANDAS_TYPES)
    return "read_sql dtypes"


def d_metadata():
    import pandas as pd
    df = pd.read_sql_table("orders", engine(), schema="default_database")
    expect("columns", list(df.columns), ["order_id", "customer", "amount", "order_date"])
    return f"read_sql_table (SQLAlchemy reflection), {len(df)} rows"


def d_error():
    import pandas as pd
    try:
        pd.read_sql("SELECT * FROM no_such_table", engine())
        raise Fail("no error")
    except Exception as e:  # pandas wraps SQLAlchemy's error in its own DatabaseError
        cause = e
        while cause is not None and not hasattr(cause, "pgcode"):
            cause = getattr(cause, "orig", None) or cause.__cause__
        expect("sqlstate", getattr(cause, "pgcode", None), "42P01")


def d_stream():
    import pandas as pd
    with engine(int(stream_uri().rsplit(":", 1)[1].split("/")[0])).connect() as c:
        c = c.execution_options(stream_results=True)
        chunk = next(iter(pd.read_sql(UNBOUNDED_SQL, c, chunksize=10)))
        expect("first chunk", len(chunk), 10)
    return "read_sql(chunksize=10) with stream_results (server-side cursor)"


# ---- pgcli ---------------------------------------------------------------------------------------

def pgcli_executor():
    from pgcli.pgexecute import PGExecute
    return PGExecute(database="default_catalog", user="test", host=HOST, port=PORT)


def g_connect():
    e = pgcli_executor()
    expect("database", e.dbname, "default_catalog")


def g_simple():
    e = pgcli_executor()
    title, cursor, headers, status, *_ = next(e.run("SELECT order_id, customer FROM orders ORDER BY order_id"))
    expect("first row", tuple(list(cursor)[0]), (1, "alice"))


def g_metadata():
    """pgcli's completion refresh (every refresher, casing too) and completions from it."""
    from pgcli.completion_refresher import CompletionRefresher
    from pgspecial.main import PGSpecial
    from prompt_toolkit.document import Document
    done = []
    # pgcli's defaults: no casing file (its casing() query is a known gap, docs/python.md).
    settings = {"single_connection": True}
    CompletionRefresher()._bg_refresh(pgcli_executor(), PGSpecial(), done.append, settings=settings)
    completer = done[0]

    def complete(text):
        return {c.text.lower() for c in completer.get_completions(Document(text=text, cursor_position=len(text)), None)}
    want = {
        "SELECT * FROM ": {"orders", "products", "big_orders", "default_database"},
        "SELECT * FROM orders WHERE ": {"order_id", "customer", "amount"},
        "SELECT * FROM default_database.": {"orders"},
        "SELECT upp": {"upper"},
        "\\c ": {"default_catalog"},
    }
    bad = [f"{t!r}: {sorted(w - complete(t))} missing" for t, w in want.items() if not w <= complete(t)]
    if bad:
        raise Fail("; ".join(bad))
    return "completion refresh (search path, schemata, tables, views, columns, fks, types, databases, functions)"


def g_error():
    import psycopg.errors
    e = pgcli_executor()
    try:
        list(e.run("SELECT * FROM no_such_table"))
        raise Fail("no error")
    except psycopg.errors.UndefinedTable as err:
        expect("sqlstate", err.sqlstate, "42P01")


CLIENTS = {
    "adbc": {"connect": a_connect, "simple_query": a_simple, "param_query": a_param, "types": a_types,
             "metadata": a_metadata, "error_sqlstate": a_error, "cancel": a_cancel, "streaming": a_stream},
    "polars-adbc": {"connect": p_connect, "simple_query": p_simple, "types": p_types, "error_sqlstate": p_error,
                    "streaming": p_stream, "param_query": "read_database_uri takes no parameters",
                    "metadata": "Polars has no catalog API", "cancel": "Polars has no cancel API"},
    "connectorx": {"connect": x_connect, "simple_query": x_simple, "types": x_types, "error_sqlstate": x_error,
                   "param_query": "ConnectorX takes no parameters", "metadata": "ConnectorX has no catalog API",
                   "cancel": "ConnectorX has no cancel API", "streaming": "ConnectorX reads whole results"},
    "pandas": {"connect": d_connect, "simple_query": d_simple, "param_query": d_param, "types": d_types,
               "metadata": d_metadata, "error_sqlstate": d_error, "streaming": d_stream,
               "cancel": "pandas has no cancel API"},
    "pgcli": {"connect": g_connect, "simple_query": g_simple, "metadata": g_metadata, "error_sqlstate": g_error,
              "param_query": "pgcli sends the SQL as typed", "types": "pgcli prints text",
              "cancel": "Ctrl-C (psycopg's cancel, covered by psycopg3)", "streaming": "pgcli reads whole results"},
}

if __name__ == "__main__":
    client = sys.argv.pop(1)
    main(client, CLIENTS[client], {"metadata": 120, "streaming": 90})
