#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz") and runs each for SECONDS, one after another.
# Fails on any crash, sanitizer report, leak, timeout or out-of-memory: libFuzzer exits non-zero
# and leaves the input as build/fuzz/artifacts/<target>/crash-*, leak-*, timeout-* or oom-*.
#
#   scripts/fuzz.sh SECONDS [TARGET...]    (default: every target in build/fuzz/fuzzers.txt)
#
# Each target's corpus lives in build/fuzz/corpus/<target> and grows across runs; the generated
# seeds (tests/fuzz/make_seeds.py) are read alongside it. The last lines of each run, with
# libFuzzer's final figures (executions, cov, ft), go to build/fuzz/logs/<target>.log.
# FUZZ_TIMEOUT (seconds, default 25) is libFuzzer's per-input limit, measured in wall-clock time:
# raise it for runs at low priority on a busy machine, where a starved process can sit for tens of
# seconds on an input that takes milliseconds of CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh SECONDS [TARGET...]" >&2
  exit 2
fi
seconds=$1
shift

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"
build=build/fuzz
seeds=$build/seeds
if [ ! -d "$seeds" ] || [ tests/fuzz/make_seeds.py -nt "$seeds" ]; then
  rm -rf "$seeds"
  /usr/bin/python3 tests/fuzz/make_seeds.py "$seeds.tmp"
  mv "$seeds.tmp" "$seeds"
fi

if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets <"$build/fuzzers.txt"; fi

# Leaks count as failures (detect_leaks); UBSan findings abort (-fno-sanitize-recover in the preset).
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t" "$build/artifacts/$t" "$build/logs"
  seed_dir=()
  [ -d "$seeds/$t" ] && seed_dir=("$seeds/$t")
  echo "fuzz: $t for ${seconds}s"
  if "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-25}" -rss_limit_mb=2560 -malloc_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" \
      "$build/corpus/$t" "${seed_dir[@]}" >"$build/logs/$t.log" 2>&1; then
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$build/logs/$t.log" || true
  else
    failed+=("$t")
    tail -n 60 "$build/logs/$t.log"
    echo "fuzz: $t FAILED (log: $build/logs/$t.log, input: $build/artifacts/$t/)" >&2
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failures in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no failures"
