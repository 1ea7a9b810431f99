#!/usr/bin/env python3
"""Compare uniemu's --strace log with real strace's log of the same program.

usage: strace_vs_native.py --uniemu PATH -- PROG ARGS...

Runs `setarch -R strace -o NATIVE PROG` and `uniemu run --strace=OURS PROG` with the
same small environment and compares the logs line by line, from the first line the
program's own main() produces (the first openat, or --from REGEX) to the end: start-up
lines differ on purpose (execve is strace's own). The native pid reads as 1000.
"""
import argparse, os, re, subprocess, sys, tempfile, difflib

ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/tmp"}
ENV.update({k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")})


def tail_from(lines, pattern):
    for i, l in enumerate(lines):
        if re.match(pattern, l):
            return lines[i:]
    return lines


def own_pid(lines, pid):
    """The native pid, wherever it shows (si_pid=, kill(), returns), as uniemu's 1000."""
    native = next((m.group(1) for l in lines for m in [re.match(r"set_tid_address\(.*\) += (\d+)$", l)] if m), None)
    if not native:
        return lines
    return [re.sub(r"\b%s\b" % native, str(pid), l) for l in lines]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uniemu", required=True)
    ap.add_argument("--from", dest="start", default="open",
                    help="compare from the first line matching this regex (default: the first open)")
    ap.add_argument("--ignore", action="append", default=[],
                    help="leave out lines matching this regex (calls whose results are the seed's)")
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
        # The padding before " = " depends on the pid's width: compare without it.
        pad = lambda ls: [re.sub(r"\) +=", ") =", l) for l in ls]
        want = pad(tail_from(own_pid(open(native).read().splitlines(), 1000), a.start))
        got = pad(tail_from(open(ours).read().splitlines(), a.start))
        keep = lambda ls: [l for l in ls if not any(re.match(r, l) for r in a.ignore)]
        want, got = keep(want), keep(got)
        if want != got:
            print("FAIL: logs differ")
            sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(want, got, "strace", "uniemu", lineterm=""))
            return 1
        print("PASS: %d lines identical" % len(want))
        return 0


if __name__ == "__main__":
    sys.exit(main())
