#!/usr/bin/env bash
# Installs what is missing, builds, and starts the app (extra arguments go to q8chat).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)"
exec build/release/app/q8chat "$@"
