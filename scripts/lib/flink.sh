# Flink 2.3.0 session cluster + the flinkwire agent (a stand-in for the Flink SQL Gateway REST
# endpoint). Source it (after common.sh if you have it); do not run it. Every function is
# idempotent, quiet on success and dies with a clear message on failure; safe under set -euo pipefail.
#
#   fw_ensure_java                       javac >= 17, else Debian openjdk-17-jdk-headless
#   fw_ensure_flink                      Flink 2.3.0 jars from PyPI (apache-flink-libraries); exports FLINK_LIB
#   fw_build_agent                       agent/build/flinkwire-agent.jar (javac --release 17)
#   fw_start_flink RUN_DIR REST_PORT     JobManager + TaskManager on 127.0.0.1, waits for 1 TM;
#                                        $FW_FLINK_CONF_EXTRA: a YAML file of more settings
#   fw_start_agent RUN_DIR AGENT_PORT FLINK_REST_PORT
#   fw_stop_all RUN_DIR                  TERM (then KILL) every RUN_DIR/*.pid
#
# Everything binds to 127.0.0.1. Network: PyPI and Debian only.

FW_FLINK_VERSION="${FW_FLINK_VERSION:-2.3.0}"
if [ -z "${FW_ROOT:-}" ]; then
    FW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    export FW_ROOT
fi
export FW_CACHE="${FW_CACHE:-$FW_ROOT/.cache}"

declare -F fw_log >/dev/null || fw_log() { printf '[flinkwire] %s\n' "$*" >&2; }
declare -F fw_die >/dev/null || fw_die() { printf '[flinkwire] error: %s\n' "$*" >&2; exit 1; }

# JVM options Flink's own config.yaml sets for Java 17 (env.java.opts.all).
FW_JAVA_OPENS=(
    --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
    --add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED
    --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
    --add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED
    --add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED
    --add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED
    --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
    --add-opens=java.base/java.lang=ALL-UNNAMED
    --add-opens=java.base/java.net=ALL-UNNAMED
    --add-opens=java.base/java.io=ALL-UNNAMED
    --add-opens=java.base/java.nio=ALL-UNNAMED
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
    --add-opens=java.base/java.text=ALL-UNNAMED
    --add-opens=java.base/java.time=ALL-UNNAMED
    --add-opens=java.base/java.util=ALL-UNNAMED
    --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
    --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
    --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
)

# Major version of the javac on PATH (0 when there is none).
_fw_javac_major() {
    command -v javac >/dev/null 2>&1 || { echo 0; return 0; }
    local v
    v="$(javac -version 2>&1 | awk '/^javac/ {print $2; exit}')"
    v="${v%%.*}"
    [[ "$v" =~ ^[0-9]+$ ]] && echo "$v" || echo 0
}

fw_ensure_java() {
    [ "$(_fw_javac_major)" -ge 17 ] && return 0
    fw_log "installing openjdk-17-jdk-headless (javac >= 17 not found)"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -q openjdk-17-jdk-headless >/dev/null 2>&1 || {
        $sudo apt-get update -q >/dev/null 2>&1 || true
        $sudo apt-get install -y -q openjdk-17-jdk-headless >/dev/null ||
            fw_die "apt-get install openjdk-17-jdk-headless failed"
    }
    hash -r
    if [ "$(_fw_javac_major)" -lt 17 ] && [ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/javac ]; then
        export PATH="/usr/lib/jvm/java-17-openjdk-amd64/bin:$PATH"
        export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
    fi
    [ "$(_fw_javac_major)" -ge 17 ] || fw_die "javac >= 17 still not on PATH after installing openjdk-17-jdk-headless"
}

fw_ensure_flink() {
    local dest="$FW_CACHE/flink-$FW_FLINK_VERSION"
    export FLINK_HOME="$dest"
    export FLINK_LIB="$dest/lib"
    if [ -f "$dest/.complete" ] && [ -f "$FLINK_LIB/flink-dist-$FW_FLINK_VERSION.jar" ]; then
        return 0
    fi
    command -v python3 >/dev/null || fw_die "python3 is needed to download Flink from PyPI"
    python3 -m pip --version >/dev/null 2>&1 || fw_die "python3 -m pip is missing (install python3-pip)"
    local wheels="$FW_CACHE/wheels" whl
    mkdir -p "$wheels"
    whl="$(ls "$wheels"/apache_flink_libraries-"$FW_FLINK_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
    if [ -z "$whl" ]; then
        fw_log "downloading apache-flink-libraries==$FW_FLINK_VERSION from PyPI (~330 MB)"
        python3 -m pip download -q --no-deps -d "$wheels" "apache-flink-libraries==$FW_FLINK_VERSION" ||
            fw_die "pip download apache-flink-libraries==$FW_FLINK_VERSION failed"
        whl="$(ls "$wheels"/apache_flink_libraries-"$FW_FLINK_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
        [ -n "$whl" ] || fw_die "pip download left no apache_flink_libraries wheel in $wheels"
    fi
    local tmp="$dest.tmp.$$"
    rm -rf "$tmp" && mkdir -p "$tmp"
    # The wheel is a zip; python's zipfile avoids depending on unzip.
    python3 - "$whl" "$tmp" <<'PY' || { rm -rf "$tmp"; fw_die "could not unpack $whl"; }
import sys, zipfile, os, shutil
whl, out = sys.argv[1], sys.argv[2]
keep = ("pyflink/lib/", "pyflink/opt/", "pyflink/conf/", "pyflink/bin/bash-java-utils.jar")
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        if n.endswith("/") or not n.startswith(keep):
            continue
        target = os.path.join(out, n[len("pyflink/"):])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(n) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
PY
    [ -f "$tmp/lib/flink-dist-$FW_FLINK_VERSION.jar" ] || { rm -rf "$tmp"; fw_die "the wheel has no lib/flink-dist-$FW_FLINK_VERSION.jar"; }
    [ -f "$tmp/bin/bash-java-utils.jar" ] || { rm -rf "$tmp"; fw_die "the wheel has no bin/bash-java-utils.jar"; }
    touch "$tmp/.complete"
    rm -rf "$dest" && mv "$tmp" "$dest"
}

fw_build_agent() {
    [ -n "${FLINK_LIB:-}" ] || fw_ensure_flink
    local src="$FW_ROOT/agent/src" out="$FW_ROOT/agent/build" jar="$FW_ROOT/agent/build/flinkwire-agent.jar"
    [ -d "$src" ] || fw_die "no agent sources in $src"
    if [ -f "$jar" ] && [ -z "$(find "$src" -type f -newer "$jar" | head -n1)" ]; then
        return 0
    fi
    command -v javac >/dev/null || fw_ensure_java
    command -v jar >/dev/null || fw_die "the jar tool is missing (install openjdk-17-jdk-headless)"
    fw_log "building the agent"
    rm -rf "$out/classes" && mkdir -p "$out/classes"
    find "$src" -name '*.java' >"$out/sources.txt"
    javac --release 17 -nowarn -encoding UTF-8 -cp "$FLINK_LIB/*" -d "$out/classes" @"$out/sources.txt" >"$out/javac.log" 2>&1 ||
        { cat "$out/javac.log" >&2; fw_die "compiling the agent failed"; }
    if [ -d "$src/resources" ]; then cp -r "$src/resources/." "$out/classes/"; fi
    jar --create --file "$jar.tmp" -C "$out/classes" . || fw_die "jar failed"
    mv "$jar.tmp" "$jar"
}

# True when nothing listens on 127.0.0.1:PORT.
_fw_port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# First free port at or after $1.
_fw_free_port_from() {
    local p="$1"
    while ! _fw_port_free "$p"; do p=$((p + 1)); done
    echo "$p"
}

# TERM a pid file's process (then KILL), remove the file.
_fw_stop_pidfile() {
    local f="$1" pid
    [ -f "$f" ] || return 0
    pid="$(cat "$f" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
}

_fw_http_get() {
    python3 - "$1" <<'PY' 2>/dev/null
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=3) as r:
        sys.stdout.write(r.read().decode())
except Exception:
    sys.exit(1)
PY
}

# Writes a log4j2 configuration to FILE: INFO and up into ${sys:log.file}, plus the logger
# lines read from stdin (Flink's own per-logger levels).
_fw_write_log4j() { # FILE
    {
        printf '%s\n' 'monitorInterval = 0' 'rootLogger.level = INFO' 'rootLogger.appenderRef.file.ref = MainAppender'
        cat
        cat <<'EOF'
appender.main.name = MainAppender
appender.main.type = File
appender.main.append = false
appender.main.fileName = ${sys:log.file}
appender.main.layout.type = PatternLayout
appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
EOF
    } >"$1"
}

fw_start_flink() {
    local run_dir="${1:?usage: fw_start_flink RUN_DIR REST_PORT}" rest_port="${2:?usage: fw_start_flink RUN_DIR REST_PORT}"
    [ -n "${FLINK_LIB:-}" ] || fw_ensure_flink
    mkdir -p "$run_dir"
    run_dir="$(cd "$run_dir" && pwd)"
    if [ -f "$run_dir/jobmanager.pid" ] && kill -0 "$(cat "$run_dir/jobmanager.pid")" 2>/dev/null &&
        _fw_http_get "http://127.0.0.1:$rest_port/overview" | grep -q '"taskmanagers":[1-9]'; then
        return 0 # already running
    fi
    touch "$run_dir/taskmanager.stop"
    _fw_stop_pidfile "$run_dir/taskmanager.pid"
    _fw_stop_pidfile "$run_dir/taskmanager-jvm.pid"
    _fw_stop_pidfile "$run_dir/jobmanager.pid"
    _fw_port_free "$rest_port" || fw_die "port 127.0.0.1:$rest_port is already in use"
    local conf="$run_dir/flink-conf" rpc_port
    rpc_port="$(_fw_free_port_from $((rest_port + 10)))"
    mkdir -p "$conf" "$run_dir/tmp"
    cat >"$conf/config.yaml" <<EOF
jobmanager.rpc.address: localhost
jobmanager.rpc.port: $rpc_port
jobmanager.bind-host: localhost
jobmanager.memory.process.size: 1024m
taskmanager.host: localhost
taskmanager.bind-host: localhost
taskmanager.memory.process.size: 1728m
taskmanager.numberOfTaskSlots: 4
taskmanager.rpc.port: 0
taskmanager.data.port: 0
blob.server.port: 0
metrics.internal.query-service.port: 0
parallelism.default: 1
rest.address: localhost
rest.bind-address: localhost
rest.port: $rest_port
io.tmp.dirs: $run_dir/tmp
env.java.opts.all: ${FW_JAVA_OPENS[*]}
EOF
    # Settings of the caller's (a benchmark's variant, a deployment's tuning): a YAML file whose
    # keys are appended, so they must not repeat the keys above.
    if [ -n "${FW_FLINK_CONF_EXTRA:-}" ]; then
        [ -r "$FW_FLINK_CONF_EXTRA" ] || fw_die "FW_FLINK_CONF_EXTRA=$FW_FLINK_CONF_EXTRA is not a readable file"
        cat "$FW_FLINK_CONF_EXTRA" >>"$conf/config.yaml"
    fi
    _fw_write_log4j "$conf/log4j.properties" <<'EOF'
logger.pekko.name = org.apache.pekko
logger.pekko.level = INFO
logger.kafka.name = org.apache.kafka
logger.kafka.level = INFO
logger.netty.name = org.jboss.netty.channel.DefaultChannelPipeline
logger.netty.level = OFF
EOF
    local cp="$FLINK_LIB/*" out
    # Memory settings the way bin/jobmanager.sh and bin/taskmanager.sh compute them.
    _fw_resource_params() { # CMD -> two lines: JVM params, dynamic configs
        out="$(java -cp "$FLINK_HOME/bin/bash-java-utils.jar:$cp" org.apache.flink.runtime.util.bash.BashJavaUtils \
            "$1" --configDir "$conf" 2>&1)" || { echo "$out" >&2; fw_die "BashJavaUtils $1 failed"; }
        local res
        res="$(printf '%s\n' "$out" | grep '^BASH_JAVA_UTILS_EXEC_RESULT:' | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://')" || true
        [ "$(printf '%s\n' "$res" | grep -c .)" -ge 1 ] || { echo "$out" >&2; fw_die "BashJavaUtils $1 printed no result"; }
        printf '%s\n' "$res"
    }
    local jm_res tm_res jm_jvm jm_dyn tm_jvm tm_dyn
    jm_res="$(_fw_resource_params GET_JM_RESOURCE_PARAMS)"
    tm_res="$(_fw_resource_params GET_TM_RESOURCE_PARAMS)"
    jm_jvm="$(printf '%s\n' "$jm_res" | head -n1)"
    jm_dyn="$(printf '%s\n' "$jm_res" | sed -n 2p)"
    tm_jvm="$(printf '%s\n' "$tm_res" | head -n1)"
    tm_dyn="$(printf '%s\n' "$tm_res" | sed -n 2p)"
    local common=("${FW_JAVA_OPENS[@]}" -Djava.io.tmpdir="$run_dir/tmp" -Dlog4j.configurationFile="file:$conf/log4j.properties"
        -Dlog4j2.formatMsgNoLookups=true)
    # shellcheck disable=SC2086
    (cd "$run_dir" && exec java $jm_jvm "${common[@]}" -Dlog.file="$run_dir/jobmanager.log" -cp "$cp" \
        org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint --configDir "$conf" $jm_dyn \
        >"$run_dir/jobmanager.out" 2>&1 </dev/null) &
    echo $! >"$run_dir/jobmanager.pid"
    # The TaskManager is supervised: Flink 2.3.0 kills the whole TaskManager on a fatal error in a
    # task's exception handler (seen: a collect sink cancelled before it opened NPEs in close()),
    # and a cluster without TaskManagers hangs every later query. Restart it, as a real
    # deployment's supervisor (systemd, Kubernetes) would.
    rm -f "$run_dir/taskmanager.stop"
    # shellcheck disable=SC2086
    (cd "$run_dir" || exit 1
     while [ ! -f "$run_dir/taskmanager.stop" ]; do
         java $tm_jvm "${common[@]}" -Dlog.file="$run_dir/taskmanager.log" -cp "$cp" \
             org.apache.flink.runtime.taskexecutor.TaskManagerRunner --configDir "$conf" $tm_dyn \
             >>"$run_dir/taskmanager.out" 2>&1 </dev/null &
         echo $! >"$run_dir/taskmanager-jvm.pid"
         wait $! || true
         [ -f "$run_dir/taskmanager.stop" ] || { echo "[flinkwire] TaskManager exited; restarting" >>"$run_dir/taskmanager.out"; sleep 1; }
     done) &
    echo $! >"$run_dir/taskmanager.pid"
    local deadline=$((SECONDS + ${FW_FLINK_START_TIMEOUT:-90}))
    while [ $SECONDS -lt $deadline ]; do
        if _fw_http_get "http://127.0.0.1:$rest_port/overview" | grep -q '"taskmanagers":[1-9]'; then
            return 0
        fi
        kill -0 "$(cat "$run_dir/jobmanager.pid")" 2>/dev/null || { tail -n 30 "$run_dir/jobmanager.log" "$run_dir/jobmanager.out" >&2 2>/dev/null || true; fw_die "the Flink JobManager exited; logs in $run_dir"; }
        kill -0 "$(cat "$run_dir/taskmanager.pid")" 2>/dev/null || { tail -n 30 "$run_dir/taskmanager.log" "$run_dir/taskmanager.out" >&2 2>/dev/null || true; fw_die "the Flink TaskManager exited; logs in $run_dir"; }
        sleep 1
    done
    fw_die "Flink did not report a TaskManager at http://127.0.0.1:$rest_port/overview within ${FW_FLINK_START_TIMEOUT:-90}s; logs in $run_dir"
}

fw_start_agent() {
    local run_dir="${1:?usage: fw_start_agent RUN_DIR AGENT_PORT FLINK_REST_PORT}" port="${2:?agent port}" flink_port="${3:?flink rest port}"
    [ -n "${FLINK_LIB:-}" ] || fw_ensure_flink
    local jar="$FW_ROOT/agent/build/flinkwire-agent.jar"
    [ -f "$jar" ] || fw_build_agent
    mkdir -p "$run_dir"
    run_dir="$(cd "$run_dir" && pwd)"
    if [ -f "$run_dir/agent.pid" ] && kill -0 "$(cat "$run_dir/agent.pid")" 2>/dev/null &&
        _fw_http_get "http://127.0.0.1:$port/api_versions" >/dev/null; then
        return 0
    fi
    _fw_stop_pidfile "$run_dir/agent.pid"
    _fw_port_free "$port" || fw_die "port 127.0.0.1:$port is already in use"
    mkdir -p "$run_dir/agent-tmp"
    _fw_write_log4j "$run_dir/agent-log4j.properties" </dev/null
    local conf_args=()
    [ -f "$run_dir/flink-conf/config.yaml" ] && conf_args=(--flink-conf-dir "$run_dir/flink-conf")
    (cd "$run_dir" && exec java -Xmx${FW_AGENT_HEAP:-1g} "${FW_JAVA_OPENS[@]}" -Djava.io.tmpdir="$run_dir/agent-tmp" \
        -Dlog4j.configurationFile="file:$run_dir/agent-log4j.properties" -Dlog.file="$run_dir/agent-flink.log" \
        -cp "$jar:$FLINK_LIB/*" io.flinkwire.agent.Agent \
        --port "$port" --flink-rest-address 127.0.0.1 --flink-rest-port "$flink_port" "${conf_args[@]}" \
        >"$run_dir/agent.log" 2>&1 </dev/null) &
    echo $! >"$run_dir/agent.pid"
    local deadline=$((SECONDS + ${FW_AGENT_START_TIMEOUT:-60}))
    while [ $SECONDS -lt $deadline ]; do
        _fw_http_get "http://127.0.0.1:$port/api_versions" >/dev/null && return 0
        kill -0 "$(cat "$run_dir/agent.pid")" 2>/dev/null || { tail -n 30 "$run_dir/agent.log" >&2 || true; fw_die "the agent exited; log in $run_dir/agent.log"; }
        sleep 0.5
    done
    fw_die "the agent did not answer on http://127.0.0.1:$port/api_versions; log in $run_dir/agent.log"
}

fw_stop_all() {
    local run_dir="${1:?usage: fw_stop_all RUN_DIR}" f
    [ -d "$run_dir" ] || return 0
    # The agent first (it cancels its jobs on the cluster), then the TaskManager (its supervisor
    # first, so it does not restart it), then the JobManager.
    touch "$run_dir/taskmanager.stop"
    for f in "$run_dir/agent.pid" "$run_dir/taskmanager.pid" "$run_dir/taskmanager-jvm.pid" "$run_dir/jobmanager.pid" "$run_dir"/*.pid; do
        [ -f "$f" ] && _fw_stop_pidfile "$f"
    done
    return 0
}
