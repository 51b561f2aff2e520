#!/usr/bin/env bash
# Enqueue throughput: wrk (64 connections, 1 KiB bodies) against PUT /enqueue on a bare single-hop
# Vert.x server (this machine's ceiling), on an endpoint with the sqlite store and fsync, and on an
# endpoint with the memory store, one after the other in the same run. Prints requests/s, p99, ratios.
#
#   DURATION=20 WARMUP=5 CONNECTIONS=64 THREADS=2 bench/enqueue.sh
source "$(dirname "$0")/lib.sh"

DURATION="${DURATION:-20}"
WARMUP="${WARMUP:-5}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"

require_jar
require_tool wrk
LUA="$ROOT/bench/put1k.lua"

# run_wrk URL: warm-up, then the measured run; prints "REQ_PER_S P99_MS NON_200 ERRORS".
run_wrk() {
  local url="$1" out
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$LUA" "$url" >/dev/null
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$LUA" "$url")
  echo "$out" >>"$WORK/wrk.out"
  awk '
    /Requests\/sec:/ { rps = $2 }
    /^ +99%/ { v = $2; if (v ~ /us$/) p = v / 1000; else if (v ~ /ms$/) p = v + 0; else if (v ~ /m$/) p = v * 60000; else p = v * 1000 }
    /Non-2xx or 3xx responses:/ { non = $5 }
    /Socket errors:/ { gsub(",", ""); err = $4 + $6 + $8 + $10 }
    END { printf "%s %s %d %d\n", rps, p, non, err }' <<<"$out"
}

TOKEN="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d " \n")"

# swell_local NAME STORE_JSON: Swell's local role with one endpoint and no workers, so the endpoint
# and balancer have the machine to themselves; sets PORT and PID.
# maxPending is raised above the default 2,000,000: nothing consumes the queue, and a fast store
# fills that in under 30 s, after which the 503s that wrk counts as answers would inflate the rate.
swell_local() {
  local name="$1" store="$2" bport data
  free_port PORT
  free_port bport
  data=$(fresh_data "$name")
  start_swell "$name" "{\"role\":\"local\",\"endpointPorts\":[$PORT],\"balancerPort\":$bport,\"clusterToken\":\"$TOKEN\",
    \"dataDir\":\"$data\",\"store\":$store,\"fleet\":{\"type\":\"none\"},\"minWorkers\":0,\"maxWorkers\":0,
    \"maxPending\":10000000}"
  PID=$LAST_PID
  wait_http "http://127.0.0.1:$PORT/ready" 60 "$PID"
}

echo "enqueue: wrk -t$THREADS -c$CONNECTIONS, 1 KiB bodies, ${DURATION}s measured after ${WARMUP}s warm-up; $(machine)"

free_port PORT
start bare "$JAVA" -cp "$JAR" swell.bench.BareServer "$PORT"
PID=$LAST_PID
wait_http "http://127.0.0.1:$PORT/enqueue" 60 "$PID"
out=$(run_wrk "http://127.0.0.1:$PORT/enqueue?iterations=1")
read -r bare_rps bare_p99 bare_non bare_err <<<"$out"
stop "$PID"

swell_local sqlite '{"type":"sqlite","durability":"fsync"}'
out=$(run_wrk "http://127.0.0.1:$PORT/enqueue?iterations=1")
read -r sql_rps sql_p99 sql_non sql_err <<<"$out"
stop "$PID"

swell_local memory '{"type":"memory"}'
out=$(run_wrk "http://127.0.0.1:$PORT/enqueue?iterations=1")
read -r mem_rps mem_p99 mem_non mem_err <<<"$out"
stop "$PID"

row() { # LABEL RPS P99 NON200 ERRORS [RATIO_NOTE]
  printf "  %-28s %10.0f req/s   p99 %7.2f ms   %s\n" "$1" "$2" "$3" "$6"
  if [[ "$4" != 0 || "$5" != 0 ]]; then
    printf "  %-28s   WARNING: %s answers other than 200, %s socket errors (see below)\n" "" "$4" "$5"
  fi
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", 100 * a / b }'; }

row "bare single-hop server" "$bare_rps" "$bare_p99" "$bare_non" "$bare_err" ""
row "endpoint, sqlite + fsync" "$sql_rps" "$sql_p99" "$sql_non" "$sql_err" \
  "$(ratio "$sql_rps" "$bare_rps") % of bare (target >= 40 %, p99 <= 15 ms)"
row "endpoint, memory store" "$mem_rps" "$mem_p99" "$mem_non" "$mem_err" "$(ratio "$mem_rps" "$bare_rps") % of bare"
if [[ "$sql_non$sql_err$mem_non$mem_err$bare_non$bare_err" != 000000 ]]; then
  grep -E 'Non-2xx|Socket errors' "$WORK/wrk.out" || true
fi
