#!/usr/bin/env bash
# Worker compute: the worker's hash chain (Sha512Chain) per thread against the tightest
# MessageDigest loop in the same JVM, with warm-up and alternating rounds, then the chain on
# every core at once. Needs nothing but the jar.
#
#   ROUNDS=5 ROUND_MS=2000 bench/compute.sh
source "$(dirname "$0")/lib.sh"

require_jar
echo "machine: $(machine)"
"$JAVA" ${SWELL_JAVA_OPTS:-} -cp "$JAR" swell.bench.ComputeBench --rounds "${ROUNDS:-5}" --round-ms "${ROUND_MS:-2000}"
