#!/usr/bin/env python3
"""The guest's /proc never reaches a host process or uniemu itself (uniemu only).

usage: proc_isolation.py --uniemu PATH --guest PATH

Starts a host process (sleep), then runs the guest program tests/guest/proc_guard
under uniemu --strace=FILE (so that uniemu holds a descriptor of its own), telling
it uniemu's own host pid (a forked child passes its pid and then execs uniemu) and
the sleep's pid. The guest's output must be exactly EXPECTED; the sleep's and
uniemu's own oom_score_adj must be unchanged by the guest's writes; two runs must
print the same.
"""

import argparse
import os
import subprocess
import sys
import tempfile

EXPECTED = """\
other host process status: ENOENT
other host process oom_score_adj: ENOENT
stat other host process: ENOENT
readlink other host exe: ENOENT
access other host status: ENOENT
uniemu's mem: ENOENT
uniemu's status: ENOENT
/proc/1/cmdline: ENOENT
/proc/self/mem rw: EACCES
/proc/self/mem ro: EACCES
/proc/thread-self/mem: EACCES
/proc/self/pagemap: EACCES
/proc/self/status for writing: EACCES
/proc/self/nosuch: ENOENT
/proc/config.gz (uniemu's kernel has none): ENOENT
openat(/proc, UNIEMU/mem): ENOENT
openat(/proc, OTHER/status): ENOENT
symlink to uniemu's /proc dir, mem: EACCES
symlink to uniemu's /proc dir, status: the guest's
symlink to /proc/self/fd/3: ELOOP
symlink to /proc/self/fd/5: ELOOP
fds: 0 1 2 3
fd 3..63 reachable: 0
/proc: 1000
/proc/self/task: 1000
"""


def oom(pid):
    with open("/proc/%d/oom_score_adj" % pid) as f:
        return f.read().strip()


def run(uniemu, guest, other, scratch, log):
    r, w = os.pipe()          # the guest's stdin: it waits for a line before it ends
    out_r, out_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(r, 0)
        os.dup2(out_w, 1)
        for fd in (r, w, out_r, out_w):
            os.close(fd)
        me = str(os.getpid())  # exec keeps it: this is uniemu's host pid
        os.execv(uniemu, [uniemu, "run", "--strace=" + log, guest, me, str(other), scratch])
    os.close(r)
    os.close(out_w)
    text = b""
    while b"write own oom_score_adj" not in text:
        chunk = os.read(out_r, 65536)
        if not chunk:
            break
        text += chunk
    while not text.endswith(b"\n"):
        chunk = os.read(out_r, 65536)
        if not chunk:
            break
        text += chunk
    uniemu_oom = oom(pid) if b"write own" in text else None
    os.write(w, b"go\n")
    os.close(w)
    while True:
        chunk = os.read(out_r, 65536)
        if not chunk:
            break
        text += chunk
    os.close(out_r)
    _, status = os.waitpid(pid, 0)
    return text.decode(errors="replace"), status, uniemu_oom


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uniemu", required=True)
    ap.add_argument("--guest", required=True)
    args = ap.parse_args()
    failures = []
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        before = oom(sleeper.pid)
        own_before = oom(os.getpid())
        outputs = []
        for i in range(2):
            with tempfile.TemporaryDirectory() as scratch:
                log = os.path.join(scratch, "strace.log")
                text, status, uniemu_oom = run(args.uniemu, args.guest, sleeper.pid, scratch, log)
            outputs.append(text)
            if status != 0:
                failures.append("run %d: uniemu exit status %#x" % (i, status))
            if uniemu_oom != own_before:
                failures.append("run %d: uniemu's own oom_score_adj became %s (was %s)" % (i, uniemu_oom, own_before))
        if oom(sleeper.pid) != before:
            failures.append("the host process's oom_score_adj changed: %s -> %s" % (before, oom(sleeper.pid)))
        lines = outputs[0].splitlines(keepends=True)
        stable = [l for l in lines if not l.startswith(("stat: ", "write own", "done"))]
        if "".join(stable) != EXPECTED:
            failures.append("output differs from the expected:\n--- expected\n%s--- got\n%s" % (EXPECTED, "".join(stable)))
        stat = [l for l in lines if l.startswith("stat: ")]
        if not stat or not stat[0].startswith("stat: 1000 (proc_guard."):
            failures.append("/proc/self/stat is not the guest's: %r" % (stat[:1],))
        if "write own oom_score_adj 700: ok\n" not in lines or not outputs[0].endswith("done\n"):
            failures.append("the guest did not write its own oom_score_adj, or did not end")
        if outputs[0] != outputs[1]:
            failures.append("two runs differ:\n%s\n---\n%s" % (outputs[0], outputs[1]))
    finally:
        sleeper.kill()
        sleeper.wait()
    for f in failures:
        print("FAIL:", f)
    if not failures:
        print("ok: the guest's /proc is its own")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
