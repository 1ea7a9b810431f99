#!/usr/bin/env python3
"""`uniemu timeline` on a record of a three-task program: the page has three lanes with
runs and system calls, and headless Chromium renders it (a screenshot that is not
blank, and a DOM with the three lanes).

usage: timeline_check.py --uniemu PATH [--chromium PATH] PROG
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import zlib
import struct

ap = argparse.ArgumentParser()
ap.add_argument("--uniemu", required=True)
ap.add_argument("--chromium")
ap.add_argument("prog")
a = ap.parse_args()
env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/tmp"}
env.update({k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")})
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def png_colors(path):
    """Number of distinct pixel values in a PNG (8-bit RGB or RGBA, no interlace)."""
    data = open(path, "rb").read()
    pos, idat, w, h, ctype = 8, b"", 0, 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = {2: 3, 6: 4}.get(ctype, 0)
    if not bpp:
        return -1
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    seen = set()
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, ul = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + left) & 255
            elif f == 2: line[i] = (line[i] + up) & 255
            elif f == 3: line[i] = (line[i] + (left + up) // 2) & 255
            elif f == 4:
                p = left + up - ul
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else ul)) & 255
        for x in range(0, stride, bpp * 7):
            seen.add(bytes(line[x:x + 3]))
        prev = line
    return len(seen)


with tempfile.TemporaryDirectory() as tmp:
    rec, html = os.path.join(tmp, "run.rec"), os.path.join(tmp, "timeline.html")
    p = subprocess.run([a.uniemu, "record", "-o", rec, "--sched", "random", "--seed", "1", a.prog], env=env,
                       capture_output=True, timeout=100)
    p = subprocess.run([a.uniemu, "timeline", rec, "-o", html], env=env, capture_output=True, timeout=100)
    if p.returncode != 0 or not os.path.exists(html):
        fail("timeline: status %d %s" % (p.returncode, p.stderr.decode(errors="replace")))
        sys.exit(1)
    page = open(html).read()
    lanes = re.findall(r'<g class="lane" data-tid="(\d+)">(.*?)</g>', page, re.S)
    print("page: %d bytes, lanes for tasks %s" % (len(page), [t for t, _ in lanes]))
    if len(lanes) != 3:
        fail("%d lanes, 3 expected" % len(lanes))
    for tid, body in lanes:
        if 'class="run"' not in body or 'class="syscall"' not in body:
            fail("lane %s lacks runs or system calls" % tid)
    if "<script" in page or "http" in page.replace("http://www.w3.org/2000/svg", ""):
        fail("the page is not self-contained")
    if a.chromium:
        shot = os.path.join(tmp, "shot.png")
        base = [a.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--user-data-dir=" + os.path.join(tmp, "profile"), "--window-size=1300,400"]
        p = subprocess.run(base + ["--screenshot=" + shot, "file://" + html], env=env, capture_output=True, timeout=120)
        if not os.path.exists(shot):
            fail("no screenshot: %s" % p.stderr.decode(errors="replace")[-500:])
        else:
            colors = png_colors(shot)
            print("screenshot: %d bytes, %d colours sampled" % (os.path.getsize(shot), colors))
            if colors < 4:
                fail("the screenshot looks blank")
        p = subprocess.run(base + ["--dump-dom", "file://" + html], env=env, capture_output=True, timeout=120)
        dom = p.stdout.decode(errors="replace")
        n = len(re.findall(r'<g class="lane"', dom))
        print("rendered DOM: %d lanes" % n)
        if n != 3:
            fail("the rendered DOM has %d lanes" % n)
print("RESULT: %s" % ("ok" if not failures else "%d failures" % len(failures)))
sys.exit(1 if failures else 0)
