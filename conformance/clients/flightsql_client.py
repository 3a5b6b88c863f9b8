"""Arrow Flight SQL clients through the conformance checklist, against flinkwire's Flight SQL
listener (`[flight] listen`, docs/flight-sql.md): adbc-driver-flightsql with pyarrow (its DB-API),
pyarrow.flight directly (the Flight SQL commands as protobuf by hand), Polars `read_database` over
an ADBC Flight SQL connection, and DuckDB querying the Arrow table ADBC fetched.

  flightsql_client.py CLIENT OUT.json    CLIENT: flightsql-adbc | pyarrow-flight | polars-flightsql | duckdb-flightsql

Runs in the virtual environment of conformance/pydata/setup.sh. FW_CONF_FLIGHT_PORT and
FW_CONF_FLIGHT_STREAM_PORT: the Flight SQL listeners of the batch and streaming flinkwire.
FLINKWIRE_TEST_FLINK_REST (optional): the JobManager, to see a closed stream's job CANCELED.
"""
import json
import os
import threading
import time
import urllib.request

from harness import (CANCEL_SQL, HOST, TLS_CA, TLS_HOST, TLS_OTHER_CA, TLS_PASSWORD, TLS_SQL, TLS_USER, TYPES_SQL,
                     UNBOUNDED_SQL, Fail, Skip, expect, expect_refused, main)

FLIGHT_PORT = os.environ.get("FW_CONF_FLIGHT_PORT")
FLIGHT_STREAM_PORT = os.environ.get("FW_CONF_FLIGHT_STREAM_PORT")
FLIGHT_TLS_PORT = os.environ.get("FW_CONF_FLIGHT_TLS_PORT")
FLINK_REST = os.environ.get("FLINKWIRE_TEST_FLINK_REST")
NO_TLS = "covered by flightsql-adbc and pyarrow-flight"


def tls_uri():
    if not (FLIGHT_TLS_PORT and TLS_CA and TLS_USER and TLS_PASSWORD):
        raise Skip("no TLS Flight SQL listener (FW_CONF_FLIGHT_TLS_PORT, FW_CONF_TLS_CA, FW_CONF_TLS_USER, FW_CONF_TLS_PASSWORD)")
    return f"grpc+tls://{TLS_HOST}:{FLIGHT_TLS_PORT}"


def uri(stream=False):
    port = FLIGHT_STREAM_PORT if stream else FLIGHT_PORT
    if not port:
        raise Skip("no Flight SQL listener (FW_CONF_FLIGHT_PORT / FW_CONF_FLIGHT_STREAM_PORT)")
    return f"grpc://{HOST}:{port}"


def connect(stream=False):
    import adbc_driver_flightsql.dbapi as flightsql
    return flightsql.connect(uri(stream), autocommit=True)


def running_jobs(table):
    """Names and states of the JobManager's jobs reading `table` that still run."""
    jobs = json.load(urllib.request.urlopen(FLINK_REST.rstrip("/") + "/jobs/overview", timeout=5))["jobs"]
    return [j["state"] for j in jobs if f"`{table}`" in j["name"] and j["state"] in ("RUNNING", "CREATED", "INITIALIZING", "CANCELLING")]


def wait_no_running(table, limit=20):
    if not FLINK_REST:
        return "job state not checked (no FLINKWIRE_TEST_FLINK_REST)"
    started = time.time()
    while running_jobs(table):
        if time.time() - started > limit:
            raise Fail(f"jobs on {table} still running {limit}s after the client closed: {running_jobs(table)}")
        time.sleep(0.3)
    return f"no job on {table} running {time.time() - started:.1f}s after the close"


# Arrow types of types.sql as flinkwire's Flight SQL endpoint sends them (docs/flight-sql.md).
FLIGHT_TYPES = {
    "c_bool": "bool", "c_tinyint": "int8", "c_smallint": "int16", "c_int": "int32", "c_bigint": "int64",
    "c_float": "float", "c_double": "double", "c_decimal": "decimal128(10, 2)", "c_char": "string",
    "c_varchar": "string", "c_string": "string", "c_bytes": "binary", "c_date": "date32[day]",
    "c_time": "time64[us]", "c_timestamp": "timestamp[us]", "c_timestamp_ltz": "timestamp[us, tz=UTC]",
    "c_interval": "month_day_nano_interval", "c_array": "list<item: int32 not null>",
}


def check_types(schema):
    got = {f.name: str(f.type) for f in schema}
    bad = [f"{c}: {got.get(c)} (want {t})" for c, t in FLIGHT_TYPES.items() if got.get(c) != t]
    if not got.get("c_map", "").startswith("map<string"):
        bad.append(f"c_map: {got.get('c_map')} (want map<string, int32>)")
    if not got.get("c_row", "").startswith("struct<"):
        bad.append(f"c_row: {got.get('c_row')} (want struct)")
    if bad:
        raise Fail("; ".join(bad))


# ---- adbc-driver-flightsql + pyarrow -------------------------------------------------------------

def a_connect():
    with connect() as c:
        expect("vendor", c.adbc_get_info().get("vendor_name"), "flinkwire")


def a_tls():
    import adbc_driver_flightsql.dbapi as flightsql
    from adbc_driver_flightsql import DatabaseOptions

    def query(uri, ca=TLS_CA, password=TLS_PASSWORD):
        kw = {"username": TLS_USER, "password": password}
        if ca:
            kw[DatabaseOptions.TLS_ROOT_CERTS.value] = open(ca).read()
        with flightsql.connect(uri, db_kwargs=kw, autocommit=True) as c, c.cursor() as cur:
            cur.execute(TLS_SQL)
            return cur.fetchone()

    uri = tls_uri()
    expect("row over TLS", query(uri), ("carol",))
    expect_refused("wrong password", lambda: query(uri, password="wrong"), "28P01")
    expect_refused("another CA", lambda: query(uri, ca=TLS_OTHER_CA))
    expect_refused("plaintext", lambda: query(uri.replace("grpc+tls://", "grpc://"), ca=None))
    return "grpc+tls with the [tls] certificate (verified against the CA), basic auth → bearer token; wrong password, other CA, plaintext refused"


def a_simple():
    with connect() as c, c.cursor() as cur:
        cur.execute("SELECT order_id, customer FROM orders ORDER BY order_id")
        expect("first row", cur.fetchall()[0], (1, "alice"))
        # The "reads a Flink table into pandas": the Arrow batches straight into a frame.
        cur.execute("SELECT order_id, customer FROM orders ORDER BY order_id")
        frame = cur.fetch_df()
        expect("pandas columns", list(frame.columns), ["order_id", "customer"])
        expect("pandas first row", (int(frame.iloc[0]["order_id"]), frame.iloc[0]["customer"]), (1, "alice"))
        return f"fetchall(), and cursor.fetch_df() into pandas ({len(frame)} rows)"


def a_param():
    with connect() as c, c.cursor() as cur:
        cur.execute("SELECT customer FROM orders WHERE order_id = ?", (3,))
        expect("row", cur.fetchone(), ("carol",))
        return "bound ? from Arrow (prepared statement, DoPut)"


def a_types():
    import datetime as dt
    import decimal
    with connect() as c, c.cursor() as cur:
        cur.execute(TYPES_SQL)
        table = cur.fetch_arrow_table()
        check_types(table.schema)
        row = table.to_pylist()[0]
        expect("c_decimal", row["c_decimal"], decimal.Decimal("12.34"))
        expect("c_timestamp", row["c_timestamp"], dt.datetime(2024, 1, 2, 3, 4, 5, 123000))
        expect("c_array", row["c_array"], [1, 2, 3])
        return "cursor.fetch_arrow_table(): Decimal128, timestamp[UTC], month_day_nano_interval, map, struct"


def a_metadata():
    with connect() as c:
        objects = c.adbc_get_objects(depth="all", db_schema_filter="default_database").read_all().to_pylist()
        schemas = [s for cat in objects if cat["catalog_name"] == "default_catalog" for s in cat["catalog_db_schemas"] or []]
        tables = {t["table_name"]: t for s in schemas for t in s["db_schema_tables"] or []}
        if "orders" not in tables:
            raise Fail(f"adbc_get_objects lists no orders: {sorted(tables)}")
        expect("orders type", tables["orders"]["table_type"], "TABLE")
        columns = sorted((col["ordinal_position"], col["column_name"]) for col in tables["orders"]["table_columns"] or [])
        expect("orders columns", [n for _, n in columns], ["order_id", "customer", "amount", "order_date"])
        schema = c.adbc_get_table_schema("orders", db_schema_filter="default_database")
        expect("table schema", schema.names, ["order_id", "customer", "amount", "order_date"])
        return "adbc_get_objects(depth='all'), adbc_get_table_schema (GetTables with schemas)"


def a_error():
    import adbc_driver_manager
    with connect() as c, c.cursor() as cur:
        try:
            cur.execute("SELECT * FROM no_such_table")
            raise Fail("no error")
        except adbc_driver_manager.Error as e:
            if "42P01" not in str(e):
                raise Fail(f"no SQLSTATE 42P01 in {e}")
        cur.execute("SELECT 1")
        expect("usable after error", cur.fetchone(), (1,))
        return "SQLSTATE in the message and the x-flinkwire-sqlstate header"


def a_cancel():
    import adbc_driver_manager
    with connect() as c, c.cursor() as cur:
        threading.Timer(3.0, cur.adbc_cancel).start()
        started = time.time()
        try:
            cur.execute(CANCEL_SQL)
            cur.fetchall()
            raise Fail("query finished instead of being cancelled")
        except adbc_driver_manager.Error as e:
            if "cancel" not in str(e).lower():
                raise Fail(f"not a cancel: {e}")
        if time.time() - started > 15:
            raise Fail("cancelled only after %.0fs" % (time.time() - started))
        detail = wait_no_running("slow")
        cur.execute("SELECT 1")
        expect("usable after cancel", cur.fetchone(), (1,))
        return f"Cursor.adbc_cancel; {detail}"


def a_stream():
    with connect(stream=True) as c:
        cur = c.cursor()
        started = time.time()
        cur.execute(UNBOUNDED_SQL)
        reader = cur.fetch_record_batch()
        rows = reader.read_next_batch().num_rows
        first = time.time() - started
        while rows < 20:
            rows += reader.read_next_batch().num_rows
        reader.close()
        cur.close()
        detail = wait_no_running("endless")
    return f"first batch after {first:.1f}s, {rows} rows as Arrow batches, then closed: {detail}"


# ---- pyarrow.flight directly -----------------------------------------------------------------------

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, payload):
    """A length-delimited protobuf field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def statement_query(sql):
    """Any{CommandStatementQuery{query}}, as Flight SQL clients send it."""
    command = field(1, sql.encode())
    return field(1, b"type.googleapis.com/arrow.flight.protocol.sql.CommandStatementQuery") + field(2, command)


def pf_client():
    import pyarrow.flight as flight
    return flight.connect(uri())


def pf_info(client, sql):
    import pyarrow.flight as flight
    return client.get_flight_info(flight.FlightDescriptor.for_command(statement_query(sql)))


def pf_connect():
    actions = [a.type for a in pf_client().list_actions()]
    if "CancelFlightInfo" not in actions:
        raise Fail(f"actions: {actions}")
    return "list_actions"


def pf_tls():
    import pyarrow.flight as flight
    uri = tls_uri()
    client = flight.connect(uri, tls_root_certs=open(TLS_CA, "rb").read())
    header = client.authenticate_basic_token(TLS_USER, TLS_PASSWORD)
    options = flight.FlightCallOptions(headers=[header])
    info = client.get_flight_info(flight.FlightDescriptor.for_command(statement_query(TLS_SQL)), options)
    table = client.do_get(info.endpoints[0].ticket, options).read_all()
    expect("row over TLS", table.column(0).to_pylist(), ["carol"])
    expect_refused("wrong password", lambda: client.authenticate_basic_token(TLS_USER, "wrong"), "28P01")
    return "authenticate_basic_token over grpc+tls, the bearer token on later calls"


def pf_simple():
    client = pf_client()
    info = pf_info(client, "SELECT order_id, customer FROM orders ORDER BY order_id")
    table = client.do_get(info.endpoints[0].ticket).read_all()
    expect("first row", (table.column(0)[0].as_py(), table.column(1)[0].as_py()), (1, "alice"))
    return "get_flight_info(CommandStatementQuery) + do_get"


def pf_types():
    client = pf_client()
    info = pf_info(client, TYPES_SQL)
    check_types(info.schema)
    table = client.do_get(info.endpoints[0].ticket).read_all()
    check_types(table.schema)
    return "FlightInfo schema and the stream's agree"


def pf_error():
    import pyarrow
    try:
        pf_info(pf_client(), "SELECT * FROM no_such_table")
        raise Fail("no error")
    # pyarrow raises gRPC NOT_FOUND as ArrowKeyError, not as a FlightError.
    except pyarrow.ArrowException as e:
        if "42P01" not in str(e):
            raise Fail(f"no SQLSTATE 42P01 in {e}")


def pf_cancel():
    import pyarrow.flight as flight
    client = pf_client()
    info = pf_info(client, CANCEL_SQL)
    results = list(client.do_action(flight.Action("CancelFlightInfo", field(1, info.serialize()))))
    # CancelFlightInfoResult{status = CANCEL_STATUS_CANCELLED (1)}
    expect("cancel result", results[0].body.to_pybytes(), b"\x08\x01")
    return f"CancelFlightInfo before DoGet; {wait_no_running('slow')}"


# ---- Polars and DuckDB over ADBC Flight SQL -----------------------------------------------------

def pl_connect():
    import polars as pl
    with connect() as c:
        expect("select 1", pl.read_database("SELECT 1 AS one", c)["one"].to_list(), [1])


def pl_simple():
    import polars as pl
    with connect() as c:
        df = pl.read_database("SELECT order_id, customer FROM orders ORDER BY order_id", c)
        expect("first row", df.row(0), (1, "alice"))
        return f"read_database over adbc_driver_flightsql: {df.height} rows"


def pl_types():
    import polars as pl
    with connect() as c:
        df = pl.read_database(TYPES_SQL.replace(", INTERVAL '2' DAY AS c_interval", ""), c)
        got = {k: str(v) for k, v in df.schema.items()}
        want = {"c_decimal": "Decimal(precision=10, scale=2)", "c_timestamp_ltz": "Datetime(time_unit='us', time_zone='UTC')",
                "c_array": "List(Int32)", "c_int": "Int32", "c_date": "Date"}
        bad = [f"{k}: {got.get(k)} (want {v})" for k, v in want.items() if got.get(k) != v]
        if bad:
            raise Fail("; ".join(bad))
        return "Decimal, Datetime(UTC), List natively (INTERVAL left out: Polars has no month-day-nano type)"


def duck_simple():
    import duckdb
    with connect() as c, c.cursor() as cur:
        cur.execute("SELECT order_id, customer, amount FROM orders")
        orders = cur.fetch_arrow_table()  # noqa: F841 - DuckDB finds it by name
        got = duckdb.sql("SELECT customer FROM orders WHERE order_id = 3").fetchall()
        expect("row", got, [("carol",)])
        total = duckdb.sql("SELECT SUM(amount) FROM orders").fetchall()[0][0]
        return f"DuckDB over the fetched Arrow table: SUM(amount) = {total}"


CLIENTS = {
    "flightsql-adbc": {
        "connect": a_connect, "connect_tls": a_tls, "simple_query": a_simple, "param_query": a_param,
        "types": a_types, "metadata": a_metadata, "error_sqlstate": a_error, "cancel": a_cancel, "streaming": a_stream,
    },
    "pyarrow-flight": {
        "connect": pf_connect, "connect_tls": pf_tls, "simple_query": pf_simple, "types": pf_types,
        "error_sqlstate": pf_error, "cancel": pf_cancel,
    },
    "polars-flightsql": {"connect": pl_connect, "connect_tls": NO_TLS, "simple_query": pl_simple, "types": pl_types},
    "duckdb-flightsql": {"connect_tls": NO_TLS, "simple_query": duck_simple},
}

if __name__ == "__main__":
    import sys
    client = sys.argv.pop(1)
    main(client, CLIENTS[client], timeouts={"cancel": 60, "streaming": 120, "types": 60})
