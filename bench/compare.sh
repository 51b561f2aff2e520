#!/usr/bin/env bash
# Swell against the job queues a user would pick instead (issue 10), one after the other in the same
# run on this machine: BullMQ 6.7 on Redis 7 (AOF, appendfsync always) and beanstalkd 1.12 (binlog,
# fsync per write), driven by Node clients, and Swell's local role (sqlite + fsync). 1 KiB bodies,
# CONNECTIONS (64) in flight, every acknowledgement durable. Two workloads:
#   1. enqueue only: jobs/s, WARMUP s uncounted then DURATION s counted (Swell's loadtest takes
#      counts: ENQ_WARMUP_WORKS, then ENQ_WORKS), Swell by its own loadtest and, for reference, wrk;
#   2. end to end, one worker: WORKS tiny works (iterations=1) after WARMUP_WORKS uncounted, completed
#      works/s from the first enqueue to the last result back at the client.
# Prints one table with Swell's ratio to each peer. Installs what is missing (apt-get, npm ci).
#
#   DURATION=15 WARMUP=8 CONNECTIONS=64 ENQ_WORKS=150000 ENQ_WARMUP_WORKS=150000 \
#   WORKS=50000 WARMUP_WORKS=50000 CONCURRENCY=64 WORKER_THREADS=2 TIMEOUT=120 bench/compare.sh
#   QUICK=1 bench/compare.sh      # tiny sizes, to check the script works; its numbers mean nothing
source "$(dirname "$0")/lib.sh"

if [[ "${QUICK:-0}" == 1 ]]; then
  DURATION="${DURATION:-3}" WARMUP="${WARMUP:-1}" ENQ_WORKS="${ENQ_WORKS:-3000}"
  ENQ_WARMUP_WORKS="${ENQ_WARMUP_WORKS:-1000}" WORKS="${WORKS:-2000}" WARMUP_WORKS="${WARMUP_WORKS:-500}"
fi
DURATION="${DURATION:-15}"
WARMUP="${WARMUP:-8}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"                   # wrk threads
ENQ_WORKS="${ENQ_WORKS:-150000}"          # Swell's loadtest, enqueue only: measured works
ENQ_WARMUP_WORKS="${ENQ_WARMUP_WORKS:-150000}"  # a fresh Swell settles within 36,000-165,000 works (bench/README.md, section 8)
WORKS="${WORKS:-50000}"                   # end to end
WARMUP_WORKS="${WARMUP_WORKS:-50000}"
CONCURRENCY="${CONCURRENCY:-64}"          # jobs in flight in the BullMQ and beanstalkd worker
WORKER_THREADS="${WORKER_THREADS:-2}"     # compute threads of Swell's one worker JVM
TIMEOUT="${TIMEOUT:-120}"                 # seconds to wait for results after the last enqueue
ITERATIONS=1
BODY_BYTES=1024

COMPARE="$ROOT/bench/compare"

require_jar
require_tool wrk
require_tool jq
require_tool redis-server
require_tool redis-cli redis-tools
require_tool beanstalkd
require_tool node nodejs
require_tool npm

redis_version=$(redis-server --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')
[[ "${redis_version%%.*}" -ge 7 ]] || die "needs Redis 7 or later, found $redis_version"
beanstalkd_version=$(beanstalkd -v | awk '{ print $2 }')

# The Node clients, at the versions in bench/compare/package-lock.json; installed again only when the
# lock file changed. Install scripts are skipped: msgpackr's native part is optional and prebuilt.
if [[ ! -f "$COMPARE/node_modules/.package-lock.json" || "$COMPARE/package-lock.json" -nt "$COMPARE/node_modules/.package-lock.json" ]]; then
  echo "installing the Node clients (npm ci in bench/compare)..." >&2
  (cd "$COMPARE" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null) || die "npm ci failed in $COMPARE"
fi
node_version() { node -p "require('$COMPARE/node_modules/$1/package.json').version"; }

# Every server's data goes under BENCH_DATA: on a tmpfs an fsync costs nothing and the numbers would lie.
mkdir -p "$BENCH_DATA"
fstype=$(df --output=fstype "$BENCH_DATA" | tail -n 1 | tr -d ' ')
[[ "$fstype" != tmpfs && "$fstype" != ramfs ]] || die "$BENCH_DATA is on $fstype, where fsync is free; set BENCH_DATA to a directory on disk"

TOKEN="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d " \n")"
FAILED=0

# serve NAME CMD...: starts a server, the word @PORT@ in CMD replaced by a free loopback port, and
# waits until it accepts connections there; sets SERVER_PORT and SERVER_PID. Other tests on this
# machine take free ports too: a server that lost its port to one of them exits at once (so it must
# still run a moment after the port answers) and is started again on another port.
serve() {
  local name="$1" port arg args
  shift
  for _ in 1 2 3; do
    free_port port
    args=()
    for arg in "$@"; do args+=("${arg//@PORT@/$port}"); done
    start "$name" "${args[@]}"
    for _ in $(seq 1 300); do
      kill -0 "$LAST_PID" 2>/dev/null || break
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        sleep 0.3
        kill -0 "$LAST_PID" 2>/dev/null || break
        SERVER_PORT=$port
        SERVER_PID=$LAST_PID
        return 0
      fi
      sleep 0.1
    done
    stop "$LAST_PID"
    grep -qi "address already in use" "$WORK/$name.log" ||
      die "$name did not start on port $port; its log ends:"$'\n'"$(tail -n 20 "$WORK/$name.log")"
  done
  die "$name found no free port in three tries"
}

# wait_ready NAME PID [SECONDS]: until the Node worker logging to $WORK/NAME.log says "ready".
wait_ready() {
  local name="$1" pid="$2" secs="${3:-30}"
  for _ in $(seq 1 $((secs * 10))); do
    grep -q '^ready' "$WORK/$name.log" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || die "$name exited; its log ends:"$'\n'"$(tail -n 20 "$WORK/$name.log")"
    sleep 0.1
  done
  die "$name not ready after ${secs}s"
}

# start_redis NAME: Redis on a free loopback port, a fresh data dir, the AOF fsync'd before every
# answer (appendfsync always) and no RDB snapshots; sets RPORT and RPID.
start_redis() {
  local name="$1" data
  data=$(fresh_data "compare-$name")
  serve "$name" redis-server --bind 127.0.0.1 --port @PORT@ --dir "$data" --save '' \
    --appendonly yes --appendfsync always
  RPORT=$SERVER_PORT
  RPID=$SERVER_PID
  [[ "$(redis-cli -p "$RPORT" config get appendfsync | tail -n 1)" == always ]] || die "Redis on $RPORT does not fsync every write"
}

# start_beanstalkd NAME: beanstalkd on a free loopback port with its binlog in a fresh data dir and an
# fsync after every write (-f 0); sets BPORT and BPID.
start_beanstalkd() {
  local name="$1" data
  data=$(fresh_data "compare-$name")
  serve "$name" beanstalkd -l 127.0.0.1 -p @PORT@ -b "$data" -f 0
  BPORT=$SERVER_PORT
  BPID=$SERVER_PID
}

# swell_local NAME ENDPOINTS FLEET_JSON: Swell's local role (sqlite + fsync) with ENDPOINTS endpoints;
# sets URLS (comma-separated), BALANCER and PID.
swell_local() {
  local name="$1" n="$2" fleet="$3" ports=() port balancer_port data
  for _ in $(seq 1 "$n"); do free_port port; ports+=("$port"); done
  free_port balancer_port
  data=$(fresh_data "compare-$name")
  start_swell "$name" "{\"role\":\"local\",\"endpointPorts\":[$(IFS=,; echo "${ports[*]}")],\"balancerPort\":$balancer_port,
    \"clusterToken\":\"$TOKEN\",\"dataDir\":\"$data\",\"store\":{\"type\":\"sqlite\",\"durability\":\"fsync\"},$fleet}"
  PID=$LAST_PID
  URLS=$(printf 'http://127.0.0.1:%s,' "${ports[@]}")
  URLS=${URLS%,}
  BALANCER="http://127.0.0.1:$balancer_port"
  wait_http "${URLS%%,*}/ready" 60 "$PID"
}

# measured NAME CMD...: runs one measurement; CMD writes its figures as JSON to $WORK/NAME.json, and
# its other output goes to $WORK/NAME.out. A failure is reported with the end of that output, marked
# (the table shows "failed") and counted, and the run carries on with the other measurements.
measured() {
  local name="$1" rc=0
  shift
  echo "  $name..." >&2
  "$@" >"$WORK/$name.out" 2>&1 || rc=$?
  # Ctrl-C: the JVM exits 130 rather than dying of the signal, so bash would not run its INT trap.
  [[ "$rc" -ne 130 && "$rc" -ne 143 ]] || exit "$rc"
  if [[ "$rc" -ne 0 ]]; then
    echo "  $name FAILED; its output ends:" >&2
    tail -n 8 "$WORK/$name.out" | sed 's/^/    /' >&2
    touch "$WORK/$name.failed"
    FAILED=$((FAILED + 1))
  fi
}

# value NAME JQ: a number from $WORK/NAME.json, or "failed".
value() {
  if [[ -e "$WORK/$1.failed" ]] || ! jq -er "$2 // empty" "$WORK/$1.json" 2>/dev/null; then
    echo failed
  fi
}

# node_driver NAME SCRIPT ARGS...: a Node driver (bench/compare/SCRIPT, which bounds its own time);
# its one line of JSON goes to $WORK/NAME.json.
node_driver() {
  local name="$1" script="$2"
  shift 2
  node "$COMPARE/$script" "$@" >"$WORK/$name.json"
}

# swell_loadtest NAME ARGS...: Swell's own load generator, its report to stdout, its JSON to $WORK/NAME.json.
swell_loadtest() {
  local name="$1"
  shift
  loadtest "$@" --json "$WORK/$name.json"
}

# wrk_put NAME URL: wrk with 1 KiB PUTs, WARMUP s and then DURATION s measured; writes
# {"perSecond", "non2xx", "socketErrors"} to $WORK/NAME.json and fails if any answer was not a 2xx.
wrk_put() {
  local name="$1" url="$2"
  # Chained with &&: called as the condition of an if, this function runs without set -e.
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$ROOT/bench/put1k.lua" "$url" >/dev/null &&
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$ROOT/bench/put1k.lua" "$url" | tee "$WORK/$name.wrk" &&
    awk '
      /Requests\/sec:/ { rps = $2 }
      /Non-2xx or 3xx responses:/ { non = $5 }
      /Socket errors:/ { gsub(",", ""); err = $4 + $6 + $8 + $10 }
      END { if (rps == "") exit 1
            printf "{\"perSecond\": %s, \"non2xx\": %d, \"socketErrors\": %d}\n", rps, non, err; exit (non + err > 0) }' \
      "$WORK/$name.wrk" >"$WORK/$name.json"
}

commit="$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo '+changes')"
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
echo "compare: Swell against BullMQ and beanstalkd, $BODY_BYTES-byte bodies, $CONNECTIONS in flight, durable acknowledgements"
echo "  machine: $(nproc) cores, $cpu, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $fstype under $BENCH_DATA"
echo "  commit:  $commit; load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  versions: Redis $redis_version, BullMQ $(node_version bullmq) with ioredis $(node_version ioredis), beanstalkd $beanstalkd_version with jackd $(node_version jackd), Node $(node --version), $("$JAVA" -version 2>&1 | head -n 1)"
[[ "${QUICK:-0}" != 1 ]] || echo "  QUICK=1: tiny sizes, to check that the script works; these numbers mean nothing"


# --- 1. Enqueue only: each side alone on the machine, one after the other -------------------------
echo "enqueue only..." >&2
PEER_ENQUEUE=(--clients "$CONNECTIONS" --body-bytes "$BODY_BYTES" --iterations "$ITERATIONS" --warmup "$WARMUP" --duration "$DURATION")

start_redis redis-enqueue
measured bullmq-enqueue node_driver bullmq-enqueue bullmq.mjs enqueue --port "$RPORT" "${PEER_ENQUEUE[@]}"
stop "$RPID"

start_beanstalkd beanstalkd-enqueue
measured beanstalkd-enqueue node_driver beanstalkd-enqueue beanstalkd.mjs enqueue --port "$BPORT" "${PEER_ENQUEUE[@]}"
stop "$BPID"

# One endpoint and no workers: the endpoint and the balancer have the machine to themselves. The
# loadtest goes first; wrk then drives the same endpoint, with a queue the loadtest has filled.
swell_local swell-enqueue 1 '"fleet":{"type":"none"},"minWorkers":0,"maxWorkers":0'
measured swell-enqueue-loadtest swell_loadtest swell-enqueue-loadtest --url "$URLS" --enqueue-only \
  --clients "$CONNECTIONS" --works "$ENQ_WORKS" --warmup-works "$ENQ_WARMUP_WORKS" --body-bytes "$BODY_BYTES" --iterations "$ITERATIONS"
measured swell-enqueue-wrk wrk_put swell-enqueue-wrk "$URLS/enqueue?iterations=$ITERATIONS"
stop "$PID"

# --- 2. End to end with one worker, started and ready before the clock starts ---------------------
echo "end to end..." >&2
PEER_E2E=(--clients "$CONNECTIONS" --body-bytes "$BODY_BYTES" --iterations "$ITERATIONS" --works "$WORKS"
  --warmup-works "$WARMUP_WORKS" --timeout "$TIMEOUT")

start_redis redis-e2e
start bullmq-worker node "$COMPARE/bullmq-worker.mjs" --port "$RPORT" --concurrency "$CONCURRENCY"
WPID=$LAST_PID
wait_ready bullmq-worker "$WPID"
measured bullmq-e2e node_driver bullmq-e2e bullmq.mjs e2e --port "$RPORT" "${PEER_E2E[@]}"
stop "$WPID"
stop "$RPID"

start_beanstalkd beanstalkd-e2e
start beanstalkd-worker node "$COMPARE/beanstalkd-worker.mjs" --port "$BPORT" --concurrency "$CONCURRENCY"
WPID=$LAST_PID
wait_ready beanstalkd-worker "$WPID"
measured beanstalkd-e2e node_driver beanstalkd-e2e beanstalkd.mjs e2e --port "$BPORT" "${PEER_E2E[@]}"
stop "$WPID"
stop "$BPID"

# As bench/dispatch.sh: two endpoints, a fixed fleet of one worker JVM, registered before the clock.
swell_local swell-e2e 2 "\"fleet\":{\"type\":\"process\",\"workerThreads\":$WORKER_THREADS},\"minWorkers\":1,\"maxWorkers\":1,\"idleTimeoutMs\":3600000"
wait_workers "$BALANCER" "$TOKEN" "$WORKER_THREADS" 120
measured swell-e2e swell_loadtest swell-e2e --url "$URLS" --clients "$CONNECTIONS" --works "$WORKS" \
  --warmup-works "$WARMUP_WORKS" --body-bytes "$BODY_BYTES" --iterations "$ITERATIONS" --timeout "${TIMEOUT}s"
stop "$PID"

# --- The table ------------------------------------------------------------------------------------
bullmq_enq=$(value bullmq-enqueue .perSecond)
beanstalkd_enq=$(value beanstalkd-enqueue .perSecond)
swell_enq=$(value swell-enqueue-loadtest .enqueue.perSecond)
swell_wrk=$(value swell-enqueue-wrk .perSecond)
bullmq_e2e=$(value bullmq-e2e .perSecond)
beanstalkd_e2e=$(value beanstalkd-e2e .perSecond)
swell_e2e=$(value swell-e2e .results.perSecond)

# ratio A B: A / B as "1.52x", or "-" when either failed.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", a / b; else printf "-" }'; }
rate() { awk -v r="$1" 'BEGIN { if (r == "failed") printf "failed"; else printf "%.0f", r }'; }
row() { printf "  %-62s %10s%s\n" "$1" "$(rate "$2")" "${3:+   $3}"; }
versus() { echo "= $(ratio "$1" "$bullmq_enq") BullMQ, $(ratio "$1" "$beanstalkd_enq") beanstalkd"; }
versus_e2e() { echo "= $(ratio "$1" "$bullmq_e2e") BullMQ, $(ratio "$1" "$beanstalkd_e2e") beanstalkd"; }

echo
printf "  %-62s %10s\n" "enqueue only: acknowledged jobs/s, $CONNECTIONS in flight" "jobs/s"
row "BullMQ $(node_version bullmq), one Queue, Redis $redis_version appendfsync always" "$bullmq_enq"
row "beanstalkd $beanstalkd_version -f 0, jackd, $CONNECTIONS connections" "$beanstalkd_enq"
row "Swell local, sqlite + fsync, swell loadtest --clients $CONNECTIONS" "$swell_enq" "$(versus "$swell_enq") (target >= 1.5x)"
row "Swell local, sqlite + fsync, wrk -t$THREADS -c$CONNECTIONS (reference)" "$swell_wrk" "$(versus "$swell_wrk")"
printf "  %-62s %10s\n" "end to end: $WORKS works of iterations=$ITERATIONS, one worker" "works/s"
row "BullMQ: one Worker process, concurrency $CONCURRENCY" "$bullmq_e2e"
row "beanstalkd: one worker process, $CONCURRENCY connections" "$beanstalkd_e2e"
row "Swell: one worker JVM, $WORKER_THREADS compute threads, swell loadtest" "$swell_e2e" "$(versus_e2e "$swell_e2e")"
echo "  load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "  for bench/README.md:"
echo "  | $(date +%F) | $commit | $(nproc) x $cpu | $(rate "$bullmq_enq") / $(rate "$beanstalkd_enq") / $(rate "$swell_enq") ($(rate "$swell_wrk")) | $(ratio "$swell_enq" "$bullmq_enq"), $(ratio "$swell_enq" "$beanstalkd_enq") | $(rate "$bullmq_e2e") / $(rate "$beanstalkd_e2e") / $(rate "$swell_e2e") | $(ratio "$swell_e2e" "$bullmq_e2e"), $(ratio "$swell_e2e" "$beanstalkd_e2e") |"
if [[ "$FAILED" -gt 0 ]]; then
  echo "  $FAILED measurement(s) FAILED (see above)" >&2
  exit 1
fi
