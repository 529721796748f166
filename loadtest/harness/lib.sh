# shellcheck shell=bash
# Shell helpers of loadtest/run.sh (sourced, not run): free ports, process bookkeeping, /proc readings, nginx
# configurations, waiting. Everything a function starts is recorded in STARTED so that stop_all can end it.

STARTED=()          # "pid name" of every long-running process started, in start order
TICK=$(getconf CLK_TCK)   # clock ticks per second, the unit of /proc/PID/stat times
export TICK

say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "run.sh: $*"; exit 1; }

# trim TEXT: without leading and trailing blanks.
trim() { local v="$*"; v="${v#"${v%%[![:space:]]*}"}"; echo "${v%"${v##*[![:space:]]}"}"; }

# wrk_ms VALUE: one of wrk's latencies (850.00us, 1.23ms, 1.20s) in milliseconds.
wrk_ms() {
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/) n *= 1000; else if (v ~ /m$/) n *= 60000; if (v != "") printf "%.3f", n }'
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# started PID NAME: remember a process for stop_all.
started() { STARTED+=("$1 $2"); }

# Stops everything started, newest first: SIGTERM, then SIGKILL after a few seconds. Only our own PIDs.
stop_all() {
    local i pid name deadline
    for (( i=${#STARTED[@]}-1; i>=0; i-- )); do
        read -r pid name <<<"${STARTED[$i]}"
        kill -TERM "$pid" 2>/dev/null || true
    done
    deadline=$(( SECONDS + 15 ))
    for (( i=${#STARTED[@]}-1; i>=0; i-- )); do
        read -r pid name <<<"${STARTED[$i]}"
        while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            say "$name ($pid) did not stop on SIGTERM; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    STARTED=()
}

# children PID: direct child PIDs (nginx workers of a master).
children() {
    if [ -r "/proc/$1/task/$1/children" ]; then
        cat "/proc/$1/task/$1/children"
    else
        pgrep -P "$1" | tr '\n' ' '
    fi
}

# cpu_ticks PID...: user + system clock ticks used so far by these processes (all their threads).
cpu_ticks() {
    local p total=0 t
    for p in "$@"; do
        t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null) || t=0
        total=$(( total + ${t:-0} ))
    done
    echo "$total"
}

# ctx_switches PID...: voluntary + involuntary context switches so far, summed over every live thread.
ctx_switches() {
    local p files=()
    for p in "$@"; do files+=("/proc/$p/task/"*/status); done
    awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { s += $2 } END { print s + 0 }' "${files[@]}" 2>/dev/null || echo 0
}

# peak_rss_kb PID...: summed peak resident set size (VmHWM) in kB.
peak_rss_kb() {
    local p total=0 v
    for p in "$@"; do
        v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || v=0
        total=$(( total + ${v:-0} ))
    done
    echo "$total"
}

# machine_busy_ticks: clock ticks all CPUs spent busy (user, nice, system, irq, softirq, steal) since boot.
machine_busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# wait_http URL EXPECTED_BODY_OR_STATUS SECONDS PID LOG: polls until the URL answers; fails early if PID died.
wait_http() {
    local url=$1 want=$2 limit=$3 pid=$4 log=$5 got deadline=$(( SECONDS + $3 ))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if [ "$want" -eq "$want" ] 2>/dev/null; then
            got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null || true)
        else
            got=$(curl -s --max-time 2 "$url" 2>/dev/null || true)
        fi
        [ "$got" = "$want" ] && return 0
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            say "process $pid exited while waiting for $url; its log:"
            tail -n 40 "$log" >&2 || true
            return 1
        fi
        sleep 0.3
    done
    say "timed out after ${limit}s waiting for $url to answer $want (last: '${got:-}')"
    [ -n "$log" ] && tail -n 40 "$log" >&2
    return 1
}

# nginx_common DIR: the lines every generated nginx configuration shares (all state under DIR).
nginx_common() {
    cat <<EOF
daemon off;
master_process on;
pid $1/nginx.pid;
error_log $1/error.log warn;
EOF
}

nginx_http_common() {
    cat <<EOF
    access_log off;
    server_tokens off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path $1/client_body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
EOF
}

# nginx_backend_conf DIR PORT: one worker answering 200 "ok\n" to everything, but a path ending in /4k or /1m, which
# gets a body of that size (DIR/4k.bin, DIR/1m.bin, written by the caller).
nginx_backend_conf() {
    cat <<EOF
$(nginx_common "$1")
worker_processes 1;
events { worker_connections 4096; }
http {
$(nginx_http_common "$1")
    server {
        listen 127.0.0.1:$2 backlog=4096;
        location / { default_type text/plain; return 200 "ok\n"; }
        location ~ /4k/?\$ { default_type application/octet-stream; root $1; try_files /4k.bin =404; }
        location ~ /1m/?\$ { default_type application/octet-stream; root $1; try_files /1m.bin =404; }
    }
}
EOF
}

# nginx_proxy_conf DIR PORT WORKERS PATH BACKEND_PORT...: reverse proxy of PATH to the backends, round-robin, pooled
# upstream keep-alive, the same X-Forwarded-* headers the gateway adds. With NGINX_TLS_PORT, TLS_CERT and TLS_KEY_FILE
# set, also HTTPS on that port (TLS 1.2 and 1.3, as the gateway).
nginx_proxy_conf() {
    local dir=$1 port=$2 workers=$3 path=$4 p servers="" tls=""
    shift 4
    for p in "$@"; do servers+="        server 127.0.0.1:$p;"$'\n'; done
    if [ -n "${NGINX_TLS_PORT:-}" ]; then
        tls="        listen 127.0.0.1:$NGINX_TLS_PORT ssl backlog=4096;
        ssl_certificate $TLS_CERT;
        ssl_certificate_key $TLS_KEY_FILE;
        ssl_protocols TLSv1.2 TLSv1.3;"
    fi
    cat <<EOF
$(nginx_common "$dir")
worker_processes $workers;
events { worker_connections 4096; }
http {
$(nginx_http_common "$dir")
    upstream backends {
$servers        keepalive 128;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$port backlog=4096;
$tls
        location $path/ {
            proxy_pass http://backends/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-Host \$host;
        }
    }
}
EOF
}

# start_nginx NAME CONF_TEXT DIR: writes the configuration, starts nginx in the foreground; its PID in LAST_PID.
start_nginx() {
    local name=$1 conf=$2 dir=$3
    mkdir -p "$dir"
    printf '%s\n' "$conf" > "$dir/nginx.conf"
    "$NGINX" -t -q -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" > "$dir/stdout.log" 2>&1 \
        || { cat "$dir/stdout.log" "$dir/error.log" >&2 2>/dev/null; die "nginx configuration $name refused"; }
    "$NGINX" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >> "$dir/stdout.log" 2>&1 &
    LAST_PID=$!
    started "$LAST_PID" "$name"
}
