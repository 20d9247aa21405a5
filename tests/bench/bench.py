#!/usr/bin/env python3
"""Measuring and summing up for tests/bench/run.sh (independent of the C under test).

  bench.py rusage OUT CMD...     runs CMD, appends "cpu_s maxrss_kib start_us rc" to OUT:
                                 user+sys CPU and peak RSS (VmHWM) of CMD, and start_us, the
                                 time from its exec to the first ' new' line of the frame log
                                 named by $BENCH_FLOG (-1 without one), CLOCK_MONOTONIC.
  bench.py frames SIMLOG FLOG NFILE WARM_S CAP_S
                                 matches cam-sim's sent counters to the bridge's writes (the
                                 file source carries markers 0..NFILE-1, so counter c is marker
                                 c mod NFILE); prints "sent delivered p50_ms p99_ms max_ms" over
                                 the frames sent after the first WARM_S seconds and at least 1 s
                                 before the bridge's last write; a frame written CAP_S or more
                                 after its send counts as lost (keep CAP_S under the file's
                                 length, when the marker comes back).
  bench.py table RESULTS         the summary table (median and min-max of each figure).
"""
import os
import statistics
import subprocess
import sys
import time


def rusage(out, cmd):
    flog = os.environ.get("BENCH_FLOG", "")
    t0 = time.monotonic_ns() // 1000
    p = subprocess.Popen(cmd)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    start = -1
    if flog and os.path.exists(flog):
        for line in open(flog):
            f = line.split()
            if len(f) == 3 and f[2] == "new":
                start = int(f[1]) - t0
                break
    with open(out, "a") as o:
        o.write(f"{ru.ru_utime + ru.ru_stime:.4f} {ru.ru_maxrss} {start} {p.returncode}\n")
    return 0


def frames(simlog, flog, nfile, warm, cap):
    nfile = int(nfile)
    sent = []
    for line in open(simlog):
        f = line.split()
        if len(f) >= 4 and f[3] == "main":
            sent.append((int(f[0]), int(f[1])))
    writes = {}
    last = 0
    for line in open(flog):
        f = line.split()
        if len(f) != 3:
            continue
        m, ts = int(f[0]), int(f[1])
        last = max(last, ts)
        if f[2] == "new" and m >= 0:
            writes.setdefault(m, []).append(ts)
    if not sent or not writes:
        print("0 0 -1 -1 -1")
        return 0
    t_from = sent[0][1] + warm * 1e6
    t_to = last - 1e6
    lat, n = [], 0
    for c, ts in sent:
        if not t_from <= ts < t_to:
            continue
        n += 1
        # the first write of this marker at or after its send (the file loops: the same
        # marker comes back every NFILE frames)
        cand = [w for w in writes.get(c % nfile, ()) if w >= ts]
        if cand and cand[0] - ts < cap * 1e6:
            lat.append((cand[0] - ts) / 1000)
    lat.sort()
    if not lat:
        print(f"{n} 0 -1 -1 -1")
        return 0
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
    print(f"{n} {len(lat)} {q(0.5):.2f} {q(0.99):.2f} {lat[-1]:.2f}")
    return 0


def table(results):
    """RESULTS: lines "ROW VALUE" (one per run); rows keep their first-seen order."""
    rows, order = {}, []
    for line in open(results):
        f = line.rstrip("\n").split("\t")
        if len(f) < 2:
            continue
        if f[0] not in rows:
            order.append(f[0])
            rows[f[0]] = []
        try:
            rows[f[0]].append(float(f[1]))
        except ValueError:
            pass
    w = max(len(r) for r in order) if order else 10
    print(f"{'figure':<{w}}  {'median':>10}  {'min-max':>21}  runs")
    for r in order:
        v = rows[r]
        if not v:
            print(f"{r:<{w}}  {'-':>10}  {'-':>21}  0")
            continue
        fmt = lambda x: f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}"
        print(f"{r:<{w}}  {fmt(statistics.median(v)):>10}  "
              f"{fmt(min(v)) + ' - ' + fmt(max(v)):>21}  {len(v)}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "rusage":
        sys.exit(rusage(sys.argv[2], sys.argv[3:]))
    if len(sys.argv) == 7 and sys.argv[1] == "frames":
        sys.exit(frames(*sys.argv[2:5], float(sys.argv[5]), float(sys.argv[6])))
    if len(sys.argv) == 3 and sys.argv[1] == "table":
        sys.exit(table(sys.argv[2]))
    sys.exit(__doc__)
