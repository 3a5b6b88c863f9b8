#!/usr/bin/env bash
# Builds the flinkwire JDBC driver with javac/jar against Debian's PgJDBC (Maven Central is not
# reachable here; pom.xml is for users who build with Maven elsewhere) and, with --test, runs its
# JUnit 5 tests (Debian junit5) against a running flinkwire.
#
#   drivers/jdbc/build.sh                 -> drivers/jdbc/build/flinkwire-jdbc.jar
#   drivers/jdbc/build.sh --test          also runs the tests; needs FLINKWIRE_JDBC_PORT (a flinkwire
#                                         with the conformance demo tables, see conformance/run.sh) and
#                                         optionally FLINKWIRE_JDBC_STREAM_PORT (one in streaming mode)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/common.sh"
source "$FW_ROOT/scripts/lib/flink.sh"

fw_ensure_java
fw_ensure_pkg /usr/share/java/postgresql.jar libpostgresql-jdbc-java
PGJDBC=/usr/share/java/postgresql.jar
out="$here/build"
jar="$out/flinkwire-jdbc.jar"

if [ ! -f "$jar" ] || [ -n "$(find "$here/src/main" -type f -newer "$jar" | head -n1)" ]; then
    fw_log "building the flinkwire JDBC driver"
    rm -rf "$out/classes" && mkdir -p "$out/classes"
    find "$here/src/main/java" -name '*.java' >"$out/sources.txt"
    javac --release 17 -Xlint:all -Werror -encoding UTF-8 -cp "$PGJDBC" -d "$out/classes" @"$out/sources.txt"
    cp -r "$here/src/main/resources/." "$out/classes/"
    jar --create --file "$jar.tmp" -C "$out/classes" .
    mv "$jar.tmp" "$jar"
fi

[ "${1:-}" = "--test" ] || exit 0

fw_ensure_pkg /usr/share/java/junit-platform-console-standalone.jar junit5
JUNIT=/usr/share/java/junit-platform-console-standalone.jar
rm -rf "$out/test-classes" && mkdir -p "$out/test-classes"
find "$here/src/test/java" -name '*.java' >"$out/test-sources.txt"
javac --release 17 -encoding UTF-8 -cp "$jar:$PGJDBC:$JUNIT" -d "$out/test-classes" @"$out/test-sources.txt"
fw_log "JDBC driver tests (JUnit 5) against flinkwire on 127.0.0.1:${FLINKWIRE_JDBC_PORT:-5433}"
java -jar "$JUNIT" --disable-banner --details=tree --fail-if-no-tests \
    --class-path "$out/test-classes:$jar:$PGJDBC" --scan-class-path "$out/test-classes" --include-classname '^.*(Test|IT)$' \
    --reports-dir "$out/test-reports"
