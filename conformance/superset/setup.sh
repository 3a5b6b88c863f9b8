#!/usr/bin/env bash
# Installs Apache Superset 6.1 into its own virtual environment and initialises a Superset
# metadata database (SQLite) in RUN_DIR. Prints the virtual environment's path on stdout.
#
#   conformance/superset/setup.sh RUN_DIR
#
# Both steps are skipped when already done: the venv is marked by $VENV/.complete (holding the
# package list it was built from, so a changed list rebuilds it), the run directory by
# RUN_DIR/.superset-initialised. FW_SUPERSET_VENV overrides the venv's place
# ($FW_CACHE/superset-venv). Network: PyPI only.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/common.sh"

RUN_DIR="${1:?usage: conformance/superset/setup.sh RUN_DIR}"
VENV="${FW_SUPERSET_VENV:-$FW_CACHE/superset-venv}"

# apache-superset 6.1.0's own requirements are not enough to run it:
# - rich: `superset` (the CLI) imports superset/cli/test_db.py, which imports rich;
# - cachetools: load_engine_specs() imports every module of superset/db_engine_specs, and
#   aws_iam.py imports cachetools (the database API's engine lookups fail without it);
# - flask-caching 2.3.1: 2.4+ passes ignore_delete_many_errors to cache factories, which
#   SupersetMetastoreCache.__init__ does not take (create_app() fails);
# - psycopg2-binary: the driver of postgresql:// (postgresql+psycopg2://) URIs.
SUPERSET_PACKAGES=("apache-superset==6.1.*" rich cachetools "flask-caching==2.3.1" psycopg2-binary)

install_venv() {
    local wanted="${SUPERSET_PACKAGES[*]}"
    if [ -f "$VENV/.complete" ] && [ "$(cat "$VENV/.complete")" = "$wanted" ]; then
        return 0
    fi
    command -v python3 >/dev/null || fw_die "python3 is needed for Superset's virtual environment"
    fw_log "installing $wanted into $VENV (PyPI)"
    local started=$SECONDS
    rm -rf "$VENV"
    # Debian's own python3 has venv without ensurepip until python3-venv is installed.
    python3 -c "import ensurepip" 2>/dev/null || fw_apt_install python3-venv
    python3 -m venv "$VENV" || fw_die "python3 -m venv $VENV failed"
    "$VENV/bin/pip" install -q --disable-pip-version-check "${SUPERSET_PACKAGES[@]}" ||
        fw_die "pip install ${SUPERSET_PACKAGES[*]} failed"
    "$VENV/bin/python" -c "import superset, rich, cachetools, psycopg2" ||
        fw_die "Superset's venv does not import superset, rich, cachetools and psycopg2"
    printf '%s' "$wanted" >"$VENV/.complete"
    fw_log "Superset installed in $((SECONDS - started))s, $(du -sh "$VENV" | cut -f1) on disk"
}

# A superset_config.py for this run directory: SQLite metadata, a secret key and an admin
# password of its own (check.py reads both from the config, so they live in one place).
# Sets ADMIN_PASSWORD.
write_config() {
    local secret
    secret="$(python3 -c 'import secrets; print(secrets.token_urlsafe(42))')"
    ADMIN_PASSWORD="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
    cat >"$RUN_DIR/superset_config.py" <<EOF
# Written by conformance/superset/setup.sh; check.py loads it through SUPERSET_CONFIG_PATH.
SECRET_KEY = "$secret"
SQLALCHEMY_DATABASE_URI = "sqlite:///$RUN_DIR/superset.db"
# The check logs in once with this user (created by setup.sh with \`superset fab create-admin\`).
FLINKWIRE_CHECK_ADMIN = {"username": "admin", "password": "$ADMIN_PASSWORD"}
# The test client posts JSON with a bearer token and no CSRF token; no HTTPS in-process.
WTF_CSRF_ENABLED = False
TALISMAN_ENABLED = False
RATELIMIT_ENABLED = False
# Every chart and SQL Lab query must reach flinkwire, never a cache left by an earlier request.
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
# No Celery: SQL Lab runs queries inside the request (databases have allow_run_async off).
RESULTS_BACKEND = None
FEATURE_FLAGS = {"GLOBAL_ASYNC_QUERIES": False}
SQLLAB_TIMEOUT = 120
SUPERSET_WEBSERVER_TIMEOUT = 120
EOF
}

init_run_dir() {
    mkdir -p "$RUN_DIR"
    RUN_DIR="$(cd "$RUN_DIR" && pwd)"
    [ -f "$RUN_DIR/.superset-initialised" ] && [ -f "$RUN_DIR/superset.db" ] && return 0
    local started=$SECONDS superset=("$VENV/bin/superset")
    rm -f "$RUN_DIR/superset.db" "$RUN_DIR/superset_config.py"
    write_config
    export SUPERSET_CONFIG_PATH="$RUN_DIR/superset_config.py"
    fw_log "initialising Superset's metadata database in $RUN_DIR"
    "${superset[@]}" db upgrade >"$RUN_DIR/superset-db-upgrade.log" 2>&1 ||
        { tail -n 30 "$RUN_DIR/superset-db-upgrade.log" >&2; fw_die "superset db upgrade failed"; }
    "${superset[@]}" fab create-admin --username admin --firstname Conformance --lastname Check \
        --email admin@127.0.0.1 --password "$ADMIN_PASSWORD" >"$RUN_DIR/superset-create-admin.log" 2>&1 ||
        { tail -n 30 "$RUN_DIR/superset-create-admin.log" >&2; fw_die "superset fab create-admin failed"; }
    "${superset[@]}" init >"$RUN_DIR/superset-init.log" 2>&1 ||
        { tail -n 30 "$RUN_DIR/superset-init.log" >&2; fw_die "superset init failed"; }
    touch "$RUN_DIR/.superset-initialised"
    fw_log "Superset metadata initialised in $((SECONDS - started))s"
}

install_venv
init_run_dir
echo "$VENV"
