#!/usr/bin/env python3
"""Checks the words uniemu says about a guest's mistakes: runs `uniemu run ARGS...` and
requires every --expect REGEX to match a line of its stderr (and --absent ones none).

usage: explain_check.py --uniemu PATH [--expect REGEX]... [--absent REGEX]... -- ARGS...
"""
import argparse
import os
import re
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--uniemu", required=True)
ap.add_argument("--expect", action="append", default=[])
ap.add_argument("--absent", action="append", default=[])
ap.add_argument("args", nargs=argparse.REMAINDER)
a = ap.parse_args()
args = a.args[1:] if a.args[:1] == ["--"] else a.args
env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
env.update({k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")})
p = subprocess.run([a.uniemu, "run"] + args, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=50)
err = p.stderr.decode(errors="replace")
print(err)
bad = [r for r in a.expect if not re.search(r, err, re.M)] + [r for r in a.absent if re.search(r, err, re.M)]
for r in bad:
    print("FAIL: " + ("missing: " if r in a.expect else "present: ") + r)
print("RESULT: " + ("ok" if not bad else "%d failures" % len(bad)))
sys.exit(1 if bad else 0)
