#!/usr/bin/env python3
"""Checks of the scheduler that a native comparison cannot make: races whose
outcome depends on the interleaving, across seeds.

usage: sched_check.py --uniemu PATH MODE PROG [ARGS...]

Modes:
  seed       the seed report's clone3 program: for each seed the child must die of
             SIGSEGV while the parent prints "Parent process running" and exits 0;
             the outcomes (where the child's death falls among the parent's calls)
             are listed per seed, and at least three distinct ones must show up.
  order      a program printing two lines in a racy order (clone3_fixed): both
             orders must show up across seeds, nothing may crash.
  race       the counter++ race: some seeds must lose updates under pct and under
             random; every seed gives the same count twice.
  replay     decisions written by a random run and forced into an rr run give the
             same output and log; a truncated decisions file is refused (125).
  outputs    any program whose output depends on the interleaving (a threaded python3
             script), or on --net-faults (--uniemu-opt): each seed exits 0, and at
             least three distinct outputs show up.
  deadlock   the program must be reported as a deadlock: status 125, each task listed.
  stracef    the --strace log of a threaded program: [pid N] prefixes only while
             several tasks live, <unfinished ...> matched by <... resumed>.

Every mode also checks determinism: the same seed twice gives the same bytes.
Exit status 0 when all checks pass, 1 otherwise.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

TIMEOUT = 60
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def run(uniemu, opts, prog, log=None):
    argv = [uniemu, "run"] + opts + (["--strace=" + log] if log else []) + prog
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
    # The sanitizer build's settings (scripts/test.sh) pass through.
    env.update({k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")})
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT, env=env)
    text = ""
    if log:
        with open(log) as f:
            text = f.read()
    return p.returncode, p.stdout, p.stderr, text


def deterministic(uniemu, opts, prog, tmp):
    a = run(uniemu, opts, prog, os.path.join(tmp, "a.log"))
    b = run(uniemu, opts, prog, os.path.join(tmp, "b.log"))
    if a != b:
        fail("%s: two runs differ" % " ".join(opts))
    return a


def seed_outcome(log):
    """Where the child's death falls: after which of the parent's calls."""
    lines = log.splitlines()
    # With one task left strace -f drops the [pid N] prefix: a bare line after the
    # parent's exit is the child's.
    death = next((i for i, l in enumerate(lines) if re.match(r"(\[pid +1001\] )?\+\+\+ killed by SIGSEGV \+\+\+", l)), None)
    if death is None:
        return None
    last = None
    for l in lines[:death]:
        m = re.match(r"(?:\[pid +1000\] )?(\w+)\(", l)
        if m and not l.startswith("[pid  1001]"):
            last = m.group(1)
        if re.match(r"(?:\[pid +1000\] )?\+\+\+ exited", l):
            last = "exit (the parent is gone)"
    return "child dies after parent's " + str(last)


def mode_seed(a, tmp):
    outcomes = {}
    for seed in range(a.seeds):
        opts = ["--sched", a.sched, "--seed", str(seed)]
        rc, out, err, log = deterministic(a.uniemu, opts, a.prog, tmp)
        if rc != 0 or out != b"Parent process running\n":
            fail("seed %d: status %d, stdout %r" % (seed, rc, out))
        if "killed by SIGSEGV" not in err.decode(errors="replace"):
            fail("seed %d: no crash report for the child on stderr" % seed)
        if not re.search(r"^(\[pid +1000\] )?\+\+\+ exited with 0 \+\+\+$", log, re.M):
            fail("seed %d: the parent does not exit 0 in the log" % seed)
        o = seed_outcome(log)
        if o is None:
            fail("seed %d: the log does not show the child killed by SIGSEGV" % seed)
        print("seed %2d: %s" % (seed, o))
        outcomes.setdefault(o, []).append(seed)
    print("outcomes:")
    for o, seeds in sorted(outcomes.items(), key=lambda kv: kv[1][0]):
        print("  %-40s %3d seeds, first %d" % (o, len(seeds), seeds[0]))
    if len(outcomes) < 3:
        fail("only %d distinct outcomes over %d seeds" % (len(outcomes), a.seeds))


def mode_outputs(a, tmp):
    seen = {}
    for seed in range(a.seeds):
        opts = ["--sched", a.sched, "--seed", str(seed)] + a.uniemu_opt
        rc, out, err, log = deterministic(a.uniemu, opts, a.prog, tmp)
        if rc != 0:
            fail("seed %d: status %d, stderr %r" % (seed, rc, err[:300]))
        print("seed %2d: %s" % (seed, out.decode(errors="replace").strip()))
        seen.setdefault(out, []).append(seed)
    if len(seen) < 3:
        fail("only %d distinct outputs over %d seeds" % (len(seen), a.seeds))


def mode_order(a, tmp):
    seen = {}
    for seed in range(a.seeds):
        opts = ["--sched", a.sched, "--seed", str(seed)]
        rc, out, err, log = deterministic(a.uniemu, opts, a.prog, tmp)
        lines = out.decode(errors="replace").splitlines()
        if rc != 0 or sorted(lines) != ["Child process running", "Parent process running"]:
            fail("seed %d: status %d, stdout %r, stderr %r" % (seed, rc, out, err[:300]))
        if "killed by" in log:
            fail("seed %d: something was killed:\n%s" % (seed, log[-500:]))
        key = " / ".join(lines)
        print("seed %2d: %s" % (seed, key))
        seen.setdefault(key, seed)
    if len(seen) < 2:
        fail("only one order over %d seeds: %s" % (a.seeds, list(seen)))


def mode_race(a, tmp):
    for sched in ("pct", "random"):
        lost_seeds = []
        for seed in range(a.seeds):
            opts = ["--sched", sched, "--seed", str(seed)]
            r1 = run(a.uniemu, opts, a.prog)
            r2 = run(a.uniemu, opts, a.prog)
            if r1 != r2:
                fail("%s seed %d: two runs differ: %r vs %r" % (sched, seed, r1[1], r2[1]))
            m = re.search(rb"lost=(\d+)", r1[1])
            if r1[0] != 0 or not m:
                fail("%s seed %d: status %d, stdout %r" % (sched, seed, r1[0], r1[1]))
                continue
            print("%-6s seed %2d: %s" % (sched, seed, r1[1].decode().replace("\n", " ")))
            if int(m.group(1)):
                lost_seeds.append(seed)
        if not lost_seeds:
            fail("--sched %s lost no update in %d seeds" % (sched, a.seeds))
        else:
            print("--sched %s: updates lost under %d of %d seeds" % (sched, len(lost_seeds), a.seeds))


def mode_replay(a, tmp):
    dec = os.path.join(tmp, "decisions.txt")
    rec = run(a.uniemu, ["--sched", "random", "--seed", "5", "--decisions-out", dec], a.prog, os.path.join(tmp, "r.log"))
    with open(dec) as f:
        n = len(f.read().splitlines())
    print("recorded %d decisions" % n)
    if n < 10:
        fail("only %d decisions recorded" % n)
    rep = run(a.uniemu, ["--sched", "rr", "--seed", "5", "--decisions-in", dec], a.prog, os.path.join(tmp, "p.log"))
    if rec != rep:
        fail("replayed run differs from the recorded one")
    plain = run(a.uniemu, ["--sched", "rr", "--seed", "5"], a.prog, os.path.join(tmp, "q.log"))
    if plain[3] == rec[3]:
        fail("rr without the decisions gives the same log: the replay check proves nothing")
    with open(dec) as f:
        half = f.read().splitlines()[: n // 2]
    short = os.path.join(tmp, "short.txt")
    with open(short, "w") as f:
        f.write("\n".join(half) + "\n")
    rc, out, err, _ = run(a.uniemu, ["--decisions-in", short], a.prog)
    if rc != 125 or b"decision" not in err:
        fail("a truncated decisions file gave status %d, stderr %r" % (rc, err[:200]))
    else:
        print("truncated decisions file: status 125, %s" % err.decode().strip().splitlines()[0])


def mode_deadlock(a, tmp):
    for sched in ("rr", "random", "pct"):
        rc, out, err, log = deterministic(a.uniemu, ["--sched", sched, "--seed", "1"], a.prog, tmp)
        text = err.decode(errors="replace")
        print("%s: status %d, %s" % (sched, rc, text.strip().splitlines()[0] if text.strip() else "(no stderr)"))
        if rc != 125 or "deadlock" not in text:
            fail("%s: status %d, stderr %r" % (sched, rc, text[:300]))
        if len(re.findall(r"^  pid \d+ tid \d+ ", text, re.M)) < 2:
            fail("%s: the report does not list every task:\n%s" % (sched, text))
        # Without a log too, each blocked task's line names its call.
        rc, out, err, _ = run(a.uniemu, ["--sched", sched, "--seed", "1"], a.prog)
        lines = re.findall(r"^  pid \d+ tid \d+ .*$", err.decode(errors="replace"), re.M)
        if not lines or any(not re.search(r" in [a-z_0-9]+\(", l) for l in lines):
            fail("%s: without --strace, a task line does not name its call: %r" % (sched, lines))
        # The lock by its symbol (tests/guest/deadlock.c's mutex m), and for glibc,
        # whose pthread_join waits on the thread's exit word, whom main waits for.
        if not any(re.search(r"waits on a futex at 0x[0-9a-f]+ <m(\+0x[0-9a-f]+)?> \(holding \d+", l) for l in lines):
            fail("%s: no task line names the mutex m: %r" % (sched, lines))
        if a.prog[0].endswith(".glibc") and not any("task 1001's exit word, so it waits for task 1001 to end" in l
                                                    for l in lines):
            fail("%s: main's wait in pthread_join is not named: %r" % (sched, lines))


def mode_stracef(a, tmp):
    for seed in range(a.seeds):
        rc, out, err, log = deterministic(a.uniemu, ["--sched", a.sched, "--seed", str(seed)], a.prog, tmp)
        lines = log.splitlines()
        first_clone = next((i for i, l in enumerate(lines) if re.match(r"(\[pid +\d+\] )?clone3?\(", l)), None)
        if first_clone is None:
            fail("seed %d: no clone in the log" % seed)
            continue
        if any(l.startswith("[pid") for l in lines[:first_clone]):
            fail("seed %d: a [pid N] prefix before the first clone" % seed)
        if lines[first_clone].startswith("[pid "):
            fail("seed %d: the first clone's line has a [pid N] prefix (strace -f has none): %s" % (seed, lines[first_clone]))
        if lines[-1].startswith("[pid"):
            fail("seed %d: the last line, with one task left, has a prefix: %s" % (seed, lines[-1]))
        pending = {}
        splits = 0
        for l in lines:
            m = re.match(r"\[pid +(\d+)\] (\w+)\(.* <unfinished \.\.\.>$", l)
            if m:
                pending[m.group(1)] = m.group(2)
                continue
            m = re.match(r"(?:\[pid +(\d+)\] )?<\.\.\. (\w+) resumed>", l)
            if m:
                pid = m.group(1)
                if pid is None and len(pending) == 1:
                    pid = next(iter(pending))
                if pending.get(pid) != m.group(2):
                    fail("seed %d: resumed without unfinished: %s" % (seed, l))
                pending.pop(pid, None)
                splits += 1
        print("seed %d: %d lines, %d calls split by a switch" % (seed, len(lines), splits))
        if seed == 0 and splits == 0:
            fail("no <unfinished ...> / <... resumed> pair in the log")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uniemu", required=True)
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--sched", default="random")
    ap.add_argument("--uniemu-opt", action="append", default=[],
                    help="another option for uniemu run (outputs mode), e.g. --net-faults")
    ap.add_argument("mode", choices=["seed", "order", "race", "replay", "deadlock", "stracef", "outputs"])
    ap.add_argument("prog", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        globals()["mode_" + a.mode](a, tmp)
    print("RESULT: %s" % ("ok" if not failures else "%d failures" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
