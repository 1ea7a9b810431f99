#!/usr/bin/env python3
"""Error-path tests of `uniemu run` on programs it cannot load.

usage: bad_input.py --uniemu PATH --hello PATH [--dynamic PATH] [CASE...]

For every case uniemu must:
  * not be killed by a signal,
  * exit with a status in 1..127,
  * print nothing on stdout,
  * print exactly one line on stderr, starting with "uniemu: ".

Cases (default: all):
  missing         a path that does not exist
  directory       a directory
  empty           an empty executable file
  text            a non-ELF text file (executable bit set)
  elf32           a 32-bit ELF executable (gcc -m32 when it works, else a
                  minimal hand-made i386 ELF written here)
  truncated       the first 100 bytes of the static hello program
  wrong-machine   the hello program with e_machine patched to AArch64
  missing-interp  a dynamic executable (default /bin/true) whose PT_INTERP names a file
                  that does not exist
  bad-interp      the same with PT_INTERP naming a text file (not an ELF interpreter)
  script-missing-interp  a `#!` script whose interpreter does not exist
  script-no-interp       a `#!` line with no interpreter name
"""

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile

CASES = ["missing", "directory", "empty", "text", "elf32", "truncated",
         "wrong-machine", "missing-interp", "bad-interp", "script-missing-interp", "script-no-interp"]


def minimal_elf32():
    """A tiny valid i386 ELF executable: exit(0) via int 0x80."""
    code = bytes.fromhex("b801000000" "31db" "cd80")  # mov eax,1; xor ebx,ebx; int 0x80
    base = 0x08048000
    ehsize, phsize = 52, 32
    entry = base + ehsize + phsize
    e_ident = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)  # ELFCLASS32, LSB, v1, SYSV
    ehdr = e_ident + struct.pack("<HHIIIIIHHHHHH",
                                 2,       # e_type ET_EXEC
                                 3,       # e_machine EM_386
                                 1,       # e_version
                                 entry,   # e_entry
                                 ehsize,  # e_phoff
                                 0,       # e_shoff
                                 0,       # e_flags
                                 ehsize, phsize, 1,  # e_ehsize, e_phentsize, e_phnum
                                 0, 0, 0)            # e_shentsize, e_shnum, e_shstrndx
    filesz = ehsize + phsize + len(code)
    phdr = struct.pack("<IIIIIIII",
                       1,        # PT_LOAD
                       0,        # p_offset
                       base,     # p_vaddr
                       base,     # p_paddr
                       filesz,   # p_filesz
                       filesz,   # p_memsz
                       5,        # PF_R | PF_X
                       0x1000)   # p_align
    return ehdr + phdr + code


def make_elf32(tmp):
    path = os.path.join(tmp, "prog32")
    gcc = shutil.which("gcc")
    if gcc:
        src = os.path.join(tmp, "prog32.c")
        with open(src, "w") as f:
            f.write("int main(void) { return 0; }\n")
        try:
            p = subprocess.run([gcc, "-m32", "-static", "-o", path, src],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
            if p.returncode == 0 and os.path.isfile(path):
                return path, "built with gcc -m32 -static"
        except (OSError, subprocess.SubprocessError):
            pass
    with open(path, "wb") as f:
        f.write(minimal_elf32())
    os.chmod(path, 0o755)
    return path, "hand-made minimal i386 ELF"


def interp_range(path):
    """(file offset, size) of the PT_INTERP string of an ELF64 file, or None."""
    with open(path, "rb") as f:
        data = f.read(1 << 16)
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return False
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        off = phoff + i * phentsize
        if off + 4 > len(data):
            break
        if struct.unpack_from("<I", data, off)[0] == 3:  # PT_INTERP
            p_offset, = struct.unpack_from("<Q", data, off + 0x08)
            p_filesz, = struct.unpack_from("<Q", data, off + 0x20)
            return p_offset, p_filesz
    return None


def prepare(case, tmp, args):
    """Return (path, description) of the program for one case."""
    if case == "missing":
        return os.path.join(tmp, "does-not-exist"), "missing file"
    if case == "directory":
        d = os.path.join(tmp, "a-directory")
        os.mkdir(d)
        return d, "directory"
    if case == "empty":
        p = os.path.join(tmp, "empty")
        open(p, "wb").close()
        os.chmod(p, 0o755)
        return p, "empty file"
    if case == "text":
        p = os.path.join(tmp, "text.txt")
        with open(p, "w") as f:
            f.write("This is a plain text file, not an ELF executable.\nSecond line.\n")
        os.chmod(p, 0o755)
        return p, "text file"
    if case == "elf32":
        return make_elf32(tmp)
    if case == "truncated":
        p = os.path.join(tmp, "truncated")
        with open(args.hello, "rb") as f:
            head = f.read(100)
        with open(p, "wb") as f:
            f.write(head)
        os.chmod(p, 0o755)
        return p, "first 100 bytes of %s" % args.hello
    if case == "wrong-machine":
        p = os.path.join(tmp, "aarch64")
        with open(args.hello, "rb") as f:
            data = bytearray(f.read())
        struct.pack_into("<H", data, 18, 183)  # e_machine = EM_AARCH64
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, 0o755)
        return p, "hello with e_machine = EM_AARCH64"
    if case in CORRUPT_LOADS:
        p = os.path.join(tmp, case)
        with open(args.hello, "rb") as f:
            data = bytearray(f.read())
        CORRUPT_LOADS[case](data)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, 0o755)
        return p, "hello with %s" % case
    if case in ("missing-interp", "bad-interp"):
        if not os.path.isfile(args.dynamic):
            raise SetupError("%s does not exist" % args.dynamic)
        interp = interp_range(args.dynamic)
        if not interp:
            raise SetupError("%s is not a dynamically linked ELF64 executable" % args.dynamic)
        with open(args.dynamic, "rb") as f:
            data = bytearray(f.read())
        if case == "missing-interp":
            target = "/nonexistent/ld.so"
        else:
            target = os.path.join(tmp, "t")
            with open(target, "w") as f:
                f.write("not an interpreter\n")
            os.chmod(target, 0o755)
        off, size = interp
        name = target.encode() + b"\0"
        if len(name) > size:
            raise SetupError("temporary path too long for PT_INTERP")
        data[off:off + size] = name + bytes(size - len(name))
        p = os.path.join(tmp, "dyn")
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, 0o755)
        return p, "dynamic executable with PT_INTERP %s" % target
    if case in ("script-missing-interp", "script-no-interp"):
        p = os.path.join(tmp, "script")
        with open(p, "w") as f:
            f.write("#!%s\necho hi\n" % (os.path.join(tmp, "no-such-shell") if case == "script-missing-interp" else "   "))
        os.chmod(p, 0o755)
        return p, "script"
    raise SetupError("unknown case %r" % case)


def load_headers(data):
    """Offsets of the PT_LOAD program headers of an ELF64 image."""
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    return [phoff + i * phentsize for i in range(phnum)
            if struct.unpack_from("<I", data, phoff + i * phentsize)[0] == 1]


def _set(field_off, fmt, value, which=0):
    def patch(data):
        struct.pack_into(fmt, data, load_headers(data)[which] + field_off, value)
    return patch


def _overlap(data):
    loads = load_headers(data)
    vaddr, = struct.unpack_from("<Q", data, loads[0] + 0x10)
    struct.pack_into("<Q", data, loads[1] + 0x10, vaddr)   # second segment on top of the first


# Corrupt program headers (Elf64_Phdr: p_offset at 0x08, p_vaddr 0x10, p_filesz 0x20,
# p_memsz 0x28, p_align 0x30): each must be refused with a clear message.
CORRUPT_LOADS = {
    "segment-past-eof": _set(0x20, "<Q", 1 << 40),
    "absurd-memsz": _set(0x28, "<Q", 1 << 62),
    "bad-align": _set(0x30, "<Q", 3),
    "offset-past-eof": _set(0x08, "<Q", 1 << 40),
    "overlapping-segments": _overlap,
    "phoff-past-eof": lambda data: struct.pack_into("<Q", data, 0x20, 1 << 40),
}


CASES += list(CORRUPT_LOADS)


class SetupError(Exception):
    pass


def run_case(case, args):
    tmp = tempfile.mkdtemp(prefix="uniemu-bad-")
    try:
        try:
            path, desc = prepare(case, tmp, args)
        except SetupError as e:
            print("ERROR %s: setup: %s" % (case, e))
            return False
        argv = [args.uniemu, "run", path, "arg1"]
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=args.timeout, cwd=tmp,
                               env=dict({"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/tmp"},
                                        **{k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")}))
        except subprocess.TimeoutExpired:
            print("FAIL %s (%s): uniemu did not finish within %ss" % (case, desc, args.timeout))
            return False
        problems = []
        if p.returncode < 0:
            problems.append("killed by signal %d" % -p.returncode)
        elif not 1 <= p.returncode <= 127:
            problems.append("exit status %d is not in 1..127" % p.returncode)
        if p.stdout:
            problems.append("printed on stdout: %r" % p.stdout[:300])
        err = p.stderr.decode("utf-8", "backslashreplace")
        lines = err.splitlines()
        if len(lines) != 1 or not err.endswith("\n"):
            problems.append("stderr is not exactly one newline-terminated line: %r" % err[:600])
        elif not lines[0].startswith("uniemu: "):
            problems.append("stderr line does not start with 'uniemu: ': %r" % lines[0])
        if problems:
            print("FAIL %s (%s): %s" % (case, desc, "; ".join(problems)))
            return False
        print("PASS %s (%s): status %d, stderr: %s" % (case, desc, p.returncode, lines[0]))
        return True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description="uniemu error-path tests")
    ap.add_argument("--uniemu", required=True)
    ap.add_argument("--hello", required=True, help="a static x86-64 program (hello.musl)")
    ap.add_argument("--dynamic", default="/bin/true", help="a dynamic executable")
    ap.add_argument("--timeout", type=float, default=20.0, help="per case, seconds")
    ap.add_argument("cases", nargs="*", metavar="CASE",
                    help="cases to run: %s (default: all)" % ", ".join(CASES))
    args = ap.parse_args()
    args.uniemu = os.path.abspath(args.uniemu)
    unknown = [c for c in args.cases if c not in CASES]
    if unknown:
        ap.error("unknown case(s) %s; known: %s" % (", ".join(unknown), ", ".join(CASES)))
    if not os.path.exists(args.uniemu):
        print("bad_input.py: uniemu binary %s does not exist" % args.uniemu, file=sys.stderr)
        return 2
    cases = args.cases or CASES
    results = [run_case(c, args) for c in cases]
    passed = sum(results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
