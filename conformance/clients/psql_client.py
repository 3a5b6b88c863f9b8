"""psql (incl. \\l, \\dn, \\dt, \\d) through the conformance checklist."""
import os
import signal
import subprocess
import time

from harness import (CANCEL_SQL, HOST, PORT, STREAM_PORT, TLS_OTHER_CA, TLS_SQL, TLS_USER, TYPES_SQL, UNBOUNDED_SQL,
                     Fail, Skip, expect, libpq_tls, main)


def psql(*args, port=PORT, timeout=30, input=None):
    env = dict(os.environ, PGHOST=HOST, PGPORT=str(port), PGUSER="test", PGDATABASE="default_catalog",
               PGCONNECT_TIMEOUT="10")
    return subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-v", "VERBOSITY=verbose", *args],
                          env=env, capture_output=True, text=True, timeout=timeout, input=input)


def ok(p):
    if p.returncode != 0:
        raise Fail(p.stderr.strip().splitlines()[0] if p.stderr.strip() else f"exit {p.returncode}")
    return p.stdout


def c_connect():
    expect("select 1", ok(psql("-c", "SELECT 1")).strip(), "1")


def conninfo(kw):
    return " ".join("%s='%s'" % (k, str(v).replace("\\", "\\\\").replace("'", "\\'")) for k, v in kw.items())


def psql_tls(kw, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", conninfo(kw), *args], env=env,
                          capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL)


def refused(what, p, *needles):
    err = p.stderr.strip()
    if p.returncode == 0:
        raise Fail(f"{what}: connected")
    missing = [n for n in needles if n not in err]
    if missing:
        raise Fail(f"{what}: refused, but without {missing}: {err[:200]}")


def c_tls():
    out = ok(psql_tls(libpq_tls(), "-c", "\\conninfo", "-c", "SELECT current_user", "-c", TLS_SQL)).splitlines()
    if not any(line.startswith("SSL connection (protocol: TLSv1.") for line in out):
        raise Fail(f"\\conninfo shows no TLS: {out[:2]}")
    expect("current_user, row", out[-2:], [TLS_USER, "carol"])
    refused("sslmode=disable", psql_tls(libpq_tls(sslmode="disable", channel_binding="disable"), "-c", "SELECT 1"),
            "requires TLS")
    refused("wrong password", psql_tls(libpq_tls(password="wrong"), "-c", "SELECT 1"),
            f'password authentication failed for user "{TLS_USER}"')
    if TLS_OTHER_CA:
        refused("verify-full against another CA", psql_tls(libpq_tls(ca=TLS_OTHER_CA), "-c", "SELECT 1"),
                "certificate verify failed")
    return ("verify-full (host localhost; another CA refused) + SCRAM-SHA-256-PLUS (channel_binding=require); "
            "plaintext refused (requires TLS); wrong password refused (password authentication failed)")


def c_simple():
    expect("first row", ok(psql("-c", "SELECT order_id, customer FROM orders ORDER BY order_id")).splitlines()[0],
           "1|alice")


def c_param():
    # psql 15 has no \bind; psql variables are interpolated client-side.
    out = ok(psql("-v", "id=3", input="SELECT customer FROM orders WHERE order_id = :id;\n"))
    expect("row", out.strip(), "carol")
    return "psql variables (client-side)"


def c_types():
    out = ok(psql("-c", TYPES_SQL)).strip().split("|")
    want = ["t", "1", "2", "3", "4", "1.5", "2.25", "12.34", "ab ", "xyz", "hello", "\\x0102ff", "2024-01-02",
            "12:34:56", "2024-01-02 03:04:05.123", "2024-01-02 03:04:05+00", "2 days", "{1,2,3}", '{"k":1}']
    bad = [f"col {i + 1}: {g!r} (want {w!r})" for i, (g, w) in enumerate(zip(out, want)) if g != w]
    if bad:
        raise Fail("; ".join(bad))
    return "text output"


def c_metadata():
    failed = []
    for cmd, want in [("\\l", "default_catalog"), ("\\dn", "default_database"), ("\\dt", "orders"),
                      ("\\d orders", "order_id")]:
        p = psql("-c", cmd)
        if p.returncode != 0 or want not in p.stdout:
            err = p.stderr.strip().splitlines()[0] if p.stderr.strip() else p.stdout.strip()[:80]
            failed.append(f"{cmd}: {err}")
    if failed:
        raise Fail("; ".join(failed)[:300])
    return "\\l \\dn \\dt \\d"


def c_error():
    p = psql("-c", "SELECT * FROM no_such_table")
    if p.returncode == 0:
        raise Fail("no error")
    if "42P01" not in p.stderr:
        raise Fail(p.stderr.strip()[:200])


def c_cancel():
    env = dict(os.environ, PGHOST=HOST, PGPORT=str(PORT), PGUSER="test", PGDATABASE="default_catalog")
    p = subprocess.Popen(["psql", "-X", "-v", "VERBOSITY=verbose", "-At", "-c", CANCEL_SQL], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    p.send_signal(signal.SIGINT)  # psql sends a CancelRequest on Ctrl-C
    try:
        _, err = p.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        raise Fail("query still running 15s after Ctrl-C")
    if "57014" not in err:
        raise Fail(f"no 57014: {err.strip()[:200]}")


def c_stream():
    if not STREAM_PORT:
        raise Skip("no streaming-mode flinkwire (FW_CONF_STREAM_PORT)")
    # FETCH_COUNT makes psql read through a cursor, FETCH_COUNT rows at a time; psql prints each batch
    # as it arrives, so read 20 lines and stop.
    env = dict(os.environ, PGHOST=HOST, PGPORT=str(STREAM_PORT), PGUSER="test", PGDATABASE="default_catalog")
    p = subprocess.Popen(["psql", "-X", "-At", "-v", "FETCH_COUNT=10", "-c", UNBOUNDED_SQL], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        for line in p.stdout:
            lines.append(line)
            if len(lines) >= 20:
                break
    finally:
        p.kill()
        err = p.stderr.read()
    if len(lines) < 20:
        raise Fail(f"{len(lines)} rows; {err.strip()[:200]}")
    return "\\set FETCH_COUNT 10"


main("psql", {
    "connect": c_connect, "connect_tls": c_tls,
    "simple_query": c_simple, "param_query": c_param, "types": c_types, "metadata": c_metadata,
    "error_sqlstate": c_error, "cancel": c_cancel, "streaming": c_stream,
}, {"connect_tls": 150, "cancel": 25, "streaming": 30})
