#!/usr/bin/env python3
"""Compare uniemu's --strace log with real strace's log of the same program.

usage: strace_vs_native.py --uniemu PATH -- PROG ARGS...

Runs `setarch -R strace -o NATIVE PROG` and `uniemu run --strace=OURS PROG` with the
same small environment and compares the logs line by line, from the first line the
program's own main() produces (the first openat) to the end: start-up lines differ on
purpose (execve is strace's own; pids differ).
"""
import argparse, os, re, subprocess, sys, tempfile, difflib

ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/tmp"}
ENV.update({k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")})


def tail_from_first_open(lines):
    for i, l in enumerate(lines):
        if l.startswith("open"):
            return lines[i:]
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uniemu", required=True)
    ap.add_argument("prog", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    prog = a.prog[1:] if a.prog[:1] == ["--"] else a.prog
    with tempfile.TemporaryDirectory() as tmp:
        native, ours = os.path.join(tmp, "native.log"), os.path.join(tmp, "ours.log")
        n = subprocess.run(["setarch", "-R", "strace", "-o", native] + prog, env=ENV, cwd=tmp,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=50)
        u = subprocess.run([a.uniemu, "run", "--strace=" + ours] + prog, env=ENV, cwd=tmp,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=50)
        if n.returncode != u.returncode or n.stdout != u.stdout:
            print("FAIL: native and uniemu runs differ: status %d vs %d" % (n.returncode, u.returncode))
            return 1
        want = tail_from_first_open(open(native).read().splitlines())
        got = tail_from_first_open(open(ours).read().splitlines())
        if want != got:
            print("FAIL: logs differ")
            sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(want, got, "strace", "uniemu", lineterm=""))
            return 1
        print("PASS: %d lines identical" % len(want))
        return 0


if __name__ == "__main__":
    sys.exit(main())
