#!/usr/bin/env python3
"""Files uniemu writes: records, explore's summary.json and outcome records, the
timeline page.

usage: output_files.py --uniemu PATH --short PROG --long PROG [ARGS...]

Under umask 077 every file must be created mode 0600 (uniemu clears its own umask for
the guest). A record being written to the path of an earlier one and killed (SIGKILL)
midway must leave the earlier record whole, still replaying; no temporary files stay
behind. Exit status 0 when all checks pass.
"""
import argparse
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time

ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/tmp"}
ENV.update({k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")})
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def umask077():
    os.umask(0o077)


def run(argv, cwd):
    p = subprocess.run(argv, cwd=cwd, env=ENV, stdin=subprocess.DEVNULL, capture_output=True, timeout=250,
                       preexec_fn=umask077)
    return p.returncode, p.stdout, p.stderr


def check_mode(path, what):
    if not os.path.exists(path):
        fail("%s: %s was not written" % (what, path))
        return
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode != 0o600:
        fail("%s: %s has mode %o under umask 077, not 600" % (what, path, mode))
    else:
        print("ok: %s is mode 600" % what)


def no_temporaries(d, what):
    stray = [n for n in os.listdir(d) if ".tmp." in n]
    if stray:
        fail("%s: temporary files left in %s: %s" % (what, d, stray))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uniemu", required=True)
    ap.add_argument("--short", required=True)
    ap.add_argument("--long", required=True, nargs=argparse.REMAINDER)
    a = ap.parse_args()
    u = a.uniemu
    with tempfile.TemporaryDirectory() as tmp:
        rec = os.path.join(tmp, "run.rec")
        rc, out, err = run([u, "record", "-o", rec, a.short], tmp)
        if rc != 0:
            fail("record exited %d: %s" % (rc, err.decode(errors="replace")[-300:]))
        check_mode(rec, "record")
        good = open(rec, "rb").read() if os.path.exists(rec) else b""

        # A second record to the same path, killed while its (long) guest runs.
        p = subprocess.Popen([u, "record", "-o", rec, *a.long], cwd=tmp, env=ENV, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=umask077)
        time.sleep(1.0)
        if p.poll() is not None:
            fail("the long guest ended within 1 s (status %s): choose a longer one" % p.returncode)
        p.send_signal(signal.SIGKILL)
        p.wait()
        if open(rec, "rb").read() != good:
            fail("the killed record changed the earlier record at %s" % rec)
        rc2, out2, err2 = run([u, "replay", rec], tmp)
        if (rc2, out2) != (rc, out):
            fail("the earlier record no longer replays: status %d vs %d, %r" % (rc2, rc, err2[-300:]))
        else:
            print("ok: the earlier record survives a killed record and replays")
        no_temporaries(tmp, "killed record")

        # An unwritable record path: an error, nothing left behind, the old file intact.
        rc3, _, err3 = run([u, "record", "-o", os.path.join(tmp, "no", "such.rec"), a.short], tmp)
        if rc3 == 0 or b"such.rec" not in err3:
            fail("record to a missing directory: status %d, %r" % (rc3, err3[-300:]))

        # explore: summary.json and the outcome records.
        out_dir = os.path.join(tmp, "explore")
        rc, o, e = run([u, "explore", "--runs", "3", "--jobs", "1", "--out", out_dir, a.short], tmp)
        if rc != 0:
            fail("explore exited %d: %s" % (rc, e.decode(errors="replace")[-300:]))
        check_mode(os.path.join(out_dir, "summary.json"), "explore summary")
        recs = [n for n in os.listdir(out_dir) if n.endswith(".rec")] if os.path.isdir(out_dir) else []
        if not recs:
            fail("explore wrote no outcome record")
        for n in recs:
            check_mode(os.path.join(out_dir, n), "explore outcome record")
        if os.path.isdir(out_dir):
            no_temporaries(out_dir, "explore")

        # The timeline page.
        html = os.path.join(tmp, "page.html")
        rc, o, e = run([u, "timeline", rec, "-o", html], tmp)
        if rc != 0:
            fail("timeline exited %d: %s" % (rc, e.decode(errors="replace")[-300:]))
        check_mode(html, "timeline page")
        no_temporaries(tmp, "timeline")
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
