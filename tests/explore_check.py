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
  minimize             minimize the crash records of 300 runs: at most 2 preemptions, a
                       critical pair, and the small record replays to the same outcome.
  minimize_spin        a spin-wait race recorded from a copy of the program that is then
                       deleted: minimize finishes, within its bounds, from the record
                       alone, leaves no temporary files, and its record replays.
  minimize_killed      minimize stopped by SIGTERM while it runs leaves no output, no
                       temporary directory and no candidate run behind.
  worker_killed        a run's process killed from outside (SIGKILL) is an outcome of its
                       own, reported with its seed, its stderr kept in DIR.
  rr_refused           explore --sched rr is a usage error that says why (rr takes no
                       decision from the seed).
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


def mode_minimize_spin(a, tmp):
    import shutil
    prog = os.path.join(tmp, "spinprog")
    shutil.copy(a.prog[0], prog)
    rec = os.path.join(tmp, "r.rec")
    for seed in range(1, 40):
        rc, _, _ = run([a.uniemu, "record", "-o", rec, "--seed", str(seed), prog])
        if rc == 1:
            break
    else:
        return fail("no seed in 1..39 ran the thread before main's read")
    os.unlink(prog)
    tdir = os.path.join(tmp, "t")
    os.mkdir(tdir)
    env = dict(ENV, TMPDIR=tdir)
    small = os.path.join(tmp, "m.rec")
    try:
        p = subprocess.run([a.uniemu, "minimize", rec, "-o", small], env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        return fail("minimize did not finish in 120 s on a spin-wait race")
    text = p.stdout.decode(errors="replace")
    print(text.rstrip(), p.stderr.decode(errors="replace").rstrip())
    m = [l for l in text.splitlines() if l.startswith("minimized: ")]
    if p.returncode != 0 or not m:
        return fail("minimize exited %d" % p.returncode)
    if int(m[0].split()[1]) != 1:
        fail("one switch decides this race; minimize left: " + m[0])
    if "critical pair of switch 1" not in text:
        fail("no critical pair named")
    if os.listdir(tdir):
        fail("minimize left %r in TMPDIR" % os.listdir(tdir))
    rc, out, err = run([a.uniemu, "replay", small])
    if rc != 1:
        fail("the minimized record replays to status %d, not 1" % rc)


def mode_minimize_killed(a, tmp):
    import signal
    import time
    summary = explore(a.uniemu, ["--runs", "300"], a.prog, tmp)
    crashes = [o for o in summary["outcomes"] if "SEGV" in o["outcome"]]
    if not crashes:
        return fail("no crash among the outcomes")
    tdir = os.path.join(tmp, "t")
    os.mkdir(tdir)
    small = os.path.join(tmp, "killed-minimize-output.rec")
    p = subprocess.Popen([a.uniemu, "minimize", os.path.join(tmp, crashes[0]["record"]), "-o", small],
                         env=dict(ENV, TMPDIR=tdir), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    first = p.stdout.readline()   # "record: ...": the candidate runs start after it
    print(first.decode(errors="replace").rstrip())
    p.send_signal(signal.SIGTERM)
    p.communicate(timeout=60)
    if p.returncode != -signal.SIGTERM:
        fail("minimize ended with %r, not SIGTERM (it finished first?)" % p.returncode)
    time.sleep(0.5)
    left = []
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if small.encode() in f.read():
                    left.append(pid)
        except OSError:
            pass
    if left:
        fail("candidate runs left running: %r" % left)
        for pid in left:
            os.kill(int(pid), signal.SIGKILL)
    if os.listdir(tdir):
        fail("minimize left %r in TMPDIR" % os.listdir(tdir))
    if os.path.exists(small):
        fail("minimize left an output file")


def mode_worker_killed(a, tmp):
    import signal
    import time
    out = os.path.join(tmp, "out")
    p = subprocess.Popen([a.uniemu, "explore", "--runs", "1", "--out", out] + a.prog, env=ENV,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child = None
    for _ in range(200):
        try:
            with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
                kids = f.read().split()
        except OSError:
            kids = []
        if kids:
            child = int(kids[0])
            break
        time.sleep(0.05)
    if child is None:
        p.kill()
        return fail("explore started no run")
    os.kill(child, signal.SIGKILL)
    try:
        o, e = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        return fail("explore went on after its only run was killed (running it again?)")
    text = e.decode(errors="replace")
    print(o.decode(errors="replace").rstrip(), text.rstrip())
    if "seed 0: uniemu killed by SIGKILL; run it again with uniemu run --seed 0" not in text:
        fail("the killed run is not reported with its seed")
    if not os.path.exists(os.path.join(out, "failure-seed-0.stderr")):
        fail("its stderr was not kept in DIR")
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    if [x["outcome"] for x in summary["outcomes"]] != ["uniemu killed by SIGKILL"]:
        fail("summary outcomes: %r" % summary["outcomes"])


def mode_rr_refused(a, tmp):
    rc, out, err = run([a.uniemu, "explore", "--runs", "5", "--sched", "rr", "--out", tmp] + a.prog)
    if rc != 2 or b"same schedule for every seed" not in err:
        fail("explore --sched rr: status %d, %r (a usage error that says why wanted)" % (rc, err[-200:]))


def mode_stop(a, tmp):
    summary = explore(a.uniemu, ["--runs", "200", "--stop-on", "crash"], a.prog, tmp)
    if summary["runs"] > 2:
        fail("--stop-on crash went on for %d runs" % summary["runs"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uniemu", required=True)
    ap.add_argument("mode", choices=["outcomes", "shard", "stop", "minimize", "minimize_spin", "minimize_killed", "rr_refused", "worker_killed"])
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
