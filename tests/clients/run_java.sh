#!/usr/bin/env bash
# Compiles and runs the PgJDBC client test against a running flinkwire (PGPORT).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../target/java-clients"
mkdir -p "$out"
jar=/usr/share/java/postgresql.jar
javac -d "$out" -cp "$jar" "$here/JdbcSmoke.java"
java -cp "$out:$jar" JdbcSmoke
