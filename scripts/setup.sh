#!/usr/bin/env bash
# One command for a fresh Debian 12 machine (as root): installs what is missing, builds
# build/uniemu, and runs the main job: the seed's clone3 program with its syscall log.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
echo "== build/uniemu run --strace build/tests/guest/seed_clone3.musl"
status=0
build/uniemu run --strace build/tests/guest/seed_clone3.musl || status=$?
echo "== uniemu exit status: $status"
