#!/usr/bin/env bash
# Balancer memory: heap after a forced full GC and RSS of a balancer JVM of its own (sqlite store,
# no workers) when empty, then holding PENDING (1,000,000) pending works of 1 KiB. The sqlite store
# must keep bodies on disk, so the heap should not grow with them. Filling uses durability "os" by
# default: fsync changes how fast the queue fills, not what it holds (DURABILITY=fsync to insist).
#
#   PENDING=1000000 CLIENTS=64 DURABILITY=os bench/memory.sh
source "$(dirname "$0")/lib.sh"

PENDING="${PENDING:-1000000}"
CLIENTS="${CLIENTS:-64}"
DURABILITY="${DURABILITY:-os}"

require_jar
command -v jcmd >/dev/null && command -v jstat >/dev/null || die "needs jcmd and jstat from a JDK (not a JRE)"

TOKEN="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d " \n")"
free_port BPORT
free_port EPORT
DATA=$(fresh_data memory)
start_swell balancer "{\"role\":\"balancer\",\"host\":\"127.0.0.1\",\"port\":$BPORT,\"clusterToken\":\"$TOKEN\",
  \"dataDir\":\"$DATA\",\"store\":{\"type\":\"sqlite\",\"durability\":\"$DURABILITY\"},\"fleet\":{\"type\":\"none\"},
  \"minWorkers\":0,\"maxWorkers\":0,\"maxPending\":$((PENDING * 2))}"
BPID=$LAST_PID
start_swell endpoint "{\"role\":\"endpoint\",\"host\":\"127.0.0.1\",\"port\":$EPORT,
  \"balancerUrls\":[\"http://127.0.0.1:$BPORT\"],\"clusterToken\":\"$TOKEN\"}"
EPID=$LAST_PID
wait_http "http://127.0.0.1:$EPORT/ready" 60 "$EPID"

# measure: forces a full GC, then prints "HEAP_MIB RSS_MIB" of the balancer.
measure() {
  jcmd "$BPID" GC.run >/dev/null
  sleep 1
  local heap rss
  # Heap in use = survivor + eden + old occupancy, which jstat reports for every collector.
  heap=$(jstat -gc "$BPID" | awk 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i }
    NR == 2 { printf "%.1f", ($col["S0U"] + $col["S1U"] + $col["EU"] + $col["OU"]) / 1024 }')
  rss=$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$BPID/status")
  echo "$heap $rss"
}

echo "memory: balancer with sqlite ($DURABILITY), $PENDING pending works of 1 KiB, no workers; $(machine)"
read -r heap0 rss0 <<<"$(measure)"
rc=0
loadtest --url "http://127.0.0.1:$EPORT" --enqueue-only --clients "$CLIENTS" --works "$PENDING" \
  --body-bytes 1024 --iterations 1 --json "$WORK/memory.json" | sed 's/^/  /' || rc=$?
pending=$(curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$BPORT/status" | jq '.pending')
read -r heap1 rss1 <<<"$(measure)"

printf "  %-30s heap %8.1f MiB   RSS %8.1f MiB\n" "empty balancer" "$heap0" "$rss0"
printf "  %-30s heap %8.1f MiB   RSS %8.1f MiB   (target: heap <= 256 MiB)\n" "$pending pending works" "$heap1" "$rss1"
awk -v h0="$heap0" -v h1="$heap1" -v n="$pending" 'BEGIN { if (n > 0) printf "  => %.1f bytes of heap per pending work\n", (h1 - h0) * 1048576 / n }'
echo "  largest classes on the balancer heap after GC:"
jcmd "$BPID" GC.class_histogram | sed -n '4,11p' | sed 's/^/    /'
exit "$rc"
