#!/usr/bin/env python3
"""Check that `uniemu run --strace=FILE PROG ARGS` writes an strace-like log.

usage: strace_check.py --uniemu PATH [--to-stderr] [--expect-line REGEX]...
                       [--expect-exit N | --expect-signal SIG]
                       [--expect-stdout TEXT] -- PROG ARGS...

The log must contain a line matching each --expect-line regular expression
(re.search semantics on single lines without the newline) and its last line
must be "+++ exited with N +++" (default N=0), or with --expect-signal
"+++ killed by SIGxxx +++" (optionally "(core dumped)").  The exit status of
uniemu must be N (or 128+signal).  With --to-stderr, `--strace` without a
file name is used and the log is read from uniemu's stderr (where the lines
of the trace must appear in order, possibly after the guest's own output).
Otherwise the guest's stderr must not contain the trace.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/tmp"}

# Sanitizer settings of an ASan+UBSan build of uniemu reach it (and, harmlessly, the
# native run, so both still see the same environment).
ENV.update({k: v for k, v in os.environ.items() if k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")})


def parse_signal(text):
    t = text.strip().upper()
    if t.isdigit():
        return int(t)
    if not t.startswith("SIG"):
        t = "SIG" + t
    return int(getattr(signal.Signals, t))


def main():
    ap = argparse.ArgumentParser(description="strace log format check")
    ap.add_argument("--uniemu", required=True)
    ap.add_argument("--to-stderr", action="store_true")
    ap.add_argument("--expect-line", action="append", default=[], metavar="REGEX")
    ap.add_argument("--expect-exit", type=int, default=0)
    ap.add_argument("--expect-signal", type=parse_signal)
    ap.add_argument("--expect-stdout", help="exact expected guest stdout (\\n escapes allowed)")
    ap.add_argument("--timeout", type=float, default=50.0)
    ap.add_argument("prog", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    args.uniemu = os.path.abspath(args.uniemu)
    prog = args.prog[1:] if args.prog[:1] == ["--"] else args.prog
    if not prog:
        ap.error("missing -- PROG ARGS...")

    tmp = tempfile.mkdtemp(prefix="uniemu-strace-")
    try:
        log = os.path.join(tmp, "trace.log")
        opt = "--strace" if args.to_stderr else "--strace=" + log
        argv = [args.uniemu, "run", opt] + prog
        print("running: %s" % " ".join(argv))
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=ENV, cwd=tmp, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print("FAIL: uniemu timed out after %ss" % args.timeout)
            return 1
        problems = []
        if args.expect_signal:
            want_status = 128 + args.expect_signal
            name = signal.Signals(args.expect_signal).name
            last_re = r"^\+\+\+ killed by %s( \(core dumped\))? \+\+\+$" % name
        else:
            want_status = args.expect_exit
            last_re = r"^\+\+\+ exited with %d \+\+\+$" % args.expect_exit
        if p.returncode != want_status:
            problems.append("exit status %d, expected %d" % (p.returncode, want_status))
        if args.expect_stdout is not None:
            want = args.expect_stdout.encode().decode("unicode_escape").encode("latin-1")
            if p.stdout != want:
                problems.append("guest stdout %r, expected %r" % (p.stdout[:500], want))

        if args.to_stderr:
            text = p.stderr.decode("utf-8", "backslashreplace")
        else:
            if not os.path.isfile(log):
                problems.append("log file %s was not created" % log)
                text = ""
            else:
                with open(log, "rb") as f:
                    text = f.read().decode("utf-8", "backslashreplace")
            for rx in args.expect_line:
                if any(re.search(rx, l) for l in p.stderr.decode("utf-8", "backslashreplace").splitlines()):
                    problems.append("trace line %r appears on the guest's stderr too" % rx)
        lines = text.splitlines()
        if not lines:
            problems.append("the trace is empty")
        else:
            for rx in args.expect_line:
                if not any(re.search(rx, l) for l in lines):
                    problems.append("no trace line matches %r" % rx)
            if not re.search(last_re, lines[-1]):
                problems.append("last trace line %r does not match %r" % (lines[-1], last_re))
            if not text.endswith("\n"):
                problems.append("the trace does not end with a newline")

        if problems:
            print("FAIL:")
            for pr in problems:
                print("  - " + pr)
            print("--- trace (first 60 lines) ---")
            print("\n".join(lines[:60]))
            if len(lines) > 60:
                print("... (%d more lines; last: %r)" % (len(lines) - 60, lines[-1]))
            print("--- uniemu stderr ---")
            print(p.stderr.decode("utf-8", "backslashreplace")[:3000])
            return 1
        print("PASS: %d trace lines, last: %s" % (len(lines), lines[-1]))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
