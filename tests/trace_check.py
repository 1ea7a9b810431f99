#!/usr/bin/env python3
"""Compares a --trace file with a hand-checked expectation.

usage: trace_check.py --uniemu PATH --expect FILE [--status N] -- TRACE-OPTIONS... PROG
"""
import argparse
import difflib
import os
import subprocess
import sys
import tempfile

ap = argparse.ArgumentParser()
ap.add_argument("--uniemu", required=True)
ap.add_argument("--expect", required=True)
ap.add_argument("--status", type=int, default=0)
ap.add_argument("args", nargs=argparse.REMAINDER)
a = ap.parse_args()
args = a.args[1:] if a.args[:1] == ["--"] else a.args
env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
env.update({k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")})
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "trace")
    p = subprocess.run([a.uniemu, "run", "--trace-file", out] + args, env=env, capture_output=True, timeout=50)
    got = open(out).read().splitlines() if os.path.exists(out) else []
want = open(a.expect).read().splitlines()
ok = True
if p.returncode != a.status:
    print("FAIL: status %d, expected %d: %s" % (p.returncode, a.status, p.stderr.decode(errors="replace")[-300:]))
    ok = False
if got != want:
    print("FAIL: the trace differs from %s" % a.expect)
    sys.stdout.writelines(l + "\n" for l in difflib.unified_diff(want, got, "expected", "uniemu", lineterm=""))
    ok = False
print("RESULT: %s (%d lines)" % ("ok" if ok else "differs", len(got)))
sys.exit(0 if ok else 1)
