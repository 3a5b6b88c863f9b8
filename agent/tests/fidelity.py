#!/usr/bin/env python3
"""Fidelity check of the flinkwire agent against the real Flink 2.3.0 SQL Gateway.

Replays the requests recorded in testdata/flink-sql-gateway/transcripts-2.3.0.txt (section A) against a
running agent and compares what a client can see: status codes, JSON field names and order, types,
column logicalType JSON, resultKind/isQueryResult/jobID presence, paging shape (NOT_READY -> PAYLOAD ->
EOS, nextResultUri), data values for deterministic queries, and the exception class names and messages
inside error bodies. The expected JSON is parsed out of the transcript, not hand-copied. After the
replay, mode_switch() runs one scenario that is NOT in the transcript (SET / RESET of
execution.runtime-mode and other per-statement keys mid-session); its expectations come from the real
gateway's documented behaviour and source.

usage: fidelity.py http://127.0.0.1:8083 [path/to/transcripts-2.3.0.txt]
Python 3 standard library only. Exits 1 with a readable diff on any mismatch.
"""
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

BASE = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8083"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TRANSCRIPT = os.path.normpath(os.path.join(HERE, "..", "..", "testdata", "flink-sql-gateway", "transcripts-2.3.0.txt"))
TRANSCRIPT = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("FW_GATEWAY_TRANSCRIPT", DEFAULT_TRANSCRIPT)

FAILURES = []
CHECKS = [0]


# ------------------------------------------------------------------------------------------------
# transcript parsing

class Entry:
    def __init__(self, title, method, path, body, status, resp):
        self.title, self.method, self.path, self.body, self.status, self.resp = title, method, path, body, status, resp

    def __repr__(self):
        return "Entry(%r, %s %s -> %s)" % (self.title, self.method, self.path, self.status)


def first_json(text):
    text = text.strip()
    if not text:
        return None
    return json.JSONDecoder().raw_decode(text)[0]


def parse_transcript(path):
    text = open(path, encoding="utf-8").read()
    text = text.split("# SECTION B")[0]
    entries = []
    for block in text.split("=" * 100):
        lines = block.strip("\n").split("\n")
        if not lines or not lines[0].startswith("# ") or not any(l.startswith(">>> ") for l in lines):
            continue
        title = lines[0][2:]
        i = 1
        method = path = None
        body_lines = []
        while i < len(lines) and not lines[i].startswith("<<< "):
            l = lines[i]
            if l.startswith(">>> ") and method is None:
                method, path = l[4:].split(" ", 1)
            elif not l.startswith(">>> "):
                body_lines.append(l)
            i += 1
        if i >= len(lines):
            continue
        status = int(lines[i].split()[2])
        resp_lines = [l for l in lines[i + 1:] if not l.startswith("# -->")]
        resp = first_json("\n".join(resp_lines))
        body = first_json("\n".join(body_lines))
        entries.append(Entry(title, method, path, body, status, resp))
    return entries


E = parse_transcript(TRANSCRIPT)


def entry(title_prefix, nth=0):
    found = [e for e in E if e.title.startswith(title_prefix)]
    if len(found) <= nth:
        raise SystemExit("transcript has no entry %r (#%d)" % (title_prefix, nth))
    return found[nth]


def statement_entries(sql, fmt=None):
    """The POST of SQL and the entries that follow it up to the next statement POST (the first
    occurrence whose fetches use rowFormat=fmt, when fmt is given)."""
    for i, e in enumerate(E):
        if e.method == "POST" and e.path.endswith("/statements") and e.body and e.body.get("statement") == sql:
            out = [e]
            for f in E[i + 1:]:
                if f.method == "POST" and f.path.endswith("/statements"):
                    break
                out.append(f)
            if fmt and not any(("rowFormat=" + fmt) in f.path for f in out[1:] if "/result/" in f.path):
                continue
            return out
    raise SystemExit("transcript has no statement %r" % sql)


def expected_result(sql, fmt=None):
    """Expected pages (fetch entries) of a statement, and its first full PAYLOAD/EOS response."""
    es = statement_entries(sql, fmt)
    fetches = [e for e in es[1:] if "/result/" in e.path]
    return es[0], fetches


# ------------------------------------------------------------------------------------------------
# HTTP

def call(method, path, body=None, raw_body=None):
    data = raw_body if raw_body is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"Content-Type": "application/json"} if data is not None else {}
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read() or b"null"), dict(r.headers)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw), dict(e.headers)
        except ValueError:
            return e.code, raw.decode(errors="replace"), dict(e.headers)


# ------------------------------------------------------------------------------------------------
# comparison helpers

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
JOBID_RE = re.compile(r"\b[0-9a-f]{32}\b")


def norm(s):
    s = UUID_RE.sub("<uuid>", s)
    s = JOBID_RE.sub("<jobid>", s)
    s = re.sub(r"For input string: '[^']*'", "For input string: '<x>'", s)
    s = re.sub(r"Expecting token to be \d+ or \d+, but found \d+", "Expecting token to be N or N-1, but found M", s)
    return s


def fail(what, expected, actual):
    FAILURES.append("%s\n    expected: %s\n    actual:   %s" % (what, short(expected), short(actual)))


def short(x, n=1500):
    s = x if isinstance(x, str) else json.dumps(x, sort_keys=False)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def check(what, cond, expected, actual):
    CHECKS[0] += 1
    if not cond:
        fail(what, expected, actual)
    return cond


def check_eq(what, expected, actual):
    return check(what, expected == actual, expected, actual)


def shape(x):
    if isinstance(x, dict):
        return {k: shape(v) for k, v in x.items()}
    if isinstance(x, list):
        return [shape(x[0])] if x else []
    return type(x).__name__


def exception_headlines(s):
    """The exception lines of a stringified stack trace: class names and messages, no frames."""
    out = []
    for line in s.split("\n"):
        if line.startswith("\tat ") or line.startswith("\t... ") or not line.strip():
            continue
        out.append(norm(line))
    return out


def check_error(what, exp_status, exp_body, status, body):
    check_eq(what + ": HTTP status", exp_status, status)
    if not isinstance(body, dict) or "errors" not in body:
        fail(what + ": error body shape", exp_body, body)
        return
    check_eq(what + ": body keys", list(exp_body.keys()), list(body.keys()))
    ee, ae = exp_body["errors"], body["errors"]
    check_eq(what + ": number of error strings", len(ee), len(ae))
    for i, (x, y) in enumerate(zip(ee, ae)):
        if "\n" not in x:
            check_eq(what + ": errors[%d]" % i, norm(x), norm(y))
            continue
        check_eq(what + ": errors[%d] exception chain" % i, exception_headlines(x), exception_headlines(y))
        check(what + ": errors[%d] ends like the gateway's" % i, x.endswith("\n") == y.endswith("\n") and
              x.split("\n")[-1] == y.split("\n")[-1], repr(x[-40:]), repr(y[-40:]))


def check_error_entry(what, e, status, body):
    check_error(what, e.status, e.resp, status, body)


def uri_pattern(u):
    """nextResultUri with handles and the token number abstracted (how many empty pages come first is timing)."""
    return re.sub(r"/result/\d+", "/result/<token>", norm(u)) if u is not None else None


def token_of(uri):
    return int(uri.split("/result/")[1].split("?")[0])


def check_page(what, exp, act, compare_data=True):
    """Compares one result page (PAYLOAD/EOS/NOT_READY)."""
    check_eq(what + ": keys", list(exp.keys()), list(act.keys()))
    check_eq(what + ": resultType", exp.get("resultType"), act.get("resultType"))
    for k in ("isQueryResult", "resultKind"):
        if k in exp:
            check_eq(what + ": " + k, exp[k], act.get(k))
    if "jobID" in exp:
        check(what + ": jobID is a 32-hex job id", isinstance(act.get("jobID"), str) and JOBID_RE.fullmatch(act["jobID"] or ""),
              exp["jobID"], act.get("jobID"))
    if "results" in exp and "results" in act:
        er, ar = exp["results"], act["results"]
        check_eq(what + ": results keys", list(er.keys()), list(ar.keys()))
        check_eq(what + ": columns (logicalType JSON)", er.get("columns"), ar.get("columns"))
        check_eq(what + ": rowFormat", er.get("rowFormat"), ar.get("rowFormat"))
        if compare_data:
            check_eq(what + ": data", er.get("data"), ar.get("data"))
    if "nextResultUri" in exp:
        check_eq(what + ": nextResultUri", uri_pattern(exp["nextResultUri"]), uri_pattern(act.get("nextResultUri")))


def drain(uri, timeout=120, stop_after_rows=None):
    """Fetches pages until EOS or an error. Returns the list of (status, body) responses."""
    pages = []
    deadline = time.time() + timeout
    rows = 0
    while time.time() < deadline:
        st, body, _ = call("GET", uri)
        pages.append((st, body))
        if st == 200 and body.get("resultType") in ("PAYLOAD", "NOT_READY"):
            step = 1 if body["resultType"] == "PAYLOAD" else 0
            check_eq("%s page of token %d points at token %d" % (body["resultType"], token_of(uri), token_of(uri) + step),
                     token_of(uri) + step, token_of(body.get("nextResultUri") or "/result/-1"))
        if st != 200 or body.get("resultType") == "EOS":
            return pages
        if body.get("resultType") == "PAYLOAD":
            rows += len(body["results"]["data"])
            if stop_after_rows is not None and rows >= stop_after_rows:
                return pages
        if body.get("resultType") == "NOT_READY" or not body["results"]["data"]:
            time.sleep(0.1)
        uri = body["nextResultUri"]
    raise SystemExit("timed out fetching %s" % uri)


def materialize(rows):
    """Applies a changelog; returns the sorted final rows."""
    state = []
    for r in rows:
        f = r["fields"]
        if r["kind"] in ("INSERT", "UPDATE_AFTER"):
            state.append(f)
        else:
            state.remove(f)
    return sorted(state, key=json.dumps)


def all_rows(pages):
    out = []
    for st, b in pages:
        if st == 200 and b.get("resultType") in ("PAYLOAD", "EOS"):
            out.extend(b["results"]["data"])
    return out


def submit(v, sh, sql, extra=None):
    body = {"statement": sql}
    if extra:
        body.update(extra)
    st, b, _ = call("POST", "/%s/sessions/%s/statements" % (v, sh), body)
    check_eq("submit %r: HTTP status" % sql[:50], 200, st)
    check_eq("submit %r: body keys" % sql[:50], ["operationHandle"], list(b.keys()))
    return b["operationHandle"]


def replay_query(v, sh, sql, fmt="JSON", data="exact"):
    """Runs SQL like the transcript did, compares every kind of page. data: exact|materialized|count|none."""
    post, fetches = expected_result(sql, fmt)
    if fmt:
        fetches = [f for f in fetches if ("rowFormat=" + fmt) in f.path or "rowFormat" not in f.path]
    op = submit(v, sh, sql)
    uri = "/%s/sessions/%s/operations/%s/result/0%s" % (v, sh, op, "?rowFormat=" + fmt if fmt else "")
    pages = drain(uri)
    what = "%r (%s)" % (sql[:50], fmt)
    exp_ok = [f for f in fetches if f.status == 200]
    exp_err = [f for f in fetches if f.status != 200]
    act_err = [(s, b) for s, b in pages if s != 200]
    if exp_err:
        if check(what + ": fails on fetch like the gateway", act_err, exp_err[0].status, pages[-1]):
            check_error_entry(what + " fetch error", exp_err[0], *act_err[0])
        return op, pages
    if not check(what + ": no error page", not act_err, "no error", act_err[:1]):
        return op, pages
    # one page of each kind the transcript shows
    by_kind = {}
    for f in exp_ok:
        kind = f.resp["resultType"]
        if kind == "PAYLOAD" and not f.resp["results"]["data"]:
            kind = "PAYLOAD-empty"
        by_kind.setdefault(kind, f.resp)
    act_kinds = {}
    for s, b in pages:
        kind = b["resultType"]
        if kind == "PAYLOAD" and not b["results"]["data"]:
            kind = "PAYLOAD-empty"
        act_kinds.setdefault(kind, b)
    check_eq(what + ": last page is EOS", "EOS", pages[-1][1].get("resultType"))
    for kind, exp in by_kind.items():
        if kind in ("NOT_READY", "PAYLOAD-empty") and kind not in act_kinds:
            continue  # timing-dependent in the real gateway too
        if check(what + ": has a %s page" % kind, kind in act_kinds, kind, sorted(act_kinds)):
            check_page(what + " %s page" % kind, exp, act_kinds[kind], compare_data=(data == "exact" and kind != "PAYLOAD"))
    exp_rows = [r for f in exp_ok for r in (f.resp.get("results", {}).get("data") or [])]
    act_rows = all_rows(pages)
    if data == "exact":
        check_eq(what + ": all rows", exp_rows, act_rows)
    elif data == "materialized":
        check_eq(what + ": final (materialized) rows", materialize(exp_rows), materialize(act_rows))
    elif data == "count":
        check_eq(what + ": row count", len(exp_rows), len(act_rows))
    return op, pages


# ------------------------------------------------------------------------------------------------
# the replay

def main():
    # versions and info
    e = entry("supported REST API versions")
    st, b, headers = call("GET", "/api_versions")
    check_eq("GET /api_versions status", e.status, st)
    check_eq("GET /api_versions body", e.resp, b)
    ct = {k.lower(): v for k, v in headers.items()}
    check_eq("Content-Type header", "application/json; charset=UTF-8", ct.get("content-type"))
    check_eq("Access-Control-Allow-Origin header", "*", ct.get("access-control-allow-origin"))
    for e in [x for x in E if x.title.startswith("GetInfo")]:
        st, b, _ = call("GET", e.path)
        check_eq("GET %s status" % e.path, e.status, st)
        check_eq("GET %s body" % e.path, e.resp, b)

    # session
    e = entry("open session")
    st, b, _ = call("POST", e.path, e.body)
    check_eq("open session status", e.status, st)
    check_eq("open session body shape", shape(e.resp), shape(b))
    sh = b["sessionHandle"]
    e = entry("get session config")
    st, b, _ = call("GET", "/v3/sessions/%s" % sh)
    check_eq("get session config status", e.status, st)
    check_eq("get session config keys", ["properties"], list(b.keys()))
    props = b.get("properties", {})
    missing = sorted(set(e.resp["properties"]) - set(props))
    check_eq("get session config: every key the gateway shows", [], missing)
    for k in ("table.exec.resource.default-parallelism", "execution.target", "execution.attached",
              "execution.shutdown-on-attached-exit", "execution.state-recovery.claim-mode",
              "sql-gateway.endpoint.type", "parallelism.default", "taskmanager.numberOfTaskSlots"):
        check_eq("session config %s" % k, e.resp["properties"][k], props.get(k))
    e = entry("session heartbeat")
    st, b, _ = call("POST", "/v3/sessions/%s/heartbeat" % sh)
    check_eq("heartbeat", (e.status, e.resp), (st, b))

    # SELECT 1: status RUNNING right after submit, paging, status after EOS, re-fetch of token 0, close
    sql = "SELECT 1"
    op = submit("v3", sh, sql)
    st, b, _ = call("GET", "/v3/sessions/%s/operations/%s/status" % (sh, op))
    check_eq("status right after submit", (200, ["status"]), (st, list(b.keys())))
    check("status right after submit is RUNNING or FINISHED", b.get("status") in ("RUNNING", "FINISHED"), "RUNNING", b)
    call("DELETE", "/v3/sessions/%s/operations/%s/close" % (sh, op))
    op, pages = replay_query("v3", sh, sql)
    e = entry("operation status after EOS")
    st, b, _ = call("GET", "/v3/sessions/%s/operations/%s/status" % (sh, op))
    check_eq("status after EOS", (e.status, e.resp), (st, b))
    e = entry("re-fetch token 0 of the same op")
    st, b, _ = call("GET", "/v3/sessions/%s/operations/%s/result/0?rowFormat=PLAIN_TEXT" % (sh, op))
    check_error_entry("re-fetch token 0 after EOS", e, st, b)
    # N-1 again returns the same page again
    last_ok = [p for p in pages if p[0] == 200]
    n_tokens = len([p for p in last_ok if p[1]["resultType"] == "PAYLOAD" and p[1]["nextResultUri"].split("/result/")[1].split("?")[0] != "0"])
    st1, b1, _ = call("GET", "/v3/sessions/%s/operations/%s/result/%d?rowFormat=JSON" % (sh, op, n_tokens - 1))
    check_eq("re-fetch token N-1 returns the page again (status)", 200, st1)
    e = entry("close operation")
    st, b, _ = call("DELETE", "/v3/sessions/%s/operations/%s/close" % (sh, op))
    check_eq("close operation", (e.status, e.resp), (st, b))

    # typed literal row, both formats
    typed = entry("typed literal row, rowFormat=JSON").body["statement"]
    replay_query("v3", sh, typed, "JSON")
    replay_query("v3", sh, typed, "PLAIN_TEXT")

    # DDL, SHOW, SET, SET (list)
    gen_ddl = entry("CREATE TABLE datagen 1000 rows").body["statement"]
    replay_query("v3", sh, gen_ddl)
    replay_query("v3", sh, "SHOW TABLES")
    replay_query("v3", sh, entry("SET statement").body["statement"])
    op, pages = replay_query("v3", sh, "SET", data="none")
    exp_keys = [r["fields"][0] for f in expected_result("SET")[1] if f.status == 200 and f.resp.get("results")
                for r in f.resp["results"]["data"]]
    act_keys = [r["fields"][0] for r in all_rows(pages)]
    check_eq("SET lists every key the gateway lists", [], sorted(set(exp_keys) - set(act_keys)))
    check_eq("SET lists keys sorted", sorted(act_keys), act_keys)

    # queries over datagen
    op, pages = replay_query("v3", sh, "SELECT id, k, name FROM gen WHERE id <= 5", data="none")
    exp_rows = [r for f in expected_result("SELECT id, k, name FROM gen WHERE id <= 5")[1] if f.status == 200
                and f.resp.get("results") for r in f.resp["results"]["data"]]
    check_eq("filter query ids", [r["fields"][0] for r in exp_rows], sorted(r["fields"][0] for r in all_rows(pages)))
    replay_query("v3", sh, "SELECT k, COUNT(*) AS c, MAX(id) AS mx FROM gen GROUP BY k", data="none")
    replay_query("v3", sh, "SELECT COUNT(*) AS total FROM gen", data="materialized")

    # errors
    for title_submit, title_status, title_fetch in (
            ("bad SQL (parse error)", "status of parse-error operation", "fetch result of parse-error operation"),
            ("validation error (unknown table)", "status of failed operation", "fetch result of failed operation"),
            ("pure parser error", None, "fetch result of parser-error operation")):
        es = entry(title_submit)
        op = submit("v3", sh, es.body["statement"])
        deadline = time.time() + 60
        while time.time() < deadline:
            st, b, _ = call("GET", "/v3/sessions/%s/operations/%s/status" % (sh, op))
            if b.get("status") != "RUNNING":
                break
            time.sleep(0.1)
        if title_status:
            e = entry(title_status)
            check_eq(title_status, (e.status, e.resp), (st, b))
        e = entry(title_fetch)
        st, b, _ = call("GET", "/v3/sessions/%s/operations/%s/result/0?rowFormat=JSON" % (sh, op))
        check_error_entry(title_fetch, e, st, b)

    sql = entry("runtime error (job fails").body["statement"]
    op, pages = replay_query("v3", sh, sql, data="none")
    e = entry("status of runtime-failed operation")
    st, b, _ = call("GET", "/v3/sessions/%s/operations/%s/status" % (sh, op))
    check_eq("status of runtime-failed operation", (e.status, e.resp), (st, b))

    e = entry("unknown operation handle")
    st, b, _ = call("GET", "/v3/sessions/%s/operations/00000000-0000-0000-0000-000000000000/status" % sh)
    check_error_entry("unknown operation handle", e, st, b)
    e = entry("unknown session handle")
    st, b, _ = call("GET", e.path)
    check_error_entry("unknown session handle", e, st, b)

    # rowFormat handling
    op = submit("v3", sh, "SELECT 7 AS seven")
    e = entry("v3 fetch WITHOUT rowFormat")
    pages = drain("/v3/sessions/%s/operations/%s/result/0" % (sh, op))
    payload = [b for s, b in pages if s == 200 and b["resultType"] == "PAYLOAD" and b["results"]["data"]]
    if check("v3 fetch without rowFormat has a data page", payload, "a PAYLOAD page", pages):
        check_page("v3 fetch without rowFormat", e.resp, payload[0])
    e = entry("v3 fetch with invalid rowFormat")
    st, b, _ = call("GET", "/v3/sessions/%s/operations/%s/result/0?rowFormat=XML" % (sh, op))
    check_error_entry("invalid rowFormat", e, st, b)

    # request bodies
    e = entry("malformed request body")
    st, b, _ = call("POST", "/v3/sessions/%s/statements" % sh, e.body)
    check_eq("misspelled body field", (e.status, shape(e.resp)), (st, shape(b)))
    e = entry("missing request body")
    st, b, _ = call("POST", "/v3/sessions/%s/statements" % sh)
    check_eq("missing request body", (e.status, shape(e.resp)), (st, shape(b)))

    # unknown paths / versions
    for t in ("unsupported version prefix", "unknown path"):
        e = entry(t)
        st, b, _ = call(e.method, e.path)
        check_error_entry(t, e, st, b)

    # v1
    sql = "SELECT 42 AS answer"
    replay_query("v1", sh, sql, fmt=None)

    # completion
    for t in ("complete statement (GET", "complete statement for a keyword"):
        e = entry(t)
        st, b, _ = call("GET", "/v3/sessions/%s/complete-statement" % sh, e.body)
        check_eq(t, (e.status, e.resp), (st, b))

    # configure-session
    for t in ("configure session (v2+)", "configure session with a non-config statement", "configure session on v1"):
        e = entry(t)
        path = re.sub(r"/sessions/[^/]+/", "/sessions/%s/" % sh, e.path)
        st, b, _ = call("POST", path, e.body)
        if e.status == 200:
            check_eq(t, (e.status, e.resp), (st, b))
        else:
            e.resp = json.loads(json.dumps(e.resp).replace(e.path.split("/")[3], sh))
            check_error_entry(t, e, st, b)

    # unbounded query: cancel (fails: FINISHED), status, fetch after cancel, close
    replay_query("v4", sh, entry("unbounded slow datagen table").body["statement"])
    e = entry("v4 unbounded streaming statement")
    op = submit("v4", sh, e.body["statement"], {"executionConfig": e.body.get("executionConfig")})
    pages = drain("/v4/sessions/%s/operations/%s/result/0?rowFormat=JSON" % (sh, op), timeout=60, stop_after_rows=10)
    exp_page = entry("unbounded query: a non-empty page").resp
    nonempty = [b for s, b in pages if s == 200 and b["resultType"] == "PAYLOAD" and b["results"]["data"]]
    if check("unbounded query yields rows", nonempty, "a non-empty page", pages[-1]):
        check_page("unbounded query page", exp_page, nonempty[0], compare_data=False)
        check_eq("unbounded query first ids", [r["fields"][0] for r in exp_page["results"]["data"]][:len(all_rows(pages))][:5],
                 [r["fields"][0] for r in all_rows(pages)][:5])
    e = entry("cancel running operation")
    st, b, _ = call("POST", "/v4/sessions/%s/operations/%s/cancel" % (sh, op))
    check_error_entry("cancel a query operation (FINISHED once its job runs)", e, st, b)
    e = entry("status after cancel")
    st, b, _ = call("GET", "/v4/sessions/%s/operations/%s/status" % (sh, op))
    check_eq("status after cancel", (e.status, e.resp), (st, b))
    e = entry("fetch after cancel")
    st, b, _ = call("GET", "/v4/sessions/%s/operations/%s/result/0?rowFormat=JSON" % (sh, op))
    check_error_entry("fetch an old token after cancel", e, st, b)
    e = entry("close cancelled operation")
    st, b, _ = call("DELETE", "/v4/sessions/%s/operations/%s/close" % (sh, op))
    check_eq("close the running query", (e.status, e.resp), (st, b))
    st, b, _ = call("GET", "/v4/sessions/%s/operations/%s/status" % (sh, op))
    check_eq("closed operation is gone (status code)", 500, st)
    e = entry("cancel unknown operation")
    st, b, _ = call("POST", "/v4/sessions/%s/operations/00000000-0000-0000-0000-000000000000/cancel" % sh)
    check_error_entry("cancel unknown operation", e, st, b)

    # close session
    e = entry("close session")
    st, b, _ = call("DELETE", "/v3/sessions/%s" % sh)
    check_eq("close session", (e.status, e.resp), (st, b))
    e = entry("get closed session")
    st, b, _ = call("GET", "/v3/sessions/%s" % sh)
    e.resp = json.loads(json.dumps(e.resp).replace(e.path.split("/")[3], sh))
    check_error_entry("get closed session", e, st, b)



# ------------------------------------------------------------------------------------------------
# Runtime mode and other per-statement keys changed inside a session.
#
# NOT from the recorded transcript (it never changes the mode mid-session). The expectations follow
# the real gateway's documented behaviour and its source (SessionContext / OperationExecutor): every
# statement gets a TableEnvironment built from the session's current configuration, so after
# SET 'execution.runtime-mode' the queries succeed, and the session's catalogs (temporary tables,
# views, USE) stay. RESET 'k' goes back to the gateway's flink config (or drops the key), RESET drops
# the open-time properties too. The last RESET expectation assumes the cluster config does not set
# execution.runtime-mode (Flink's default is then STREAMING).

MODE_UNBOUNDED = ("CREATE TEMPORARY TABLE mode_unbounded (id INT, v DOUBLE) WITH ("
                  "'connector'='datagen', 'rows-per-second'='100')")
MODE_BOUNDED = ("CREATE TEMPORARY TABLE mode_bounded (k INT, v INT) WITH ("
                "'connector'='datagen', 'number-of-rows'='200', 'fields.k.min'='1', 'fields.k.max'='3')")
MODE_GROUP_BY = "SELECT k, COUNT(*) AS c FROM mode_view GROUP BY k"


def run(sh, sql, stop_after_rows=None):
    """Submits SQL and fetches it to EOS (or stop_after_rows). Returns (operation, pages, rows, jobID, error)."""
    op = submit("v3", sh, sql)
    pages = drain("/v3/sessions/%s/operations/%s/result/0?rowFormat=JSON" % (sh, op), timeout=90,
                  stop_after_rows=stop_after_rows)
    errors = [b for st, b in pages if st != 200]
    job_ids = [b["jobID"] for st, b in pages if st == 200 and b.get("jobID")]
    error = "\n".join(exception_headlines(errors[0]["errors"][-1])) if errors else None
    return op, pages, all_rows(pages), (job_ids[0] if job_ids else None), error


def run_ok(sh, sql, what, stop_after_rows=None):
    op, pages, rows, job_id, error = run(sh, sql, stop_after_rows)
    check(what + ": no error", error is None, "no error", error)
    return op, rows, job_id


def close_op(sh, op):
    st, b, _ = call("DELETE", "/v3/sessions/%s/operations/%s/close" % (sh, op))
    check_eq("close operation %s" % op, (200, {"status": "CLOSED"}), (st, b))


def session_props(sh):
    st, b, _ = call("GET", "/v3/sessions/%s" % sh)
    check_eq("get session config status", 200, st)
    return b.get("properties", {})


def show_jobs(sh):
    _, rows, _ = run_ok(sh, "SHOW JOBS", "SHOW JOBS")
    return {r["fields"][0]: r["fields"] for r in rows}


def check_unbounded_rejected(sh, mode_what):
    op, pages, rows, job_id, error = run(sh, "SELECT * FROM mode_unbounded")
    check("%s: a query over the unbounded table fails" % mode_what,
          error is not None and "Querying an unbounded table" in error and "in batch mode is not allowed" in error,
          "ValidationException: Querying an unbounded table '...' in batch mode is not allowed.", error)
    close_op(sh, op)


def check_unbounded_streams(sh, mode_what):
    """Reads a few pages of the unbounded query, closes it, and expects its job to be cancelled."""
    op, rows, job_id = run_ok(sh, "SELECT * FROM mode_unbounded", mode_what + ": unbounded query", stop_after_rows=20)
    check("%s: the unbounded query returns rows" % mode_what, len(rows) >= 20, ">= 20 rows", len(rows))
    check("%s: the unbounded query has a job" % mode_what, job_id is not None, "a jobID", job_id)
    close_op(sh, op)
    status = None
    deadline = time.time() + 30
    while job_id and time.time() < deadline:
        status = show_jobs(sh).get(job_id, [None, None, None])[2]
        if status == "CANCELED":
            break
        time.sleep(0.5)
    check_eq("%s: closing the unbounded query cancels its job" % mode_what, "CANCELED", status)


def check_group_by(sh, mode_what, expect_updates):
    op, rows, _ = run_ok(sh, MODE_GROUP_BY, mode_what + ": GROUP BY")
    kinds = sorted(set(r["kind"] for r in rows))
    if expect_updates:
        check("%s: the GROUP BY is a changelog with -U/+U" % mode_what,
              "UPDATE_BEFORE" in kinds and "UPDATE_AFTER" in kinds, ["INSERT", "UPDATE_AFTER", "UPDATE_BEFORE"], kinds)
    else:
        check_eq("%s: the GROUP BY gives only +I rows" % mode_what, ["INSERT"], kinds)
    final = materialize(rows)
    check_eq("%s: GROUP BY keys" % mode_what, [1, 2, 3], sorted(f[0] for f in final))
    check_eq("%s: GROUP BY counts add up to the rows" % mode_what, 200, sum(f[1] for f in final))
    close_op(sh, op)


def flink_job(props, job_id):
    """The Flink REST view of a job, at the cluster the session submits to (rest.address/rest.port)."""
    url = "http://%s:%s/jobs/%s" % (props.get("rest.address"), props.get("rest.port"), job_id)
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.loads(r.read())
    except (urllib.error.URLError, OSError, ValueError) as ex:
        return {"error": "%s: %s" % (url, ex)}


def mode_switch():
    st, b, _ = call("POST", "/v3/sessions", {"sessionName": "mode-switch",
                                             "properties": {"execution.runtime-mode": "batch"}})
    check_eq("mode switch: open session", 200, st)
    sh = b["sessionHandle"]
    check_eq("mode switch: open property in the session config", "batch", session_props(sh).get("execution.runtime-mode"))
    for sql in ("CREATE DATABASE mode_db", "USE mode_db", MODE_UNBOUNDED, MODE_BOUNDED,
                "CREATE TEMPORARY VIEW mode_view AS SELECT k, v FROM mode_bounded",
                "CREATE TEMPORARY TABLE mode_sink (k INT, v INT) WITH ('connector'='blackhole')"):
        _, rows, _ = run_ok(sh, sql, "mode switch: " + sql[:40])
        check_eq("mode switch: %s answers OK" % sql[:40], [{"kind": "INSERT", "fields": ["OK"]}], rows)

    check_unbounded_rejected(sh, "batch (open property)")
    check_group_by(sh, "batch (open property)", expect_updates=False)

    _, rows, _ = run_ok(sh, "SET 'execution.runtime-mode' = 'streaming'", "SET streaming")
    check_eq("SET streaming answers OK", [{"kind": "INSERT", "fields": ["OK"]}], rows)
    check_unbounded_streams(sh, "streaming after SET")
    check_group_by(sh, "streaming after SET", expect_updates=True)
    _, rows, _ = run_ok(sh, "SHOW CURRENT DATABASE", "SHOW CURRENT DATABASE")
    check_eq("USE survives the mode switch", [{"kind": "INSERT", "fields": ["mode_db"]}], rows)
    _, rows, _ = run_ok(sh, "SET", "SET (list)")
    listed = {r["fields"][0]: r["fields"][1] for r in rows}
    check_eq("SET (list) shows the new mode", "streaming", listed.get("execution.runtime-mode"))
    check_eq("GET /sessions/:h shows the new mode", "streaming", session_props(sh).get("execution.runtime-mode"))

    # Per-statement keys beside the mode: the job name and the default parallelism (in streaming:
    # a batch job's parallelism is decided at run time by the adaptive batch scheduler).
    run_ok(sh, "SET 'pipeline.name' = 'fw-mode-test'", "SET pipeline.name")
    run_ok(sh, "SET 'parallelism.default' = '2'", "SET parallelism.default")
    _, rows, job_id = run_ok(sh, "INSERT INTO mode_sink SELECT k, v FROM mode_bounded", "INSERT with pipeline.name")
    check("INSERT returns its job id", job_id is not None and rows == [{"kind": "INSERT", "fields": [job_id]}], "[job id]", rows)
    check_eq("SHOW JOBS shows the job under pipeline.name", "fw-mode-test", show_jobs(sh).get(job_id, [None, None])[1])
    job = flink_job(session_props(sh), job_id)
    parallelisms = sorted(set(v.get("parallelism") for v in job.get("vertices", [])))
    check("the job runs with parallelism.default", parallelisms == [2], [2], parallelisms or job)

    run_ok(sh, "RESET 'execution.runtime-mode'", "RESET 'execution.runtime-mode'")
    check("RESET 'execution.runtime-mode' drops the key (not in the cluster config)",
          "execution.runtime-mode" not in session_props(sh), "absent", session_props(sh).get("execution.runtime-mode"))
    check_unbounded_streams(sh, "Flink's default mode after RESET 'k'")

    run_ok(sh, "SET 'execution.runtime-mode' = 'batch'", "SET batch")
    check_unbounded_rejected(sh, "batch after SET")
    check_group_by(sh, "batch after SET", expect_updates=False)

    op, pages, rows, _, error = run(sh, "SET 'execution.runtime-mode' = 'sideways'")
    check("SET of an invalid mode fails (the gateway builds a TableEnvironment with it first)",
          error is not None and "Failed to set key execution.runtime-mode with value sideways." in error,
          "SqlExecutionException: Failed to set key execution.runtime-mode with value sideways.", error)
    check_eq("an invalid SET is not kept", "batch", session_props(sh).get("execution.runtime-mode"))
    close_op(sh, op)

    # RESET leaves the gateway's default config: what a session opened without properties has, minus
    # its download dir (a per-session key that is not in the default config).
    run_ok(sh, "RESET", "RESET (all)")
    st, b, _ = call("POST", "/v3/sessions", {"properties": {}})
    plain = b["sessionHandle"]
    defaults = session_props(plain)
    defaults.pop("table.resources.download-dir", None)
    call("DELETE", "/v3/sessions/%s" % plain)
    check_eq("RESET drops the open-time properties and the SETs", sorted(defaults.items()), sorted(session_props(sh).items()))
    check_unbounded_streams(sh, "Flink's default mode after RESET")
    _, rows, _ = run_ok(sh, "SHOW CURRENT DATABASE", "SHOW CURRENT DATABASE after RESET")
    check_eq("RESET keeps the catalogs (USE)", [{"kind": "INSERT", "fields": ["mode_db"]}], rows)

    st, b, _ = call("DELETE", "/v3/sessions/%s" % sh)
    check_eq("mode switch: close session", (200, {"status": "CLOSED"}), (st, b))


if __name__ == "__main__":
    t0 = time.time()
    try:
        main()
        mode_switch()
    except SystemExit:
        raise
    except Exception as ex:  # a crash is a failure too, with context
        import traceback
        traceback.print_exc()
        FAILURES.append("fidelity.py crashed: %r" % ex)
    if FAILURES:
        print("agent fidelity: %d of %d checks FAILED (%.1fs)" % (len(FAILURES), CHECKS[0], time.time() - t0))
        for f in FAILURES:
            print(" - " + f)
        print("%d passed, %d failed" % (CHECKS[0] - len(FAILURES), len(FAILURES)))
        sys.exit(1)
    print("agent fidelity: all %d checks match the real gateway's transcript (%.1fs)" % (CHECKS[0], time.time() - t0))
    print("%d passed, 0 failed" % CHECKS[0])
