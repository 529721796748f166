#!/usr/bin/env bash
# Load with faults injected, every part its own process: a ZooKeeper server, the gateway jar on it, three backends
# each registered by its own zkgate agent (the sidecar jar), the route written with zkgate-ctl. ApacheBench sends
# keep-alive GETs for the whole run while, on a fixed schedule:
#    5 s  backend 1 is killed (kill -9); its agent stays, so its registration stays: the gateway must eject it
#   10 s  agent 2 gets SIGTERM: it drains backend 2 (weight 0), then deregisters it; backend 2 is stopped after
#   15 s  ZooKeeper is killed (kill -9) ...
#   22 s  ... and restarted on the same port and data
#   25 s  backend 1 starts again on its port: the gateway re-admits it
#   30 s  backend 2 and its agent start again
# and prints what ab saw (requests, failures, non-2xx) and the gateway's view of the service at the end. Exit 0 when
# no request failed. Everything started is stopped on exit. Needs java 17+, ab, curl, python3, and the jars:
#   mvn -B -q package -DskipTests
#
#   loadtest/faults.sh                 # 40 s of ab -k -c 20
#   DURATION=60 CONCURRENCY=50 loadtest/faults.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=loadtest/harness/lib.sh
. loadtest/harness/lib.sh

DURATION=${DURATION:-40}
CONCURRENCY=${CONCURRENCY:-20}
GATEWAY_JAR=gateway/target/zkgate-gateway.jar
AGENT_JAR=registry-agent/target/zkgate-agent.jar
CTL_JAR=zk-schema/target/zkgate-ctl.jar
for jar in "$GATEWAY_JAR" "$AGENT_JAR" "$CTL_JAR"; do
    [ -f "$jar" ] || die "$jar missing; build the jars with: mvn -B -q package -DskipTests"
done
for tool in java ab curl python3; do command -v "$tool" >/dev/null || die "$tool not found"; done
[ "$DURATION" -ge 35 ] || die "DURATION must be at least 35 s (the fault schedule runs to 30 s)"

WORK=$(mktemp -d)
trap 'stop_all; [ -n "${KEEP:-}" ] && cp -r "$WORK" "$KEEP"; rm -rf "$WORK"' EXIT INT TERM
ZK_PORT=$(free_port); PORT=$(free_port); ADMIN=$(free_port)
BACKEND_PORT=("$(free_port)" "$(free_port)" "$(free_port)")
declare -a BACKEND_PID AGENT_PID

start_zk() {
    java -Xmx128m -Dzookeeper.admin.enableServer=false -cp "$GATEWAY_JAR" \
        org.apache.zookeeper.server.ZooKeeperServerMain "$ZK_PORT" "$WORK/zk" >> "$WORK/zk.log" 2>&1 &
    ZK_PID=$!
    started "$ZK_PID" zookeeper
}
start_backend() { # INDEX
    java -Xmx64m -cp "$GATEWAY_JAR" loadtest/harness/Backend.java "${BACKEND_PORT[$1]}" >> "$WORK/backend-$1.log" 2>&1 &
    BACKEND_PID[$1]=$!
    started "$!" "backend-$1"
}
start_agent() { # INDEX
    java -Xmx64m -jar "$AGENT_JAR" --zk "127.0.0.1:$ZK_PORT" --service faults --id "b$1" --address 127.0.0.1 \
        --port "${BACKEND_PORT[$1]}" --drain-ms 2000 >> "$WORK/agent-$1.log" 2>&1 &
    AGENT_PID[$1]=$!
    started "$!" "agent-$1"
}
at() { # SECOND: sleep until that many seconds after ab started
    local wait=$(( $1 - ($(date +%s) - AB_START) ))
    [ "$wait" -le 0 ] || sleep "$wait"
}

mkdir -p "$WORK/zk"
start_zk
for _ in $(seq 1 60); do (exec 3<>"/dev/tcp/127.0.0.1/$ZK_PORT") 2>/dev/null && break; sleep 0.5; done
java -jar "$CTL_JAR" --zk "127.0.0.1:$ZK_PORT" init > "$WORK/ctl.log" 2>&1 || { cat "$WORK/ctl.log" >&2; die "zkgate-ctl init failed"; }
echo '{"id":"faults","match":{"pathPrefix":"/faults"},"service":"faults"}' > "$WORK/route.json"
java -jar "$CTL_JAR" --zk "127.0.0.1:$ZK_PORT" routes apply "$WORK/route.json" >> "$WORK/ctl.log" 2>&1 \
    || { cat "$WORK/ctl.log" >&2; die "zkgate-ctl routes apply failed"; }

bin/zkgate-gateway --zk "127.0.0.1:$ZK_PORT" --host 127.0.0.1 --port "$PORT" --admin-port "$ADMIN" \
    --data-dir "$WORK/gateway" > "$WORK/gateway.log" 2>&1 &
started "$!" gateway
for i in 0 1 2; do start_backend "$i"; start_agent "$i"; done
for _ in $(seq 1 120); do
    routable=$(curl -s "http://127.0.0.1:$ADMIN/admin/services" | grep -o '"routable" *: *[0-9]*' | grep -o '[0-9]*$' || true)
    [ "${routable:-0}" -ge 3 ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/faults/")" = 200 ] && break
    sleep 0.5
done
[ "${routable:-0}" -ge 3 ] || { tail -20 "$WORK/gateway.log" >&2; die "the three backends never became routable"; }
say "gateway on :$PORT, 3 backends registered by agents, ZooKeeper on :$ZK_PORT; ab -k -c $CONCURRENCY for $DURATION s"

AB_START=$(date +%s)
timeout $(( DURATION + 60 )) ab -k -q -r -s 20 -c "$CONCURRENCY" -t "$DURATION" -n 100000000 \
    "http://127.0.0.1:$PORT/faults/x" > "$WORK/ab.txt" 2>&1 &
AB=$!
at 5;  say "kill -9 backend 1 (its agent keeps it registered)"; kill -9 "${BACKEND_PID[0]}"
at 10; say "SIGTERM agent 2: drain, then deregister"; kill -TERM "${AGENT_PID[1]}"
wait "${AGENT_PID[1]}" 2>/dev/null || true; kill "${BACKEND_PID[1]}" 2>/dev/null || true
at 15; say "kill -9 ZooKeeper"; kill -9 "$ZK_PID"
at 22; say "restart ZooKeeper"; start_zk
at 25; say "backend 1 back on its port"; start_backend 0
at 30; say "backend 2 and its agent back"; start_backend 1; start_agent 1
wait "$AB" || true

complete=$(awk '/^Complete requests:/ { print $3 }' "$WORK/ab.txt")
failed=$(awk '/^Failed requests:/ { print $3 }' "$WORK/ab.txt")
non2xx=$(awk '/^Non-2xx responses:/ { print $3 }' "$WORK/ab.txt")
rps=$(awk '/^Requests per second:/ { print $4 }' "$WORK/ab.txt")
echo "requests: ${complete:-?}  failed: ${failed:-?}  non-2xx: ${non2xx:-0}  req/s: ${rps:-?}"
grep -E '^ +(Connect|Receive|Length|Exceptions):' "$WORK/ab.txt" || true
echo "gateway log, state changes:"
grep -E 'ejected|re-admitted|ZooKeeper (SUSPENDED|LOST|RECONNECTED)|instance faults/' "$WORK/gateway.log" | sed 's/^/  /' || true
[ -n "$complete" ] && [ "${failed:-1}" = 0 ] && [ "${non2xx:-0}" = 0 ]
