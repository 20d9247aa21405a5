#!/usr/bin/env python3
"""Self-test of markers.py (run by run.sh before booting): synthetic pictures with known
markers, placeholders and a torn picture must give the expected verdicts."""
import os
import subprocess
import sys
import tempfile

W, H = 320, 240
HERE = os.path.dirname(os.path.abspath(__file__))


def picture(counter, torn_with=None):
    y = bytearray([100]) * (W * H)
    bh = H // 16
    for r in range(bh):
        c = torn_with if (torn_with is not None and r >= bh // 2) else counter
        for i in range(32):
            v = 235 if (c >> (31 - i)) & 1 else 16
            x0, x1 = i * W // 32, (i + 1) * W // 32
            y[r * W + x0:r * W + x1] = bytes([v]) * (x1 - x0)
    return bytes(y) + bytes([128]) * (W * H // 2)


PLACEHOLDER = bytes([60]) * (W * H) + bytes([128]) * (W * H // 2)
CASES = [  # (pictures, options, expected exit)
    ([picture(c) for c in (5, 6, 8, 9)], [], 0),
    ([picture(c) for c in (5, 6, 6, 9)], [], 1),
    ([picture(c) for c in (5, 6, 6, 9)], ["--allow-repeat"], 0),
    ([picture(c) for c in (9, 8)], [], 1),
    # The loopback's ring replayed at stream start: tolerated in the first two pictures only.
    ([picture(c) for c in (1002, 1001, 1002, 1003, 1004, 1005)], [], 0),
    ([picture(c) for c in (1001, 1002, 1003, 1004, 1003, 1005)], [], 1),
    # A writer lapping the 2-slot ring under a slow reader: k, k+2, k+1, k+2 (tolerated) …
    ([picture(c) for c in (1, 2, 3, 4, 5, 7, 6, 7, 8, 9)], ["--allow-repeat"], 0),
    # … but not a jump back of more than one, nor too often.
    ([picture(c) for c in (1, 2, 3, 4, 5, 8, 6, 8, 9, 10)], ["--allow-repeat"], 1),
    ([picture(c) for c in (1, 2, 3, 4, 6, 5, 6, 8, 7, 8)], ["--allow-repeat"], 1),
    ([picture(5), PLACEHOLDER, picture(7)], [], 1),
    ([picture(5), PLACEHOLDER, picture(7)], ["--placeholder-ok"], 0),
    ([picture(5), PLACEHOLDER, picture(7)], ["--need-resume"], 0),
    ([picture(5), picture(6), PLACEHOLDER], ["--need-resume"], 1),
    ([PLACEHOLDER, PLACEHOLDER], ["--need-placeholder", "--min", "0"], 0),
    ([picture(5), picture(6)], ["--need-placeholder"], 1),
    ([picture(5), picture(6, torn_with=7), picture(7), picture(8)], [], 0),
    ([picture(5), picture(6, torn_with=7)], [], 1),          # 1 of 2 torn > 1 in 4
    ([picture(c) for c in (5, 6)], ["--ge", "6"], 1),
    ([picture(5)] + [picture(6)] * 3 + [PLACEHOLDER] * 2 + [picture(9)], ["--need-stall-resume", "4"], 0),
    ([picture(5)] + [picture(6)] * 3 + [PLACEHOLDER] * 2 + [picture(9)], ["--need-stall-resume", "6"], 1),
    ([picture(5)] + [PLACEHOLDER] * 5, ["--need-stall-resume", "4"], 1),
    ([picture(c) for c in (5, 6)], ["--min", "3"], 1),
    ([picture(c) for c in (5, 6, 7)], ["--max", "2"], 1),
    ([PLACEHOLDER, PLACEHOLDER, picture(5), picture(6), picture(6), picture(7)], ["--need-wake"], 0),
    ([picture(5), picture(6)], ["--need-wake"], 1),           # no placeholder while waking
    ([PLACEHOLDER, PLACEHOLDER], ["--need-wake", "--min", "0"], 1),   # never woke
    ([PLACEHOLDER, picture(5), PLACEHOLDER, picture(6)], ["--need-wake"], 1),
    ([picture(c) for c in (1000000, 1000001)], ["--range", "1000000", "1999999"], 0),
    ([picture(c) for c in (5, 6)], ["--range", "1000000", "1999999"], 1),
]

bad = 0
with tempfile.TemporaryDirectory() as d:
    for n, (pics, opts, want) in enumerate(CASES):
        p = os.path.join(d, "c%d.yuv" % n)
        with open(p, "wb") as f:
            f.write(b"".join(pics))
        r = subprocess.run([sys.executable, os.path.join(HERE, "markers.py"), p, "i420",
                            "%dx%d" % (W, H)] + opts, capture_output=True, text=True)
        if r.returncode != want:
            bad += 1
            print("markers self-test case %d %s: exit %d, want %d\n%s" % (n, opts, r.returncode, want, r.stdout))
    p = os.path.join(d, "short.yuv")
    with open(p, "wb") as f:
        f.write(picture(1)[:-10])
    if subprocess.run([sys.executable, os.path.join(HERE, "markers.py"), p, "i420", "%dx%d" % (W, H)],
                      capture_output=True).returncode != 1:
        bad += 1
        print("markers self-test: a partial picture was accepted")
    # The wake latency from ffmpeg's framecrc timestamps: 3 placeholders at 0.1 s intervals.
    p = os.path.join(d, "wake.yuv")
    with open(p, "wb") as f:
        f.write(b"".join([PLACEHOLDER] * 3 + [picture(c) for c in (5, 6, 7)]))
    crc = os.path.join(d, "wake.crc")
    with open(crc, "w") as f:
        f.write("#tb 0: 1/1000000\n" + "".join("0, %d, %d, 1, 115200, 0x0\n" % (5000000 + k * 100000, 5000000 + k * 100000) for k in range(6)))
    r = subprocess.run([sys.executable, os.path.join(HERE, "markers.py"), p, "i420", "%dx%d" % (W, H),
                        "--need-wake", "--times", crc], capture_output=True, text=True)
    if r.returncode != 0 or "wake_latency_s=0.30" not in r.stdout:
        bad += 1
        print("markers self-test: wake latency from framecrc:\n%s" % r.stdout)
print("markers self-test: %d cases, %d wrong" % (len(CASES) + 2, bad))
sys.exit(1 if bad else 0)
