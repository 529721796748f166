#!/usr/bin/env bash
# ApacheBench harness: zkgate next to nginx and next to its backends, on this machine, in one run.
#
# Starts, all on 127.0.0.1 with free ports and state in a temporary directory:
#   - BACKENDS fast backends answering "ok" (nginx, one worker each; a small Jetty backend when nginx is missing),
#     each registered as service "bench" by its own registry agent;
#   - a gateway with the embedded ZooKeeper (control plane only, never measured), then the measured gateways from
#     the gateway jar through bin/zkgate-gateway (the launcher's JVM flags, plus ZKGATE_JAVA_OPTS), connected to it;
#   - routes and the header-injection Lua script written with zkgate-ctl;
#   - nginx as a reference reverse proxy to the same backends (upstream keep-alive), when nginx is installed.
# Then runs ApacheBench in interleaved rounds (each round runs every scenario once, the order rotating) and writes
# loadtest/results/<timestamp>.md (+ .png chart, .tsv raw rows), copied to latest.md / latest.png.
# Everything it started is stopped on exit. Default run: about 7 minutes on 2 cores.
#
#   loadtest/run.sh                                  # the report (scenarios below)
#   ROUNDS=3 DURATION=3 loadtest/run.sh              # quicker, noisier
#   JAVA_HOME=/path/to/jdk loadtest/run.sh           # another JDK for the gateways
#   ZKGATE_JAVA_OPTS="-XX:-UseSerialGC -XX:+UseG1GC" loadtest/run.sh   # JVM flags added to the launcher's
#   VARIANTS=loadtest/harness/variants/gc.txt loadtest/run.sh          # compare gateway configurations (tuning)
#   VARIANT_CLOSE=1 VARIANTS=...                     # each variant also without keep-alive (a connection per request)
#   TLS=1 loadtest/run.sh                            # HTTPS through zkgate and nginx with one certificate (wrk)
#   TLS=1 TLS_PROVIDERS="jdk conscrypt" loadtest/run.sh   # the same, the loop engine on each TLS provider
#   LIMITS=1 loadtest/run.sh                         # rate limit and concurrency cap overhead, same route without
#
# Settings (environment): ROUNDS (5), DURATION seconds per run (5), CONCURRENCY (50), MAX_REQUESTS per keep-alive
# run (1000000), MAX_CLOSE_REQUESTS per run without keep-alive (30000), WARMUP seconds of load per gateway JVM
# before the rounds (24; 90 with TLS=1), BACKENDS (2), NGINX_WORKERS for the reference proxy (auto), TIME_BUDGET seconds after which no new
# round starts (540; counted after a build of the jars), TRAFFIC=1 (the traffic-policy plan: a header-match route, a regex one and a weighted split, each
# against the same route without it, on one gateway), ENGINES=1 (the engines plan: --engine loop and servlet against nginx with small, 4 KiB and 1 MiB
# responses and without keep-alive), SCENARIOS (space-separated names to keep, default all), GATEWAY_FLAGS (extra gateway flags
# for every measured gateway), RESULTS directory (loadtest/results), LABEL (a word for the report title),
# PROFILE (jfr, or async for async-profiler from Maven Central) with PROFILE_TARGET (a gateway; default the first)
# and PROFILE_EVENT (cpu, default, or alloc),
# USE_NGINX=0 (Jetty backends and no nginx scenarios even when nginx is installed), TLS=1 (the TLS plan: --engine loop
# and servlet against nginx, all three with the same certificate: HTTPS keep-alive and a TLS handshake per request
# with wrk, plaintext keep-alive with ab beside them; TLS_KEY=ec (P-256, default) or rsa (2048 bits); TLS_PROVIDERS=
# "jdk conscrypt" runs the loop engine once per --tls-provider, as zkgate-loop-jdk and zkgate-loop-conscrypt).
# Needs: java 17+, curl, python3, ab (Debian: apt-get install apache2-utils); TLS=1 also nginx, openssl and wrk
# (Debian: apt-get install nginx-light openssl wrk); optional: nginx, gnuplot; LIMITS=1 (the limits plan: one route
# plain, with a rate limit that never refuses, with a concurrency cap never reached, and with both).
# EDGE=1 (the edge plan, one gateway: one route plain twice, with request ids and with CORS, every request with an
# Origin header).
# (Debian: apt-get install nginx-light gnuplot-nox). Exit: 0 done, 1 failed or a tool missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=loadtest/harness/lib.sh
. loadtest/harness/lib.sh

# The command as given, for the report: the settings set in the environment, then the script (a JDK by version).
COMMAND=""
for var in ROUNDS DURATION CONCURRENCY MAX_REQUESTS MAX_CLOSE_REQUESTS WARMUP BACKENDS NGINX_WORKERS TIME_BUDGET \
        PROFILE PROFILE_EVENT SCENARIOS GATEWAY_FLAGS LABEL VARIANTS VARIANT_CLOSE ZKGATE_JAVA_OPTS TLS TLS_KEY TLS_PROVIDERS LIMITS TRAFFIC EDGE; do
    [ -n "${!var:-}" ] && COMMAND+="$var=$(printf '%q' "${!var}") "
done
[ -n "${JAVA_HOME:-}" ] && COMMAND+="JAVA_HOME=<JDK $("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 \
    | awk -F' = ' '/java.specification.version/ { print $2 }')> "
COMMAND+="loadtest/run.sh"
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
CONCURRENCY=${CONCURRENCY:-50}
MAX_REQUESTS=${MAX_REQUESTS:-1000000}
MAX_CLOSE_REQUESTS=${MAX_CLOSE_REQUESTS:-30000}
# The TLS plan warms longer: a handshake per request reaches the JIT's late compilations only after about 50 s.
if [ "${TLS:-}" = 1 ]; then WARMUP=${WARMUP:-90}; else WARMUP=${WARMUP:-24}; fi
BACKENDS=${BACKENDS:-2}
NGINX_WORKERS=${NGINX_WORKERS:-auto}
TIME_BUDGET=${TIME_BUDGET:-540}
SCENARIOS=${SCENARIOS:-}
GATEWAY_FLAGS=${GATEWAY_FLAGS:-}
RESULTS=${RESULTS:-loadtest/results}
LABEL=${LABEL:-}
VARIANTS=${VARIANTS:-}
PROFILE=${PROFILE:-}
USER_JAVA_OPTS=${ZKGATE_JAVA_OPTS:-}
unset ZKGATE_JAVA_OPTS

# ---- tools --------------------------------------------------------------------------------------------------------
JAVA=java
[ -n "${JAVA_HOME:-}" ] && JAVA="$JAVA_HOME/bin/java"
for tool in "$JAVA" curl python3 awk; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
if ! command -v ab >/dev/null; then
    say "run.sh: ApacheBench (ab) is not installed; on Debian or Ubuntu: apt-get install apache2-utils"
    exit 1
fi
NGINX=$(command -v nginx || true)
[ -z "$NGINX" ] && [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx
[ "${USE_NGINX:-1}" = 0 ] && NGINX=""
if [ -z "$NGINX" ] && [ "${USE_NGINX:-1}" = 0 ]; then
    say "USE_NGINX=0: Jetty backends, no nginx reference"
elif [ -z "$NGINX" ]; then
    say "nginx not installed (apt-get install nginx-light): Jetty backends, no nginx reference"
fi
GNUPLOT=$(command -v gnuplot || true)
[ -z "$GNUPLOT" ] && say "gnuplot not installed (apt-get install gnuplot-nox): the report will have no chart"

GATEWAY_JAR=gateway/target/zkgate-gateway.jar
AGENT_JAR=registry-agent/target/zkgate-agent.jar
CTL_JAR=zk-schema/target/zkgate-ctl.jar
if [ ! -f "$GATEWAY_JAR" ] || [ ! -f "$AGENT_JAR" ] || [ ! -f "$CTL_JAR" ]; then
    command -v mvn >/dev/null || die "the jars are missing and mvn is not installed to build them"
    say "building the jars (mvn -B -q package -DskipTests)"
    mvn -B -q package -DskipTests >&2 || die "the build failed"
fi
BUDGET_FROM=$SECONDS # the time budget counts from here: a build of the jars does not cost rounds

WORK=$(mktemp -d "${TMPDIR:-/tmp}/zkgate-loadtest.XXXXXX")
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_all
    if [ "${KEEP_WORK:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- backends -----------------------------------------------------------------------------------------------------
BACKEND_PORTS=()
BACKEND_PIDS=()
for i in $(seq 1 "$BACKENDS"); do
    port=$(free_port)
    if [ -n "$NGINX" ]; then
        mkdir -p "$WORK/backend-$i"
        chmod 755 "$WORK" "$WORK/backend-$i"   # nginx workers may run as another user and must read the bodies
        head -c 4096 /dev/zero | tr '\0' 'k' > "$WORK/backend-$i/4k.bin"
        head -c 1048576 /dev/zero | tr '\0' 'm' > "$WORK/backend-$i/1m.bin"
        start_nginx "backend-$i" "$(nginx_backend_conf "$WORK/backend-$i" "$port")" "$WORK/backend-$i"
    else
        mkdir -p "$WORK/backend-$i"
        "$JAVA" -Xmx64m -XX:+UseSerialGC -cp "$GATEWAY_JAR" loadtest/harness/Backend.java "$port" \
            > "$WORK/backend-$i/stdout.log" 2>&1 &
        LAST_PID=$!
        started "$LAST_PID" "backend-$i"
    fi
    BACKEND_PORTS+=("$port")
    BACKEND_PIDS+=("$LAST_PID")
done
for i in "${!BACKEND_PORTS[@]}"; do
    wait_http "http://127.0.0.1:${BACKEND_PORTS[$i]}/" $'ok' 60 "${BACKEND_PIDS[$i]}" \
        "$WORK/backend-$((i + 1))/stdout.log" || die "backend $((i + 1)) did not start"
done
say "backends on ports ${BACKEND_PORTS[*]} ($([ -n "$NGINX" ] && echo nginx || echo Jetty))"

# ---- ZooKeeper (embedded in a gateway that only hosts it) ---------------------------------------------------------
ZK_PORT=$(free_port)
ZK_HOST_PORT=$(free_port)
ZK_HOST_ADMIN=$(free_port)
mkdir -p "$WORK/zk"
ZKGATE_JAVA_OPTS="" bin/zkgate-gateway --host 127.0.0.1 --port "$ZK_HOST_PORT" --admin-port "$ZK_HOST_ADMIN" \
    --embedded-zk-port "$ZK_PORT" --data-dir "$WORK/zk/data" --zkgate-root /zkgate-zkhost \
    --shutdown-timeout-ms 1000 > "$WORK/zk/gateway.log" 2>&1 &
ZK_PID=$!
started "$ZK_PID" "zookeeper-host"
wait_http "http://127.0.0.1:$ZK_HOST_ADMIN/ready" 200 90 "$ZK_PID" "$WORK/zk/gateway.log" \
    || die "the gateway hosting ZooKeeper did not become ready"
ZK="127.0.0.1:$ZK_PORT"
say "embedded ZooKeeper on $ZK"

ctl() { "$JAVA" -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$CTL_JAR" --zk "$ZK" "$@"; }

# ---- gateways and scenarios ---------------------------------------------------------------------------------------
# A gateway: NAME ROOT JAVA_HOME JAVA_OPTS FLAGS. A scenario: NAME TARGET KEEPALIVE(k|close) PATH [ab -H header].
GATEWAYS=()
SCENARIO_LINES=()
gateway() { GATEWAYS+=("$1|$2|$3|$4|$5"); }
scenario() { SCENARIO_LINES+=("$1|$2|$3|$4|${5:-}"); }

declare -A TLS_PORT=()
if [ "${TLS:-0}" = 1 ]; then
    # HTTPS keep-alive and a TLS handshake per request (wrk, which speaks TLS; ab's TLS is single-threaded), through
    # both engines and through nginx, one certificate for all three; plaintext keep-alive (ab) beside them.
    PLAN=tls
    [ -n "$NGINX" ] || die "TLS=1 needs nginx (apt-get install nginx-light)"
    for tool in wrk openssl; do
        command -v "$tool" >/dev/null || die "TLS=1 needs $tool (Debian: apt-get install $tool)"
    done
    mkdir -p "$WORK/tls"
    if [ "${TLS_KEY:-ec}" = rsa ]; then key_args=(-newkey rsa:2048); else key_args=(-newkey ec -pkeyopt ec_paramgen_curve:P-256); fi
    openssl req -x509 "${key_args[@]}" -nodes -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" -days 2 \
        -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2> "$WORK/tls/openssl.log" \
        || { cat "$WORK/tls/openssl.log" >&2; die "openssl could not make the certificate"; }
    TLS_CERT=$WORK/tls/cert.pem
    TLS_KEY_FILE=$WORK/tls/key.pem
    NGINX_TLS_PORT=$(free_port)
    TLS_PORT[nginx]=$NGINX_TLS_PORT
    # TLS_PROVIDERS="jdk conscrypt": the loop engine once per TLS provider (zkgate-loop-jdk, zkgate-loop-conscrypt),
    # in the same rounds, instead of once on the default provider.
    tls_targets=(nginx)
    for engine in loop servlet; do
        variants=("")
        [ "$engine" = loop ] && [ -n "${TLS_PROVIDERS:-}" ] && read -r -a variants <<<"$TLS_PROVIDERS"
        for provider in "${variants[@]}"; do
            name=zkgate-$engine${provider:+-$provider}
            case "$provider" in ""|auto|jdk|conscrypt) ;; *) die "TLS_PROVIDERS: '$provider' (expected: auto, jdk, conscrypt)" ;; esac
            TLS_PORT[$name]=$(free_port)
            gateway "$name" /zkgate "" "" "--engine $engine --tls-port ${TLS_PORT[$name]} --tls-cert $TLS_CERT \
--tls-key $TLS_KEY_FILE${provider:+ --tls-provider $provider}"
            tls_targets+=("$name")
        done
    done
    for target in "${tls_targets[@]}"; do
        scenario "$target-ka" "$target" k /one
        scenario "$target-tls" "$target" tls-k /one
        scenario "$target-handshake" "$target" tls-close /one
    done
elif [ "${ENGINES:-0}" = 1 ]; then
    # The two data paths against nginx, same rounds: small, 4 KiB and 1 MiB responses with keep-alive, and a
    # connection per request. Needs nginx (the bodies come from the nginx backends).
    PLAN=engines
    [ -n "$NGINX" ] || die "ENGINES=1 needs nginx (apt-get install nginx-light)"
    gateway zkgate-loop /zkgate "" "" "--engine loop"
    gateway zkgate-servlet /zkgate "" "" "--engine servlet"
    for kind in ka 4k 1m; do
        sub=""; [ "$kind" != ka ] && sub="/$kind"
        scenario "direct-$kind" direct k "$sub"
        scenario "nginx-$kind" nginx k "/one$sub"
        scenario "zkgate-loop-$kind" zkgate-loop k "/one$sub"
        scenario "zkgate-servlet-$kind" zkgate-servlet k "/one$sub"
    done
    scenario direct-close direct close ""
    scenario nginx-close nginx close /one
    scenario zkgate-loop-close zkgate-loop close /one
    scenario zkgate-servlet-close zkgate-servlet close /one
elif [ "${TRAFFIC:-0}" = 1 ]; then
    # Traffic policy overhead: each feature against the same route without it, on one gateway, same rounds, every
    # request carrying the same header. /hdr and /hdrre: a route with a header condition (exact; regex) beside a
    # default route at the same prefix, requested so the condition holds; /split: a 95/5 split over services bench
    # and bench-b (an extra registration of the first backend). Compare each with /plain (the one-service route).
    PLAN=traffic
    gateway zkgate-traffic /zkgate-traffic "" "" ""
    scenario direct-ka direct k /one
    [ -n "$NGINX" ] && scenario nginx-ka nginx k /one
    scenario traffic-plain-ka zkgate-traffic k /plain "X-Env: canary-42"
    scenario traffic-header-ka zkgate-traffic k /hdr "X-Env: canary-42"
    scenario traffic-regex-ka zkgate-traffic k /hdrre "X-Env: canary-42"
    scenario traffic-split-ka zkgate-traffic k /split "X-Env: canary-42"
elif [ "${LIMITS:-0}" = 1 ]; then
    # Traffic limits' overhead, same rounds, one gateway JVM: the same route plain, with a rate limit that never
    # refuses (per client address, so each request looks up its key's bucket), with a concurrency cap it never
    # reaches, and with both. Compare each with zkgate-plain-ka: req/s and CPU µs/req.
    PLAN=limits
    gateway zkgate-limits /zkgate-limits "" "" ""
    scenario direct-ka direct k /one
    [ -n "$NGINX" ] && scenario nginx-ka nginx k /one
    scenario zkgate-plain-ka zkgate-limits k /plain
    scenario zkgate-ratelimit-ka zkgate-limits k /ratelimit
    scenario zkgate-cap-ka zkgate-limits k /cap
    scenario zkgate-ratelimit-cap-ka zkgate-limits k /both
elif [ "${EDGE:-0}" = 1 ]; then
    # Overhead of the edge features, same rounds, in one gateway (no JVM-to-JVM spread between the routes compared),
    # every request sending an Origin that the CORS route allows: the baseline /one (no CORS, "requestIds": false),
    # /base2 the same again (the noise floor), /ids the same with request ids (the gateway's default), /cors the
    # baseline with CORS.
    PLAN=edge
    gateway zkgate-edge /zkgate-edge "" "" ""
    scenario direct-ka direct k /one
    [ -n "$NGINX" ] && scenario nginx-ka nginx k /one
    scenario edge-base-ka zkgate-edge k /one "Origin: https://app.example.com"
    scenario edge-base2-ka zkgate-edge k /base2 "Origin: https://app.example.com"
    scenario edge-ids-ka zkgate-edge k /ids "Origin: https://app.example.com"
    scenario edge-cors-ka zkgate-edge k /cors "Origin: https://app.example.com"
elif [ -z "$VARIANTS" ]; then
    PLAN=report
    gateway zkgate /zkgate "" "" ""
    gateway zkgate-nometrics /zkgate "" "" "--metrics=false"
    gateway zkgate-t5 /zkgate-t5 "" "" ""
    gateway zkgate-t20 /zkgate-t20 "" "" ""
    scenario direct-ka direct k /one
    [ -n "$NGINX" ] && scenario nginx-ka nginx k /one
    scenario zkgate-ka zkgate k /one
    scenario zkgate-nometrics-ka zkgate-nometrics k /one
    scenario zkgate-5routes-ka zkgate-t5 k /r03
    scenario zkgate-20routes-ka zkgate-t20 k /r20
    scenario zkgate-hash-ka zkgate-t5 k /hash "X-User-Id: 4242"
    [ -f config/examples/scripts/header-injection.lua ] && scenario zkgate-lua-ka zkgate-t5 k /lua
    scenario direct-close direct close /one
    [ -n "$NGINX" ] && scenario nginx-close nginx close /one
    scenario zkgate-close zkgate close /one
else
    # Tuning: one gateway per line of the VARIANTS file, "name | JDK | JVM options | gateway flags", all on the
    # one-route table, next to the backends and nginx. JDK: "-" for the default, or $VARIABLE naming an environment
    # variable that holds a JDK's home. JVM options are added after the launcher's. Gateway flags "probe: KNOBS"
    # start harness/TuningProbe.java (the gateway's proxy path with Jetty knobs) with the launcher's JVM flags;
    # "jar: $VARIABLE [flags]" runs the gateway jar that environment variable names (another build, to compare);
    # "bare: --mode M" starts harness/BareProxy.java, a bare Jetty proxy without zkgate (M: async-servlet, servlet,
    # core).
    PLAN=variants
    [ -f "$VARIANTS" ] || die "VARIANTS file $VARIANTS not found"
    scenario direct-ka direct k /one
    [ -n "$NGINX" ] && scenario nginx-ka nginx k /one
    while IFS='|' read -r name jhome opts flags; do
        name=$(trim "$name")
        [ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
        jhome=$(trim "$jhome"); opts=$(trim "$opts"); flags=$(trim "$flags")
        [ "$jhome" = "-" ] && jhome=""
        if [ "${jhome:0:1}" = '$' ]; then   # a JDK named by an environment variable, e.g. $JDK25
            var=${jhome:1}
            jhome=${!var:-}
            if [ -z "$jhome" ] || [ ! -x "$jhome/bin/java" ]; then
                say "variant $name skipped: set $var to a JDK's home directory"
                continue
            fi
        fi
        gateway "$name" /zkgate "$jhome" "$opts" "$flags"
        scenario "$name" "$name" k /one
        [ "${VARIANT_CLOSE:-0}" = 1 ] && scenario "$name-close" "$name" close /one
    done < "$VARIANTS"
fi
if [ -n "$SCENARIOS" ]; then
    kept=()
    for line in "${SCENARIO_LINES[@]}"; do
        [[ " $SCENARIOS " == *" ${line%%|*} "* ]] && kept+=("$line")
    done
    SCENARIO_LINES=("${kept[@]}")
    [ "${#SCENARIO_LINES[@]}" -gt 0 ] || die "SCENARIOS='$SCENARIOS' keeps no scenario"
    kept=()
    for g in "${GATEWAYS[@]}"; do   # start only the gateways a kept scenario uses
        for line in "${SCENARIO_LINES[@]}"; do
            IFS='|' read -r _ target _ <<<"$line"
            if [ "$target" = "${g%%|*}" ]; then kept+=("$g"); break; fi
        done
    done
    GATEWAYS=("${kept[@]}")
fi

# ---- routes -------------------------------------------------------------------------------------------------------
route() { # ID PREFIX [extra JSON fields]
    printf '{"id":"%s","match":{"pathPrefix":"%s"},"service":"bench","stripPrefix":true%s}' "$1" "$2" "${3:-}"
}
mkdir -p "$WORK/routes"
echo "[$(route one /one)]" > "$WORK/routes/zkgate.json"
{
    echo "[$(route r01 /r01),$(route r02 /r02),$(route r03 /r03),"
    echo " $(route hash /hash ',"lb":{"policy":"consistent_hash","hashKey":"header:X-User-Id"}'),"
    if [ -f config/examples/scripts/header-injection.lua ]; then
        echo " $(route lua /lua ',"script":"header-injection"')]"
    else
        echo " $(route r04 /r04)]"
    fi
} > "$WORK/routes/zkgate-t5.json"
{
    echo "[$(route one /one ',"requestIds":false'),$(route base2 /base2 ',"requestIds":false'),$(route ids /ids),"
    echo " $(route cors /cors ',"requestIds":false,"cors":{"allowOrigins":["https://app.example.com","https://*.example.org"],"allowHeaders":["Content-Type"],"exposeHeaders":["X-Request-Id"],"allowCredentials":true,"maxAgeSeconds":600}')]"
} > "$WORK/routes/zkgate-edge.json"
{
    printf '['
    for i in $(seq -w 1 20); do printf '%s%s' "$([ "$i" = 01 ] || echo ,)" "$(route "r$i" "/r$i")"; done
    printf ']\n'
} > "$WORK/routes/zkgate-t20.json"
{
    echo "[$(route plain /plain),"
    echo " $(route hdr-default /hdr),"
    echo " $(printf '{"id":"hdr","match":{"pathPrefix":"/hdr","headers":[{"name":"X-Env","exact":"canary-42"}]},"service":"bench","stripPrefix":true}'),"
    echo " $(route hdrre-default /hdrre),"
    echo " $(printf '{"id":"hdrre","match":{"pathPrefix":"/hdrre","headers":[{"name":"X-Env","regex":"^canary-[0-9]+$"}]},"service":"bench","stripPrefix":true}'),"
    echo " $(printf '{"id":"split","match":{"pathPrefix":"/split"},"backends":[{"service":"bench","weight":95},{"service":"bench-b","weight":5}],"stripPrefix":true}')]"
} > "$WORK/routes/zkgate-traffic.json"
{
    echo "[$(route plain /plain),"
    echo " $(route ratelimit /ratelimit ',"rateLimit":{"requestsPerSecond":1000000,"burst":1000000,"key":"client_ip"}'),"
    echo " $(route cap /cap ',"maxInFlight":100000'),"
    echo " $(route both /both ',"rateLimit":{"requestsPerSecond":1000000,"burst":1000000,"key":"client_ip"},"maxInFlight":100000')]"
} > "$WORK/routes/zkgate-limits.json"
declare -A ROOT_DONE=()
for g in "${GATEWAYS[@]}"; do
    IFS='|' read -r name root _ <<<"$g"
    [ -n "${ROOT_DONE[$root]:-}" ] && continue
    ROOT_DONE[$root]=1
    file="$WORK/routes/${root#/}.json"
    ctl --zkgate-root "$root" init > "$WORK/routes/ctl.log" 2>&1 || { cat "$WORK/routes/ctl.log" >&2; die "zkgate-ctl init failed"; }
    if grep -q '"script":"header-injection"' "$file"; then
        ctl --zkgate-root "$root" scripts put header-injection config/examples/scripts/header-injection.lua \
            >> "$WORK/routes/ctl.log" 2>&1 || { cat "$WORK/routes/ctl.log" >&2; die "zkgate-ctl scripts put failed"; }
    fi
    ctl --zkgate-root "$root" routes apply "$file" >> "$WORK/routes/ctl.log" 2>&1 \
        || { cat "$WORK/routes/ctl.log" >&2; die "zkgate-ctl routes apply failed"; }
done
say "routes written: ${!ROOT_DONE[*]}"

backend_workers() { if [ -n "$NGINX" ]; then children "$1"; fi; }

# ---- registry agents (one per backend) ----------------------------------------------------------------------------
for i in "${!BACKEND_PORTS[@]}"; do
    "$JAVA" -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$AGENT_JAR" --zk "$ZK" --service bench \
        --id "bench-$((i + 1))" --address 127.0.0.1 --port "${BACKEND_PORTS[$i]}" --drain-ms 0 \
        > "$WORK/agent-$((i + 1)).log" 2>&1 &
    started $! "agent-$((i + 1))"
done

if [ "$PLAN" = traffic ]; then   # the split's second side: the first backend registered again as bench-b
    "$JAVA" -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$AGENT_JAR" --zk "$ZK" --service bench-b \
        --id bench-b-1 --address 127.0.0.1 --port "${BACKEND_PORTS[0]}" --drain-ms 0 > "$WORK/agent-bench-b.log" 2>&1 &
    started $! "agent-bench-b"
fi

# ---- profiler (PROFILE=async): loaded into the profiled gateway at its start, started after the warm-up ----------
PROFILE_TARGET=${PROFILE_TARGET:-$(IFS='|' read -r name _ <<<"${GATEWAYS[0]}"; echo "$name")}
ASYNC_LIB=""
if [ "$PROFILE" = async ]; then
    ASYNC_LIB=${ASYNC_PROFILER_LIB:-}
    if [ -z "$ASYNC_LIB" ]; then
        jar="$HOME/.m2/repository/tools/profiler/async-profiler/4.1/async-profiler-4.1.jar"
        [ -f "$jar" ] || mvn -B -q dependency:get -Dartifact=tools.profiler:async-profiler:4.1 >&2 \
            || die "cannot get async-profiler from Maven (tools.profiler:async-profiler:4.1); or set ASYNC_PROFILER_LIB"
        (cd "$WORK" && unzip -q -o "$jar" 'linux-x64/*') || die "cannot unpack async-profiler"
        ASYNC_LIB="$WORK/linux-x64/libasyncProfiler.so"
    fi
fi

# ---- measured gateways --------------------------------------------------------------------------------------------
declare -A TARGET_PORT=() TARGET_PIDS=() GATEWAY_JVM=()
TARGET_PORT[direct]=${BACKEND_PORTS[0]}
TARGET_PIDS[direct]="${BACKEND_PIDS[0]} $(backend_workers "${BACKEND_PIDS[0]}")"
# The launcher's JVM flags, for tuning probes (they run another main class, so not through the launcher).
launcher_jvm_flags() { sed -n '/^jvm_flags=(/,/^)/p' bin/zkgate-gateway | sed '1d;$d; s/#.*//' | xargs; }
for g in "${GATEWAYS[@]}"; do
    IFS='|' read -r name root jhome opts flags <<<"$g"
    port=$(free_port); admin=$(free_port)
    mkdir -p "$WORK/$name"
    if [ -n "$ASYNC_LIB" ] && [ "$name" = "$PROFILE_TARGET" ]; then opts="$opts -agentpath:$ASYNC_LIB"; fi
    if [[ "$flags" == probe:* ]]; then
        pjava=$JAVA; [ -n "$jhome" ] && pjava="$jhome/bin/java"
        # shellcheck disable=SC2046,SC2086
        "$pjava" $(launcher_jvm_flags) $USER_JAVA_OPTS $opts -cp "$GATEWAY_JAR" loadtest/harness/TuningProbe.java \
            --zk "$ZK" --zkgate-root "$root" --port "$port" ${flags#probe:} > "$WORK/$name/gateway.log" 2>&1 &
        admin=""
    elif [[ "$flags" == bare:* ]]; then
        # A bare Jetty proxy (harness/BareProxy.java), no zkgate: the core proxy needs jetty-proxy from Maven.
        proxy_jar="$HOME/.m2/repository/org/eclipse/jetty/jetty-proxy/12.1.14/jetty-proxy-12.1.14.jar"
        [ -f "$proxy_jar" ] || mvn -B -q dependency:get -Dartifact=org.eclipse.jetty:jetty-proxy:12.1.14 >&2 \
            || die "cannot get org.eclipse.jetty:jetty-proxy:12.1.14"
        pjava=$JAVA; [ -n "$jhome" ] && pjava="$jhome/bin/java"
        # shellcheck disable=SC2046,SC2086
        "$pjava" $(launcher_jvm_flags) $USER_JAVA_OPTS $opts -cp "$GATEWAY_JAR:$proxy_jar" loadtest/harness/BareProxy.java \
            --port "$port" --backends "$(IFS=,; echo "${BACKEND_PORTS[*]}")" ${flags#bare:} > "$WORK/$name/gateway.log" 2>&1 &
        admin=""
    else
        jar=""
        if [[ "$flags" == jar:* ]]; then   # "jar: $VARIABLE [flags]": another build's gateway jar, e.g. before a change
            read -r jarvar flags <<<"${flags#jar:}"
            jar=${jarvar#\$}; jar=${!jar:-}
            [ -f "$jar" ] || die "variant $name: set ${jarvar#\$} to a gateway jar"
        fi
        # shellcheck disable=SC2086
        ZKGATE_JAR="$jar" JAVA_HOME="${jhome:-${JAVA_HOME:-}}" ZKGATE_JAVA_OPTS="$USER_JAVA_OPTS $opts" bin/zkgate-gateway \
            --host 127.0.0.1 --port "$port" --admin-port "$admin" --zk "$ZK" --zkgate-root "$root" \
            --gateway-id "$name" --data-dir "$WORK/$name/data" --shutdown-timeout-ms 1000 $GATEWAY_FLAGS $flags \
            > "$WORK/$name/gateway.log" 2>&1 &
    fi
    TARGET_PIDS[$name]=$!
    TARGET_PORT[$name]=$port
    started $! "$name"
    echo "$admin" > "$WORK/$name/admin-port"
done
for g in "${GATEWAYS[@]}"; do
    IFS='|' read -r name root _ <<<"$g"
    admin=$(cat "$WORK/$name/admin-port")
    [ -z "$admin" ] && continue
    wait_http "http://127.0.0.1:$admin/ready" 200 120 "${TARGET_PIDS[$name]}" \
        "$WORK/$name/gateway.log" || die "gateway $name did not become ready"
done
for line in "${SCENARIO_LINES[@]}"; do
    IFS='|' read -r sname target _ path _ <<<"$line"
    [ "$target" = direct ] || [ "$target" = nginx ] && continue
    path=$(cut -d/ -f1-2 <<<"$path")   # the route's own path answers ok; /one/4k answers 4 KiB
    wait_http "http://127.0.0.1:${TARGET_PORT[$target]}$path/" $'ok' 120 "${TARGET_PIDS[$target]}" \
        "$WORK/$target/gateway.log" || die "route $path on $target does not answer ok (scenario $sname)"
done
for g in "${GATEWAYS[@]}"; do
    IFS='|' read -r name _ <<<"$g"
    # The JVM options the gateway really runs with, from its command line (no paths).
    GATEWAY_JVM[$name]=$(tr '\0' '\n' < "/proc/${TARGET_PIDS[$name]}/cmdline" \
        | awk 'NR > 1 && ($0 == "-jar" || $0 == "-cp") { exit } NR > 1' | sed 's/^-agentpath:.*/-agentpath:(async-profiler)/' \
        | paste -sd' ')
done
say "gateways ready: ${!GATEWAY_JVM[*]}"

# ---- nginx as the reference proxy ---------------------------------------------------------------------------------
if [ -n "$NGINX" ]; then
    port=$(free_port)
    start_nginx nginx-proxy "$(nginx_proxy_conf "$WORK/nginx-proxy" "$port" "$NGINX_WORKERS" /one "${BACKEND_PORTS[@]}")" \
        "$WORK/nginx-proxy"
    TARGET_PORT[nginx]=$port
    wait_http "http://127.0.0.1:$port/one/" $'ok' 30 "$LAST_PID" "$WORK/nginx-proxy/error.log" \
        || die "nginx reference proxy did not start"
    TARGET_PIDS[nginx]="$LAST_PID $(children "$LAST_PID")"
fi

# ---- measuring ----------------------------------------------------------------------------------------------------
ALL_BACKEND_PIDS=""
for p in "${BACKEND_PIDS[@]}"; do ALL_BACKEND_PIDS+=" $p $(backend_workers "$p")"; done
TSV="$WORK/runs.tsv"
printf 'round\tscenario\ttarget\tmode\trps\tmean_ms\tp50_ms\tp95_ms\tp99_ms\tcomplete\tfailed\tnon2xx\ttarget_ticks\ttarget_ctx\tbackend_ticks\tbusy_ticks\tpeak_rss_kb\tseconds\n' > "$TSV"

# failure_counts ROUND SCENARIO TARGET: after a run with failures, what a zkgate target has counted besides 2xx so far
# (its status classes, upstream failures, retries), since ab does not say what it got.
failure_counts() {
    local admin_file="$WORK/$3/admin-port"
    [ -f "$admin_file" ] || return 0
    {
        echo "round $1, $2 (gateway $3), counted so far:"
        curl -s "http://127.0.0.1:$(cat "$admin_file")/metrics" \
            | grep -E '^zkgate_(requests_total\{.*status="[^2]|upstream_failures_total|retries_total)' \
            | grep -v ' 0\.0$' || true
    } >> "$WORK/failures.txt"
}

# run_ab ROUND SCENARIO_LINE: one ApacheBench run, one TSV row (ROUND "warmup": nothing written).
run_ab() {
    local round=$1 sname target mode path header
    IFS='|' read -r sname target mode path header <<<"$2"
    # shellcheck disable=SC2206
    local pids=(${TARGET_PIDS[$target]}) seconds=$DURATION
    [ "$round" = warmup ] && seconds=$WARMUP_SECONDS
    local args=(-q -r -s 10 -c "$CONCURRENCY" -t "$seconds")
    if [ "$mode" = k ]; then args+=(-k -n "$MAX_REQUESTS"); else args+=(-n "$MAX_CLOSE_REQUESTS"); fi
    if [ -n "$header" ]; then args+=(-H "$header"); fi
    local t0 c0 b0 m0 t1 c1 b1 m1 out csv="$WORK/percentiles.csv" start=$SECONDS
    # HTTPS with wrk: two threads, the same connections; tls-close sends Connection: close, so every request is a
    # new connection and a full handshake.
    local wrk_args=(-t 2 -c "$CONCURRENCY" -d "${seconds}s" --latency --timeout 10s)
    if [ "$mode" = tls-close ]; then wrk_args+=(-H "Connection: close"); fi
    t0=$(cpu_ticks "${pids[@]}"); c0=$(ctx_switches "${pids[@]}")
    # shellcheck disable=SC2086
    b0=$(cpu_ticks $ALL_BACKEND_PIDS); m0=$(machine_busy_ticks)
    if [[ "$mode" == tls-* ]]; then
        out=$(timeout $(( seconds + 30 )) wrk "${wrk_args[@]}" "https://127.0.0.1:${TLS_PORT[$target]}$path/" 2>&1) \
            || { say "wrk failed on $sname: $(tail -n 3 <<<"$out")"; out=""; }
    else
        out=$(timeout $(( seconds + 30 )) ab "${args[@]}" -e "$csv" "http://127.0.0.1:${TARGET_PORT[$target]}$path/" 2>&1) \
            || { say "ab failed on $sname: $(tail -n 3 <<<"$out")"; out=""; }
    fi
    t1=$(cpu_ticks "${pids[@]}"); c1=$(ctx_switches "${pids[@]}")
    # shellcheck disable=SC2086
    b1=$(cpu_ticks $ALL_BACKEND_PIDS); m1=$(machine_busy_ticks)
    if [ "$round" = warmup ] || [ -z "$out" ]; then return 0; fi
    local rps mean complete failed non2xx p50 p95 p99
    if [[ "$mode" == tls-* ]]; then   # wrk reports 50/75/90/99 %: no p95
        rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
        complete=$(awk '/ requests in / { print $1 }' <<<"$out")
        mean=$(wrk_ms "$(awk '$1 == "Latency" { print $2; exit }' <<<"$out")")
        p50=$(wrk_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")"); p95=""
        p99=$(wrk_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
        failed=$(awk -F'[ ,]+' '/Socket errors:/ { print $5 + $7 + $9 + $11 }' <<<"$out")
        non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $5 }' <<<"$out")
    else
        rps=$(awk '/^Requests per second:/ { print $4 }' <<<"$out")
        mean=$(awk '/^Time per request:/ { print $4; exit }' <<<"$out")
        complete=$(awk '/^Complete requests:/ { print $3 }' <<<"$out")
        failed=$(awk '/^Failed requests:/ { print $3 }' <<<"$out")
        non2xx=$(awk '/^Non-2xx responses:/ { print $3 }' <<<"$out")
        p50=$(awk -F, '$1 == 50 { print $2 }' "$csv"); p95=$(awk -F, '$1 == 95 { print $2 }' "$csv")
        p99=$(awk -F, '$1 == 99 { print $2 }' "$csv")
    fi
    if [ "${failed:-0}" != 0 ] || [ "${non2xx:-0}" != 0 ]; then failure_counts "$round" "$sname" "$target"; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$sname" "$target" "$mode" \
        "$rps" "$mean" "$p50" "$p95" "$p99" "$complete" "${failed:-0}" "${non2xx:-0}" $(( t1 - t0 )) $(( c1 - c0 )) \
        $(( b1 - b0 )) $(( m1 - m0 )) "$(peak_rss_kb "${pids[@]}")" $(( SECONDS - start )) >> "$TSV"
    printf '  %-22s %9s req/s  p99 %7s ms  %6s us CPU/req  failed %s non-2xx %s\n' "$sname" "$rps" "$p99" \
        "$(awk -v t=$(( t1 - t0 )) -v n="$complete" -v hz="$TICK" 'BEGIN { printf "%.1f", n ? t / hz / n * 1e6 : 0 }')" \
        "${failed:-0}" "${non2xx:-0}" >&2
}

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# Warm-up: a gateway JVM needs about 20-30 s under load before its JIT has compiled the request path (CPU per
# request falls 4x over that time on 2 cores); WARMUP seconds per gateway JVM, shared by its scenarios.
declare -A SCENARIOS_ON=()
for line in "${SCENARIO_LINES[@]}"; do
    IFS='|' read -r _ target _ <<<"$line"
    SCENARIOS_ON[$target]=$(( ${SCENARIOS_ON[$target]:-0} + 1 ))
done
say "warm-up: ${WARMUP}s per gateway JVM, ${#SCENARIO_LINES[@]} scenarios"
for line in "${SCENARIO_LINES[@]}"; do
    IFS='|' read -r _ target _ <<<"$line"
    if [ "$target" = direct ] || [ "$target" = nginx ]; then
        WARMUP_SECONDS=1
    else
        WARMUP_SECONDS=$(( (WARMUP + ${SCENARIOS_ON[$target]} - 1) / ${SCENARIOS_ON[$target]} ))
    fi
    run_ab warmup "$line"
done

n=${#SCENARIO_LINES[@]}
per_round=$(( n * (DURATION + 1) ))
rounds_done=0
# Profiling (PROFILE=jfr or async): the rounds are recorded in one gateway (PROFILE_TARGET, default the first);
# its figures then include the profiler's overhead.
PROFILE_PID=${TARGET_PIDS[$PROFILE_TARGET]:-}
PROFILE_BASE="$(mkdir -p "$RESULTS" && cd "$RESULTS" && pwd)/$STAMP-profile-$PROFILE_TARGET"
JCMD=$(dirname "$(readlink -f "$(command -v "$JAVA")")")/jcmd
case "$PROFILE" in
    "") ;;
    jfr)
        "$JCMD" "$PROFILE_PID" JFR.start name=loadtest settings=profile > /dev/null || die "JFR.start failed"
        say "JFR recording in $PROFILE_TARGET" ;;
    async)
        # jcmd would read "key=value" as its own named argument: the agent's options go in double quotes.
        # PROFILE_EVENT=alloc samples allocations (every PROFILE_INTERVAL bytes, default 512 KiB) instead of CPU.
        event=${PROFILE_EVENT:-cpu}
        interval=${PROFILE_INTERVAL:-$([ "$event" = cpu ] && echo 1ms || echo 524288)}
        "$JCMD" "$PROFILE_PID" JVMTI.agent_load "$ASYNC_LIB" "\"start,event=$event,interval=$interval,threads\"" > "$WORK/profiler.log" \
            || die "async-profiler did not start: $(cat "$WORK/profiler.log")"
        say "async-profiler ($event, every $interval, per thread) in $PROFILE_TARGET" ;;
    *) die "PROFILE must be jfr or async" ;;
esac

for r in $(seq 1 "$ROUNDS"); do
    if [ $(( SECONDS - BUDGET_FROM + per_round )) -gt "$TIME_BUDGET" ]; then
        say "time budget of ${TIME_BUDGET}s reached: stopping after $rounds_done rounds"
        break
    fi
    say "round $r of $ROUNDS (load $(cut -d' ' -f1-3 /proc/loadavg))"
    for (( i=0; i<n; i++ )); do
        run_ab "$r" "${SCENARIO_LINES[$(( (i + r - 1) % n ))]}"
    done
    rounds_done=$r
done
[ "$rounds_done" -gt 0 ] || die "no round completed"
case "$PROFILE" in
    jfr)
        "$JCMD" "$PROFILE_PID" JFR.stop name=loadtest filename="$PROFILE_BASE.jfr" > /dev/null || die "JFR.stop failed"
        say "profile: $PROFILE_BASE.jfr" ;;
    async)
        "$JCMD" "$PROFILE_PID" JVMTI.agent_load "$ASYNC_LIB" "\"dump,file=$PROFILE_BASE.html\"" >> "$WORK/profiler.log" || true
        "$JCMD" "$PROFILE_PID" JVMTI.agent_load "$ASYNC_LIB" "\"stop,file=$PROFILE_BASE.collapsed,collapsed\"" >> "$WORK/profiler.log"
        python3 loadtest/harness/profile_summary.py "$PROFILE_BASE.collapsed" > "$PROFILE_BASE.md" || true
        say "profile: $PROFILE_BASE.{collapsed,html,md}" ;;
esac

# ---- report -------------------------------------------------------------------------------------------------------
mkdir -p "$RESULTS"
java_version() { "$1" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.runtime.version/ { v = $2 } /java.vendor = / { o = $2 } END { print v " (" o ")" }'; }
META="$WORK/meta.tsv"
{
    printf 'stamp\t%s\n' "$STAMP"
    printf 'plan\t%s\n' "$PLAN"
    printf 'command\t%s\n' "$COMMAND"
    printf 'label\t%s\n' "$LABEL"
    printf 'cpu\t%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
    printf 'cores\t%s\n' "$(nproc)"
    printf 'memory\t%s GB\n' "$(awk '/MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)"
    printf 'kernel\t%s\n' "$(uname -sr)"
    printf 'java\t%s\n' "$(java_version "$JAVA")"
    printf 'nginx\t%s\n' "$([ -n "$NGINX" ] && "$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
    printf 'ab\t%s%s\n' "$(ab -V | head -1 | sed 's/^This is //; s/, Version//; s/ <.*//')" \
        "$([ "$PLAN" = tls ] && echo "; $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2) for HTTPS, ${TLS_KEY:-ec} certificate")"
    printf 'commit\t%s\n' "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' (with uncommitted changes)')"
    printf 'backends\t%s\n' "$BACKENDS x $([ -n "$NGINX" ] && echo 'nginx, 1 worker each' || echo 'Jetty')"
    printf 'nginx_workers\t%s\n' "$NGINX_WORKERS"
    printf 'rounds\t%s\n' "$rounds_done"
    printf 'duration\t%s\n' "$DURATION"
    printf 'concurrency\t%s\n' "$CONCURRENCY"
    printf 'warmup\t%s\n' "$WARMUP"
    printf 'max_close_requests\t%s\n' "$MAX_CLOSE_REQUESTS"
    printf 'load_before\t%s\n' "$LOAD_BEFORE"
    printf 'load_after\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf 'seconds\t%s\n' "$SECONDS"
    printf 'tick\t%s\n' "$TICK"
    printf 'java_opts\t%s\n' "$USER_JAVA_OPTS"
    printf 'gateway_flags\t%s\n' "$GATEWAY_FLAGS"
    printf 'variants\t%s\n' "$([ -n "$VARIANTS" ] && basename "$VARIANTS")"
} > "$META"
for g in "${GATEWAYS[@]}"; do
    IFS='|' read -r name root jhome opts flags <<<"$g"
    jbin=$JAVA; [ -n "$jhome" ] && jbin="$jhome/bin/java"
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$root" "$(java_version "$jbin")" "${GATEWAY_JVM[$name]}" \
        "$(trim "$GATEWAY_FLAGS $flags")"
done > "$WORK/gateways.tsv"
python3 loadtest/harness/report.py --runs "$TSV" --meta "$META" --gateways "$WORK/gateways.tsv" --out "$RESULTS" \
    ${GNUPLOT:+--gnuplot "$GNUPLOT"}
if [ -s "$WORK/failures.txt" ]; then
    cp "$WORK/failures.txt" "$RESULTS/$STAMP-failures.txt"
    say "runs with failures: what the gateways counted is in $RESULTS/$STAMP-failures.txt"
fi
