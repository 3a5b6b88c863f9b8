#!/usr/bin/env python3
"""Builds raw seed corpora for the fuzz targets from the repository's real inputs.

    python3 fuzz/seeds.py OUT_DIR

writes OUT_DIR/<target>/<sha1> files. `scripts/fuzz.sh --reseed` runs it and then minimises the
result with `cargo fuzz cmin` into fuzz/corpus/<target>/ (what is committed). Sources (all in
the repository, nothing is fetched):
- SQL: string literals of the Rust tests (src/router.rs, src/dialect/, src/local/, tests/*.rs,
  protocol/src/params.rs), the recorded client SQL (src/catalog/pg/tests/recorded/*.sql) and
  Flink's own SQL Gateway test scripts (testdata/flink-sql-gateway/test-resources/**/*.q).
- Gateway JSON: the response bodies of testdata/flink-sql-gateway/transcripts-2.3.0.txt (result
  pages, error bodies with their HTTP status), Flink's result_info_json_format.txt, and the JSON
  literals of the protocol crate's tests.
"""
import hashlib
import json
import os
import re
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = ROOT / "testdata" / "flink-sql-gateway"
MAX_SEED = 64 * 1024

# Rust string literals: raw strings r"…", r#"…"#, and plain "…" with escapes.
RAW = re.compile(r'r(#*)"(.*?)"\1', re.S)
PLAIN = re.compile(r'(?<![r#\w])"((?:[^"\\]|\\.)*)"', re.S)
SQL_START = re.compile(
    r"^\s*(?:/\*.*?\*/\s*|--[^\n]*\n\s*)*\(?\s*(select|with|values|show|describe|desc|explain|insert|"
    r"create|drop|alter|set|reset|use|begin|start|commit|rollback|end|abort|execute|discard|deallocate|"
    r"savepoint|release|table|declare|fetch|move|close|copy|load|unload|call|analyze|truncate|update|delete)\b",
    re.I | re.S,
)


def unescape_rust(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = s[i + 1] if i + 1 < len(s) else ""
        simple = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
        if n in simple:
            out.append(simple[n])
            i += 2
        elif n == "\n":  # line continuation
            i += 2
            while i < len(s) and s[i] in " \t\n":
                i += 1
        elif n == "u":
            m = re.match(r"u\{([0-9a-fA-F]+)\}", s[i + 1 :])
            if m:
                out.append(chr(int(m.group(1), 16)))
                i += 1 + m.end()
            else:
                i += 2
        elif n == "x":
            out.append(chr(int(s[i + 2 : i + 4], 16)))
            i += 4
        else:
            out.append(n)
            i += 2
    return "".join(out)


def rust_strings(path):
    text = path.read_text(errors="replace")
    for m in RAW.finditer(text):
        yield m.group(2)
    for m in PLAIN.finditer(RAW.sub("", text)):
        try:
            yield unescape_rust(m.group(1))
        except (ValueError, IndexError):
            pass


def rust_files(*dirs):
    for d in dirs:
        p = ROOT / d
        if p.is_file():
            yield p
        elif p.is_dir():
            yield from sorted(p.rglob("*.rs"))


class Seeds:
    def __init__(self, out):
        self.out = Path(out)
        self.counts = {}

    def add(self, target, data):
        if isinstance(data, str):
            data = data.encode()
        if not data or len(data) > MAX_SEED:
            return
        d = self.out / target
        d.mkdir(parents=True, exist_ok=True)
        (d / hashlib.sha1(data).hexdigest()).write_bytes(data)
        self.counts[target] = self.counts.get(target, 0) + 1


def q_statements(path):
    """Statements of Flink's .q test scripts (`stmt;` followed by `!output`/`!ok`/`!info`…)."""
    buf = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("!") or line.startswith("#") or line.startswith("+--") or line.startswith("|"):
            if buf:
                yield "\n".join(buf).strip()
                buf = []
            continue
        buf.append(line)
    if buf:
        yield "\n".join(buf).strip()


def transcript_blocks():
    text = (GATEWAY / "transcripts-2.3.0.txt").read_text(errors="replace")
    for block in text.split("\n" + "=" * 100):
        status, body, request = None, [], []
        in_response = False
        for line in block.splitlines():
            if line.startswith("<<< HTTP "):
                status = int(line.split()[2])
                in_response = True
                continue
            if line.startswith(">>> "):
                continue
            (body if in_response else request).append(line)
        yield status, "\n".join(request).strip(), "\n".join(body).strip()


def json_objects(text):
    """Top-level JSON objects/arrays that parse, found by scanning for `{`/`[` at line starts."""
    dec = json.JSONDecoder()
    i = 0
    while i < len(text):
        if text[i] in "{[":
            try:
                obj, end = dec.raw_decode(text, i)
                yield obj, text[i:end]
                i = end
                continue
            except ValueError:
                pass
        i += 1


def logical_types(obj):
    if isinstance(obj, dict):
        if "type" in obj and isinstance(obj.get("type"), str) and obj["type"].isupper():
            yield obj
        for v in obj.values():
            yield from logical_types(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from logical_types(v)


def main():
    seeds = Seeds(sys.argv[1])

    # ---- SQL -------------------------------------------------------------------------------
    sql = set()
    for f in rust_files("src/router.rs", "src/dialect", "src/local", "src/catalog", "src/frontend", "tests", "protocol/src/params.rs"):
        for s in rust_strings(f):
            if SQL_START.match(s) and len(s) >= 4:
                sql.add(s)
    for f in sorted((ROOT / "src/catalog/pg/tests/recorded").glob("*.sql")):
        text = f.read_text(errors="replace")
        sql.add(text)
        sql.update(s.strip() for s in text.split(";\n") if s.strip())
    for f in sorted((GATEWAY / "test-resources").rglob("*.q")):
        sql.update(s for s in q_statements(f) if s)
    for _, request, _ in transcript_blocks():
        try:
            stmt = json.loads(request).get("statement")
        except (ValueError, AttributeError):
            stmt = None
        if isinstance(stmt, str):
            sql.add(stmt)
    for s in sorted(sql):
        seeds.add("router", s)
        seeds.add("dialect", s)
        # params: the first byte is the number of bound values (0 here); the SQL is the rest.
        if "$" in s or len(sql) < 2000:
            seeds.add("params", b"\x00" + s.encode())

    # params: values of every type the renderer knows, as `params` decodes them (see
    # fuzz_targets/params.rs): count, then per value an OID choice and kind, then the SQL.
    values = sorted({v for f in rust_files("protocol/src/params.rs") for v in rust_strings(f)
                     if 0 < len(v.encode()) < 80 and "$" not in v})
    for v in values:
        raw = v.encode()
        for oid_index in range(23):
            # n = 1, ratio(7, 8) → a known OID, OID index, kind 7 = text, length, bytes, SQL.
            seeds.add("params", bytes([1, 0, oid_index, 7, len(raw)]) + raw + b"SELECT $1")

    # ---- Gateway JSON ------------------------------------------------------------------------
    types = {}
    for status, _, body in transcript_blocks():
        if not body:
            continue
        if '"resultType"' in body or '"results"' in body:
            seeds.add("fetch_results", body)
        if status and status >= 400:
            pos = struct.pack(">HII", status, 1, 1)
            seeds.add("gateway_error", pos + body.encode())
            for obj, _ in json_objects(body):
                if isinstance(obj, dict):
                    for e in obj.get("errors", []):
                        if isinstance(e, str):
                            seeds.add("gateway_error", struct.pack(">HII", 500, 1, 8) + e.encode())
        for obj, _ in json_objects(body):
            for t in logical_types(obj):
                types[json.dumps(t, sort_keys=True)] = t
    for f in sorted((GATEWAY / "test-resources").glob("result_info_*_format.txt")):
        seeds.add("fetch_results", f.read_text())
        for obj, _ in json_objects(f.read_text()):
            for t in logical_types(obj):
                types[json.dumps(t, sort_keys=True)] = t
    for f in rust_files("protocol/src", "src/backend", "src/results"):
        for s in rust_strings(f):
            if '"logicalType"' in s or '"resultType"' in s:
                seeds.add("fetch_results", s)
            if '"errors"' in s or "Exception" in s:
                seeds.add("gateway_error", struct.pack(">HII", 500, 1, 9) + s.encode())
            for obj, _ in json_objects(s):
                for t in logical_types(obj):
                    types[json.dumps(t, sort_keys=True)] = t
    for t in types.values():
        seeds.add("logical_type", json.dumps(t))

    # json_cell: byte 0 picks a type of the target's TYPES table, byte 1 the flags, then a JSON
    # array of values. Real values of the transcripts' pages for the types they have, and a
    # sample of every value shape for every type.
    table_text = (ROOT / "fuzz/fuzz_targets/json_cell.rs").read_text()
    table = [json.loads(t) for t in re.findall(r'r#"(\{.*?\})"#', table_text)]

    def key(t):
        t = dict(t)
        t.pop("nullable", None)
        return json.dumps(t, sort_keys=True)

    index = {key(t): i for i, t in enumerate(table)}
    pages = []
    for _, _, body in transcript_blocks():
        for obj, _ in json_objects(body):
            if isinstance(obj, dict):
                pages.append(obj.get("results", obj))
    for f in sorted((GATEWAY / "test-resources").glob("result_info_json_format.txt")):
        pages.extend(obj for obj, _ in json_objects(f.read_text()) if isinstance(obj, dict))
    for page in pages:
        if not isinstance(page, dict) or not isinstance(page.get("columns"), list):
            continue
        rows = [r.get("fields", []) for r in page.get("data", []) if isinstance(r, dict)]
        for j, c in enumerate(page["columns"]):
            i = index.get(key(c.get("logicalType", {}))) if isinstance(c, dict) else None
            values = [r[j] for r in rows if j < len(r)]
            if i is not None and values:
                seeds.add("json_cell", bytes([i, 0]) + json.dumps(values).encode())
    samples = [
        None, True, "false", 0, -1, 127, 32768, 2147483648, -9223372036854775808, 1.5, "NaN", "-Infinity",
        3.14, "12.345", 1e20, "0E-10", "1.2E+3", 12345678901234567890.123456789012345678, "abc", "", "AQI=",
        "2024-01-02", "-0001-12-31", "+10000-01-01", "12:34:56", "23:59:59.999999999", "00:00",
        "2024-01-02T03:04:05.123", "2024-01-02 03:04:05", "1970-01-01T00:00:00Z", "2024-01-02T03:04:05+05:30",
        "2024-01-02T03:04:05.123456789-0800", 86400000, -1, [1, 2, None], ["a", "b"], [[1], []], {"k": 1},
        [{"key": 1, "value": "x"}], [[1, "x"]], {"a": 1, "b": "x"}, [1, "x"], {"ts": "1970-01-01T00:00:00Z", "r": {"x": 1.5}},
    ]
    for i in range(len(table)):
        seeds.add("json_cell", bytes([i, 0]) + json.dumps(samples).encode())
        for v in samples:
            seeds.add("json_cell", bytes([i, 0]) + json.dumps([v]).encode())

    # ---- Flink type strings ------------------------------------------------------------------
    type_words = re.compile(
        r"^(BOOLEAN|TINYINT|SMALLINT|INT|INTEGER|BIGINT|FLOAT|REAL|DOUBLE|DECIMAL|DEC|NUMERIC|CHAR|"
        r"CHARACTER|VARCHAR|STRING|BINARY|VARBINARY|BYTES|DATE|TIME|TIMESTAMP|TIMESTAMP_LTZ|INTERVAL|"
        r"ARRAY|MULTISET|MAP|ROW|NULL|RAW|VARIANT)\b",
        re.I,
    )
    for f in rust_files("protocol/src/logical_type.rs", "protocol/src/arrow_types.rs", "protocol/src/pg_types.rs",
                        "protocol/src/encode.rs", "src/catalog/loader.rs"):
        for s in rust_strings(f):
            if type_words.match(s) and len(s) < 400:
                seeds.add("logical_type", s)

    # ---- Session settings --------------------------------------------------------------------
    for f in rust_files("src/local", "src/results/settings.rs"):
        strings = list(rust_strings(f))
        for s in strings:
            if s.startswith("-c") or s.startswith("--"):
                seeds.add("session_settings", s)
        names = [s for s in strings if re.fullmatch(r"[A-Za-z_.]+", s) and 3 <= len(s) <= 40]
        values = [s for s in strings if 0 < len(s) <= 30 and "\0" not in s]
        for i, name in enumerate(names):
            seeds.add("session_settings", "\0".join(["", name, values[i % len(values)] if values else "x"]))

    for target, n in sorted(seeds.counts.items()):
        print(f"{target}: {n} seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
