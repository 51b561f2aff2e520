#!/usr/bin/env bash
# Several balancers against one: two balancers sharing one local PostgreSQL (fsync and
# synchronous_commit on) behind two endpoints, against the single SQLite balancer (local role, two
# endpoints, sqlite + fsync), in the same run:
#   1. durable enqueue: wrk -c64 (two wrk of 32 connections, one per endpoint), 1 KiB bodies;
#   2. tiny-work dispatch: swell loadtest through both endpoints, one worker of two threads;
#   3. the cost of losing a balancer: enqueues at a steady RATE while one balancer (the leader) is
#      killed with SIGKILL; the enqueues refused or answered later than 1 s, in seconds of traffic.
# Targets (issue 8): enqueue >= 60 % and dispatch >= 50 % of the single SQLite balancer; at most 2 s
# of enqueues refused or delayed past 1 s after the kill.
#
#   DURATION=15 WARMUP=30 WORKS=50000 WARMUP_WORKS=30000 RATE=2000 PROBE_SECONDS=20 KILL_AT=8 bench/ha.sh
source "$(dirname "$0")/lib.sh"

DURATION="${DURATION:-15}"
WARMUP="${WARMUP:-30}"
WORKS="${WORKS:-50000}"
WARMUP_WORKS="${WARMUP_WORKS:-30000}"
WORKER_THREADS="${WORKER_THREADS:-2}"
RATE="${RATE:-2000}"
PROBE_SECONDS="${PROBE_SECONDS:-20}"
KILL_AT="${KILL_AT:-8}"

require_jar
require_tool wrk
require_tool jq
LUA="$ROOT/bench/put1k.lua"
TOKEN="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d " \n")"

# ---- PostgreSQL, from this machine's binaries, as the postgres user when run as root ----------
PGBIN=$(pg_config --bindir 2>/dev/null || true)
[[ -x "$PGBIN/initdb" ]] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$PGBIN/initdb" ]] || die "no PostgreSQL binaries: apt-get install -y postgresql"
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PGDATA=$(fresh_data pg)
[[ $(id -u) -eq 0 ]] && chown postgres "$PGDATA"
free_port PGPORT
as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 >"$WORK/initdb.log" 2>&1 || die "initdb failed: $(tail -5 "$WORK/initdb.log")"
# fsync and synchronous_commit stay on (their defaults): a 200 is on disk, as with sqlite + fsync.
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -o "-p $PGPORT -k $PGDATA -c listen_addresses=127.0.0.1 \
  -c max_connections=200 -c shared_buffers=256MB" start >/dev/null || die "PostgreSQL did not start: $(tail -5 "$PGDATA/server.log")"
stop_pg() { as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true; }
trap 'stop_pg; cleanup' EXIT
as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE swell" postgres
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT, fsync=$(as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -Atc 'show fsync' postgres), synchronous_commit=$(as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -Atc 'show synchronous_commit' postgres)"

# ---- the two setups ---------------------------------------------------------------------------
# single FLEET_JSON MIN MAX: the local role, two endpoints, sqlite + fsync; sets E1 E2 BPORT PID.
single() {
  free_port E1; free_port E2; free_port BPORT
  local data; data=$(fresh_data ha-single)
  start_swell single "{\"role\":\"local\",\"endpointPorts\":[$E1,$E2],\"balancerPort\":$BPORT,\"clusterToken\":\"$TOKEN\",
    \"dataDir\":\"$data\",\"store\":{\"type\":\"sqlite\",\"durability\":\"fsync\"},\"fleet\":$1,\"minWorkers\":$2,\"maxWorkers\":$3,
    \"idleTimeoutMs\":3600000}"
  PID=$LAST_PID
  SINGLE_PIDS=("$PID")
  wait_http "http://127.0.0.1:$E1/ready" 60 "$PID"
}

# cluster FLEET_JSON MIN MAX: two balancers on PostgreSQL (a fresh schema each time), two endpoints
# spreading over them; sets E1 E2 B1 B2 and BAL_PIDS (balancer pids) and CLUSTER_PIDS (all).
SCHEMA=0
cluster() {
  SCHEMA=$((SCHEMA + 1))
  as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE SCHEMA s$SCHEMA" swell
  local url="postgresql://postgres@127.0.0.1:$PGPORT/swell?search_path=s$SCHEMA" i port urls=""
  BAL_PIDS=(); CLUSTER_PIDS=(); BAL_PORTS=()
  for i in 1 2; do
    free_port port
    BAL_PORTS+=("$port")
    start_swell "b$i-$SCHEMA" "{\"role\":\"balancer\",\"balancerId\":\"b$i\",\"host\":\"127.0.0.1\",\"port\":$port,
      \"clusterToken\":\"$TOKEN\",\"dataDir\":\"$(fresh_data "ha-b$i")\",\"store\":{\"type\":\"postgres\",\"url\":\"$url\"},
      \"fleet\":$1,\"minWorkers\":$2,\"maxWorkers\":$3,\"idleTimeoutMs\":3600000}"
    BAL_PIDS+=("$LAST_PID"); CLUSTER_PIDS+=("$LAST_PID")
    urls+="${urls:+,}\"http://127.0.0.1:$port\""
  done
  for i in 1 2; do
    free_port port
    start_swell "e$i-$SCHEMA" "{\"role\":\"endpoint\",\"host\":\"127.0.0.1\",\"port\":$port,\"clusterToken\":\"$TOKEN\",
      \"balancerUrls\":[$urls],\"balancerMode\":\"spread\"}"
    CLUSTER_PIDS+=("$LAST_PID")
    printf -v "E$i" '%s' "$port"
  done
  B1=${BAL_PORTS[0]}; B2=${BAL_PORTS[1]}
  wait_http "http://127.0.0.1:$E1/ready" 60 "${CLUSTER_PIDS[2]}"
  wait_http "http://127.0.0.1:$E2/ready" 60 "${CLUSTER_PIDS[3]}"
}

stop_all() { local p; for p in "$@"; do stop "$p"; done; }

# warm_wrk: WARMUP seconds of wrk on both endpoints, uncounted.
warm_wrk() {
  local half=$((CONNECTIONS_PER_ENDPOINT)) first
  wrk -t1 -c"$half" -d"${WARMUP}s" -s "$LUA" "http://127.0.0.1:$E1/enqueue?iterations=1" >/dev/null &
  first=$!
  wrk -t1 -c"$half" -d"${WARMUP}s" -s "$LUA" "http://127.0.0.1:$E2/enqueue?iterations=1" >/dev/null
  wait "$first"
}

# two_wrk: wrk on both endpoints at once, 32 connections each, after warm_wrk; prints "REQ_PER_S P99_MS NON2XX".
two_wrk() {
  local half=$((CONNECTIONS_PER_ENDPOINT))
  warm_wrk
  wrk -t1 -c"$half" -d"${DURATION}s" --latency -s "$LUA" "http://127.0.0.1:$E1/enqueue?iterations=1" >"$WORK/wrk1.out" &
  local first=$!
  wrk -t1 -c"$half" -d"${DURATION}s" --latency -s "$LUA" "http://127.0.0.1:$E2/enqueue?iterations=1" >"$WORK/wrk2.out"
  wait "$first"
  cat "$WORK/wrk1.out" "$WORK/wrk2.out" >>"$WORK/wrk.out"
  awk '
    /Requests\/sec:/ { rps += $2 }
    /^ +99%/ { v = $2; if (v ~ /us$/) p = v / 1000; else if (v ~ /ms$/) p = v + 0; else p = v * 1000; if (p > p99) p99 = p }
    /Non-2xx or 3xx responses:/ { non += $5 }
    END { printf "%.0f %.2f %d\n", rps, p99, non }' "$WORK/wrk1.out" "$WORK/wrk2.out"
}
CONNECTIONS_PER_ENDPOINT=32

dispatch() { # prints "WORKS_PER_S P99_MS"
  loadtest --url "http://127.0.0.1:$E1,http://127.0.0.1:$E2" --clients 64 --works "$WORKS" --iterations 1 \
    --body-bytes 1024 --warmup-works "$WARMUP_WORKS" --timeout 120s --json "$WORK/$1.json" >"$WORK/$1.out" 2>&1 || true
  jq -r '"\(.results.perSecond | floor) \(.results.enqueueToResultLatencyMs.p99)"' "$WORK/$1.json"
}

echo "ha: $(machine); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit $(git -C "$ROOT" rev-parse --short HEAD)"

NOFLEET='{"type":"none"}'
ONEWORKER="{\"type\":\"process\",\"workerThreads\":$WORKER_THREADS}"

single "$NOFLEET" 0 0
read -r s_enq s_p99 s_non <<<"$(two_wrk)"
stop_all "${SINGLE_PIDS[@]}"

cluster "$NOFLEET" 0 0
read -r c_enq c_p99 c_non <<<"$(two_wrk)"
stop_all "${CLUSTER_PIDS[@]}"

single "$ONEWORKER" 1 1
wait_workers "http://127.0.0.1:$BPORT" "$TOKEN" "$WORKER_THREADS" 120
read -r s_disp s_disp_p99 <<<"$(dispatch single)"
stop_all "${SINGLE_PIDS[@]}"

cluster "$ONEWORKER" 1 1
wait_workers "http://127.0.0.1:$B1" "$TOKEN" "$WORKER_THREADS" 120
read -r c_disp c_disp_p99 <<<"$(dispatch cluster)"
stop_all "${CLUSTER_PIDS[@]}"

# The cost of losing a balancer: the leader goes at KILL_AT seconds into a steady stream.
cluster "$NOFLEET" 0 0
# Warm first: a cold cluster (four fresh JVMs compiling at once) cannot take RATE for its first 30 s
# or so, and the probe would measure the JIT rather than the failover.
warm_wrk
"$JAVA" -cp "$JAR" swell.bench.FailoverProbe "http://127.0.0.1:$E1,http://127.0.0.1:$E2" 200 5 >/dev/null  # the probe's own JIT
"$JAVA" -cp "$JAR" swell.bench.FailoverProbe "http://127.0.0.1:$E1,http://127.0.0.1:$E2" "$RATE" "$PROBE_SECONDS" \
  >"$WORK/probe.json" &
PROBE=$!
sleep "$KILL_AT"
leader=$(curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$B1/status" | jq -r '.cluster.leader')
victim=${BAL_PIDS[0]}
[[ "$leader" == b2 ]] && victim=${BAL_PIDS[1]}
kill -9 "$victim"
wait "$PROBE" || true
stop_all "${CLUSTER_PIDS[@]}"

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", 100 * a / b }'; }
echo
printf "  %-48s %8s works/s   p99 %7s ms\n" "enqueue, single SQLite balancer (wrk -c64)" "$s_enq" "$s_p99"
printf "  %-48s %8s works/s   p99 %7s ms   = %s %% (target >= 60 %%)\n" "enqueue, two balancers on PostgreSQL (wrk -c64)" "$c_enq" "$c_p99" "$(pct "$c_enq" "$s_enq")"
printf "  %-48s %8s works/s   p99 %7s ms\n" "dispatch, single SQLite balancer" "$s_disp" "$s_disp_p99"
printf "  %-48s %8s works/s   p99 %7s ms   = %s %% (target >= 50 %%)\n" "dispatch, two balancers on PostgreSQL" "$c_disp" "$c_disp_p99" "$(pct "$c_disp" "$s_disp")"
jq -r --arg who "$leader" '"  losing the leading balancer (\($who)) at \(.rate)/s: \(.refused) refused, \(.lateOver1000Ms) later than 1 s = \(.badSeconds) s of enqueues (target <= 2 s); first and last affected were due at \(.firstBadDueMs) and \(.lastBadDueMs) ms"' "$WORK/probe.json"
[[ "$s_non$c_non" == 00 ]] || echo "  WARNING: answers other than 200 under wrk: single $s_non, cluster $c_non"
