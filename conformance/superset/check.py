"""Drives the real Apache Superset 6.1 against flinkwire, in-process, through Superset's REST API.

    python check.py URL [--run-dir DIR] [--summary FILE] [--short] [--report-only]

URL is the SQLAlchemy URI Superset stores for the database, e.g.
postgresql+psycopg2://superset@127.0.0.1:35433/default_catalog. Runs inside the venv that
setup.sh made, against the run directory setup.sh initialised (its superset_config.py: SQLite
metadata, secret key, admin password). flinkwire must serve the tables of flinkwire.toml.in:
`orders` (demo/orders.csv) and `events` (events.csv); every expected answer is computed here from
those CSV files. Superset's own log goes to RUN_DIR/superset-check.log.

Each check prints PASS/FAIL with a one-line reason; a failing check also prints each statement
Superset sent to flinkwire that failed (or, for a wrong answer, the statement that produced it)
with flinkwire's error. Checks in KNOWN_GAPS report as GAP and do not fail the run (and a gap
that passes says so, so it can be removed). Exit code 1 on any other failure unless
--report-only. The JSON summary has every check with every statement Superset sent for it.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import logging
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator

HERE = Path(__file__).resolve().parent
ORDERS_CSV = HERE.parent.parent / "demo" / "orders.csv"
EVENTS_CSV = HERE / "events.csv"
SCHEMA = "default_database"  # the Flink database, which flinkwire presents as a schema
DATABASE_NAME = "flinkwire conformance"

# Checks that fail for known flinkwire gaps (committed main, 2026-12-01): reported as GAP, not
# failed. Remove an entry when its fix lands (a GAP that passes is printed as FIXED).
KNOWN_GAPS: dict[str, str] = {
    # flinkwire sends SQLSTATE 42703 with Flink's text ("Column 'x' not found in any table");
    # Superset classifies PostgreSQL's text (`column "x" does not exist`, then `LINE n`).
    "sqllab.error_type": "Flink's wording of an unknown column, not PostgreSQL's",
}


# Superset's GenericDataType values (superset.utils.core.GenericDataType).
NUMERIC, STRING, TEMPORAL = 0, 1, 2
# COUNT(*) under a label that is no reserved word, so that the checks that are not about the
# `count` metric do not all fail with it.
ROW_COUNT = {"expressionType": "SQL", "sqlExpression": "COUNT(*)", "label": "row_count"}


# ---- the test data and its expected answers --------------------------------------------------


def read_orders() -> list[dict[str, Any]]:
    with ORDERS_CSV.open(newline="") as f:
        return [
            {"order_id": int(i), "customer": c, "amount": Decimal(a), "order_date": dt.date.fromisoformat(d)}
            for i, c, a, d in csv.reader(f)
        ]


def read_events() -> list[dict[str, Any]]:
    with EVENTS_CSV.open(newline="") as f:
        return [
            {"event_id": int(i), "channel": c, "event_ts": dt.datetime.fromisoformat(ts), "event_date": dt.date.fromisoformat(d)}
            for i, c, ts, d in csv.reader(f)
        ]


def _floor_to(ts: dt.datetime, unit: str, step: int) -> dt.datetime:
    """PostgreSQL's DATE_TRUNC(larger unit) + step units * FLOOR(EXTRACT(unit) / step)."""
    if unit == "second":
        return ts.replace(second=ts.second // step * step, microsecond=0)
    return ts.replace(minute=ts.minute // step * step, second=0, microsecond=0)


def _start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


# The bucket PostgreSQL puts a timestamp in, for each time grain Superset's PostgreSQL engine spec
# offers (superset.db_engine_specs.postgres.PostgresBaseEngineSpec._time_grain_expressions). A grain
# Superset offers that is missing here fails its check, so a new grain is noticed.
BUCKET_OF_GRAIN: dict[str, Callable[[dt.datetime], dt.datetime]] = {
    "PT1S": lambda ts: ts.replace(microsecond=0),
    "PT5S": lambda ts: _floor_to(ts, "second", 5),
    "PT30S": lambda ts: _floor_to(ts, "second", 30),
    "PT1M": lambda ts: ts.replace(second=0, microsecond=0),
    "PT5M": lambda ts: _floor_to(ts, "minute", 5),
    "PT10M": lambda ts: _floor_to(ts, "minute", 10),
    "PT15M": lambda ts: _floor_to(ts, "minute", 15),
    "PT30M": lambda ts: _floor_to(ts, "minute", 30),
    "PT1H": lambda ts: ts.replace(minute=0, second=0, microsecond=0),
    "P1D": lambda ts: _start_of_day(ts.date()),
    "P1W": lambda ts: _start_of_day(ts.date() - dt.timedelta(days=ts.weekday())),  # ISO weeks: Monday
    "P1M": lambda ts: dt.datetime(ts.year, ts.month, 1),
    "P3M": lambda ts: dt.datetime(ts.year, (ts.month - 1) // 3 * 3 + 1, 1),
    "P1Y": lambda ts: dt.datetime(ts.year, 1, 1),
}
# The grains checked on a DATE column too (the finer ones all give the day itself).
DATE_GRAINS = ("P1D", "P1W", "P1M", "P3M", "P1Y")
# --short runs these grains only: one of each SQL shape (DATE_TRUNC alone, and DATE_TRUNC plus
# an interval multiple at second and at minute resolution).
SHORT_GRAINS = ("PT5S", "PT1M", "PT15M", "P1W")


def count_by(rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], Any]) -> dict[Any, int]:
    counts: dict[Any, int] = {}
    for row in rows:
        k = key(row)
        counts[k] = counts.get(k, 0) + 1
    return counts


# ---- what Superset sends to flinkwire ---------------------------------------------------------


class WireLog:
    """Every connection Superset opens to flinkwire and every statement it runs on one, recorded
    by wrapping psycopg2.connect with a cursor factory. In-process, this sees all of Superset's
    paths: SQLAlchemy's dialect and inspector, and the raw DBAPI cursors of SQL Lab and charts."""

    def __init__(self) -> None:
        self.connections: list[dict[str, Any]] = []
        self.statements: list[dict[str, Any]] = []

    def install(self) -> None:
        import psycopg2
        import psycopg2.extensions

        log = self

        class RecordingCursor(psycopg2.extensions.cursor):
            def execute(self, query: Any, vars: Any = None) -> Any:  # noqa: A002 (DBAPI's name)
                # UTC, as flinkwire's log writes it, to find a statement's lines there.
                at = dt.datetime.now(dt.timezone.utc).strftime("%H:%M:%S.%f")[:-3]
                started = time.monotonic()
                error = None
                try:
                    return super().execute(query, vars)
                except Exception as exc:
                    error = f"{type(exc).__name__}: {str(exc).strip()}"
                    raise
                finally:
                    sent = self.query.decode() if self.query else str(query)
                    log.statements.append({"sql": sent, "at": at, "seconds": round(time.monotonic() - started, 3), "error": error})

        real_connect = psycopg2.connect

        def connect(*args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("cursor_factory", RecordingCursor)
            at = dt.datetime.now(dt.timezone.utc).strftime("%H:%M:%S.%f")[:-3]
            started = time.monotonic()
            error = None
            try:
                return real_connect(*args, **kwargs)
            except Exception as exc:
                error = f"{type(exc).__name__}: {str(exc).strip()}"
                raise
            finally:
                self.connections.append({"at": at, "seconds": round(time.monotonic() - started, 3),
                                         "dbname": kwargs.get("dbname") or kwargs.get("database"),
                                         "options": kwargs.get("options"), "error": error})

        psycopg2.connect = connect

    def profile(self, top: int = 8) -> list[dict[str, Any]]:
        """The distinct statements that took the most time in all, with how often each ran."""
        by_sql: dict[str, dict[str, Any]] = {}
        for s in self.statements:
            entry = by_sql.setdefault(one_line(s["sql"]), {"sql": one_line(s["sql"]), "runs": 0, "seconds": 0.0, "max_seconds": 0.0})
            entry["runs"] += 1
            entry["seconds"] = round(entry["seconds"] + s["seconds"], 3)
            entry["max_seconds"] = max(entry["max_seconds"], s["seconds"])
        return sorted(by_sql.values(), key=lambda e: e["seconds"], reverse=True)[:top]

    def mark(self) -> tuple[int, int]:
        return len(self.connections), len(self.statements)

    def since(self, mark: tuple[int, int]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return self.connections[mark[0]:], self.statements[mark[1]:]


WIRE = WireLog()


# ---- Superset's REST API through Flask's test client ------------------------------------------


class ApiError(Exception):
    """A Superset API call that did not answer with the expected status."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        self.status, self.body = status, body
        super().__init__(f"{method} {path} -> HTTP {status}: {error_text(body)}")


def error_text(body: Any) -> str:
    """Superset's error message out of an API answer (`message`, or `errors[].message`)."""
    if isinstance(body, dict):
        errors = body.get("errors")
        if errors:
            return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
        if "message" in body:
            return json.dumps(body["message"]) if not isinstance(body["message"], str) else body["message"]
    return str(body)[:500]


class SupersetApi:
    def __init__(self, app: Any, username: str, password: str) -> None:
        import prison  # rison, as Superset's `q=` parameters expect it

        self._rison = prison.dumps
        # Logged in as a browser is (a session cookie): the REST API takes it, and so do the
        # views that take no bearer token (Explore's /datasource/samples).
        self.client = app.test_client()
        self.client.post("/login/", data={"username": username, "password": password})
        me = self.get("/api/v1/me/")["result"]
        if me.get("username") != username:
            raise ApiError("POST", "/login/", 200, f"logged in as {me}, not {username}")

    def _call(self, method: str, path: str, expect: tuple[int, ...], **kwargs: Any) -> Any:
        response = self.client.open(path, method=method, **kwargs)
        body = response.get_json(silent=True)
        if body is None:
            body = response.get_data(as_text=True)
        if response.status_code not in expect:
            raise ApiError(method, path, response.status_code, body)
        return body

    def get(self, path: str, q: dict[str, Any] | None = None, **params: Any) -> Any:
        if q is not None:
            params["q"] = self._rison(q)
        return self._call("GET", path, (200,), query_string=params)

    def post(self, path: str, payload: Any, expect: tuple[int, ...] = (200, 201)) -> Any:
        return self._call("POST", path, expect, json=payload)

    def put(self, path: str, payload: Any = None) -> Any:
        return self._call("PUT", path, (200,), json=payload)

    def delete(self, path: str) -> Any:
        return self._call("DELETE", path, (200,))


# ---- checks -----------------------------------------------------------------------------------


class CheckFailed(Exception):
    """A wrong answer. `sql` is the statement that produced it, when one did."""

    def __init__(self, reason: str, sql: str | None = None) -> None:
        super().__init__(reason)
        self.sql = sql


class Checks:
    def __init__(self) -> None:
        self.results: list[dict[str, Any]] = []

    @contextlib.contextmanager
    def check(self, name: str, *needs: Any) -> Iterator[dict[str, Any]]:
        """Runs one check. The body raises to fail (CheckFailed, ApiError, anything) and may put
        a one-line `reason` into the yielded dict. A check whose inputs (`needs`) are missing
        because an earlier check failed fails without running."""
        outcome: dict[str, Any] = {"reason": "ok"}
        mark = WIRE.mark()
        started = time.monotonic()
        ok, culprit = True, None
        try:
            if any(n is None for n in needs):
                raise CheckFailed("not run: an earlier check it needs failed")
            yield outcome
        except Exception as exc:  # every failure is a result, never the end of the run
            ok = False
            outcome["reason"] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            culprit = getattr(exc, "sql", None)
        seconds = time.monotonic() - started
        connections, statements = WIRE.since(mark)
        self._record(name, ok, outcome["reason"], seconds, connections, statements, culprit)

    def _record(self, name: str, ok: bool, reason: str, seconds: float, connections: list[dict[str, Any]],
                statements: list[dict[str, Any]], culprit: str | None) -> None:
        gap = KNOWN_GAPS.get(name)
        status = ("FIXED" if gap else "PASS") if ok else ("GAP" if gap else "FAIL")
        result = {
            "name": name, "status": status, "reason": reason, "seconds": round(seconds, 3),
            "connections": connections, "connect_seconds": round(sum(c["seconds"] for c in connections), 3),
            "statement_seconds": round(sum(s["seconds"] for s in statements), 3), "statements": statements,
        }
        if gap:
            result["known_gap"] = gap
        self.results.append(result)
        note = {"FIXED": "  (in KNOWN_GAPS: remove it)", "GAP": f"  (known gap: {gap})"}.get(status, "")
        print(f"{status:5} {name}: {reason} [{seconds:.1f}s, {len(connections)} conn]{note}", flush=True)
        # A refused connect can hide in a passing check when Superset swallows it (6.1's dataset
        # refresh opens one with the schema as the database), so it is always shown.
        for failed_connect in (c for c in connections if c["error"]):
            print(f"      connect dbname={failed_connect['dbname']}: {one_line(failed_connect['error'])}")
        if not ok:
            # What to show: the statements of this check that failed, else the one that gave the
            # wrong answer as it went over the wire: Superset reformats its SQL (sqlglot) before
            # it sends it, so a chart's `query` text is not what flinkwire got; the check's last
            # statement is (the prequeries come first). A check without statements of its own
            # names one an earlier check ran.
            shown = [s for s in statements if s["error"]]
            if not shown and culprit:
                same = [s for s in WIRE.statements if one_line(s["sql"]) == one_line(culprit)]
                shown = same[-1:] or statements[-1:] or [{"sql": culprit, "seconds": None, "error": None}]
            for s in shown:
                print(f"      sql:   {one_line(s['sql'])}")
                if s["error"]:
                    print(f"      error: {one_line(s['error'])}")
            result["failing_statements"] = shown

    def counts(self) -> dict[str, int]:
        by_status = count_by(self.results, lambda r: r["status"])
        return {s: by_status.get(s, 0) for s in ("PASS", "FIXED", "FAIL", "GAP")}


def one_line(text: str) -> str:
    return " ".join(text.split())


def expect_equal(what: str, got: Any, want: Any, sql: str | None = None) -> None:
    if got != want:
        raise CheckFailed(f"{what}: got {short(got)}, expected {short(want)}", sql)


def short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def as_datetime(value: Any) -> dt.datetime:
    """A time value out of Superset's JSON: epoch milliseconds (charts) or ISO text."""
    if isinstance(value, (int, float)):
        return dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=value)
    return dt.datetime.fromisoformat(str(value).replace("T", " ").rstrip("Z"))


class SupersetCheck:
    """The checklist, in the order a person sets Superset up: connect, browse, datasets, SQL Lab,
    charts, time ranges and grains, a virtual dataset. Later checks use what earlier ones made."""

    def __init__(self, api: SupersetApi, url: str, checks: Checks, short_run: bool) -> None:
        self.api, self.url, self.checks, self.short_run = api, url, checks, short_run
        self.orders, self.events = read_orders(), read_events()
        self.database_id: int | None = None
        self.datasets: dict[str, int | None] = {"orders": None, "events": None}
        self.metadata_timings: dict[str, float] = {}

    # -- helpers ------------------------------------------------------------------------------

    def chart_data(self, dataset_id: int, query: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
        """Rows and SQL of one chart query, as a chart's /api/v1/chart/data request sends it."""
        body = {
            "datasource": {"id": dataset_id, "type": "table"},
            "force": True,
            "queries": [{"filters": [], "extras": {"having": "", "where": ""}, "row_limit": 10000, **query}],
            "result_format": "json",
            "result_type": "full",
        }
        answer = self.api.post("/api/v1/chart/data", body)
        result = answer["result"][0]
        if result.get("error"):
            raise CheckFailed(f"chart query failed: {result['error']}", result.get("query"))
        return result["data"], result.get("query", "")

    def sqllab(self, sql: str) -> dict[str, Any]:
        """One SQL Lab run, as the editor sends it (synchronous: no Celery)."""
        return self.api.post("/api/v1/sqllab/execute/", {
            "database_id": self.database_id, "sql": sql, "schema": SCHEMA, "runAsync": False,
            "queryLimit": 1000, "client_id": f"c{time.monotonic_ns() % 10**9}",
        })

    def timed(self, label: str, call: Callable[[], Any]) -> Any:
        started = time.monotonic()
        try:
            return call()
        finally:
            self.metadata_timings[label] = round(time.monotonic() - started, 3)

    def remove_earlier_run(self) -> None:
        """Deletes the database (and its datasets) an earlier run left in this metadata DB, so
        every run creates them as a person would."""
        found = self.api.get("/api/v1/database/", q={"filters": [{"col": "database_name", "opr": "eq", "value": DATABASE_NAME}]})
        for database in found["result"]:
            datasets = self.api.get("/api/v1/dataset/", q={
                "filters": [{"col": "database", "opr": "rel_o_m", "value": database["id"]}], "page_size": 100})
            for dataset in datasets["result"]:
                self.api.delete(f"/api/v1/dataset/{dataset['id']}")
            self.api.delete(f"/api/v1/database/{database['id']}")

    # -- the checks ---------------------------------------------------------------------------

    def run(self) -> None:
        self.remove_earlier_run()
        self.connection()
        self.metadata()
        self.create_datasets()
        self.sql_lab()
        self.charts()
        self.time_ranges()
        self.time_grains()
        self.virtual_dataset()

    def connection(self) -> None:
        c = self.checks
        with c.check("connection.test_connection") as out:
            answer = self.api.post("/api/v1/database/test_connection/", {
                "database_name": DATABASE_NAME, "sqlalchemy_uri": self.url, "impersonate_user": False})
            out["reason"] = f"HTTP 200: {answer.get('message', answer)}"
        with c.check("connection.create_database") as out:
            answer = self.api.post("/api/v1/database/", {
                "database_name": DATABASE_NAME, "sqlalchemy_uri": self.url, "expose_in_sqllab": True,
                "allow_run_async": False, "allow_dml": False})
            self.database_id = answer["id"]
            out["reason"] = f"database id {self.database_id}"

    def metadata(self) -> None:
        c, db = self.checks, self.database_id
        with c.check("metadata.catalogs", db) as out:
            catalogs = self.api.get(f"/api/v1/database/{db}/catalogs/", q={"force": True})["result"]
            if "default_catalog" not in catalogs:
                raise CheckFailed(f"default_catalog not listed: {catalogs}")
            out["reason"] = f"catalogs {sorted(catalogs)}"
        with c.check("metadata.schemas", db) as out:
            schemas = self.timed("schemas", lambda: self.api.get(f"/api/v1/database/{db}/schemas/", q={"force": True}))["result"]
            if SCHEMA not in schemas:
                raise CheckFailed(f"{SCHEMA} not listed: {schemas}")
            out["reason"] = f"schemas {sorted(schemas)} in {self.metadata_timings['schemas']:.2f}s"
        with c.check("metadata.tables", db) as out:
            tables = self.timed("tables", lambda: self.api.get(
                f"/api/v1/database/{db}/tables/", q={"schema_name": SCHEMA, "force": True}))["result"]
            names = sorted(t["value"] for t in tables)
            if not {"orders", "events"} <= set(names):
                raise CheckFailed(f"orders and events not both listed: {names}")
            out["reason"] = f"tables {names} in {self.metadata_timings['tables']:.2f}s"
        with c.check("metadata.table_metadata", db) as out:
            meta = self.timed("table_metadata", lambda: self.api.get(
                f"/api/v1/database/{db}/table_metadata/", name="events", schema=SCHEMA))
            columns = [(col["name"], col["type"]) for col in meta["columns"]]
            # SQLAlchemy's names for what PostgreSQL's int4, text, timestamp(3) and date reflect as.
            expect_equal("columns", columns, [("event_id", "INTEGER"), ("channel", "TEXT"), ("event_ts", "TIMESTAMP"), ("event_date", "DATE")])
            out["reason"] = f"{columns} in {self.metadata_timings['table_metadata']:.2f}s"

    def create_datasets(self) -> None:
        c = self.checks
        for table in self.datasets:
            with c.check(f"dataset.create.{table}", self.database_id) as out:
                answer = self.api.post("/api/v1/dataset/", {"database": self.database_id, "schema": SCHEMA, "table_name": table})
                self.datasets[table] = answer["id"]
                out["reason"] = f"dataset id {answer['id']}"
        expected_columns = {
            "orders": [("order_id", NUMERIC, False), ("customer", STRING, False), ("amount", NUMERIC, False), ("order_date", TEMPORAL, True)],
            "events": [("event_id", NUMERIC, False), ("channel", STRING, False), ("event_ts", TEMPORAL, True), ("event_date", TEMPORAL, True)],
        }
        for table, expected in expected_columns.items():
            with c.check(f"dataset.columns.{table}", self.datasets[table]) as out:
                self.expect_dataset_columns(self.datasets[table], expected, out)
        with c.check("dataset.default_metric", self.datasets["orders"]) as out:
            metrics = self.api.get(f"/api/v1/dataset/{self.datasets['orders']}")["result"]["metrics"]
            expect_equal("metrics", [(m["metric_name"], m["expression"]) for m in metrics], [("count", "COUNT(*)")])
            out["reason"] = "count = COUNT(*)"
        with c.check("dataset.refresh_columns", self.datasets["orders"]) as out:
            self.api.put(f"/api/v1/dataset/{self.datasets['orders']}/refresh")
            out["reason"] = "synced columns from source"

    def expect_dataset_columns(self, dataset_id: int, expected: list[tuple[str, int, bool]], out: dict[str, Any]) -> None:
        """Column names in order, Superset's generic type of each, is_dttm only on the time column."""
        columns = self.api.get(f"/api/v1/dataset/{dataset_id}")["result"]["columns"]
        got = [(col["column_name"], col["type_generic"], bool(col["is_dttm"])) for col in columns]
        types = ", ".join(f"{col['column_name']} {col['type']}" for col in columns)
        expect_equal(f"(name, generic type, is_dttm) of {types}", got, expected)
        out["reason"] = types + "; is_dttm on " + ", ".join(n for n, _, d in expected if d)

    def sql_lab(self) -> None:
        c = self.checks
        with c.check("sqllab.select", self.database_id) as out:
            answer = self.sqllab("SELECT order_id, customer, amount, order_date FROM orders ORDER BY order_id")
            got = [(r["order_id"], r["customer"], Decimal(str(r["amount"])), str(r["order_date"])[:10]) for r in answer["data"]]
            want = [(o["order_id"], o["customer"], o["amount"], o["order_date"].isoformat()) for o in self.orders]
            expect_equal("rows", got, want, answer.get("query", {}).get("executedSql"))
            out["reason"] = f"{len(got)} rows as in demo/orders.csv"
        with c.check("sqllab.aggregate", self.database_id) as out:
            answer = self.sqllab("SELECT customer, SUM(amount) AS total, COUNT(*) AS orders_count FROM orders GROUP BY customer ORDER BY customer")
            got = {r["customer"]: (Decimal(str(r["total"])), r["orders_count"]) for r in answer["data"]}
            want: dict[str, tuple[Decimal, int]] = {}
            for o in self.orders:
                total, n = want.get(o["customer"], (Decimal(0), 0))
                want[o["customer"]] = (total + o["amount"], n + 1)
            expect_equal("totals by customer", got, want, answer.get("query", {}).get("executedSql"))
            out["reason"] = f"SUM and COUNT of {len(want)} customers"
        # A mistake in the editor. (SQL Lab answers HTTP 500 to every database error, with
        # PostgreSQL too, so only the error itself tells.)
        error, failed_sql = None, None
        with c.check("sqllab.error_message", self.database_id) as out:
            try:
                self.sqllab("SELECT no_such_column FROM orders")
                raise CheckFailed("SQL Lab ran a query on a column that does not exist")
            except ApiError as exc:
                error = (exc.body.get("errors") or [{}])[0] if isinstance(exc.body, dict) else {}
                failed_sql = next((s["sql"] for s in reversed(WIRE.statements) if s["error"]), None)
                if "no_such_column" not in error.get("message", "").lower():
                    raise CheckFailed(f"the error does not name the column: {error_text(exc.body)}", failed_sql) from exc
                out["reason"] = one_line(error["message"])[:140]
        with c.check("sqllab.error_type", error) as out:
            # Superset recognises PostgreSQL's `column "x" does not exist` + `LINE n` (the error's
            # position) and points at the column; any other wording is a generic engine error.
            expect_equal("Superset's error_type", error.get("error_type"), "COLUMN_DOES_NOT_EXIST_ERROR", failed_sql)
            out["reason"] = error["error_type"]
        with c.check("sqllab.table_preview", self.database_id) as out:
            # The editor's table preview: Superset writes the SELECT *, SQL Lab runs it.
            select_star = self.api.get(f"/api/v1/database/{self.database_id}/select_star/events/{SCHEMA}/")["result"]
            answer = self.sqllab(select_star)
            expect_equal("rows", len(answer["data"]), len(self.events), select_star)
            out["reason"] = f"{one_line(select_star)} -> {len(self.events)} rows"

    def charts(self) -> None:
        c, orders = self.checks, self.datasets["orders"]
        per_customer = count_by(self.orders, lambda o: o["customer"])
        with c.check("chart.count_metric", orders) as out:
            # A new chart's default metric: the dataset's `count`.
            rows, sql = self.chart_data(orders, {"columns": ["customer"], "metrics": ["count"], "orderby": [["count", False]]})
            expect_equal("count by customer", {r["customer"]: r["count"] for r in rows}, per_customer, sql)
            out["reason"] = f"{len(rows)} groups"
        with c.check("chart.adhoc_count", orders) as out:
            rows, sql = self.chart_data(orders, {"columns": ["customer"], "metrics": [ROW_COUNT], "orderby": [[ROW_COUNT, False]]})
            expect_equal("COUNT(*) by customer", {r["customer"]: r["row_count"] for r in rows}, per_customer, sql)
            out["reason"] = f"{len(rows)} groups"
        with c.check("chart.sum_metric", orders) as out:
            # The metric picker's SUM(amount): a quoted label "SUM(amount)".
            metric = {"expressionType": "SIMPLE", "column": {"column_name": "amount"}, "aggregate": "SUM", "label": "SUM(amount)"}
            rows, sql = self.chart_data(orders, {"columns": [], "metrics": [metric]})
            expect_equal("SUM(amount)", [Decimal(str(r["SUM(amount)"])) for r in rows], [sum(o["amount"] for o in self.orders)], sql)
            out["reason"] = f"SUM(amount) = {rows[0]['SUM(amount)']}"
        with c.check("chart.filter_in", orders) as out:
            picked = ["alice", "bob"]
            rows, sql = self.chart_data(orders, {"columns": [], "metrics": [ROW_COUNT], "filters": [{"col": "customer", "op": "IN", "val": picked}]})
            expect_equal("rows of alice and bob", rows[0]["row_count"], sum(per_customer[p] for p in picked), sql)
            out["reason"] = f"{rows[0]['row_count']} rows"
        with c.check("chart.column_values", orders) as out:
            # A native filter's value list.
            values = self.api.get(f"/api/v1/datasource/table/{orders}/column/customer/values/")["result"]
            expect_equal("distinct customers", sorted(values), sorted(per_customer))
            out["reason"] = f"{len(values)} distinct values"
        with c.check("chart.samples", orders) as out:
            # Explore's "Samples" pane.
            answer = self.api.post(f"/datasource/samples?datasource_type=table&datasource_id={orders}", {})
            expect_equal("sample rows", len(answer["result"]["data"]), len(self.orders))
            out["reason"] = f"{len(self.orders)} rows"

    def time_ranges(self) -> None:
        """A time-range filter (Superset's TEMPORAL_RANGE: start <= col < end) on the DATE column and
        on the TIMESTAMP column, against the rows the CSV has in that range."""
        c = self.checks
        date_from, date_to = dt.date(2024, 1, 4), dt.date(2024, 1, 6)
        ts_from, ts_to = dt.datetime(2024, 1, 1, 0, 0), dt.datetime(2024, 1, 1, 1, 0)
        cases = [
            ("time_range.order_date", self.datasets["orders"], "order_date", f"{date_from} : {date_to}",
             sum(1 for o in self.orders if date_from <= o["order_date"] < date_to)),
            ("time_range.event_ts", self.datasets["events"], "event_ts", f"{ts_from.isoformat()} : {ts_to.isoformat()}",
             sum(1 for e in self.events if ts_from <= e["event_ts"] < ts_to)),
        ]
        for name, dataset_id, column, time_range, expected in cases:
            with c.check(name, dataset_id) as out:
                self.expect_time_range_count(dataset_id, column, time_range, expected, out)

    def expect_time_range_count(self, dataset_id: int, column: str, time_range: str, expected: int, out: dict[str, Any]) -> None:
        filters = [{"col": column, "op": "TEMPORAL_RANGE", "val": time_range}]
        rows, sql = self.chart_data(dataset_id, {"columns": [], "metrics": [ROW_COUNT], "filters": filters})
        expect_equal(f"rows with {column} in {time_range}", rows[0]["row_count"] if rows else None, expected, sql)
        out["reason"] = f"{expected} rows in {time_range}"

    def time_grains(self) -> None:
        """Every time grain Superset offers for the dataset (what Explore's grain menu lists), as a
        chart's x-axis: buckets and their row counts against the CSV's rows bucketed here."""
        c = self.checks
        offered: list[str] | None = None
        with c.check("explore.time_grains", self.datasets["events"]) as out:
            dataset = self.api.get("/api/v1/explore/", datasource_type="table", datasource_id=self.datasets["events"])["result"]["dataset"]
            offered = [duration for duration, _ in dataset["time_grain_sqla"]]
            from superset.db_engine_specs.postgres import PostgresEngineSpec

            spec_grains = [g for g in PostgresEngineSpec._time_grain_expressions if g is not None]
            expect_equal("grains Explore offers vs PostgresEngineSpec's", sorted(offered), sorted(spec_grains))
            out["reason"] = ", ".join(offered)
        grains = [g for g in offered or [] if not self.short_run or g in SHORT_GRAINS]
        for grain in grains:
            with c.check(f"time_grain.event_ts.{grain}", self.datasets["events"]) as out:
                self.expect_buckets(self.datasets["events"], "event_ts", grain, [e["event_ts"] for e in self.events], out)
        for grain in [g for g in grains if g in DATE_GRAINS]:
            with c.check(f"time_grain.event_date.{grain}", self.datasets["events"]) as out:
                self.expect_buckets(self.datasets["events"], "event_date", grain, [_start_of_day(e["event_date"]) for e in self.events], out)

    def expect_buckets(self, dataset_id: int, column: str, grain: str, values: list[dt.datetime], out: dict[str, Any]) -> None:
        bucket_of = BUCKET_OF_GRAIN.get(grain)
        if bucket_of is None:
            raise CheckFailed(f"Superset offers grain {grain}, which check.py has no expected buckets for")
        x_axis = {"columnType": "BASE_AXIS", "expressionType": "SQL", "sqlExpression": column, "label": column, "timeGrain": grain}
        rows, sql = self.chart_data(dataset_id, {"columns": [x_axis], "metrics": [ROW_COUNT], "orderby": [[ROW_COUNT, False]]})
        got = {as_datetime(r[column]): r["row_count"] for r in rows if r[column] is not None}
        if len(got) != len(rows):
            raise CheckFailed(f"{len(rows) - len(got)} buckets are NULL", sql)
        want = count_by(values, bucket_of)
        if got != want:
            wrong = sorted({k for k in got.keys() | want.keys() if got.get(k) != want.get(k)})[:3]
            detail = "; ".join(f"{k}: got {got.get(k)}, expected {want.get(k)}" for k in wrong)
            raise CheckFailed(f"{len(got)} buckets, expected {len(want)}; {detail}", sql)
        out["reason"] = f"{len(want)} buckets, counts as expected"

    def virtual_dataset(self) -> None:
        """A dataset defined by SQL (SQL Lab's "Save dataset"), then charted: Superset wraps the
        SQL as a subquery."""
        c = self.checks
        sql = "SELECT order_id, customer, amount, order_date FROM orders WHERE amount > 10"
        big = [o for o in self.orders if o["amount"] > 10]
        dataset_id = None
        with c.check("virtual_dataset.create", self.database_id) as out:
            answer = self.api.post("/api/v1/dataset/", {"database": self.database_id, "schema": SCHEMA, "table_name": "big_orders_sql", "sql": sql})
            dataset_id = answer["id"]
            out["reason"] = f"dataset id {dataset_id}"
        with c.check("virtual_dataset.columns", dataset_id) as out:
            self.expect_dataset_columns(dataset_id, [
                ("order_id", NUMERIC, False), ("customer", STRING, False), ("amount", NUMERIC, False), ("order_date", TEMPORAL, True)], out)
        with c.check("virtual_dataset.chart", dataset_id) as out:
            rows, chart_sql = self.chart_data(dataset_id, {"columns": ["customer"], "metrics": [ROW_COUNT], "orderby": [[ROW_COUNT, False]]})
            expect_equal("COUNT(*) by customer", {r["customer"]: r["row_count"] for r in rows}, count_by(big, lambda o: o["customer"]), chart_sql)
            out["reason"] = f"{len(rows)} groups over {len(big)} rows"
        with c.check("virtual_dataset.time_range", dataset_id) as out:
            date_from, date_to = dt.date(2024, 1, 2), dt.date(2024, 1, 5)
            self.expect_time_range_count(dataset_id, "order_date", f"{date_from} : {date_to}",
                                         sum(1 for o in big if date_from <= o["order_date"] < date_to), out)



# ---- main -------------------------------------------------------------------------------------


def create_superset_app(run_dir: Path) -> Any:
    config = run_dir / "superset_config.py"
    if not config.is_file():
        sys.exit(f"no {config}: run conformance/superset/setup.sh {run_dir} first")
    os.environ["SUPERSET_CONFIG_PATH"] = str(config)
    # Superset logs each failed query with its traceback; the checks' lines are the output. A
    # root handler set up first makes Superset's logging.basicConfig() a no-op.
    log_file = logging.FileHandler(run_dir / "superset-check.log", mode="w")
    log_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(log_file)
    from superset.app import create_app

    app = create_app()
    logging.getLogger().setLevel(logging.WARNING)
    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="SQLAlchemy URI of flinkwire, e.g. postgresql+psycopg2://superset@127.0.0.1:35433/default_catalog")
    parser.add_argument("--run-dir", type=Path, default=Path.cwd(), help="the directory setup.sh initialised (default: .)")
    parser.add_argument("--summary", type=Path, help="JSON summary (default: RUN_DIR/superset-check.json)")
    parser.add_argument("--short", action="store_true", help=f"time grains {', '.join(SHORT_GRAINS)} only")
    parser.add_argument("--report-only", action="store_true", help="exit 0 even when checks fail")
    args = parser.parse_args()
    run_dir = args.run_dir.resolve()
    summary_path = args.summary or run_dir / "superset-check.json"

    started = time.monotonic()
    WIRE.install()  # before Superset creates any engine
    app = create_superset_app(run_dir)
    admin = app.config["FLINKWIRE_CHECK_ADMIN"]
    checks = Checks()
    suite = SupersetCheck(SupersetApi(app, admin["username"], admin["password"]), args.url, checks, args.short)
    suite.run()
    elapsed = time.monotonic() - started

    counts = checks.counts()
    passed, failed, gaps = counts["PASS"] + counts["FIXED"], counts["FAIL"], counts["GAP"]
    profile = WIRE.profile()
    connect_seconds = sum(c["seconds"] for c in WIRE.connections)
    summary = {
        "url": args.url, "short": args.short, "seconds": round(elapsed, 1), "counts": counts,
        "connections": len(WIRE.connections), "connect_seconds": round(connect_seconds, 3),
        "statements": len(WIRE.statements), "metadata_timings": suite.metadata_timings,
        "statement_profile": profile, "known_gaps": KNOWN_GAPS, "checks": checks.results,
    }
    summary_path.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    print(f"Superset opened {len(WIRE.connections)} connections to flinkwire "
          f"({connect_seconds:.1f}s connecting) and ran {len(WIRE.statements)} statements; "
          f"metadata calls: " + ", ".join(f"{k} {v:.2f}s" for k, v in suite.metadata_timings.items()))
    print("statements that took the most time in all:")
    for entry in profile:
        print(f"  {entry['runs']:4}x {entry['seconds']:6.2f}s (max {entry['max_seconds']:.2f}s)  {entry['sql'][:110]}")
    if counts["FIXED"]:
        print(f"{counts['FIXED']} known gap(s) now pass: remove them from KNOWN_GAPS in {Path(__file__).name}")
    print(f"summary: {summary_path}; {elapsed:.0f}s")
    if gaps:
        print(f"{gaps} known gaps (reported, not failed; listed as skipped)")
    print(f"superset: {passed} passed, {failed} failed" + (f", {gaps} skipped" if gaps else ""))
    return 0 if failed == 0 or args.report_only else 1


if __name__ == "__main__":
    sys.exit(main())
