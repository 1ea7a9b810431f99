#!/usr/bin/env python3
"""Run a static x86-64 program natively and under uniemu and compare.

usage: compare.py --uniemu PATH [--stdin FILE] [--cwd-tmp]
                  [--expect-signal SIG] [--strace] [--timeout SECONDS]
                  -- PROG ARGS...

The program runs natively as `setarch -R PROG ARGS` (plain `PROG ARGS` when
setarch cannot disable address randomisation here) and as
`UNIEMU run PROG ARGS`.  Both runs get the same small fixed environment, the
same umask (022), no core dumps, the same stdin (FILE or an empty file) and
the same working directory.

Checks, in order:
  1. native vs uniemu: stdout bytes, stderr bytes, exit status (a native death
     by signal N counts as status 128+N, which is what uniemu must exit with).
     With --expect-signal SIG both must die of SIG (status 128+SIG), stdout is
     compared, native stderr is ignored, and uniemu's stderr must name the
     signal (e.g. "SIGSEGV") in its crash report.
  2. determinism: a second uniemu run must produce byte-identical stdout,
     stderr and status.
  3. with --strace: two more uniemu runs with --strace=FILE must write
     identical, non-empty logs, and the guest's stdout/stderr/status must be
     the same as without --strace.
With --cwd-tmp every run happens in the same directory DIR, in which an empty
subdirectory DIR/w is recreated before each run; the tree left in DIR/w after
each run (names, types, modes, file contents, symlink targets) must also be
identical between all runs.

Exit status: 0 when everything matches, 1 on a mismatch (a unified diff of
the differing stream is printed, at most 200 lines), 2 on a usage or setup
error.
"""

import argparse
import difflib
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

FIXED_ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/tmp"}

# Sanitizer settings of an ASan+UBSan build of uniemu reach it (and, harmlessly, the
# native run, so both still see the same environment).
FIXED_ENV.update({k: v for k, v in os.environ.items() if k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")})
MAX_DIFF_LINES = 200


class Result:
    def __init__(self, label, status, stdout, stderr, tree=None):
        self.label = label
        self.status = status   # int exit status, or "killed by SIGxxx" (uniemu itself)
        self.stdout = stdout
        self.stderr = stderr
        self.tree = tree


def signame(num):
    try:
        return signal.Signals(num).name
    except ValueError:
        return "signal %d" % num


def parse_signal(text):
    t = text.strip().upper()
    if t.isdigit():
        return int(t)
    if not t.startswith("SIG"):
        t = "SIG" + t
    try:
        return int(getattr(signal.Signals, t))
    except AttributeError:
        raise argparse.ArgumentTypeError("unknown signal %r" % text)


def child_setup():
    os.umask(0o022)
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass


_setarch_cache = None


def native_prefix():
    """['setarch', '-R'] when it works here, else []."""
    global _setarch_cache
    if _setarch_cache is None:
        _setarch_cache = []
        sa = shutil.which("setarch") or ("/usr/bin/setarch" if os.path.exists("/usr/bin/setarch") else None)
        true = shutil.which("true") or "/bin/true"
        if sa:
            try:
                p = subprocess.run([sa, "-R", true], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env=FIXED_ENV, timeout=10)
                if p.returncode == 0:
                    _setarch_cache = [sa, "-R"]
            except (OSError, subprocess.SubprocessError):
                pass
    return _setarch_cache


class Runner:
    def __init__(self, args):
        self.args = args
        self.deadline = time.monotonic() + args.timeout
        self.tmp = tempfile.mkdtemp(prefix="uniemu-cmp-")
        self.empty_stdin = os.path.join(self.tmp, "empty-stdin")
        open(self.empty_stdin, "wb").close()
        self.workdir = os.path.join(self.tmp, "d") if args.cwd_tmp else None
        if self.workdir:
            os.mkdir(self.workdir)

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def prepare_workdir(self):
        if not self.workdir:
            return None
        w = os.path.join(self.workdir, "w")
        for name in os.listdir(self.workdir):
            p = os.path.join(self.workdir, name)
            if os.path.isdir(p) and not os.path.islink(p):
                make_writable(p)
                shutil.rmtree(p)
            else:
                os.unlink(p)
        os.mkdir(w)
        return self.workdir

    def run(self, label, argv):
        cwd = self.prepare_workdir()
        remaining = self.deadline - time.monotonic()
        if remaining <= 1:
            fail("time budget (%ss) exhausted before the %s run" % (self.args.timeout, label))
        stdin_path = self.args.stdin or self.empty_stdin
        with open(stdin_path, "rb") as stdin:
            try:
                # Own process group, so that a timeout kills everything the
                # run started (a wrapper script and its children included).
                proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=FIXED_ENV, cwd=cwd,
                                        preexec_fn=child_setup, start_new_session=True)
            except OSError as e:
                fail("%s run could not start %s: %s" % (label, argv[0], e))
            try:
                out, err = proc.communicate(timeout=remaining)
            except subprocess.TimeoutExpired:
                kill_group(proc)
                out, err = proc.communicate()
                fail("%s run timed out (budget %ss): %s\n--- stdout tail ---\n%s\n--- stderr tail ---\n%s"
                     % (label, self.args.timeout, " ".join(argv),
                        out[-2000:].decode("utf-8", "backslashreplace"),
                        err[-2000:].decode("utf-8", "backslashreplace")))
            finally:
                if proc.poll() is None:
                    kill_group(proc)
                    proc.wait()
        tree = snapshot_tree(os.path.join(cwd, "w")) if cwd else None
        return proc.returncode, out, err, tree

    def native(self):
        rc, out, err, tree = self.run("native", native_prefix() + self.args.prog)
        status = 128 - rc if rc < 0 else rc
        return Result("native", status, out, err, tree)

    def uniemu(self, label, extra=(), sched=None):
        sched = sched or self.args.schedules[0]
        argv = [self.args.uniemu, "run"] + sched_args(sched) + self.args.uniemu_opt + list(extra) + self.args.prog
        rc, out, err, tree = self.run(label, argv)
        if self.args.child_reports:
            err = strip_child_reports(err)
        status = "uniemu killed by %s" % signame(-rc) if rc < 0 else rc
        return Result(label, status, out, err, tree)


def sched_args(spec):
    """"random:3" -> ["--sched", "random", "--seed", "3"] ("pct:2:..." keeps its depth)."""
    kind, _, seed = spec.rpartition(":")
    return ["--sched", kind, "--seed", seed]


REPORT_HEAD = re.compile(rb"^uniemu: pid \d+( \(thread \d+\))? killed by SIG")


def strip_child_reports(err):
    """Drops uniemu's crash reports (a head line and its indented lines) and its
    warnings from stderr: natively a child killed by a signal prints nothing."""
    out, skipping = [], False
    for line in err.splitlines(keepends=True):
        if REPORT_HEAD.match(line):
            skipping = True
            continue
        if line.startswith(b"uniemu: warning: "):
            continue
        if skipping and line.startswith(b"  "):
            continue
        skipping = False
        out.append(line)
    return b"".join(out)


def kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def make_writable(path):
    for root, dirs, _files in os.walk(path):
        for d in dirs:
            p = os.path.join(root, d)
            if not os.path.islink(p):
                os.chmod(p, 0o700)
    os.chmod(path, 0o700)


def snapshot_tree(root):
    """Return a sorted list of lines describing the tree under root."""
    lines = []
    if not os.path.lexists(root):
        return ["<w missing>"]
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root)
        for name in sorted(dirnames + filenames):
            p = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            st = os.lstat(p)
            mode = "%03o" % (st.st_mode & 0o7777)
            if stat.S_ISLNK(st.st_mode):
                lines.append("%s symlink -> %s" % (rel, os.readlink(p)))
            elif stat.S_ISDIR(st.st_mode):
                lines.append("%s dir %s" % (rel, mode))
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    data = f.read()
                lines.append("%s file %s %d bytes %s" % (rel, mode, len(data), data.hex()))
            else:
                lines.append("%s special %o" % (rel, st.st_mode))
    return lines


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def to_lines(data):
    return data.decode("utf-8", "backslashreplace").splitlines(keepends=True)


def shift_hunk_header(line, offset):
    """Renumber '@@ -a,b +c,d @@' by offset lines (diff of a trimmed slice)."""
    m = re.match(r"@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@(.*)", line, re.S)
    if not m:
        return line
    return "@@ -%d%s +%d%s @@%s" % (int(m.group(1)) + offset, m.group(2) or "",
                                     int(m.group(3)) + offset, m.group(4) or "", m.group(5))


def show_diff(a_label, a, b_label, b, what):
    """Print a unified diff (at most MAX_DIFF_LINES lines) of two byte strings."""
    print("--- %s differs: %s (%d bytes) vs %s (%d bytes)" % (what, a_label, len(a), b_label, len(b)))
    al, bl = to_lines(a), to_lines(b)
    # Trim the common head and tail first so that huge outputs diff quickly.
    head = 0
    while head < len(al) and head < len(bl) and al[head] == bl[head]:
        head += 1
    tail = 0
    while (tail < len(al) - head and tail < len(bl) - head
           and al[len(al) - 1 - tail] == bl[len(bl) - 1 - tail]):
        tail += 1
    ctx_head = max(0, head - 3)
    a_mid = al[ctx_head:len(al) - max(0, tail - 3)][:2000]
    b_mid = bl[ctx_head:len(bl) - max(0, tail - 3)][:2000]
    if ctx_head:
        print("(first %d identical lines skipped)" % ctx_head)
    diff = difflib.unified_diff(a_mid, b_mid, "%s %s" % (a_label, what), "%s %s" % (b_label, what), n=3)
    count = 0
    for line in diff:
        if count >= MAX_DIFF_LINES:
            print("... diff truncated at %d lines" % MAX_DIFF_LINES)
            break
        if ctx_head and line.startswith("@@"):
            line = shift_hunk_header(line, ctx_head)
        sys.stdout.write(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        count += 1
    if count == 0:
        # Same text lines but different bytes (e.g. invalid UTF-8 handling).
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                print("first differing byte at offset %d: %#04x vs %#04x" % (i, x, y))
                break
        else:
            print("one output is a prefix of the other (lengths %d and %d)" % (len(a), len(b)))


def stderr_excerpt(r):
    text = r.stderr.decode("utf-8", "backslashreplace")
    lines = text.splitlines()
    if len(lines) > 40:
        lines = lines[:20] + ["... (%d lines skipped)" % (len(lines) - 40)] + lines[-20:]
    return "\n".join("    " + l for l in lines) or "    (empty)"


def compare(a, b, check_stderr=True, check_tree=True):
    """Compare two results; print diffs and return False on any difference."""
    ok = True
    if a.status != b.status:
        print("--- exit status differs: %s %r vs %s %r" % (a.label, a.status, b.label, b.status))
        print("  %s stderr:\n%s" % (b.label, stderr_excerpt(b)))
        ok = False
    if a.stdout != b.stdout:
        show_diff(a.label, a.stdout, b.label, b.stdout, "stdout")
        ok = False
    if check_stderr and a.stderr != b.stderr:
        show_diff(a.label, a.stderr, b.label, b.stderr, "stderr")
        ok = False
    if check_tree and a.tree != b.tree:
        show_diff(a.label, "".join(l + "\n" for l in a.tree or []).encode(),
                  b.label, "".join(l + "\n" for l in b.tree or []).encode(), "tree of w/")
        ok = False
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--uniemu", required=True, help="path of the uniemu binary")
    ap.add_argument("--stdin", help="file given as stdin to both runs (default: empty)")
    ap.add_argument("--cwd-tmp", action="store_true",
                    help="run in a fresh temp dir containing an empty subdir w/")
    ap.add_argument("--expect-signal", type=parse_signal, metavar="SIG",
                    help="the program must die of this signal (name or number)")
    ap.add_argument("--strace", action="store_true",
                    help="also check that two --strace=FILE logs are identical")
    ap.add_argument("--timeout", type=float, default=55.0,
                    help="total time budget for all runs, seconds (default 55)")
    ap.add_argument("--schedules", default="random:0",
                    help="comma-separated SCHED:SEED list; uniemu runs once per schedule, "
                         "each compared with the native run (default random:0)")
    ap.add_argument("--uniemu-opt", action="append", default=[], metavar="OPT",
                    help="an option given to every uniemu run (e.g. --trace=insn); repeatable")
    ap.add_argument("--child-reports", action="store_true",
                    help="ignore uniemu's crash reports of killed processes and its warnings in its stderr")
    ap.add_argument("prog", nargs=argparse.REMAINDER, help="-- PROG ARGS...")
    args = ap.parse_args()
    args.schedules = [x for x in args.schedules.split(",") if x]
    if args.prog and args.prog[0] == "--":
        args.prog = args.prog[1:]
    if not args.prog:
        ap.error("missing -- PROG ARGS...")
    args.uniemu = os.path.abspath(args.uniemu)
    if not os.path.exists(args.uniemu):
        print("compare.py: uniemu binary %s does not exist" % args.uniemu, file=sys.stderr)
        return 2
    if args.stdin and not os.path.isfile(args.stdin):
        print("compare.py: stdin file %s does not exist" % args.stdin, file=sys.stderr)
        return 2

    runner = Runner(args)
    try:
        return check_all(runner, args)
    finally:
        runner.cleanup()


def check_all(runner, args):
    prefix = native_prefix()
    print("native: %s" % " ".join(prefix + args.prog))
    print("uniemu: %s run %s" % (args.uniemu, " ".join(args.prog)))
    if not prefix:
        print("note: setarch -R is unavailable here; native run keeps address randomisation")

    native = runner.native()
    first = runner.uniemu("uniemu")
    ok = True

    if args.expect_signal:
        sig = args.expect_signal
        want = 128 + sig
        name = signame(sig)
        if native.status != want:
            print("--- native run did not die of %s: status %r" % (name, native.status))
            ok = False
        if first.status != want:
            print("--- uniemu exit status %r, expected %d (%s)" % (first.status, want, name))
            print("  uniemu stderr:\n%s" % stderr_excerpt(first))
            ok = False
        if native.stdout != first.stdout:
            show_diff("native", native.stdout, "uniemu", first.stdout, "stdout")
            ok = False
        if name.encode() not in first.stderr:
            print("--- uniemu stderr does not mention %s:\n%s" % (name, stderr_excerpt(first)))
            ok = False
        if native.tree != first.tree:
            ok = compare(native, first, check_stderr=False) and ok
    else:
        ok = compare(native, first)

    if not ok:
        print("RESULT: native and uniemu differ")
        return 1

    for spec in args.schedules[1:]:
        other = runner.uniemu("uniemu-" + spec.replace(":", "-"), sched=spec)
        print("schedule %s: status %r" % (spec, other.status))
        if not compare(first, other):
            print("RESULT: under schedule %s uniemu differs from native" % spec)
            return 1

    second = runner.uniemu("uniemu-rerun")
    if not compare(first, second):
        print("RESULT: uniemu is not deterministic (two runs differ)")
        return 1

    if args.strace:
        logs = []
        for i in (1, 2):
            log = os.path.join(runner.tmp, "strace%d.log" % i)
            r = runner.uniemu("uniemu-strace%d" % i, ["--strace=" + log])
            if not compare(first, r):
                print("RESULT: running with --strace changed the guest's behaviour")
                return 1
            if not os.path.isfile(log):
                print("RESULT: --strace=%s did not create the log file" % log)
                return 1
            with open(log, "rb") as f:
                logs.append(f.read())
        if not logs[0]:
            print("RESULT: --strace log is empty")
            return 1
        if logs[0] != logs[1]:
            show_diff("strace run 1", logs[0], "strace run 2", logs[1], "strace log")
            print("RESULT: --strace logs of two runs differ")
            return 1
        print("strace log: %d bytes, %d lines, identical in two runs"
              % (len(logs[0]), logs[0].count(b"\n")))

    print("RESULT: ok (status %r, stdout %d bytes, stderr %d bytes%s)"
          % (first.status, len(first.stdout), len(first.stderr),
             ", signal %s" % signame(args.expect_signal) if args.expect_signal else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
