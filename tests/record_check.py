#!/usr/bin/env python3
"""Checks of `uniemu record` and `uniemu replay`.

usage: record_check.py --uniemu PATH MODE [ARGS...]

Modes:
  same PROG ARGS...     record (random schedule, seed 7) then replay: stdout, stderr,
                        status and the --strace log must be identical; the replay runs
                        in another directory, from a copy of the record.
  inputs PROG           a program that reads tests/data files (`busybox sh -c` with cat,
                        a pipe and ls): the replay works after the input files are gone.
  libdir                a `#!/bin/sh` script (dynamic dash) that runs a dynamic program
                        whose shared library is found through LD_LIBRARY_PATH in a
                        temporary directory; the replay works after the directory,
                        the script, the program and the library are gone.
  corrupt PROG          a flipped byte, a truncated file, another format version and a
                        file that is not a record each get one clear error (status 2).
  diverge PROG          a record whose checkpoint was altered (and checksummed again)
                        is reported as a divergence, with status 124.
  limit PROG ARGS...    --max-insns stops a run that needs more (status 123, one line on
                        stderr), the same way twice; without it the run ends by itself;
                        a record made with the limit replays to the same stop.
Exit status 0 when all checks pass.
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/tmp"}
ENV.update({k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")})
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def run(argv, cwd, env=None):
    p = subprocess.run(argv, cwd=cwd, env=env or ENV, stdin=subprocess.DEVNULL, capture_output=True, timeout=250)
    return p.returncode, p.stdout, p.stderr


def record_and_replay(u, prog, tmp, before_replay=None, env=None):
    rec_dir, rep_dir = os.path.join(tmp, "rec"), os.path.join(tmp, "elsewhere")
    os.makedirs(rec_dir, exist_ok=True)
    os.makedirs(rep_dir, exist_ok=True)
    rec = os.path.join(rec_dir, "run.rec")
    a = run([u, "record", "-o", rec, "--strace=" + os.path.join(rec_dir, "a.log"), "--sched", "random", "--seed", "7"] + prog, rec_dir, env)
    if not os.path.isfile(rec):
        fail("no record written: %r" % (a,))
        return None
    if before_replay:
        before_replay()
    copy = os.path.join(rep_dir, "copy.rec")
    shutil.copy(rec, copy)
    b = run([u, "replay", "--strace=" + os.path.join(rep_dir, "b.log"), copy], rep_dir)
    for name, x, y in (("status", a[0], b[0]), ("stdout", a[1], b[1]), ("stderr", a[2], b[2])):
        if x != y:
            fail("replay %s differs: %r vs %r" % (name, x if name == "status" else x[-300:], y if name == "status" else y[-300:]))
    la, lb = open(os.path.join(rec_dir, "a.log"), "rb").read(), open(os.path.join(rep_dir, "b.log"), "rb").read()
    if la != lb:
        fail("replay's --strace log differs from the recorded run's")
    print("recorded and replayed: status %d, %d bytes of output, %d log lines, record %d bytes"
          % (a[0], len(a[1]), la.count(b"\n"), os.path.getsize(rec)))
    return rec


def mode_same(a, tmp):
    record_and_replay(a.uniemu, a.prog, tmp)


def mode_limit(a, tmp):
    u = a.uniemu
    free = run([u, "run", "--seed", "3"] + a.prog, tmp)
    if free[0] == 123:
        fail("the program exits 123 without a limit: the check cannot tell")
    lim = [run([u, "run", "--seed", "3", "--max-insns", "50000"] + a.prog, tmp) for _ in range(2)]
    if lim[0] != lim[1]:
        fail("two runs with the same limit differ")
    if lim[0][0] != 123 or b"--max-insns" not in lim[0][2]:
        fail("--max-insns 50000: status %d, stderr %r" % (lim[0][0], lim[0][2][-200:]))
    rec = os.path.join(tmp, "lim.rec")
    r = run([u, "record", "-o", rec, "--seed", "3", "--max-insns", "50000"] + a.prog, tmp)
    p = run([u, "replay", rec], tmp)
    if r[0] != 123 or p[0] != 123 or r[1] != p[1]:
        fail("record/replay with --max-insns: status %d/%d" % (r[0], p[0]))
    print("without a limit: status %d; with --max-insns 50000: %d" % (free[0], lim[0][0]))


def mode_inputs(a, tmp):
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    for name in ("lorem.txt", "words.txt"):
        shutil.copy(os.path.join(a.data, name), data)
    script = "cat %s/lorem.txt | wc -l; sort %s/words.txt | head -3; ls %s" % (data, data, data)
    record_and_replay(a.uniemu, a.prog + ["sh", "-c", script], tmp, before_replay=lambda: shutil.rmtree(data))


def mode_libdir(a, tmp):
    lib = os.path.join(tmp, "lib")
    os.makedirs(lib)
    with open(os.path.join(lib, "greet.c"), "w") as f:
        f.write('#include <stdio.h>\nint greet(const char *w) { return printf("hello from the library, %s\\n", w); }\n')
    with open(os.path.join(lib, "main.c"), "w") as f:
        f.write('int greet(const char *);\nint main(int c, char **v) { return greet(c > 1 ? v[1] : "nobody") > 0 ? 3 : 1; }\n')
    for cmd in (["gcc", "-shared", "-fPIC", "-o", os.path.join(lib, "libgreet.so"), os.path.join(lib, "greet.c")],
                ["gcc", "-o", os.path.join(lib, "main"), os.path.join(lib, "main.c"), "-L" + lib, "-lgreet"]):
        if subprocess.run(cmd).returncode != 0:
            fail("cannot build the test program: %s" % " ".join(cmd))
            return
    script = os.path.join(lib, "run.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\n%s/main \"$1\"\necho \"status $?\"\n" % lib)
    os.chmod(script, 0o755)
    env = dict(ENV, LD_LIBRARY_PATH=lib)
    rec = record_and_replay(a.uniemu, [script, "world"], tmp, before_replay=lambda: shutil.rmtree(lib), env=env)
    if rec:
        out = run([a.uniemu, "replay", rec], tmp)[1]
        if b"hello from the library, world\nstatus 3\n" not in out:
            fail("the replay did not run the library's code: %r" % out[-200:])


def read_record(path):
    raw = open(path, "rb").read()
    magic, version, plen, crc, clen = struct.unpack("<8sIQIQ", raw[:32])
    return raw, magic, version, zlib.decompress(raw[32:])


def write_record(path, version, payload):
    z = zlib.compress(payload, 6)
    with open(path, "wb") as f:
        f.write(struct.pack("<8sIQIQ", b"UNIEMURC", version, len(payload), zlib.crc32(payload), len(z)) + z)


def expect_error(u, path, words, tmp):
    rc, out, err = run([u, "replay", path], tmp)
    text = err.decode(errors="replace").strip()
    print("%s: status %d, %s" % (os.path.basename(path), rc, text.splitlines()[0] if text else "(nothing)"))
    if rc != 2 or words not in text:
        fail("%s: expected status 2 and '%s', got %d %r" % (path, words, rc, text))


def mode_corrupt(a, tmp):
    rec = os.path.join(tmp, "good.rec")
    rc, _, err = run([a.uniemu, "record", "-o", rec] + a.prog, tmp)
    raw = open(rec, "rb").read()
    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 0x40
    open(os.path.join(tmp, "flipped.rec"), "wb").write(bytes(flipped))
    expect_error(a.uniemu, os.path.join(tmp, "flipped.rec"), "corrupt", tmp)
    open(os.path.join(tmp, "truncated.rec"), "wb").write(raw[: len(raw) - 100])
    expect_error(a.uniemu, os.path.join(tmp, "truncated.rec"), "truncated", tmp)
    _, _, _, payload = read_record(rec)
    write_record(os.path.join(tmp, "future.rec"), 99, payload)
    expect_error(a.uniemu, os.path.join(tmp, "future.rec"), "format version 99", tmp)
    open(os.path.join(tmp, "text.rec"), "w").write("hello\n" * 10)
    expect_error(a.uniemu, os.path.join(tmp, "text.rec"), "bad magic", tmp)
    rc, out, err = run([a.uniemu, "replay", os.path.join(tmp, "missing.rec")], tmp)
    if rc != 2:
        fail("a missing record: status %d" % rc)


def varint(data, pos):
    v, shift = 0, 0
    while True:
        c = data[pos]
        pos += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, pos


def enc_varint(v):
    out = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        out.append(c | (0x80 if v else 0))
        if not v:
            return bytes(out)


def mode_noembed(a, tmp):
    prog = os.path.join(tmp, "prog")
    shutil.copy(a.prog[0], prog)
    rec = os.path.join(tmp, "small.rec")
    full = os.path.join(tmp, "full.rec")
    x = run([a.uniemu, "record", "--no-embed", "-o", rec, prog] + a.prog[1:], tmp)
    run([a.uniemu, "record", "-o", full, prog] + a.prog[1:], tmp)
    print("record sizes: %d bytes without the program, %d with it" % (os.path.getsize(rec), os.path.getsize(full)))
    if os.path.getsize(rec) >= os.path.getsize(full):
        fail("--no-embed did not make the record smaller")
    y = run([a.uniemu, "replay", rec], tmp)
    if x != y:
        fail("--no-embed record does not replay to the same run")
    with open(prog, "ab") as f:
        f.write(b"changed")
    rc, out, err = run([a.uniemu, "replay", rec], tmp)
    print("program changed: status %d, %s" % (rc, err.decode(errors="replace").strip()))
    if rc != 2 or b"not the recorded program" not in err:
        fail("a changed program was not refused")


def mode_diverge(a, tmp):
    rec = os.path.join(tmp, "run.rec")
    run([a.uniemu, "record", "-o", rec, "--sched", "random", "--seed", "3"] + a.prog, tmp)
    _, _, version, payload = read_record(rec)
    # Find the event section and alter the hash of its first checkpoint.
    pos = 0
    while pos < len(payload):
        kind = payload[pos]
        n, body = varint(payload, pos + 1)
        if kind == ord("E"):
            events = bytearray(payload[body:body + n])
            i = events.find(b"C")
            while i >= 0:
                # C insns tid hash: check that it parses as a checkpoint before changing it.
                try:
                    _, p1 = varint(events, i + 1)
                    _, p2 = varint(events, p1)
                    h, p3 = varint(events, p2)
                except IndexError:
                    break
                new = enc_varint(h ^ 1)
                if len(new) == p3 - p2:
                    events[p2:p3] = new
                    break
                i = events.find(b"C", i + 1)
            new_payload = payload[:pos] + bytes([kind]) + enc_varint(len(events)) + bytes(events) + payload[body + n:]
            write_record(os.path.join(tmp, "altered.rec"), version, new_payload)
            break
        pos = body + n
    rc, out, err = run([a.uniemu, "replay", os.path.join(tmp, "altered.rec")], tmp)
    text = err.decode(errors="replace")
    print("altered record: status %d, %s" % (rc, text.strip().splitlines()[0] if text.strip() else ""))
    if rc != 124 or "diverged" not in text or "checkpoint" not in text:
        fail("an altered checkpoint was not reported: %d %r" % (rc, text[:300]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uniemu", required=True)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"))
    ap.add_argument("mode", choices=["same", "inputs", "libdir", "corrupt", "diverge", "noembed", "limit"])
    ap.add_argument("prog", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    a.uniemu = os.path.abspath(a.uniemu)
    with tempfile.TemporaryDirectory() as tmp:
        globals()["mode_" + a.mode](a, tmp)
    print("RESULT: %s" % ("ok" if not failures else "%d failures" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
