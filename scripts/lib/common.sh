# Shared helpers for scripts/quickstart.sh and scripts/test.sh. Source it; do not run it.
# Everything binds to 127.0.0.1; nothing here needs a network but the package registries.

FW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export FW_ROOT
export FW_CACHE="${FW_CACHE:-$FW_ROOT/.cache}"

fw_log() { printf '\033[1m[flinkwire]\033[0m %s\n' "$*" >&2; }
fw_die() { printf '\033[1;31m[flinkwire] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Runs apt-get as root (directly or through sudo), refreshing the package lists once if needed.
fw_apt_install() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -q "$@" >/dev/null 2>&1 || {
        $sudo apt-get update -q >/dev/null 2>&1
        $sudo apt-get install -y -q "$@" >/dev/null || fw_die "apt-get install $* failed"
    }
}

# Installs a Debian package when the given command or file is missing.
fw_ensure_pkg() {
    local probe="$1" pkg="$2"
    if [[ "$probe" == /* ]]; then [ -e "$probe" ] && return 0; else command -v "$probe" >/dev/null && return 0; fi
    fw_log "installing $pkg"
    fw_apt_install "$pkg"
}

# The Rust toolchain is part of the machine; say so clearly when it is not.
fw_ensure_cargo() {
    command -v cargo >/dev/null || fw_die "cargo is missing: install Rust (https://rustup.rs) first"
}

# Python packages for the client tests, into the user's site (no virtualenv needed).
fw_ensure_pip() {
    local module="$1" spec="$2"
    python3 -c "import $module" 2>/dev/null && return 0
    fw_log "installing $spec from PyPI"
    python3 -m pip install -q "$spec" || fw_die "pip install $spec failed"
}

# Waits until a TCP port on 127.0.0.1 accepts connections.
fw_wait_port() {
    local port="$1" what="$2" tries="${3:-120}"
    for _ in $(seq "$tries"); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.5
    done
    fw_die "$what did not start listening on 127.0.0.1:$port"
}

# Starts the flinkwire binary in the background; pid in RUN_DIR/flinkwire.pid.
# A self-signed certificate for localhost / 127.0.0.1 in DIR (server.crt, server.key), made once
# and kept: clients can trust it with sslrootcert=DIR/server.crt (verify-full).
fw_make_certificate() {
    local dir="$1"
    [ -s "$dir/server.crt" ] && [ -s "$dir/server.key" ] && return 0
    fw_ensure_pkg openssl openssl
    mkdir -p "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
        -keyout "$dir/server.key" -out "$dir/server.crt" -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1 ||
        fw_die "openssl could not make a certificate in $dir"
    chmod 600 "$dir/server.key"
}

fw_start_flinkwire() {
    local run_dir="$1" port="$2" gateway_port="$3" config="${4:-}"
    local args=(serve --listen "127.0.0.1:$port" --gateway "http://127.0.0.1:$gateway_port")
    [ -n "$config" ] && args+=(--config "$config")
    "$FW_ROOT/target/${FW_PROFILE:-debug}/flinkwire" "${args[@]}" >"$run_dir/flinkwire.log" 2>&1 &
    echo $! >"$run_dir/flinkwire.pid"
    fw_wait_port "$port" "flinkwire" 60
}
