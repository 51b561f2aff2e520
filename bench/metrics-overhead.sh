#!/usr/bin/env bash
# What metrics cost, in two parts of one invocation:
#
# 1. bench/enqueue.sh and bench/dispatch.sh, each run with metrics on and off (SWELL_METRICS=true|false,
#    which every Swell JVM they start reads), ROUNDS times in the order on-off-off-on-..., so that a
#    drift of the machine's load hits both alike. Prints every run, the mean of each side and the
#    difference; enqueue.sh's bare server, which has no metrics either way, shows how much the machine
#    itself moved between runs.
# 2. Paired: the same two measurements against two Swells started side by side, one with metrics and
#    one without, measured in alternation PAIRS times (BURST seconds of wrk each; DISPATCH_WORKS works
#    of swell loadtest each), so that both sides of each pair meet the same load from the rest of the
#    machine. The mean of the pairs' ratios is the number to quote on a shared machine.
#
#   ROUNDS=2 PAIRS=8 bench/metrics-overhead.sh   (part 1 passes the scripts' own knobs on: DURATION, WORKS, ...)
source "$(dirname "$0")/lib.sh"

ROUNDS="${ROUNDS:-2}"
PAIRS="${PAIRS:-8}"
BURST="${BURST:-10}"
DISPATCH_WORKS="${DISPATCH_WORKS:-20000}"
require_jar
DIR="$(dirname "$0")"

# run SCRIPT METRICS ROUND: one run of a bench script; prints the file its output went to. A run
# that fails (on a shared machine a free port can be taken between its check and Swell's bind) is
# tried again, twice at most.
run() {
  local script="$1" metrics="$2" out="$WORK/$1-$2-$3.out" try
  for try in 1 2 3; do
    SWELL_METRICS="$metrics" "$DIR/$script.sh" >"$out" 2>&1 && { echo "$out"; return; }
    echo "  ($script.sh with metrics $metrics failed, try $try: $(grep -m1 -E 'ERROR|exited|failed' "$out" || true))" >&2
  done
  cat "$out" >&2
  die "$script.sh failed 3 times (metrics $metrics)"
}

# Each line: SCRIPT METRICS SQLITE_RPS MEMORY_RPS BARE_RPS (enqueue) or SCRIPT METRICS WORKS_PER_S (dispatch).
RESULTS="$WORK/results"
: >"$RESULTS"
echo "metrics overhead: $ROUNDS rounds of bench/enqueue.sh and bench/dispatch.sh, metrics on and off; $(machine)"
echo "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  if (( r % 2 == 1 )); then order="true false"; else order="false true"; fi
  for m in $order; do
    f=$(run enqueue "$m" "$r")
    read -r bare sql mem < <(awk '/bare single-hop/ {b=$4} /sqlite \+ fsync/ {s=$5} /memory store/ {m=$4} END {print b, s, m}' "$f")
    echo "enqueue $m $sql $mem $bare" >>"$RESULTS"
    printf "  round %d enqueue  metrics %-5s  sqlite %7.0f req/s   memory %7.0f req/s   (bare %7.0f)   load %s\n" \
      "$r" "$m" "$sql" "$mem" "$bare" "$(cut -d' ' -f1 /proc/loadavg)"
  done
  for m in $order; do
    f=$(run dispatch "$m" "$r")
    wps=$(awk '/=> / {print $2}' "$f")
    echo "dispatch $m $wps" >>"$RESULTS"
    printf "  round %d dispatch metrics %-5s  %7.0f completed works/s   load %s\n" "$r" "$m" "$wps" \
      "$(cut -d' ' -f1 /proc/loadavg)"
  done
done

(( ROUNDS == 0 )) || awk '
  $1 == "enqueue" { n[$2]++; sql[$2] += $3; mem[$2] += $4; bare[$2] += $5 }
  $1 == "dispatch" { d[$2]++; wps[$2] += $3 }
  function pct(on, off) { return off > 0 ? 100 * (on - off) / off : 0 }
  END {
    printf "  mean enqueue sqlite:   on %7.0f  off %7.0f req/s   on - off: %+5.1f %%\n", sql["true"]/n["true"], sql["false"]/n["false"], pct(sql["true"]/n["true"], sql["false"]/n["false"])
    printf "  mean enqueue memory:   on %7.0f  off %7.0f req/s   on - off: %+5.1f %%\n", mem["true"]/n["true"], mem["false"]/n["false"], pct(mem["true"]/n["true"], mem["false"]/n["false"])
    printf "  mean bare (no metrics either way): %7.0f vs %7.0f req/s   %+5.1f %% (the machine'"'"'s own drift)\n", bare["true"]/n["true"], bare["false"]/n["false"], pct(bare["true"]/n["true"], bare["false"]/n["false"])
    printf "  mean dispatch:         on %7.0f  off %7.0f works/s  on - off: %+5.1f %%\n", wps["true"]/d["true"], wps["false"]/d["false"], pct(wps["true"]/d["true"], wps["false"]/d["false"])
  }' "$RESULTS"

# ---- part 2: paired ------------------------------------------------------------------------------
require_tool wrk
require_tool jq
TOKEN="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d " \n")"

# pair_local NAME METRICS FLEET_JSON MIN_WORKERS: a local role with one endpoint, sqlite + fsync; sets
# EP (its endpoint's port) and BP (its balancer's).
pair_local() {
  local name="$1" metrics="$2" fleet="$3" workers="$4" data
  free_port EP
  free_port BP
  data=$(fresh_data "$name")
  start_swell "$name" "{\"role\":\"local\",\"metrics\":$metrics,\"endpointPorts\":[$EP],\"balancerPort\":$BP,
    \"clusterToken\":\"$TOKEN\",\"dataDir\":\"$data\",\"store\":{\"type\":\"sqlite\",\"durability\":\"fsync\"},
    \"fleet\":$fleet,\"minWorkers\":$workers,\"maxWorkers\":$workers,\"idleTimeoutMs\":3600000}"
  wait_http "http://127.0.0.1:$EP/ready" 60 "$LAST_PID"
}

wrk_rps() { # URL SECONDS: requests/s of PUT /enqueue with 1 KiB bodies, as enqueue.sh sends them
  wrk -t2 -c64 -d"$2s" -s "$ROOT/bench/put1k.lua" "$1" | awk '/Requests\/sec:/ {print $2}'
}

dispatch_wps() { # ENDPOINT_URL WORKS: completed works/s of one swell loadtest run
  loadtest --url "$1" --clients 64 --works "$2" --iterations 1 --body-bytes 1024 --timeout 120s \
    --json "$WORK/pair.json" >/dev/null 2>&1
  jq -r '.results.perSecond | floor' "$WORK/pair.json"
}

# pairs KIND ON_URL OFF_URL: PAIRS pairs, on/off then off/on; prints each and the mean ratio.
pairs() {
  local kind="$1" on_url="$2" off_url="$3" i a b on off ratios=""
  for i in $(seq 1 "$PAIRS"); do
    if (( i % 2 == 1 )); then a=on; else a=off; fi
    for b in $a $([[ $a == on ]] && echo off || echo on); do
      local url; [[ $b == on ]] && url="$on_url" || url="$off_url"
      local v; if [[ $kind == enqueue ]]; then v=$(wrk_rps "$url" "$BURST"); else v=$(dispatch_wps "$url" "$DISPATCH_WORKS"); fi
      [[ $b == on ]] && on="$v" || off="$v"
    done
    ratios+="$on $off"$'\n'
    printf "  pair %d %-8s on %8.0f  off %8.0f  on/off %6.3f   load %s\n" "$i" "$kind" "$on" "$off" \
      "$(awk -v a="$on" -v b="$off" 'BEGIN { print a / b }')" "$(cut -d' ' -f1 /proc/loadavg)"
  done
  awk -v kind="$kind" 'NF == 2 { n++; r += $1 / $2; on += $1; off += $2 }
    END { printf "  paired %-8s mean on/off %6.3f (%+.1f %%); means on %.0f, off %.0f\n", kind, r / n, 100 * (r / n - 1), on / n, off / n }' \
    <<<"$ratios"
}

echo "paired: two Swells side by side (sqlite + fsync, one endpoint each), metrics on and off, measured in turn"
pair_local pair-enq-on true '{"type":"none"}' 0; ON_EP=$EP; ON_PID=$LAST_PID
pair_local pair-enq-off false '{"type":"none"}' 0; OFF_EP=$EP; OFF_PID=$LAST_PID
wrk_rps "http://127.0.0.1:$ON_EP/enqueue?iterations=1" 5 >/dev/null   # warm-up
wrk_rps "http://127.0.0.1:$OFF_EP/enqueue?iterations=1" 5 >/dev/null
pairs enqueue "http://127.0.0.1:$ON_EP/enqueue?iterations=1" "http://127.0.0.1:$OFF_EP/enqueue?iterations=1"
stop "$ON_PID"
stop "$OFF_PID"

WORKER_FLEET='{"type":"process","workerThreads":2}'
pair_local pair-dsp-on true "$WORKER_FLEET" 1; ON_EP=$EP; ON_BP=$BP; ON_PID=$LAST_PID
pair_local pair-dsp-off false "$WORKER_FLEET" 1; OFF_EP=$EP; OFF_BP=$BP; OFF_PID=$LAST_PID
wait_workers "http://127.0.0.1:$ON_BP" "$TOKEN" 2 120
wait_workers "http://127.0.0.1:$OFF_BP" "$TOKEN" 2 120
dispatch_wps "http://127.0.0.1:$ON_EP" "$DISPATCH_WORKS" >/dev/null   # warm-up
dispatch_wps "http://127.0.0.1:$OFF_EP" "$DISPATCH_WORKS" >/dev/null
pairs dispatch "http://127.0.0.1:$ON_EP" "http://127.0.0.1:$OFF_EP"
stop "$ON_PID"
stop "$OFF_PID"
echo "  load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
