#!/usr/bin/env python3
"""chromium_check.py RESULT LABEL W H FRAMES: judges what tests/vm/webcam.html reported from
headless Chromium.  The camera labelled LABEL was listed by enumerateDevices, getUserMedia
opened it at WxH, FRAMES pictures were drawn to a canvas, and their frame markers advance
(a picture may be drawn twice; the first two may be the loopback ring's replay).  Prints one
line: the verdict's detail.  Exit 0 ok, 1 not."""
import json
import sys

path, label, w, h, frames = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
with open(path) as f:
    r = json.load(f)
problems = []
if "error" in r:
    print("page error: %s (labels %s)" % (r["error"], r.get("labels")))
    sys.exit(1)
if not r.get("label", "").startswith(label):
    problems.append("opened %r, not %r" % (r.get("label"), label))
if (r.get("width"), r.get("height")) != (w, h):
    problems.append("track is %sx%s, want %dx%d" % (r.get("width"), r.get("height"), w, h))
c = r.get("counters", [])
marked = [x for x in c if x >= 0]
if len(c) < frames:
    problems.append("%d pictures, want %d" % (len(c), frames))
if len(marked) < frames // 2:
    problems.append("only %d of %d pictures carry a marker" % (len(marked), len(c)))
ordered = marked[2:] if len(marked) > 4 else marked
if any(b < a for a, b in zip(ordered, ordered[1:])):
    problems.append("markers go back: %s" % marked)
if marked and marked[-1] <= marked[0]:
    problems.append("markers never advance: %s" % marked)
detail = "listed %s, opened %r %sx%s at %s fps, %d pictures, markers %s..%s (%d distinct), open took %.1f s" % (
    r.get("labels"), r.get("label"), r.get("width"), r.get("height"), r.get("frameRate"), len(c),
    marked[0] if marked else "-", marked[-1] if marked else "-", len(set(marked)),
    r.get("seconds_to_open", -1))
if problems:
    print("; ".join(problems) + " [" + detail + "]")
    sys.exit(1)
print(detail)
