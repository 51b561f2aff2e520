# Shared by the bench scripts: finds the jar, picks free loopback ports, starts and waits for Swell
# JVMs, and kills every process it started when the script exits, however it exits.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/target/swell.jar"
JAVA="${JAVA:-java}"
# Swell's sqlite data lives on the repository's disk, never in /tmp: on a tmpfs fsync is free and
# the durable numbers would lie.
BENCH_DATA="${BENCH_DATA:-$ROOT/target/bench-data}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/swell-bench.XXXXXX")"
STARTED_PIDS=()

cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    stop "$pid"
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

require_jar() {
  [[ -f "$JAR" ]] || die "no $JAR: build it first with 'mvn -B -q package -DskipTests'"
}

# Installs a missing tool with apt-get (the bench needs wrk and jq, which a fresh machine may lack).
require_tool() {
  local tool="$1" pkg="${2:-$1}"
  command -v "$tool" >/dev/null && return
  echo "installing $pkg..." >&2
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get install -y -q "$pkg" >/dev/null 2>&1 || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q "$pkg" >/dev/null; } \
    || die "cannot install $pkg; install it and run again"
}

# free_port VAR: sets VAR to a TCP port on 127.0.0.1 nobody listens on now and not handed out
# before in this run (no command substitution: the memory of given ports must stay in this shell).
GIVEN_PORTS=" "
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( (RANDOM % 20000) + 30000 ))
    [[ "$GIVEN_PORTS" == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      GIVEN_PORTS+="$p "
      printf -v "$1" '%s' "$p"
      return
    fi
  done
  die "no free port found"
}

# start NAME CMD...: runs CMD in the background, logging to $WORK/NAME.log; sets LAST_PID.
start() {
  local name="$1"
  shift
  "$@" >"$WORK/$name.log" 2>&1 &
  LAST_PID=$!
  STARTED_PIDS+=("$LAST_PID")
}

# stop PID: SIGTERM, and wait: a balancer stops its child workers itself. If it hangs, kill it and
# the children it started (by parent pid), so no worker JVM outlives the bench.
stop() {
  local pid="$1" children
  kill -0 "$pid" 2>/dev/null || return 0
  children=$(pgrep -P "$pid" 2>/dev/null || true)
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  # shellcheck disable=SC2086
  [[ -z "$children" ]] || kill -9 $children 2>/dev/null || true
}

# wait_http URL [SECONDS] [PID]: until URL answers 200; fails early if PID died.
wait_http() {
  local url="$1" secs="${2:-60}" pid="${3:-}"
  for _ in $(seq 1 $((secs * 10))); do
    curl -sf -o /dev/null "$url" && return 0
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      die "the process behind $url exited; the logs end:"$'\n'"$(tail -n 20 "$WORK"/*.log)"
    fi
    sleep 0.1
  done
  die "$url did not answer within ${secs}s"
}

# start_swell NAME JSON: starts a Swell role from inline JSON written to $WORK/NAME.json; sets LAST_PID.
# SWELL_JAVA_OPTS defaults to the JVM options the README recommends for balancers and endpoints.
start_swell() {
  local name="$1" json="$2"
  echo "$json" >"$WORK/$name.json"
  # shellcheck disable=SC2086
  start "$name" "$JAVA" ${SWELL_JAVA_OPTS:--XX:MaxTenuringThreshold=1} -jar "$JAR" -conf "$WORK/$name.json"
}

# wait_workers BALANCER_URL TOKEN THREADS [SECONDS]: until active workers have THREADS threads in all.
wait_workers() {
  local url="$1" token="$2" want="$3" secs="${4:-120}" have
  for _ in $(seq 1 $((secs * 10))); do
    have=$(curl -sf -H "Authorization: Bearer $token" "$url/status" \
      | jq '[.workers[] | select(.state == "active") | .threads] | add // 0' 2>/dev/null || echo 0)
    [[ "$have" -ge "$want" ]] && return 0
    sleep 0.1
  done
  die "workers with $want threads did not register at $url within ${secs}s"
}

# loadtest ARGS...: the repository's own load generator.
loadtest() {
  "$JAVA" ${LOADTEST_JAVA_OPTS:-} -jar "$JAR" loadtest "$@"
}

# fresh_data NAME: an empty data directory for one run.
fresh_data() {
  local dir="$BENCH_DATA/$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "$dir"
}

machine() {
  echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $("$JAVA" -version 2>&1 | head -1)"
}
