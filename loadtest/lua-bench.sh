#!/usr/bin/env bash
# Lua filter overhead through the gateway. Starts the gateway jar (embedded ZooKeeper, free ports, its own data
# directory) and, in a second JVM, two backends answering "ok" plus four routes to them: /plain/ without a script,
# /empty/ with a script that does nothing (the fixed cost of a filter), /inject/ with the header-injection example,
# /apikey/ with the api-key example. Then runs ApacheBench with keep-alive against the routes in interleaved rounds
# (the order rotates each round) and prints requests/s and gateway CPU per request (utime + stime from /proc, and
# the user part alone) per run, and per round the ratios to /plain/. It also
# prints, per run, the CPU used by everything else on the machine (ab included) per request: a round where that
# jumps had company (another build or benchmark), and the summary gives medians over all rounds and over the quiet
# ones.
# Everything it started is stopped on exit. Needs: java 17+, ab (apache2-utils), curl, python3; the gateway jar
# (mvn -B -q -pl gateway package -DskipTests).
#
#   loadtest/lua-bench.sh                      # 15 rounds of 10000 requests per route, 50 concurrent, after 60000 warm-up
#   ROUNDS=5 REQUESTS=30000 loadtest/lua-bench.sh
#   BENCH=auth ROUNDS=30 loadtest/lua-bench.sh  # route auth instead: /plain/, /jwt/ (RS256, cached key), /key/ (API key)
#   BENCH=edge ROUNDS=30 loadtest/lua-bench.sh  # CORS and request ids: /plain/ and /cors/ on the gateway (request ids
#                                               # on, the default), /plain/ on a second gateway with --request-ids=false
#                                               # (noids) and on a third with ids on (aa: the JVM-to-JVM noise floor),
#                                               # all three on the first one's ZooKeeper; every run sends an Origin
#   BENCH=ids ROUNDS=15 REQUESTS=30000 loadtest/lua-bench.sh  # request ids alone, in one gateway: four identical
#                                               # routes, two with ids (plain, aa: the gateway's default) and two with
#                                               # "requestIds": false (noids, noids2); the cost is taken between the
#                                               # pairs' means in each round, the noise floor within each pair
#
# With BENCH=auth every run sends the same two headers (a valid bearer token and a valid API key) to every route, so
# the routes differ only in the check the gateway makes.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-15}
REQUESTS=${REQUESTS:-10000}
CONCURRENCY=${CONCURRENCY:-50}
WARMUP=${WARMUP:-60000}
HEAP=${HEAP:-256m}
JAR=gateway/target/zkgate-gateway.jar
KEY="X-Api-Key: k-19be44d07a"
BENCH=${BENCH:-lua}
case "$BENCH" in
    lua) ROUTES=(plain empty inject apikey); PROTECTED=(apikey) ;;
    auth) ROUTES=(plain jwt key); PROTECTED=(jwt key) ;;
    edge) ROUTES=(plain cors noids aa); PROTECTED=() ;;
    ids) ROUTES=(plain noids aa noids2); PROTECTED=() ;;
    *) echo "lua-bench: BENCH=$BENCH (expected: lua, auth, edge or ids)" >&2; exit 2 ;;
esac

for tool in java ab curl python3; do
    command -v "$tool" >/dev/null || { echo "lua-bench: $tool not found" >&2; exit 2; }
done
[ -f "$JAR" ] || { echo "lua-bench: $JAR missing; build it with: mvn -B -q -pl gateway package -DskipTests" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
PORT=$(free_port); ADMIN=$(free_port); ZKPORT=$(free_port)
WORK=$(mktemp -d)
GW=""; BE=""; GW2=""; GW3=""
cleanup() {
    [ -n "$BE" ] && kill "$BE" 2>/dev/null && wait "$BE" 2>/dev/null || true
    [ -n "$GW2" ] && kill "$GW2" 2>/dev/null && wait "$GW2" 2>/dev/null || true
    [ -n "$GW3" ] && kill "$GW3" 2>/dev/null && wait "$GW3" 2>/dev/null || true
    [ -n "$GW" ] && kill "$GW" 2>/dev/null && wait "$GW" 2>/dev/null || true
    exec 3>&- 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

java -Xms$HEAP -Xmx$HEAP -jar "$JAR" --host 127.0.0.1 --port "$PORT" --admin-port "$ADMIN" \
    --embedded-zk-port "$ZKPORT" --data-dir "$WORK/data" > "$WORK/gateway.log" 2>&1 &
GW=$!
for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$ADMIN/ready" >/dev/null 2>&1 && break
    kill -0 "$GW" 2>/dev/null || { cat "$WORK/gateway.log" >&2; exit 1; }
    sleep 0.5
done

if [ "$BENCH" = edge ]; then # more gateways on the first one's ZooKeeper, same heap and launcher
    PORT2=$(free_port); ADMIN2=$(free_port); PORT3=$(free_port); ADMIN3=$(free_port)
    java -Xms$HEAP -Xmx$HEAP -jar "$JAR" --host 127.0.0.1 --port "$PORT2" --admin-port "$ADMIN2" \
        --zk "127.0.0.1:$ZKPORT" --request-ids=false > "$WORK/gateway2.log" 2>&1 &
    GW2=$!
    java -Xms$HEAP -Xmx$HEAP -jar "$JAR" --host 127.0.0.1 --port "$PORT3" --admin-port "$ADMIN3" \
        --zk "127.0.0.1:$ZKPORT" > "$WORK/gateway3.log" 2>&1 &
    GW3=$!
    for admin in "$ADMIN2" "$ADMIN3"; do
        for _ in $(seq 1 120); do
            curl -fs "http://127.0.0.1:$admin/ready" >/dev/null 2>&1 && break
            sleep 0.5
        done
        curl -fs "http://127.0.0.1:$admin/ready" >/dev/null || { cat "$WORK"/gateway[23].log >&2; exit 1; }
    done
fi
target_url() { # the URL a run loads: BENCH=edge's noids and aa are /plain/ on the second and third gateway
    case "$BENCH:$1" in
        edge:noids) echo "http://127.0.0.1:$PORT2/plain/" ;;
        edge:aa) echo "http://127.0.0.1:$PORT3/plain/" ;;
        *) echo "http://127.0.0.1:$PORT/$1/" ;;
    esac
}
target_pid() {
    case "$BENCH:$1" in
        edge:noids) echo "$GW2" ;;
        edge:aa) echo "$GW3" ;;
        *) echo "$GW" ;;
    esac
}

mkfifo "$WORK/backends.in"
java -cp "$JAR" loadtest/lua-bench/LuaBenchBackends.java "127.0.0.1:$ZKPORT" config/examples/scripts "$BENCH" \
    < "$WORK/backends.in" > "$WORK/backends.log" 2>&1 &
BE=$!
exec 3> "$WORK/backends.in"
HEADERS=(-H "$KEY")
if [ "$BENCH" = auth ]; then
    for _ in $(seq 1 120); do
        grep -q '^READY' "$WORK/backends.log" && break
        kill -0 "$BE" 2>/dev/null || { cat "$WORK/backends.log" >&2; exit 1; }
        sleep 0.5
    done
    HEADERS=(-H "Authorization: Bearer $(awk '/^TOKEN / { print $2 }' "$WORK/backends.log")"
             -H "X-Api-Key: $(awk '/^APIKEY / { print $2 }' "$WORK/backends.log")")
fi
if [ "$BENCH" = edge ]; then
    HEADERS=(-H "Origin: https://app.example")
fi
all_ok() {
    local route
    for route in "${ROUTES[@]}"; do
        [ "$(curl -s "${HEADERS[@]}" "$(target_url "$route")")" = "ok" ] || return 1
    done
}
for _ in $(seq 1 120); do
    all_ok && break
    kill -0 "$BE" 2>/dev/null || { cat "$WORK/backends.log" >&2; exit 1; }
    sleep 0.5
done
all_ok || { echo "lua-bench: the routes do not all answer ok" >&2; exit 1; }
for route in "${PROTECTED[@]+"${PROTECTED[@]}"}"; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/$route/")" = "401" ] \
        || { echo "lua-bench: /$route/ without credentials must answer 401" >&2; exit 1; }
done

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
user_ticks() { awk '{ print $14 }' "/proc/$1/stat"; }
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
TICK=$(getconf CLK_TCK)

run() { # run ROUND ROUTE N -> one result line
    local round=$1 route=$2 n=$3 before after out be0 be1 all0 all1 u0 u1 pid
    pid=$(target_pid "$route")
    before=$(cpu_ticks "$pid"); u0=$(user_ticks "$pid"); be0=$(cpu_ticks "$BE"); all0=$(busy_ticks)
    out=$(timeout 300 ab -q -k -s 10 -c "$CONCURRENCY" -n "$n" "${HEADERS[@]}" "$(target_url "$route")" 2>&1)
    after=$(cpu_ticks "$pid"); u1=$(user_ticks "$pid"); be1=$(cpu_ticks "$BE"); all1=$(busy_ticks)
    local rps failed non2xx
    rps=$(awk '/^Requests per second/ { print $4 }' <<<"$out")
    failed=$(awk '/^Failed requests/ { print $3 }' <<<"$out")
    non2xx=$(awk '/^Non-2xx responses/ { print $3 }' <<<"$out")
    echo "$round $route $rps $(( after - before )) $n ${failed:-0} ${non2xx:-0} $(( all1 - all0 - (after - before) - (be1 - be0) )) $(( u1 - u0 ))"
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(java -version 2>&1 | head -1)  $(nproc) cores  load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# ab -k -c $CONCURRENCY -n $REQUESTS per run, $ROUNDS rounds, heap $HEAP, clock tick 1/$TICK s, BENCH=$BENCH"
for route in "${ROUTES[@]}"; do run warmup "$route" "$WARMUP" > /dev/null; done

RESULTS="$WORK/results"
for r in $(seq 1 "$ROUNDS"); do
    for i in $(seq 0 $(( ${#ROUTES[@]} - 1 ))); do
        route=${ROUTES[$(( (i + r) % ${#ROUTES[@]} ))]}
        run "$r" "$route" "$REQUESTS" | tee -a "$RESULTS"
    done
done

python3 - "$RESULTS" "$TICK" "${ROUTES[@]}" <<'PY'
import sys, statistics
tick = int(sys.argv[2])
ROUTES = tuple(sys.argv[3:])
by = {}
for line in open(sys.argv[1]):
    rnd, route, rps, ticks, n, failed, non2xx, other, user = line.split()
    us = lambda t: int(t) / tick / int(n) * 1e6
    by.setdefault(int(rnd), {})[route] = (float(rps), us(ticks), int(failed) + int(non2xx), us(other), us(user))
rounds = sorted(by)
other_median = statistics.median(by[r][x][3] for r in rounds for x in ROUTES)
quiet = [r for r in rounds if all(by[r][x][3] <= 1.5 * other_median for x in ROUTES)]
print("\nround  route     req/s  vs plain  gateway CPU us/req (user)  vs plain  other CPU us/req  errors")
for r in rounds:
    base = by[r]["plain"]
    for x in ROUTES:
        rps, us, err, other, user = by[r][x]
        print(f"{r:>5}{'' if r in quiet else '*'} {x:<7} {rps:>8.0f}  {rps / base[0]:>8.3f}  {us:>11.1f} ({user:5.1f})"
              f"  {us / base[1]:>8.3f}  {other:>16.1f}  {err}")
print("(* = a round in which some run had other CPU above 1.5x the median: the machine had company)")

def summary(label, rs):
    if not rs:
        print(f"\n{label}: none")
        return
    print(f"\n{label} ({len(rs)} rounds), medians; ratios are taken within each round:")
    for x in ROUTES:
        rps = statistics.median(by[r][x][0] for r in rs)
        us = statistics.median(by[r][x][1] for r in rs)
        user = statistics.median(by[r][x][4] for r in rs)
        line = f"  {x:<7} {rps:>8.0f} req/s  {us:6.1f} us gateway CPU/req ({user:5.1f} user)"
        if x != "plain":
            rr = statistics.median(by[r][x][0] / by[r]["plain"][0] for r in rs)
            cr = statistics.median(by[r][x][1] / by[r]["plain"][1] for r in rs)
            line += f"  req/s {rr:.3f}x plain ({(1 - rr) * 100:+.1f}% cost)  CPU/req {cr:.3f}x plain"
        print(line)

summary("all rounds", rounds)
summary("quiet rounds", quiet)

if set(ROUTES) == {"plain", "noids", "aa", "noids2"}:  # BENCH=ids: the pairs' means, round by round
    def pooled(label, rs):
        if not rs:
            return
        mean = lambda r, a, b, k: (by[r][a][k] + by[r][b][k]) / 2
        rr = statistics.median(mean(r, "plain", "aa", 0) / mean(r, "noids", "noids2", 0) for r in rs)
        cr = statistics.median(mean(r, "plain", "aa", 1) / mean(r, "noids", "noids2", 1) for r in rs)
        on = statistics.median(by[r]["aa"][1] / by[r]["plain"][1] for r in rs)
        off = statistics.median(by[r]["noids2"][1] / by[r]["noids"][1] for r in rs)
        print(f"\nrequest ids, {label} ({len(rs)} rounds): req/s {rr:.3f}x without ({(1 - rr) * 100:+.1f}% cost), "
              f"CPU/req {cr:.3f}x without; CPU/req within the pairs (identical routes): on {on:.3f}x, off {off:.3f}x")
    pooled("all rounds", rounds)
    pooled("quiet rounds", quiet)
PY
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
