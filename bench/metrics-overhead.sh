#!/usr/bin/env bash
# What metrics cost: bench/enqueue.sh and bench/dispatch.sh, each run with metrics on and off
# (SWELL_METRICS=true|false, which every Swell JVM they start reads) in this one invocation, ROUNDS
# times in the order on-off-off-on-..., so that a drift of the machine's load hits both alike. Prints
# every run, the mean of each side and the difference; bench/enqueue.sh's bare server, which has no
# metrics either way, shows how much the machine itself moved between runs.
#
#   ROUNDS=2 bench/metrics-overhead.sh            (the scripts' own knobs pass through: DURATION, WORKS, ...)
source "$(dirname "$0")/lib.sh"

ROUNDS="${ROUNDS:-2}"
require_jar
DIR="$(dirname "$0")"

# run SCRIPT METRICS ROUND: one run of a bench script; prints the file its output went to.
run() {
  local script="$1" metrics="$2" out="$WORK/$1-$2-$3.out"
  SWELL_METRICS="$metrics" "$DIR/$script.sh" >"$out" 2>&1 || { cat "$out" >&2; die "$script.sh failed (metrics $metrics)"; }
  echo "$out"
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

awk '
  $1 == "enqueue" { n[$2]++; sql[$2] += $3; mem[$2] += $4; bare[$2] += $5 }
  $1 == "dispatch" { d[$2]++; wps[$2] += $3 }
  function pct(on, off) { return off > 0 ? 100 * (on - off) / off : 0 }
  END {
    printf "  mean enqueue sqlite:   on %7.0f  off %7.0f req/s   on - off: %+5.1f %%\n", sql["true"]/n["true"], sql["false"]/n["false"], pct(sql["true"]/n["true"], sql["false"]/n["false"])
    printf "  mean enqueue memory:   on %7.0f  off %7.0f req/s   on - off: %+5.1f %%\n", mem["true"]/n["true"], mem["false"]/n["false"], pct(mem["true"]/n["true"], mem["false"]/n["false"])
    printf "  mean bare (no metrics either way): %7.0f vs %7.0f req/s   %+5.1f %% (the machine'"'"'s own drift)\n", bare["true"]/n["true"], bare["false"]/n["false"], pct(bare["true"]/n["true"], bare["false"]/n["false"])
    printf "  mean dispatch:         on %7.0f  off %7.0f works/s  on - off: %+5.1f %%\n", wps["true"]/d["true"], wps["false"]/d["false"], pct(wps["true"]/d["true"], wps["false"]/d["false"])
  }' "$RESULTS"
echo "  load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
