#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test. This is the README's test command and
# what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)"
ctest --preset release -j 2
# Hardening, briefly (the long runs are in docs/reliability.md): every fuzz target for a few
# seconds, then ThreadSanitizer on the thread pool, its kernels, generation with cancellation and
# speculative decoding.
scripts/fuzz.sh 10
cmake --preset tsan
cmake --build --preset tsan -j "$(nproc)"
ctest --preset tsan
