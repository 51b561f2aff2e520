#!/usr/bin/env bash
# Is Swell's own load tester the bottleneck? `swell loadtest --enqueue-only` against `wrk` with
# bench/put1k.lua on the same endpoint of one Swell (`local`, sqlite + fsync, one endpoint, no
# workers), CONNECTIONS (64) in flight, 1 KiB bodies, ROUNDS times in the same run, the order
# alternating so that neither side always meets the fuller queue. Prints each side's rate, the
# loadtest's CPU, and the ratio per round (target: the loadtest at >= 90 % of wrk). Then SHARE_ROUNDS
# rounds of both at once, half the connections each, which the noise of a shared machine hits alike.
#
# wrk: WARMUP s uncounted, then DURATION s. The loadtest takes counts: WARMUP_WORKS uncounted, then
# WORKS. Swell itself is first warmed with SWELL_WARMUP s of wrk in one-second slices, which show
# how long a fresh Swell takes to warm up; neither side of the comparison pays for Swell's JIT.
#
#   ROUNDS=2 SHARE_ROUNDS=2 DURATION=15 WARMUP=5 WORKS=300000 WARMUP_WORKS=60000 SWELL_WARMUP=60 \
#   bench/loadtest-vs-wrk.sh
source "$(dirname "$0")/lib.sh"

ROUNDS="${ROUNDS:-2}"
DURATION="${DURATION:-15}"
WARMUP="${WARMUP:-5}"
WORKS="${WORKS:-300000}"
WARMUP_WORKS="${WARMUP_WORKS:-60000}"
SWELL_WARMUP="${SWELL_WARMUP:-60}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
SHARE_ROUNDS="${SHARE_ROUNDS:-2}"

require_jar
require_tool wrk
require_tool jq
LUA="$ROOT/bench/put1k.lua"

# Swell's data goes under BENCH_DATA: on a tmpfs an fsync costs nothing and the rate would lie.
mkdir -p "$BENCH_DATA"
fstype=$(df --output=fstype "$BENCH_DATA" | tail -n 1 | tr -d ' ')
[[ "$fstype" != tmpfs && "$fstype" != ramfs ]] || die "$BENCH_DATA is on $fstype, where fsync is free"

TOKEN="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d " \n")"
free_port PORT
free_port BPORT
DATA=$(fresh_data loadtest-vs-wrk)
start_swell local "{\"role\":\"local\",\"endpointPorts\":[$PORT],\"balancerPort\":$BPORT,\"clusterToken\":\"$TOKEN\",
  \"dataDir\":\"$DATA\",\"store\":{\"type\":\"sqlite\",\"durability\":\"fsync\"},
  \"fleet\":{\"type\":\"none\"},\"minWorkers\":0,\"maxWorkers\":0,\"maxPending\":10000000}"
PID=$LAST_PID
URL="http://127.0.0.1:$PORT"
wait_http "$URL/ready" 60 "$PID"

# wrk_rate: WARMUP s, then DURATION s measured; prints requests/s, or fails if any answer was not a 2xx.
wrk_rate() {
  local out
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$LUA" "$URL/enqueue?iterations=1" >/dev/null
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$LUA" "$URL/enqueue?iterations=1")
  echo "$out" >>"$WORK/wrk.out"
  awk '
    /Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { non = $5 }
    /Socket errors:/ { gsub(",", ""); err = $4 + $6 + $8 + $10 }
    END { if (rps == "" || non + err > 0) exit 1; printf "%.0f\n", rps }' <<<"$out"
}

# loadtest_rate N: one loadtest; prints "RATE CPU_CORES" from its JSON report.
loadtest_rate() {
  loadtest --url "$URL" --enqueue-only --clients "$CONNECTIONS" --body-bytes 1024 --iterations 1 \
    --works "$WORKS" --warmup-works "$WARMUP_WORKS" --json "$WORK/loadtest-$1.json" >"$WORK/loadtest-$1.out" 2>&1 \
    || die "loadtest failed; its output ends:"$'\n'"$(tail -n 12 "$WORK/loadtest-$1.out")"
  jq -r '"\(.enqueue.perSecond | floor) \(((.client.cpuCores // 0) * 100 | round) / 100)"' "$WORK/loadtest-$1.json"
}

commit="$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo '+changes')"
echo "loadtest vs wrk: enqueue only, $CONNECTIONS in flight, 1 KiB bodies, one endpoint of local (sqlite + fsync, no workers)"
echo "  machine: $(machine)"
echo "  commit:  $commit; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  wrk -t$THREADS: ${WARMUP}s uncounted then ${DURATION}s; loadtest: $WARMUP_WORKS works uncounted then $WORKS"

# The fresh Swell's warm-up, seen through wrk (which has no JIT of its own to warm): one-second
# slices, each with 64 new connections. As the loadtest's --warmup-report: the final rate is the median
# of the second half, and the rate settled at the first second from which three seconds together come
# within 10 % of it.
echo "  fresh Swell, wrk in 1 s slices for ${SWELL_WARMUP}s (works/s per second; JIT-free client):"
rates=()
for _ in $(seq 1 "$SWELL_WARMUP"); do
  rates+=("$(wrk -t"$THREADS" -c"$CONNECTIONS" -d1s -s "$LUA" "$URL/enqueue?iterations=1" | awk '/Requests\/sec:/ { printf "%.0f", $2 }')")
done
echo "    ${rates[*]}"
awk -v list="${rates[*]}" 'BEGIN {
  n = split(list, r, " "); if (n < 6) exit
  h = 0; for (i = int(n / 2) + 1; i <= n; i++) half[++h] = r[i]
  for (i = 1; i <= h; i++) for (j = i + 1; j <= h; j++) if (half[j] < half[i]) { t = half[i]; half[i] = half[j]; half[j] = t }
  final = half[int(h / 2) + 1]
  for (s = 1; s + 3 <= n && (r[s] + r[s + 1] + r[s + 2]) / 3 < 0.9 * final; s++) works += r[s]
  printf "    settled within 10 %% of %.0f/s (the median of the second half) after %d s, about %d works\n", final, s - 1, works }'

for round in $(seq 1 "$ROUNDS"); do
  if (( round % 2 == 1 )); then
    w=$(wrk_rate) || die "wrk saw answers other than 2xx:"$'\n'"$(tail -n 12 "$WORK/wrk.out")"
    read -r l cpu <<<"$(loadtest_rate "$round")"
  else
    read -r l cpu <<<"$(loadtest_rate "$round")"
    w=$(wrk_rate) || die "wrk saw answers other than 2xx:"$'\n'"$(tail -n 12 "$WORK/wrk.out")"
  fi
  printf "  round %d: wrk %6d req/s   loadtest %6d works/s (client CPU %s of %d cores)   loadtest/wrk %s\n" \
    "$round" "$w" "$l" "$cpu" "$(nproc)" "$(awk -v a="$l" -v b="$w" 'BEGIN { printf "%.0f %%", 100 * a / b }')"
done

# Both at once, 32 connections each, on the same endpoint: the same server and the same noise for
# both sides, so a client that adds latency gets the smaller share of the answers. The loadtest's
# progress lines (every 5 s) give its rate over the 20 s wrk runs.
for round in $(seq 1 "$SHARE_ROUNDS"); do
  half=$((CONNECTIONS / 2))
  "$JAVA" ${LOADTEST_JAVA_OPTS:-} -jar "$JAR" loadtest --url "$URL" --enqueue-only --clients "$half" --body-bytes 1024 \
    --iterations 1 --warmup-works "$WARMUP_WORKS" --works 100000000 >"$WORK/share.out" 2>"$WORK/share.err" &
  lt=$!
  STARTED_PIDS+=("$lt")
  until grep -q enqueued "$WORK/share.err" 2>/dev/null; do
    kill -0 "$lt" 2>/dev/null || die "loadtest failed; its output ends:"$'\n'"$(tail -n 12 "$WORK/share.err")"
    sleep 0.2
  done
  seen=$(grep -c enqueued "$WORK/share.err")
  w=$(wrk -t1 -c"$half" -d20s -s "$LUA" "$URL/enqueue?iterations=1" | awk '/Requests\/sec:/ { printf "%.0f", $2 }')
  sleep 5.5
  kill "$lt"
  wait "$lt" 2>/dev/null || true
  l=$(grep enqueued "$WORK/share.err" | tail -n +$((seen + 1)) | head -4 | sed -n 's/.*(\([0-9]*\)\/s).*/\1/p' |
    awk '{ s += $1; n++ } END { if (n) printf "%.0f", s / n }')
  printf "  at once, round %d: wrk -t1 -c%d %6d req/s   loadtest --clients %d %6d works/s   loadtest/wrk %s\n" \
    "$round" "$half" "$w" "$half" "$l" "$(awk -v a="$l" -v b="$w" 'BEGIN { printf "%.0f %%", 100 * a / b }')"
done
echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
