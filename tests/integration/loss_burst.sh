#!/bin/bash
# 30 % loss of every datagram the camera sends (media and acks) for 10 s, then a clean link:
# cam-sim's impairment switched at run time through its control FIFO ('loss PCT').  The
# session survives or reconnects by itself, and camera frames flow at the full rate again
# within 3 s of the link being clean.  (No netem on this kernel: the loss is on the camera's
# side, the direction that carries the video.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/e2e_lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"
UID_=95270000LOSSY001
PW=l0ss-pw
FPS=15
BACK_MS=${BACK_MS:-3000}
port=$(free_port)
FIFO=$TMP/ctl

# --jitter 1: impairment on from the start (1 ms), so 'loss' can be switched later
"$SIM" --uid $UID_ --user admin --password "$PW" --listen 127.0.0.1 --disc-port "$port" \
	--tcp-port -1 --size 320x180 --fps $FPS --jitter 1 --control-fifo "$FIFO" -v \
	>"$TMP/sim.out" 2>"$TMP/sim.err" &
PIDS+=($!)
WAIT_SECS=10 wait_for grep -q '^cam-sim ready' "$TMP/sim.out" || fail "cam-sim did not start"
"$BRIDGE" --name lossy --source "bc-udp://admin:$PW@127.0.0.1:$port/main?uid=$UID_" \
	--output /dev/null --size 320x180 --fps $FPS --http off --frame-log "$TMP/frames.log" \
	2>"$TMP/bridge.err" &
BPID=$!; PIDS+=($BPID)
have_frames() { [ "$(grep -c ' new$' "$TMP/frames.log" 2>/dev/null)" -ge 30 ]; }
WAIT_SECS=30 wait_for have_frames || { tail "$TMP/bridge.err"; fail "no camera frames before the loss"; }

t_loss=$(now_us)
echo "loss 30" >"$FIFO"
sleep 10
echo "loss 0" >"$FIFO"
t_clean=$(now_us)
sleep 7
kill -0 $BPID || fail "the bridge died"
grep -q 'control: loss 30' "$TMP/sim.err" || fail "cam-sim did not take the loss command"

python3 - "$TMP/frames.log" "$t_loss" "$t_clean" $FPS "$BACK_MS" <<'PY' || { tail "$TMP/bridge.err"; fail "stream not back in time"; }
import sys
log, t_loss, t_clean, fps, back_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
new = [int(l.split()[1]) for l in open(log) if l.split()[2] == "new"]
during = sum(1 for t in new if t_loss < t <= t_clean)
after = [t for t in new if t > t_clean]
def full_from(t):   # every 1 s window from t to t_clean + 6 s holds >= fps - 4 new frames
    return all(sum(1 for u in after if s <= u < s + 1000000) >= fps - 4
               for s in range(t, t_clean + 6000000, 250000))
back = next((t for t in [t_clean] + after if full_from(t)), None)
print("camera frames during 10 s of 30%% loss: %d; in the 7 s after: %d" % (during, len(after)))
if back is None:
    print("no full-rate stream after the loss"); sys.exit(1)
ms = (back - t_clean) // 1000
print("full rate again %d ms after the link was clean" % ms)
sys.exit(0 if ms <= back_ms else 1)
PY
grep -E 'camera session' "$TMP/bridge.err" | sed 's/^/  bridge: /' | head -5
ok "30 % loss for 10 s: full rate again within $BACK_MS ms of a clean link"
