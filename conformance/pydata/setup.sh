#!/usr/bin/env bash
# Installs the Python data stack of the conformance suite (adbc-driver-postgresql and
# adbc-driver-flightsql with pyarrow, DuckDB,
# Polars, ConnectorX, pandas with SQLAlchemy + psycopg2, pgcli) into its own virtual environment
# and prints the environment's path on stdout. Skipped when done: the venv is marked by
# $VENV/.complete, holding the package list it was built from (a changed list rebuilds it).
# FW_PYDATA_VENV overrides the place ($FW_CACHE/pydata-venv). Network: PyPI only.
#
#   conformance/pydata/setup.sh
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/common.sh"

VENV="${FW_PYDATA_VENV:-$FW_CACHE/pydata-venv}"
PACKAGES=("adbc-driver-postgresql>=1.8" "adbc-driver-flightsql>=1.8" "duckdb>=1.1" pyarrow "polars>=1.20" "connectorx>=0.4" "pandas>=2.2" "sqlalchemy>=2,<3" psycopg2-binary "psycopg[binary]>=3.1" "pgcli>=4.3")

wanted="${PACKAGES[*]}"
if [ -f "$VENV/.complete" ] && [ "$(cat "$VENV/.complete")" = "$wanted" ]; then
    echo "$VENV"
    exit 0
fi
command -v python3 >/dev/null || fw_die "python3 is needed for the Python data stack's virtual environment"
fw_log "installing $wanted into $VENV (PyPI)"
started=$SECONDS
rm -rf "$VENV"
# Debian's own python3 has venv without ensurepip until python3-venv is installed.
python3 -c "import ensurepip" 2>/dev/null || fw_apt_install python3-venv
python3 -m venv "$VENV" >&2 || fw_die "python3 -m venv $VENV failed"
"$VENV/bin/pip" install -q --disable-pip-version-check "${PACKAGES[@]}" >&2 || fw_die "pip install $wanted failed"
"$VENV/bin/python" -c "import adbc_driver_postgresql.dbapi, adbc_driver_flightsql.dbapi, duckdb, pyarrow.flight, psycopg, polars, connectorx, pandas, sqlalchemy, psycopg2, pgcli.pgexecute" ||
    fw_die "the Python data stack's venv does not import its packages"
printf '%s' "$wanted" >"$VENV/.complete"
fw_log "Python data stack installed in $((SECONDS - started))s, $(du -sh "$VENV" | cut -f1) on disk"
echo "$VENV"
