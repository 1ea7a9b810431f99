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
musl-gcc -static -O2 -idirafter /usr/include -idirafter /usr/include/x86_64-linux-gnu \
    -o "$out/switch.musl" bench/switch.c
musl-gcc -static -O2 -o "$out/fp.musl" bench/fp.c -lm
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
# Floating point: SSE arithmetic, x87 long double functions (fix sites run on the host),
# and fetestexcept/feclearexcept (the flag fold).
bench fp-nbody "$out/fp.musl nbody 300000"
bench fp-ldouble "$out/fp.musl ldouble 100000"
bench fp-fenv "$out/fp.musl fenv 300000"
bench sha256sum "/bin/busybox sha256sum $out/16MiB.txt"
bench hello "build/tests/guest/hello.musl"

# Blocking switches: two threads hand a token back and forth through futexes.
bench pingpong "$out/switch.musl pingpong 20000"

# Preemption: two threads that never make a system call, switched every Q
# instructions by --sched rr. The cost of one switch is the extra time over the
# run that never switches, divided by the number of switches (decisions).
echo "### preemption (two spinning threads, 2 x 2,000,000 iterations, --sched rr)"
echo
echo "| --quantum | switches | mean time [ms] | cost per switch [us] |"
echo "|---:|---:|---:|---:|"
base=""
for q in 1000000000 100000 10000 1000; do
    build/uniemu run --sched rr --quantum $q --decisions-out "$out/dec.txt" "$out/switch.musl" spin 2000000 >/dev/null
    n=$(wc -l < "$out/dec.txt")
    hyperfine -N --warmup 1 --runs "${RUNS:-5}" --export-json "$out/q$q.json" \
        "build/uniemu run --sched rr --quantum $q $out/switch.musl spin 2000000" >/dev/null
    ms=$(python3 -c "import json,sys; print('%.1f' % (json.load(open(sys.argv[1]))['results'][0]['mean']*1000))" "$out/q$q.json")
    [ -z "$base" ] && base=$ms
    per=$(python3 -c "import sys; b,m,n=map(float,sys.argv[1:]); print('%.1f' % ((m-b)*1000/n) if n>20 else '-')" "$base" "$ms" "$n")
    echo "| $q | $n | $ms | $per |"
done
echo

# The scheduler's cost on a single-threaded program: this build against an older
# one (BASE=<commit>, e.g. the last commit before the scheduler), same binaries.
if [ -n "${BASE:-}" ]; then
    old="$out/base-$BASE"
    if [ ! -x "$old/build/uniemu" ]; then
        rm -rf "$old" && git worktree add -f --detach "$old" "$BASE" >/dev/null 2>&1
        cmake -S "$old" -B "$old/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
        cmake --build "$old/build" --target uniemu -j2 >/dev/null
    fi
    for prog in "$out/cpu.musl 50000000" "$out/syscalls.musl 100000"; do
        hyperfine -N --warmup 1 --runs "${RUNS:-5}" --export-markdown "$out/overhead.md" \
            "$old/build/uniemu run $prog" "build/uniemu run $prog" >/dev/null
        echo "### scheduler overhead: $prog (base $BASE vs this build)"
        echo
        cat "$out/overhead.md"
        echo
    done
fi

# explore: runs per second on small racy programs, 1 and 2 worker processes.
echo "### explore (200 runs each)"
echo
echo "| program | --jobs | mean time [ms] | runs per second |"
echo "|---|---:|---:|---:|"
for prog in "build/tests/guest/clone3_freed.musl" "build/tests/guest/race_counter.musl 2000"; do
    for j in 1 2; do
        hyperfine -N --warmup 1 --runs "${RUNS:-5}" --export-json "$out/explore.json" \
            "build/uniemu explore --runs 200 --jobs $j $prog" >/dev/null
        ms=$(python3 -c "import json,sys; print('%.0f' % (json.load(open(sys.argv[1]))['results'][0]['mean']*1000))" "$out/explore.json")
        echo "| \`$prog\` | $j | $ms | $(python3 -c "print(round(200000/$ms))") |"
    done
done
echo
