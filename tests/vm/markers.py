#!/usr/bin/env python3
"""Reads the frame marker (bridge/media/marker.h) from every picture of a raw video file and
checks what a consumer saw.

    markers.py FILE FORMAT WxH [--min N] [--max N] [--ge C] [--placeholder-ok] [--need-placeholder]
               [--allow-repeat] [--need-resume] [--need-stall-resume N] [--need-wake]
               [--times FRAMECRC] [--range LO HI]

FORMAT: i420, nv12 or yuyv (packed pictures, no padding).  Prints the counters, then one
verdict line.  Checks: the file is a whole number of pictures; at least --min (default 1)
marked pictures; counters strictly increasing (a consumer may skip frames, never go back or
repeat); every counter >= --ge; no unmarked picture unless --placeholder-ok (placeholder
cards carry no marker), and at least one with --need-placeholder.  A torn picture (the top and
bottom rows of the band carry two different counters: v4l2loopback 0.12 lets a writer overwrite a
ring slot a slow mmap reader is still copying) is reported and tolerated up to 1 in 4; a slot
rewritten before the reader got to it (k, k+2, k+1, k+2) up to 1 in 8.
--allow-repeat accepts a counter seen twice in a row (a producer repeating its last frame to
keep the rate) but still wants the last counter above the first.  --need-resume wants marked
pictures both before and after a run of unmarked (placeholder) ones: the stream came back.
--need-stall-resume N wants a stall of at least N pictures (unmarked, torn, or repeating the last
counter: the camera was away) followed by a higher counter (it came back).
--need-wake wants what a consumer of a sleeping camera sees: placeholder pictures first, then
the camera's, and no placeholder after the first camera picture; it reports how many pictures
came before the first camera picture and, with --times (ffmpeg's framecrc output for the same
pictures), how long after the consumer's first picture it came: the wake latency.
--range LO HI wants every counter within [LO, HI] (each simulated camera counts from its own
--first-marker: a picture from another camera is out of range).
Exit 0 ok, 1 not.

The reading rule is marker.c's: the centre half of each of the 32 cells of the top h/16 rows;
a cell is a bit when its mean is within 40 of 16 or 235 and no sample is more than 70 away.
"""
import sys

MARGIN, SPREAD, ONE, ZERO = 40, 70, 235, 16


RING_SLOTS = 2


def picture_size(fmt, w, h):
    if fmt in ("i420", "nv12"):
        return w * h * 3 // 2
    if fmt == "yuyv":
        return w * h * 2
    raise SystemExit("markers.py: unknown format %s" % fmt)


def read_marker(buf, off, fmt, w, h, rows=None):
    step = 2 if fmt == "yuyv" else 1
    stride = w * step
    bh = h // 16
    if w < 32 or h < 16:
        return -1
    r0, r1 = rows if rows else (bh // 4, bh - bh // 4)
    if r1 <= r0:
        r1 = r0 + 1
    v = 0
    for i in range(32):
        x0, x1 = i * w // 32, (i + 1) * w // 32
        cw = x1 - x0
        s0, s1 = x0 + cw // 4, x1 - cw // 4
        if s1 <= s0:
            s1 = s0 + 1
        samples = []
        for r in range(r0, r1):
            row = off + r * stride
            samples.extend(buf[row + x * step] for x in range(s0, s1))
        mean = sum(samples) / len(samples)
        if abs(mean - ONE) <= MARGIN and max(abs(s - ONE) for s in samples) <= SPREAD:
            bit = 1
        elif abs(mean - ZERO) <= MARGIN and max(abs(s - ZERO) for s in samples) <= SPREAD:
            bit = 0
        else:
            return -1
        v = (v << 1) | bit
    return v


def read_framecrc(path):
    """Timestamps in seconds from ffmpeg's framecrc output ("#tb 0: 1/1000000", then
    "0, PTS, DTS, DURATION, SIZE, CRC" per picture)."""
    tb, pts = 1.0, []
    with open(path) as f:
        for line in f:
            if line.startswith("#tb 0:"):
                num, den = line.split(":", 1)[1].strip().split("/")
                tb = int(num) / int(den)
            elif line and line[0].isdigit():
                fields = [x.strip() for x in line.split(",")]
                if fields[0] == "0":
                    pts.append(int(fields[1]) * tb)
    return pts


def main(argv):
    args = argv[1:]
    if len(args) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    path, fmt, size = args[0], args[1], args[2]
    w, h = (int(x) for x in size.lower().split("x"))
    opts = args[3:]
    mn, mx, ge, ph_ok, need_ph, rep, resume, stall = 1, None, None, False, False, False, False, 0
    wake, times, rng = False, None, None
    i = 0
    while i < len(opts):
        o = opts[i]
        if o == "--min":
            mn = int(opts[i + 1]); i += 1
        elif o == "--max":
            mx = int(opts[i + 1]); i += 1
        elif o == "--ge":
            ge = int(opts[i + 1]); i += 1
        elif o == "--placeholder-ok":
            ph_ok = True
        elif o == "--need-placeholder":
            ph_ok = need_ph = True
        elif o == "--allow-repeat":
            rep = True
        elif o == "--need-resume":
            ph_ok = resume = True
        elif o == "--need-wake":
            wake = ph_ok = rep = True
        elif o == "--times":
            times = opts[i + 1]; i += 1
        elif o == "--range":
            rng = (int(opts[i + 1]), int(opts[i + 2])); i += 2
        elif o == "--need-stall-resume":
            stall = int(opts[i + 1]); i += 1
            ph_ok = rep = True
        else:
            print("markers.py: unknown option %s" % o, file=sys.stderr)
            return 2
        i += 1
    with open(path, "rb") as f:
        data = f.read()
    ps = picture_size(fmt, w, h)
    problems = []
    if len(data) == 0:
        problems.append("empty file")
    if len(data) % ps:
        problems.append("%d bytes is not a whole number of %d-byte pictures" % (len(data), ps))
    counters, torn, info = [], 0, []
    bh = h // 16
    for k in range(len(data) // ps):
        c = read_marker(data, k * ps, fmt, w, h)
        if c < 0 and bh >= 4:
            # Torn: the first and last rows of the band carry two different counters (the
            # producer overwrote the ring slot while the consumer copied it; 0.12.7 allows that).
            a = read_marker(data, k * ps, fmt, w, h, (0, 2))
            b = read_marker(data, k * ps, fmt, w, h, (bh - 2, bh))
            if a >= 0 and b >= 0 and a != b:
                c = -2
                torn += 1
        counters.append(c)
    marked = [c for c in counters if c >= 0]
    unmarked = len(counters) - len(marked) - torn
    print("%s: %d pictures, %d marked, %d torn, %d unmarked: %s" % (
        path, len(counters), len(marked), torn, unmarked,
        " ".join(str(c) if c >= 0 else ("T" if c == -2 else "-") for c in counters)))
    mn = max(1, mn - torn) if torn else mn   # --min counts torn pictures as seen
    if len(marked) < mn:
        problems.append("%d marked pictures < %d" % (len(marked), mn))
    if mx is not None and len(counters) > mx:
        problems.append("%d pictures > %d" % (len(counters), mx))
    # A reader that starts streaming may first be handed what is still in the loopback's ring
    # (max_buffers = 2 slots, 0.12.7 replays them: seen as 1002 1001 1002 1003 …), so order is
    # judged from the third marked picture on.
    ordered = marked[RING_SLOTS:] if len(marked) > 2 * RING_SLOTS else marked
    # A slow reader may also find the slot it is about to copy already rewritten with the frame
    # two ahead (a writer lapping a 2-slot ring): seen as k, k+2, k+1, k+2.  The producer wrote
    # in order; tolerated up to 1 in 8.
    lapped = 0
    for i, (a, b) in enumerate(zip(ordered, ordered[1:])):
        if b == a - 1 and i > 0 and ordered[i - 1] == b - 1:
            lapped += 1
            continue
        if b < a or (b == a and not rep):
            problems.append("counter went from %d to %d" % (a, b))
            break
    if lapped:
        print("%s: %d pictures from a lapped ring slot (k, k+2, k+1)" % (path, lapped))
        if 8 * lapped > len(marked):
            problems.append("%d lapped ring slots in %d pictures (> 1 in 8)" % (lapped, len(marked)))
    if rep and len(marked) > 1 and marked[-1] <= marked[0]:
        problems.append("counter never advanced (%d)" % marked[0])
    if stall:
        best, run, last, resumed = 0, 0, None, False
        for c in counters:
            if c < 0 or c == last:
                run += 1
                continue
            if last is not None and run >= stall and c > last:
                resumed = True
            best = max(best, run)
            run, last = 0, c
        best = max(best, run)
        if not resumed:
            problems.append("no stall of >= %d pictures followed by a higher counter (longest stall %d)" % (stall, best))
    if resume:
        s = "".join("m" if c >= 0 else ("u" if c == -1 else "") for c in counters)
        if "mu" not in s or "um" not in s[s.index("mu"):]:
            problems.append("no marked -> unmarked -> marked sequence (stream did not come back)")
    if wake:
        first = next((k for k, c in enumerate(counters) if c >= 0), None)
        if first is None:
            problems.append("no camera picture: the camera never woke")
        elif first == 0:
            problems.append("the first picture is already the camera's (no placeholder while it woke)")
        else:
            later = sum(1 for c in counters[first:] if c == -1)
            if later:
                problems.append("%d placeholder pictures after the first camera picture" % later)
            note = "%d placeholder pictures before the first camera picture" % first
            if times:
                pts = read_framecrc(times)
                if len(pts) > first:
                    note += ", %.2f s after the consumer's first picture" % (pts[first] - pts[0])
                    info.append("wake_latency_s=%.2f" % (pts[first] - pts[0]))
                else:
                    problems.append("%s: %d timestamps for %d pictures" % (times, len(pts), len(counters)))
            info.append(note)
    if rng and marked and (min(marked) < rng[0] or max(marked) > rng[1]):
        problems.append("counters %d..%d outside [%d, %d]: another camera's pictures" % (
            min(marked), max(marked), rng[0], rng[1]))
    if ge is not None and marked and marked[0] < ge:
        problems.append("first counter %d < %d" % (marked[0], ge))
    if torn * 4 > len(counters):
        problems.append("%d of %d pictures torn" % (torn, len(counters)))
    if unmarked and not ph_ok:
        problems.append("%d pictures without a marker" % unmarked)
    if need_ph and not unmarked:
        problems.append("no placeholder (unmarked) picture")
    if problems:
        print("FAIL %s: %s" % (path, "; ".join(problems)))
        return 1
    extra = ("; " + "; ".join(info)) if info else ""
    print(("ok %s: %d..%d increasing" % (path, marked[0], marked[-1]) if marked else "ok %s" % path) + extra)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
