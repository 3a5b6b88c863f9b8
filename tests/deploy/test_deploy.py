#!/usr/bin/env python3
"""Structural checks of the deployment files: docker-compose.yml, Dockerfile, deploy/.

Docker cannot pull images here, so compose and the manifests are never run in CI. This test reads
them and checks what a run would trip over first: the services, images, commands, ports,
healthchecks and start order of compose; the Dockerfile building the binary and command the
README documents; every Kubernetes document, its probes against the admin listener, the grace
period against shutdown_timeout_secs; and that each flinkwire.toml is valid TOML that uses only
keys flinkwire knows (read from the serde structs in src/config.rs and src/tls.rs, plus the keys
issue 13 is adding, accepted until src/config.rs has them). When the built binary has
`check-config` and src/config.rs knows every key, the files also go through it.

Python 3.11+ standard library and PyYAML. Run: python3 tests/deploy/test_deploy.py
"""

from __future__ import annotations

import base64
import glob
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import unittest
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
K8S = ROOT / "deploy" / "kubernetes"
GRAFANA = ROOT / "deploy" / "grafana" / "flinkwire.json"

CONFIG_PATH_IN_CONTAINER = "/etc/flinkwire/flinkwire.toml"
SERVE_COMMAND = ["serve", "--config", CONFIG_PATH_IN_CONTAINER]
FLINK_SERVICES = ("jobmanager", "taskmanager", "sql-gateway")
IMAGE_RE = re.compile(r"^flink:(2)\.(\d+)\.(\d+)-scala_2\.12-java17$")

# Keys issue 13 adds (admin listener, graceful shutdown, JSON logs). Accepted only while
# src/config.rs does not define them; once it does, the real definition is what is checked.
PENDING_TOP_LEVEL = {"shutdown_timeout_secs": int, "log_format": str}
PENDING_SECTIONS = {"admin": {"listen"}}

# Passwords of the demo verifiers, as the docs state them.
DEMO_PASSWORDS = {"compose": ("demo", "demo"), "kubernetes": ("demo", "change-me")}


# ---------------------------------------------------------------- flinkwire's configuration keys

def _rust_structs() -> dict[str, dict[str, str]]:
    """Every `pub struct` with named fields in src/config.rs and src/tls.rs: field (serde name) -> type."""
    structs: dict[str, dict[str, str]] = {}
    for path in (ROOT / "src" / "config.rs", ROOT / "src" / "tls.rs", ROOT / "src" / "peers.rs"):
        text = path.read_text()
        for m in re.finditer(r"pub struct (\w+)\s*\{(.*?)\n\}", text, re.S):
            name, body = m.group(1), m.group(2)
            if "serde(flatten" in body:
                raise AssertionError(f"{path.name}: {name} uses serde(flatten); teach this test about it")
            fields: dict[str, str] = {}
            rename = None
            for line in body.splitlines():
                line = line.strip()
                r = re.search(r'rename\s*=\s*"([^"]+)"', line)
                if line.startswith("#[") and r:
                    rename = r.group(1)
                f = re.match(r"pub (\w+):\s*(.+?),?$", line)
                if f:
                    fields[rename or f.group(1)] = f.group(2).rstrip(",")
                    rename = None
            structs[name] = fields
    return structs


STRUCTS = _rust_structs()


def _resolve(ty: str) -> tuple[str, str | None]:
    """('struct', Name) | ('list', inner) | ('map', inner) | ('leaf', None) for a Rust field type."""
    ty = ty.replace(" ", "")
    for wrapper in ("Option<", "Box<"):
        if ty.startswith(wrapper):
            return _resolve(ty[len(wrapper):-1])
    if ty.startswith("Vec<"):
        return ("list", ty[4:-1])
    if ty.startswith("BTreeMap<String,") or ty.startswith("HashMap<String,"):
        return ("map", ty[ty.index(",") + 1:-1])
    name = ty.split("::")[-1]
    return ("struct", name) if name in STRUCTS else ("leaf", None)


def unknown_keys(value, ty: str, where: str) -> list[str]:
    """Keys in `value` that the Rust type `ty` would refuse (deny_unknown_fields)."""
    kind, inner = _resolve(ty)
    problems: list[str] = []
    if kind == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            problems += unknown_keys(item, inner, f"{where}[{i}]")
    elif kind == "map" and isinstance(value, dict):
        for k, v in value.items():
            problems += unknown_keys(v, inner, f"{where}.{k}")
    elif kind == "struct":
        if not isinstance(value, dict):
            return [f"{where}: expected a table"]
        fields = STRUCTS[inner]
        for k, v in value.items():
            if k not in fields:
                problems.append(f"{where}.{k}".lstrip("."))
            else:
                problems += unknown_keys(v, fields[k], f"{where}.{k}")
    return problems


def check_flinkwire_toml(test: unittest.TestCase, text: str, what: str) -> dict:
    """Valid TOML, only known keys (pending issue-13 keys allowed until they exist). Returns it."""
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        test.fail(f"{what}: not valid TOML: {e}")
    top = STRUCTS["Config"]
    rest = {}
    for key, value in config.items():
        if key in top:
            rest[key] = value
        elif key in PENDING_TOP_LEVEL:
            test.assertIsInstance(value, PENDING_TOP_LEVEL[key], f"{what}: {key}")
        elif key in PENDING_SECTIONS:
            test.assertIsInstance(value, dict, f"{what}: [{key}]")
            extra = set(value) - PENDING_SECTIONS[key]
            test.assertFalse(extra, f"{what}: unknown keys in [{key}]: {extra}")
        else:
            test.fail(f"{what}: unknown top-level key {key!r} (known: {sorted(top)})")
    test.assertEqual(unknown_keys(rest, "Config", ""), [], f"{what}: keys flinkwire would refuse")
    # Startup refuses trust (no users) on a listener that is not loopback.
    listen = config.get("listen", "127.0.0.1:5433")
    if not listen.startswith(("127.", "[::1]", "localhost")):
        test.assertTrue(config.get("users"), f"{what}: listen = {listen} needs [[users]]")
    return config


def uses_pending_keys(config: dict) -> bool:
    return any(k not in STRUCTS["Config"] for k in config)


def port_of(addr: str) -> int:
    return int(addr.rsplit(":", 1)[1])


def scram_verifier(password: str, salt: bytes, iterations: int) -> str:
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = lambda b: base64.b64encode(b).decode()
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(hashlib.sha256(client_key).digest())}:{b64(server_key)}"


def check_demo_password(test: unittest.TestCase, config: dict, which: str) -> None:
    user, password = DEMO_PASSWORDS[which]
    users = {u["name"]: u for u in config["users"]}
    test.assertIn(user, users)
    m = re.fullmatch(r"SCRAM-SHA-256\$(\d+):([^$]+)\$[^:]+:.+", users[user]["password"])
    test.assertIsNotNone(m, f"{which}: {user}'s password is a SCRAM verifier, not a plaintext password")
    expected = scram_verifier(password, base64.b64decode(m.group(2)), int(m.group(1)))
    test.assertEqual(users[user]["password"], expected, f"{which}: the verifier is for the documented password")


def demo_init_sql(demo_dir: str) -> list[str]:
    """The quick start's demo tables with @DEMO_DIR@ filled in."""
    text = (ROOT / "demo" / "flinkwire.toml.in").read_text().replace("@DEMO_DIR@", demo_dir)
    text = re.sub(r"@[A-Z_]+@", "1", text)
    return tomllib.loads(text)["session"]["init_sql"]


def run_check_config(test: unittest.TestCase, text: str, what: str) -> None:
    """`flinkwire check-config` on the file when the built binary has it (issue 13 item 4)."""
    binary = ROOT / "target" / "debug" / "flinkwire"
    if not binary.exists():
        return
    helped = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30)
    if "check-config" not in helped.stdout:
        return
    tmp = ROOT / "target" / "deploy-test"
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / (re.sub(r"\W+", "_", what) + ".toml")
    path.write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLINKWIRE_")}
    done = subprocess.run([binary, "check-config", "--config", path], capture_output=True, text=True, timeout=60, env=env)
    test.assertEqual(done.returncode, 0, f"flinkwire check-config {what}:\n{done.stdout}\n{done.stderr}")


# ---------------------------------------------------------------- Dockerfile

def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    out, pending = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        pending += " " + stripped.rstrip("\\").strip() if pending else stripped.rstrip("\\").strip()
        if not stripped.endswith("\\"):
            word, _, args = pending.partition(" ")
            out.append((word.upper(), args.strip()))
            pending = ""
    return out


def parse_port(entry) -> tuple[str | None, int, int]:
    """Compose short port syntax: [IP:]HOST:CONTAINER -> (ip, host, container)."""
    parts = str(entry).split(":")
    if len(parts) == 3:
        return parts[0], int(parts[1]), int(parts[2])
    if len(parts) == 2:
        return None, int(parts[0]), int(parts[1])
    raise AssertionError(f"port {entry!r}: publish host and container port explicitly")


def duration_secs(text: str) -> int:
    m = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", str(text))
    assert m and any(m.groups()), f"duration {text!r}"
    return int(m.group(1) or 0) * 60 + int(m.group(2) or 0)


def cargo_bin_name() -> str:
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())
    bins = [b["name"] for b in cargo.get("bin", [])]
    assert len(bins) == 1, bins
    return bins[0]


def flink_version_of_scripts() -> str:
    m = re.search(r'FW_FLINK_VERSION="\$\{FW_FLINK_VERSION:-([0-9.]+)\}"', (ROOT / "scripts/lib/flink.sh").read_text())
    assert m, "FW_FLINK_VERSION in scripts/lib/flink.sh"
    return m.group(1)


class Common(unittest.TestCase):
    def test_config_key_reader_sees_the_real_structs(self):
        # If this fails, src/config.rs changed shape and the key checks below would be blind.
        for section in ("gateway", "session", "users", "clusters", "environments", "pool", "limits", "tls"):
            self.assertIn(section, STRUCTS["Config"])
        self.assertIn("url", STRUCTS["GatewayConfig"])
        self.assertIn("cert", STRUCTS["TlsConfig"])
        self.assertEqual(unknown_keys({"gateway": {"ulr": "x"}}, "Config", ""), ["gateway.ulr"])
        self.assertEqual(unknown_keys({"clusters": {"a": {"gatway": "x"}}}, "Config", ""), ["clusters.a.gatway"])

    def test_scram_helper_matches_rfc_7677(self):
        # RFC 7677 section 3 (the same vector src/auth/verifier.rs tests): ServerSignature.
        v = scram_verifier("pencil", base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096)
        server_key = base64.b64decode(v.rsplit(":", 1)[1])
        auth = "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
        sig = base64.b64encode(hmac.new(server_key, auth.encode(), "sha256").digest()).decode()
        self.assertEqual(sig, "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")


class Compose(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.doc = yaml.safe_load(COMPOSE.read_text())
        cls.services = cls.doc["services"]

    def test_services(self):
        self.assertEqual(set(self.services), {*FLINK_SERVICES, "flinkwire"})

    def test_flink_image_and_commands(self):
        images = {self.services[s]["image"] for s in FLINK_SERVICES}
        self.assertEqual(len(images), 1, f"one Flink image for all: {images}")
        image = images.pop()
        m = IMAGE_RE.match(image)
        self.assertIsNotNone(m, f"{image}: an official Flink 2.x image, Scala 2.12, Java 17, full version")
        self.assertEqual(".".join(m.groups()), flink_version_of_scripts(), "the Flink the tests run (scripts/lib/flink.sh)")
        self.assertEqual(self.services["jobmanager"]["command"], "jobmanager")
        self.assertEqual(self.services["taskmanager"]["command"], "taskmanager")
        for s in FLINK_SERVICES:
            props = self.services[s]["environment"]["FLINK_PROPERTIES"]
            self.assertIn("rest.address: jobmanager", props, s)
            self.assertIn("jobmanager.rpc.address: jobmanager", props, s)
            self.assertNotIn("$", props, f"{s}: compose would interpolate $")

    def test_sql_gateway_is_the_real_one(self):
        cmd = self.services["sql-gateway"]["command"]
        self.assertEqual(cmd[:2], ["bin/sql-gateway.sh", "start-foreground"])
        opts = dict(a[2:].split("=", 1) for a in cmd[2:])
        self.assertEqual(opts["sql-gateway.endpoint.rest.address"], "sql-gateway")
        self.assertEqual(opts["sql-gateway.endpoint.rest.bind-address"], "0.0.0.0")
        config = self.flinkwire_config()
        self.assertEqual(config["gateway"]["url"], f"http://sql-gateway:{opts['sql-gateway.endpoint.rest.port']}")
        self.assertNotIn("ports", self.services["sql-gateway"], "the gateway has no authentication: never published")

    def test_healthchecks(self):
        for name, svc in self.services.items():
            test = svc.get("healthcheck", {}).get("test")
            self.assertTrue(test, f"{name} has a healthcheck")
            self.assertIn(test[0], ("CMD", "CMD-SHELL"), name)
        gw_port = port_of(self.flinkwire_config()["gateway"]["url"])
        self.assertIn(f"http://localhost:{gw_port}/v1/info", self.services["sql-gateway"]["healthcheck"]["test"])
        admin = self.flinkwire_config()["admin"]["listen"]
        self.assertIn(f"http://127.0.0.1:{port_of(admin)}/readyz", self.services["flinkwire"]["healthcheck"]["test"])
        self.assertEqual(self.services["flinkwire"]["healthcheck"]["test"][1], "curl")
        self.assertIn("http://localhost:8081/overview", self.services["jobmanager"]["healthcheck"]["test"])
        tm = " ".join(self.services["taskmanager"]["healthcheck"]["test"])
        self.assertIn("taskmanagers", tm)
        self.assertIn("taskmanager.rpc.port: 6122", self.services["taskmanager"]["environment"]["FLINK_PROPERTIES"])
        self.assertIn("/dev/tcp/127.0.0.1/6122", tm)

    def test_start_order_waits_for_health(self):
        expected = {
            "taskmanager": {"jobmanager"},
            "sql-gateway": {"jobmanager", "taskmanager"},
            "flinkwire": {"sql-gateway"},
        }
        for name, deps in expected.items():
            got = self.services[name].get("depends_on", {})
            self.assertIsInstance(got, dict, f"{name}: long depends_on syntax, with conditions")
            self.assertEqual(set(got), deps, name)
            for dep, cond in got.items():
                self.assertEqual(cond.get("condition"), "service_healthy", f"{name} -> {dep}")

    def test_ports(self):
        ports = {parse_port(p)[2]: parse_port(p) for p in self.services["flinkwire"]["ports"]}
        config = self.flinkwire_config()
        self.assertEqual(ports[port_of(config["listen"])][1:], (5433, 5433))
        admin = ports[port_of(config["admin"]["listen"])]
        self.assertEqual(admin[0], "127.0.0.1", "metrics only on this machine")
        for p in self.services["jobmanager"].get("ports", []):
            self.assertEqual(parse_port(p)[0], "127.0.0.1", "Flink's REST API accepts jars: this machine only")

    def test_mounts_exist_and_demo_paths_agree(self):
        mounts = {}
        for name, svc in self.services.items():
            for v in svc.get("volumes", []):
                src, dst = v.split(":")[:2]
                self.assertTrue(src.startswith("./"), f"{name}: bind mount {v} relative to the repo")
                self.assertTrue((ROOT / src).exists(), f"{name}: {src} exists in the repository")
                mounts.setdefault(name, {})[dst] = ROOT / src
        self.assertEqual(mounts["flinkwire"][CONFIG_PATH_IN_CONTAINER], ROOT / "deploy/compose/flinkwire.toml")
        # Every file:// path of the demo tables is mounted, from a file that exists, in every
        # Flink process (JobManager: split enumeration; TaskManager: reading; gateway: planning).
        paths = re.findall(r"'path' = 'file://([^']+)'", " ".join(self.flinkwire_config()["session"]["init_sql"]))
        self.assertTrue(paths)
        for path in paths:
            for svc in FLINK_SERVICES:
                hits = [src / os.path.relpath(path, dst) for dst, src in mounts[svc].items() if path.startswith(dst + "/")]
                self.assertTrue(hits and hits[0].is_file(), f"{svc}: {path} mounted from a file in the repo")

    def test_flinkwire_service_runs_the_image_command(self):
        fw = self.services["flinkwire"]
        self.assertEqual(fw["build"], {"context": ".", "dockerfile": "Dockerfile"})
        self.assertEqual(fw["command"], SERVE_COMMAND)
        self.assertEqual(json.loads(dict(dockerfile_instructions())["CMD"]), SERVE_COMMAND)
        grace = duration_secs(fw["stop_grace_period"])
        self.assertGreater(grace, self.flinkwire_config().get("shutdown_timeout_secs", 30))

    def test_flinkwire_config(self):
        text = (ROOT / "deploy/compose/flinkwire.toml").read_text()
        config = check_flinkwire_toml(self, text, "deploy/compose/flinkwire.toml")
        self.assertEqual(port_of(config["listen"]), 5433)
        check_demo_password(self, config, "compose")
        self.assertEqual(config["session"]["init_sql"], demo_init_sql("/opt/flink/demo"), "the quick start's demo tables")
        if not uses_pending_keys(config):
            run_check_config(self, text, "compose")

    def flinkwire_config(self) -> dict:
        return tomllib.loads((ROOT / "deploy/compose/flinkwire.toml").read_text())


class Dockerfile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ins = dockerfile_instructions()

    def stages(self):
        stages, current = [], None
        for word, args in self.ins:
            if word == "FROM":
                current = {"from": args, "ins": []}
                stages.append(current)
            elif current is not None:
                current["ins"].append((word, args))
        return stages

    def test_multi_stage_rust_to_slim_debian(self):
        stages = self.stages()
        self.assertGreaterEqual(len(stages), 2)
        self.assertRegex(stages[0]["from"], r"^rust:\S+ AS builder$")
        self.assertRegex(stages[-1]["from"], r"^debian:\S+-slim\b")
        args = {a.split("=")[0]: a.split("=")[1] for w, a in self.ins if w == "ARG" and "=" in a}
        have = tuple(int(x) for x in args["RUST_VERSION"].split("."))
        need = tuple(int(x) for x in tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["package"]["rust-version"].split("."))
        self.assertGreaterEqual(have, need[: len(have)], "RUST_VERSION >= Cargo.toml rust-version")

    def test_builds_the_documented_binary(self):
        name = cargo_bin_name()
        runs = " ".join(a for w, a in self.stages()[0]["ins"] if w == "RUN")
        self.assertIn(f"cargo build --release --locked --bin {name}", runs)
        runtime = self.stages()[-1]["ins"]
        copies = [a for w, a in runtime if w == "COPY"]
        self.assertTrue(any(a.startswith("--from=builder") and a.endswith(f"/usr/local/bin/{name}") for a in copies), copies)
        entry = json.loads(dict(runtime)["ENTRYPOINT"])
        self.assertEqual(entry, [f"/usr/local/bin/{name}"])
        self.assertEqual(json.loads(dict(runtime)["CMD"]), SERVE_COMMAND)
        # The README documents this command line.
        readme = (ROOT / "README.md").read_text()
        self.assertRegex(readme, rf"`{name} serve \[[^`]*--config FILE\]`")
        self.assertIn("config: Option<PathBuf>", (ROOT / "src/bin/flinkwire.rs").read_text())

    def test_runtime_is_non_root_with_curl(self):
        runtime = self.stages()[-1]["ins"]
        users = [a for w, a in runtime if w == "USER"]
        self.assertTrue(users and users[-1].split(":")[0] not in ("root", "0"), users)
        self.assertIn("curl", " ".join(a for w, a in runtime if w == "RUN"), "the healthchecks use curl")
        exposed = " ".join(a for w, a in runtime if w == "EXPOSE").split()
        self.assertEqual(set(exposed), {"5433", "9187"})

    def test_copies_what_the_workspace_needs_and_context_allows_it(self):
        copied = set()
        for w, a in self.stages()[0]["ins"]:
            if w == "COPY" and not a.startswith("--from"):
                copied.update(p.strip("./") for p in a.split()[:-1])
        members = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["members"]
        for m in [m for m in members if m != "."] + ["Cargo.toml", "Cargo.lock", "src"]:
            self.assertIn(m, copied)
            self.assertTrue((ROOT / m).exists(), m)
        ignored = [l.strip() for l in (ROOT / ".dockerignore").read_text().splitlines() if l.strip() and not l.startswith("#")]
        self.assertIn("target", ignored)
        for m in copied:
            self.assertNotIn(m, ignored)


class Kubernetes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.docs = {}
        for path in sorted(K8S.glob("*.yaml")):
            for doc in yaml.safe_load_all(path.read_text()):
                if doc is None:
                    continue
                key = (doc["kind"], doc.get("metadata", {}).get("name"))
                assert key not in cls.docs, f"{key} twice"
                cls.docs[key] = (path.name, doc)

    def get(self, kind, name):
        self.assertIn((kind, name), self.docs)
        return self.docs[(kind, name)][1]

    def config_text(self):
        return self.get("ConfigMap", "flinkwire-config")["data"]["flinkwire.toml"]

    def config(self):
        return tomllib.loads(self.config_text())

    def test_documents_and_kustomization(self):
        expected = {
            ("Kustomization", None), ("Namespace", "flinkwire"), ("FlinkDeployment", "flink-session"),
            ("ConfigMap", "flinkwire-demo-data"), ("Deployment", "sql-gateway"), ("Service", "sql-gateway"),
            ("NetworkPolicy", "sql-gateway-from-flinkwire"), ("ConfigMap", "flinkwire-config"),
            ("Deployment", "flinkwire"), ("Service", "flinkwire"), ("Service", "flinkwire-peers"),
            ("PodDisruptionBudget", "flinkwire"),
        }
        self.assertEqual(set(self.docs), expected)
        for (kind, name), (_, doc) in self.docs.items():
            self.assertIn("apiVersion", doc, f"{kind} {name}")
        kust = self.get("Kustomization", None)
        files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
        self.assertEqual(set(kust["resources"]), files, "kustomization lists every manifest")
        self.assertEqual(kust["namespace"], "flinkwire")

    def test_flink_session_cluster(self):
        fd = self.get("FlinkDeployment", "flink-session")
        self.assertEqual(fd["apiVersion"], "flink.apache.org/v1beta1")
        self.assertNotIn("job", fd["spec"], "no job: a session cluster")
        compose_image = yaml.safe_load(COMPOSE.read_text())["services"]["jobmanager"]["image"]
        self.assertEqual(fd["spec"]["image"], compose_image)
        m = IMAGE_RE.match(fd["spec"]["image"])
        self.assertEqual(fd["spec"]["flinkVersion"], f"v{m.group(1)}_{m.group(2)}")
        for part in ("jobManager", "taskManager"):
            self.assertIn("resource", fd["spec"][part])
        for v in fd["spec"]["flinkConfiguration"].values():
            self.assertIsInstance(v, str, "flinkConfiguration values are strings")
        main = [c for c in fd["spec"]["podTemplate"]["spec"]["containers"] if c["name"] == "flink-main-container"]
        self.assertEqual(len(main), 1, "the operator's container name")

    def test_sql_gateway(self):
        dep = self.get("Deployment", "sql-gateway")
        c = dep["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(c["image"], self.get("FlinkDeployment", "flink-session")["spec"]["image"])
        self.assertNotIn("command", c, "args keep the image's entrypoint")
        self.assertEqual(c["args"][:2], ["bin/sql-gateway.sh", "start-foreground"])
        opts = dict(a[2:].split("=", 1) for a in c["args"][2:])
        props = {e["name"]: e.get("value") for e in c["env"]}["FLINK_PROPERTIES"]
        self.assertIn("rest.address: flink-session-rest", props, "the operator's REST Service of flink-session")
        svc = self.get("Service", "sql-gateway")
        labels = dep["spec"]["template"]["metadata"]["labels"]
        self.assertLessEqual(svc["spec"]["selector"].items(), labels.items(), "the Service selects the gateway pods")
        self.assertLessEqual(dep["spec"]["selector"]["matchLabels"].items(), labels.items())
        port = svc["spec"]["ports"][0]["port"]
        self.assertEqual(int(opts["sql-gateway.endpoint.rest.port"]), port)
        self.assertEqual(self.config()["gateway"]["url"], f"http://sql-gateway:{port}")
        for probe in ("readinessProbe", "livenessProbe"):
            self.assertEqual(c[probe]["httpGet"]["path"], "/v1/info")
        self.assertTrue(dep["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"])

    def test_demo_data_matches_the_repo_and_is_mounted(self):
        cm = self.get("ConfigMap", "flinkwire-demo-data")
        self.assertEqual(cm["data"]["orders.csv"], (ROOT / "demo/orders.csv").read_text())
        pod_specs = [
            self.get("FlinkDeployment", "flink-session")["spec"]["podTemplate"]["spec"],
            self.get("Deployment", "sql-gateway")["spec"]["template"]["spec"],
        ]
        for spec in pod_specs:
            vols = {v["name"]: v for v in spec["volumes"]}
            mounts = [m for c in spec["containers"] for m in c.get("volumeMounts", [])]
            demo = [m for m in mounts if vols[m["name"]].get("configMap", {}).get("name") == "flinkwire-demo-data"]
            self.assertEqual([m["mountPath"] for m in demo], ["/opt/flink/demo"])
        self.assertEqual(self.config()["session"]["init_sql"], demo_init_sql("/opt/flink/demo"))

    def test_flinkwire_deployment(self):
        dep = self.get("Deployment", "flinkwire")
        self.assertEqual(dep["spec"]["replicas"], 2)
        pod = dep["spec"]["template"]["spec"]
        c = pod["containers"][0]
        self.assertEqual(c["args"], SERVE_COMMAND)
        config = self.config()
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        self.assertEqual(ports["admin"], port_of(config["admin"]["listen"]))
        self.assertEqual(ports["postgres"], port_of(config["listen"]))
        for probe, path in (("livenessProbe", "/livez"), ("readinessProbe", "/readyz")):
            get = c[probe]["httpGet"]
            self.assertEqual(get["path"], path)
            self.assertIn(get["port"], ("admin", ports["admin"]))
        # The config file where the command reads it, from the ConfigMap.
        vols = {v["name"]: v for v in pod["volumes"]}
        mount = [m for m in c["volumeMounts"] if vols[m["name"]].get("configMap", {}).get("name") == "flinkwire-config"]
        self.assertEqual(len(mount), 1)
        self.assertEqual(os.path.join(mount[0]["mountPath"], "flinkwire.toml"), CONFIG_PATH_IN_CONTAINER)
        # Grace period: preStop sleep + shutdown_timeout_secs must fit.
        shutdown = config.get("shutdown_timeout_secs", 30)
        pre_stop = c.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
        sleep = int(pre_stop[1]) if pre_stop[:1] == ["sleep"] else 0
        self.assertGreater(pod["terminationGracePeriodSeconds"], shutdown + sleep)
        for kind in ("requests", "limits"):
            self.assertIn("cpu", c["resources"][kind])
            self.assertIn("memory", c["resources"][kind])
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        dockerfile_user = [a for w, a in dockerfile_instructions() if w == "USER"][-1].split(":")[0]
        self.assertEqual(str(pod["securityContext"]["runAsUser"]), dockerfile_user, "the image's user")
        self.assertFalse(c["securityContext"]["allowPrivilegeEscalation"])
        self.assertTrue(c["securityContext"]["readOnlyRootFilesystem"])
        self.assertEqual(c["securityContext"]["capabilities"]["drop"], ["ALL"])

    def test_services_select_the_pods(self):
        labels = self.get("Deployment", "flinkwire")["spec"]["template"]["metadata"]["labels"]
        ports = {p["name"] for p in self.get("Deployment", "flinkwire")["spec"]["template"]["spec"]["containers"][0]["ports"]}
        for name in ("flinkwire", "flinkwire-peers"):
            svc = self.get("Service", name)
            for k, v in svc["spec"]["selector"].items():
                self.assertEqual(labels.get(k), v, f"{name} selects the flinkwire pods")
            for p in svc["spec"]["ports"]:
                self.assertIn(p["targetPort"], ports)
        self.assertEqual([p["port"] for p in self.get("Service", "flinkwire")["spec"]["ports"]], [5433])
        peers = self.get("Service", "flinkwire-peers")["spec"]
        self.assertEqual(peers["clusterIP"], "None", "headless")
        self.assertTrue(peers["publishNotReadyAddresses"], "a draining replica still owns cancel keys")

    @unittest.skipUnless(shutil.which("kubectl"), "no kubectl")
    def test_kustomize_renders(self):
        # kubectl's built-in kustomize, offline: the kustomization builds, every object lands in
        # the namespace, the flinkwire image gets its tag.
        done = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        rendered = [d for d in yaml.safe_load_all(done.stdout) if d]
        self.assertEqual(len(rendered), len(self.docs) - 1)
        ns = self.get("Kustomization", None)["namespace"]
        for d in rendered:
            if d["kind"] != "Namespace":
                self.assertEqual(d["metadata"].get("namespace"), ns, f"{d['kind']} {d['metadata']['name']}")
        fw = [d for d in rendered if d["kind"] == "Deployment" and d["metadata"]["name"] == "flinkwire"][0]
        tag = self.get("Kustomization", None)["images"][0]["newTag"]
        self.assertEqual(fw["spec"]["template"]["spec"]["containers"][0]["image"], f"flinkwire:{tag}")

    def test_configmap_toml(self):
        text = self.config_text()
        config = check_flinkwire_toml(self, text, "deploy/kubernetes/flinkwire-config.yaml")
        check_demo_password(self, config, "kubernetes")
        ns = self.get("Kustomization", None)["namespace"]
        # CancelRequests that reach the wrong replica go to every pod of the headless Service,
        # on the port the pods listen on.
        port = int(config["listen"].rsplit(":", 1)[1])
        self.assertEqual(config["cancel"]["peers_dns"], f"flinkwire-peers.{ns}.svc.cluster.local:{port}")
        peers = self.get("Service", "flinkwire-peers")["spec"]["ports"]
        self.assertIn(port, [p["port"] for p in peers])
        if not uses_pending_keys(config):
            run_check_config(self, text, "kubernetes")


@unittest.skipUnless(GRAFANA.exists(), "no dashboard")
class Grafana(unittest.TestCase):
    METRICS = {
        "flinkwire_client_connections", "flinkwire_connections_total", "flinkwire_queries_total",
        "flinkwire_query_duration_seconds", "flinkwire_first_row_seconds", "flinkwire_rows_sent_total",
        "flinkwire_bytes_sent_total", "flinkwire_gateway_requests_total",
        "flinkwire_gateway_request_duration_seconds", "flinkwire_gateway_sessions", "flinkwire_snapshot_age_seconds",
    }

    def test_dashboard_uses_only_issue_13_metric_names(self):
        dash = json.loads(GRAFANA.read_text())
        exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
        self.assertTrue(exprs)
        used = set()
        for e in exprs:
            for name in re.findall(r"\bflinkwire_\w+", e):
                base = re.sub(r"_(bucket|sum|count)$", "", name)
                self.assertIn(base, self.METRICS, f"{name} in {e}")
                used.add(base)
        self.assertEqual(used, self.METRICS, "every metric family has a panel")
        ids = [p["id"] for p in dash["panels"]]
        self.assertEqual(len(ids), len(set(ids)))


if __name__ == "__main__":
    unittest.main(verbosity=1)
