#!/usr/bin/env bash
# Dispatch of tiny works end to end: WORKS (100,000) works of iterations=1 through `swell loadtest`
# against Swell's local role (two endpoints, sqlite + fsync) with one worker of two compute threads,
# started and registered before the clock starts. Prints completed works/s and enqueue-to-result p99.
#
# WARMUP_WORKS (20,000) go through first, uncounted, so JIT compilation is not what gets measured.
#
#   WORKS=100000 WARMUP_WORKS=20000 CLIENTS=64 WORKER_THREADS=2 bench/dispatch.sh
source "$(dirname "$0")/lib.sh"

WORKS="${WORKS:-100000}"
CLIENTS="${CLIENTS:-64}"
WORKER_THREADS="${WORKER_THREADS:-2}"
WARMUP_WORKS="${WARMUP_WORKS:-20000}"
DURABILITY="${DURABILITY:-fsync}"

require_jar
require_tool jq

TOKEN="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d " \n")"
free_port P1
free_port P2
free_port BPORT
DATA=$(fresh_data dispatch)
start_swell local "{\"role\":\"local\",\"endpointPorts\":[$P1,$P2],\"balancerPort\":$BPORT,\"clusterToken\":\"$TOKEN\",
  \"dataDir\":\"$DATA\",\"store\":{\"type\":\"sqlite\",\"durability\":\"$DURABILITY\"},
  \"fleet\":{\"type\":\"process\",\"workerThreads\":$WORKER_THREADS},\"minWorkers\":1,\"maxWorkers\":1,
  \"idleTimeoutMs\":3600000}"
PID=$LAST_PID
wait_http "http://127.0.0.1:$P1/ready" 60 "$PID"
wait_workers "http://127.0.0.1:$BPORT" "$TOKEN" "$WORKER_THREADS" 120

echo "dispatch: $WORKS works of iterations=1, 1 KiB bodies, $CLIENTS clients over 2 endpoints, 1 worker x $WORKER_THREADS threads, sqlite + $DURABILITY; $(machine)"
rc=0
loadtest --url "http://127.0.0.1:$P1,http://127.0.0.1:$P2" --clients "$CLIENTS" --works "$WORKS" \
  --iterations 1 --body-bytes 1024 --warmup-works "$WARMUP_WORKS" --timeout 120s --json "$WORK/dispatch.json" | sed 's/^/  /' || rc=$?

jq -r '"  => \(.results.perSecond | floor) completed works/s (target >= 10000), enqueue-to-result p99 \(.results.enqueueToResultLatencyMs.p99 * 10 | round / 10) ms, \(.results.completed)/\(.enqueue.requested) back"' \
  "$WORK/dispatch.json"
exit "$rc"
