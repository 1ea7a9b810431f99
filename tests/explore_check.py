#!/usr/bin/env python3
"""Checks of `uniemu explore`.

usage: explore_check.py --uniemu PATH MODE PROG [ARGS...]

Modes:
  outcomes N OPTS...   explore N runs (2 jobs): at least two distinct outcomes;
                       summary.json is valid JSON whose counts add up to N; every
                       outcome's record replays to the same output (hash), status
                       and per-process ends.
  shard                the seeds split over --shard 1/2 and 2/2, then --merge: the same
                       outcome counts as one unsharded exploration.
  stop                 --stop-on crash stops at the first run that kills a process.
"""
import argparse
import json
import re
import os
import subprocess
import sys
import tempfile

ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/tmp"}
ENV.update({k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")})
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def run(argv):
    p = subprocess.run(argv, env=ENV, stdin=subprocess.DEVNULL, capture_output=True, timeout=280)
    return p.returncode, p.stdout, p.stderr


def fnv(data, h=0xCBF29CE484222325):
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def guest_stderr(err):
    """A replay's stderr without uniemu's own words (crash reports, warnings): explore's
    output hash covers only what the guest wrote."""
    out, skipping = [], False
    for line in err.splitlines(keepends=True):
        if line.startswith(b"uniemu: pid ") or line.startswith(b"uniemu: warning: "):
            skipping = line.startswith(b"uniemu: pid ")
            continue
        if skipping and line.startswith(b"  "):
            continue
        skipping = False
        out.append(line)
    return b"".join(out)


def explore(u, args, prog, out):
    rc, o, e = run([u, "explore", "--jobs", "2", "--out", out] + args + prog)
    if rc != 0:
        fail("explore exited %d: %s" % (rc, e.decode(errors="replace")[-300:]))
    print(o.decode(errors="replace").rstrip())
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


def mode_outcomes(a, tmp):
    runs = int(a.rest[0])
    summary = explore(a.uniemu, ["--runs", str(runs)] + a.rest[1:], a.prog, tmp)
    outs = summary["outcomes"]
    if len(outs) < 2:
        fail("only %d outcome(s) in %d runs" % (len(outs), runs))
    if sum(o["count"] for o in outs) != runs or summary["runs"] != runs:
        fail("counts do not add up to %d" % runs)
    for o in outs:
        rec = os.path.join(tmp, o["record"])
        rc, out, err = run([a.uniemu, "replay", rec])
        h = fnv(guest_stderr(err), fnv(out))
        if "%016x" % h != o["output_hash"] or rc != o["status"]:
            fail("%s replays to status %d, output %016x; the outcome says %d, %s"
                 % (o["record"], rc, h, o["status"], o["output_hash"]))
        # The record is the run of the outcome's first seed (the timeline's title says
        # which seed a record ran), also with two jobs finishing out of order.
        page = os.path.join(tmp, o["record"] + ".html")
        rc, out, err = run([a.uniemu, "timeline", rec, "-o", page])
        with open(page, encoding="utf-8", errors="replace") as f:
            html = f.read()
        if "(seed %d," % o["first_seed"] not in html:
            m = re.search(r"\(seed (\d+),", html)
            fail("%s was recorded from seed %s, not the outcome's first seed %d"
                 % (o["record"], m.group(1) if m else "?", o["first_seed"]))
    print("%d outcomes, every record replays to its outcome and is its first seed's" % len(outs))


def table(summary):
    return sorted((o["outcome"], o["status"], o["output_hash"], o["count"], o["first_seed"]) for o in summary["outcomes"])


def mode_shard(a, tmp):
    whole = explore(a.uniemu, ["--runs", "40"], a.prog, os.path.join(tmp, "whole"))
    explore(a.uniemu, ["--runs", "40", "--shard", "1/2"], a.prog, os.path.join(tmp, "s1"))
    explore(a.uniemu, ["--runs", "40", "--shard", "2/2"], a.prog, os.path.join(tmp, "s2"))
    rc, o, e = run([a.uniemu, "explore", "--merge", os.path.join(tmp, "s1"), os.path.join(tmp, "s2"),
                    "--out", os.path.join(tmp, "merged")])
    print(o.decode(errors="replace").rstrip())
    with open(os.path.join(tmp, "merged", "summary.json")) as f:
        merged = json.load(f)
    if table(merged) != table(whole):
        fail("merged shards %r differ from the whole %r" % (table(merged), table(whole)))


def mode_minimize(a, tmp):
    summary = explore(a.uniemu, ["--runs", "300"], a.prog, tmp)
    crashes = [o for o in summary["outcomes"] if "SEGV" in o["outcome"]]
    if not crashes:
        fail("no crash among the outcomes")
    for o in crashes[:3]:
        rec = os.path.join(tmp, o["record"])
        small = rec + ".min"
        rc, out, err = run([a.uniemu, "minimize", rec, "-o", small])
        text = out.decode(errors="replace")
        print(text.rstrip())
        m = [l for l in text.splitlines() if l.startswith("minimized: ")]
        if rc != 0 or not m:
            fail("minimize %s: status %d %s" % (o["record"], rc, err.decode(errors="replace")[-300:]))
            continue
        n = int(m[0].split()[1])
        if n > 2:
            fail("%s minimized to %d preemptions (at most 2 wanted)" % (o["record"], n))
        if "critical pair" not in text and n:
            fail("no critical pair named")
        rc, out, err = run([a.uniemu, "replay", small])
        if "%016x" % fnv(guest_stderr(err), fnv(out)) != o["output_hash"] or rc != o["status"]:
            fail("the minimized record replays to another outcome")


def mode_stop(a, tmp):
    summary = explore(a.uniemu, ["--runs", "200", "--stop-on", "crash"], a.prog, tmp)
    if summary["runs"] > 2:
        fail("--stop-on crash went on for %d runs" % summary["runs"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uniemu", required=True)
    ap.add_argument("mode", choices=["outcomes", "shard", "stop", "minimize"])
    ap.add_argument("rest", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    sep = a.rest.index("--") if "--" in a.rest else None
    if sep is None:
        a.prog, a.rest = a.rest, []
    else:
        a.prog, a.rest = a.rest[sep + 1:], a.rest[:sep]
    with tempfile.TemporaryDirectory() as tmp:
        globals()["mode_" + a.mode](a, tmp)
    print("RESULT: %s" % ("ok" if not failures else "%d failures" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
