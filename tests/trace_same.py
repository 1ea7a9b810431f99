#!/usr/bin/env python3
"""Tracing observes without touching: each program runs under each schedule with and
without --trace=insn,block,mem, and stdout, stderr, the exit status and the stream of
scheduling decisions (--decisions-out) must be the same both ways.

usage: trace_same.py --uniemu PATH --schedules rr:3,rr:7,rr:13,random:1 -- PROG ARGS...
("rr:7" is --sched rr --quantum 7; "random:1" is --sched random --seed 1.)
"""
import argparse
import os
import subprocess
import sys
import tempfile

ap = argparse.ArgumentParser()
ap.add_argument("--uniemu", required=True)
ap.add_argument("--schedules", required=True)
ap.add_argument("args", nargs=argparse.REMAINDER)
a = ap.parse_args()
prog = a.args[1:] if a.args[:1] == ["--"] else a.args
env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
env.update({k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")})
failures = 0
with tempfile.TemporaryDirectory() as tmp:
    for spec in a.schedules.split(","):
        kind, n = spec.split(":")
        sched = ["--sched", "rr", "--quantum", n] if kind == "rr" else ["--sched", kind, "--seed", n]
        runs = []
        for traced in (False, True):
            dec = os.path.join(tmp, "dec%d" % traced)
            extra = ["--trace=insn,block,mem", "--trace-file", os.devnull] if traced else []
            p = subprocess.run([a.uniemu, "run", "--decisions-out", dec] + sched + extra + prog, env=env,
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=250)
            runs.append((p.returncode, p.stdout, p.stderr, open(dec, "rb").read()))
        names = ("status", "stdout", "stderr", "decisions")
        diff = [names[i] for i in range(4) if runs[0][i] != runs[1][i]]
        ndec = runs[0][3].count(b"\n")
        if diff:
            failures += 1
            print("FAIL: %s: traced and untraced runs differ in %s (status %d vs %d)"
                  % (spec, ", ".join(diff), runs[0][0], runs[1][0]))
        else:
            print("%s: the same with and without tracing (status %d, %d decisions)" % (spec, runs[0][0], ndec))
        if ndec < 2:
            failures += 1
            print("FAIL: %s: only %d decisions: the program does not switch, the check cannot tell" % (spec, ndec))
print("RESULT: %s" % ("ok" if not failures else "%d failures" % failures))
sys.exit(1 if failures else 0)
