#!/usr/bin/env bash
# Runs fuzz targets one after another, each until its process has used SECONDS of CPU time
# (not wall time: on a shared machine the CPU time is what was fuzzed), and logs libFuzzer's
# final statistics to fuzz/logs/<target>.log. Build first: cargo +nightly fuzz build -s none
# Usage: fuzz/campaign.sh SECONDS TARGET...   (run two at once on two cores, one per call)
# The targets write each input to a temporary file: keep those in memory (TMPDIR, default
# /dev/shm), or the disk's I/O wait leaves the fuzzer a fraction of a core. libFuzzer's timeout
# is wall time: beside other work (nice 19) raise FUZZ_TIMEOUT, or slow-but-fine inputs are
# reported as hangs.
set -euo pipefail
export TMPDIR="${TMPDIR:-/dev/shm}"
cd "$(dirname "$0")"
budget="$1"; shift
bin=target/x86_64-unknown-linux-gnu/release
mkdir -p logs
for t in "$@"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  "$bin/$t" "corpus/$t" "seeds/$t" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"logs/$t.log" 2>&1 &
  pid=$!
  tick=$(getconf CLK_TCK)
  while kill -0 "$pid" 2>/dev/null; do
    sleep 10
    cpu=$(awk -v k="$tick" '{print int(($14 + $15) / k)}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    if [ "$cpu" -ge "$budget" ]; then kill -INT "$pid"; fi
  done
  wait "$pid" && rc=0 || rc=$?
  echo "$t: exit $rc after $budget s of CPU; $(grep -c '^==.*ERROR\|deadly signal\|panicked' "logs/$t.log" || true) crash lines" | tee -a logs/summary.txt
done
