#!/usr/bin/env bash
# Benchmarks: uniemu against native and qemu-user on the same static binaries.
# Needs hyperfine and qemu-user (apt-get install hyperfine qemu-user) and a build in build/.
# Writes a Markdown table to stdout; docs/benchmarks.md holds the results of one run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/bench
mkdir -p "$out"
musl-gcc -static -O2 -o "$out/cpu.musl" bench/cpu.c
gcc -static -O2 -o "$out/cpu.glibc" bench/cpu.c
musl-gcc -static -O2 -o "$out/syscalls.musl" bench/syscalls.c
head -c 16777216 /dev/zero | tr '\0' 'a' > "$out/16MiB.txt"
qemu=$(command -v qemu-x86_64 || true)

bench() {   # name, then the guest command line
    local name=$1; shift
    local cmds=("$*" "build/uniemu run $*")
    [ -n "$qemu" ] && cmds+=("$qemu $*")
    hyperfine -N --warmup 1 --runs "${RUNS:-5}" --export-markdown "$out/$name.md" "${cmds[@]}" >/dev/null
    echo "### $name"
    echo
    cat "$out/$name.md"
    echo
}

bench cpu-musl "$out/cpu.musl 50000000"
bench cpu-glibc "$out/cpu.glibc 50000000"
bench syscalls "$out/syscalls.musl 100000"
bench sha256sum "/bin/busybox sha256sum $out/16MiB.txt"
bench hello "build/tests/guest/hello.musl"
