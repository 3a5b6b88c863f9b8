"""Shared harness of the Python-driven conformance clients.

Each check runs in a forked child process with a deadline, so a client that hangs (a query
the server never answers, a cancel that does not arrive) fails that check only; the child's
connection dies with it, which ends the Flink session and its jobs. Results are rewritten to
the output file after every check: {"check": {"status": "pass|fail|skip", "reason": "..."}}.
"""
import json
import multiprocessing as mp
import os
import sys
import traceback

HOST = os.environ.get("FW_CONF_HOST", "127.0.0.1")
PORT = int(os.environ.get("FW_CONF_PORT", "5433"))
STREAM_PORT = os.environ.get("FW_CONF_STREAM_PORT")
HERE = os.path.dirname(os.path.abspath(__file__))
TYPES_SQL = open(os.path.join(HERE, "..", "types.sql")).read().strip()
UNBOUNDED_SQL = "SELECT id, label FROM endless"
CANCEL_SQL = "SELECT COUNT(*) FROM slow"
# connect_tls: the require-mode flinkwire of conformance/run.sh (certificate for localhost from a
# throw-away CA, one SCRAM user). OTHER_CA: a CA that did not issue the server's certificate.
TLS_HOST = os.environ.get("FW_CONF_TLS_HOST", "localhost")
TLS_PORT = os.environ.get("FW_CONF_TLS_PORT")
TLS_CA = os.environ.get("FW_CONF_TLS_CA")
TLS_OTHER_CA = os.environ.get("FW_CONF_TLS_OTHER_CA")
TLS_USER = os.environ.get("FW_CONF_TLS_USER")
TLS_PASSWORD = os.environ.get("FW_CONF_TLS_PASSWORD")
TLS_SQL = "SELECT customer FROM orders WHERE order_id = 3"
CHECKS = ["connect", "connect_tls", "simple_query", "param_query", "types", "metadata",
          "error_sqlstate", "cancel", "streaming"]


class Skip(Exception):
    """A check that does not apply (reason in the message)."""


class Fail(Exception):
    """A check that ran and gave the wrong answer (reason in the message)."""


def need_tls_server():
    if not (TLS_PORT and TLS_CA and TLS_USER and TLS_PASSWORD):
        raise Skip("no TLS flinkwire (FW_CONF_TLS_PORT, FW_CONF_TLS_CA, FW_CONF_TLS_USER, FW_CONF_TLS_PASSWORD)")


def libpq_tls(sslmode="verify-full", ca=None, password=None, channel_binding="require"):
    """libpq connection keywords for the TLS server (a dict; None values left out)."""
    need_tls_server()
    kw = {"host": TLS_HOST, "port": TLS_PORT, "user": TLS_USER, "dbname": "default_catalog",
          "password": TLS_PASSWORD if password is None else password, "sslmode": sslmode,
          "sslrootcert": ca or TLS_CA, "channel_binding": channel_binding, "connect_timeout": "40"}
    return {k: v for k, v in kw.items() if v is not None}


def expect_refused(what, fn, *needles):
    """fn() must raise; its message must contain every needle (e.g. a SQLSTATE or libpq's text)."""
    try:
        fn()
    except Fail:
        raise
    except Exception as e:  # noqa: BLE001 - the refusal is the point
        msg = " ".join(str(x) for x in (getattr(e, "sqlstate", None) or getattr(e, "pgcode", None) or "", e))
        missing = [n for n in needles if n not in msg]
        if missing:
            raise Fail(f"{what}: refused, but without {missing}: {msg.strip()[:200]}")
        return
    raise Fail(f"{what}: connected")


def expect(name, got, want):
    if got != want:
        raise Fail(f"{name}: got {got!r}, want {want!r}")


def expect_types(row, want):
    """row: sequence of values from TYPES_SQL; want: list of (column, predicate or value, label)."""
    bad = []
    for (col, check, label), value in zip(want, row):
        ok = check(value) if callable(check) else value == check
        if not ok:
            bad.append(f"{col}: {type(value).__name__} {value!r} (want {label})")
    if bad:
        raise Fail("; ".join(bad))


def _child(fn, q):
    try:
        detail = fn()
        q.put(("pass", detail or ""))
    except Skip as e:
        q.put(("skip", str(e)))
    except Fail as e:
        q.put(("fail", str(e)))
    except Exception as e:  # noqa: BLE001 - every error is a result
        sqlstate = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None)
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        q.put(("fail", f"{type(e).__name__}{' ' + sqlstate if sqlstate else ''}: {msg}"[:300]))
    except BaseException:  # noqa: BLE001
        q.put(("fail", traceback.format_exc()[-300:]))


def run(client, out_path, checks, timeouts=None):
    """checks: {name: function}; a missing name is recorded as skip with a generic reason."""
    timeouts = timeouts or {}
    results = {}
    ctx = mp.get_context("fork")
    for name in CHECKS:
        fn = checks.get(name)
        if fn is None:
            results[name] = {"status": "skip", "reason": "not applicable to this client"}
        elif isinstance(fn, str):
            results[name] = {"status": "skip", "reason": fn}
        else:
            q = ctx.Queue()
            p = ctx.Process(target=_child, args=(fn, q))
            p.start()
            limit = timeouts.get(name, 60)
            p.join(limit)
            if p.is_alive():
                p.kill()
                p.join()
                status, reason = "fail", f"no answer within {limit}s"
            else:
                status, reason = q.get() if not q.empty() else ("fail", f"check crashed (exit {p.exitcode})")
            results[name] = {"status": status, "reason": reason}
        r = results[name]
        print(f"  {client:16} {name:15} {r['status']:5} {r['reason']}", file=sys.stderr, flush=True)
        with open(out_path, "w") as f:
            json.dump(results, f, indent=1)
    return results


def main(client, checks, timeouts=None):
    out = sys.argv[1] if len(sys.argv) > 1 else f"/tmp/{client}.json"
    run(client, out, checks, timeouts)
