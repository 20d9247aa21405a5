#!/bin/bash
# events.hook in the running bridge, cam-sim raising motion every second:
#  - a hook that hangs is ended at events.hook_timeout_seconds (logged), runs and timeouts
#    are counted on /metrics, and meanwhile the stream keeps its rate;
#  - stopping the bridge ends the hook that runs;
#  - a bad events.hook is refused at start with an error naming the key.
. "$(dirname "$0")/lib.sh"
need_prog "$BRIDGE"; need_prog "$SIM"
HPORT=$(free_port)

"$BRIDGE" --source rtsp://cam/x --output "$TMP/o" --events.hook=bin/hook 2>"$TMP/bad.err" \
	&& fail "a relative events.hook was accepted"
grep -q "events.hook: 'bin/hook' is not an absolute path" "$TMP/bad.err" || fail "error: $(cat "$TMP/bad.err")"
ok "relative events.hook refused naming the key"

cat >"$TMP/hook" <<EOF
#!/bin/sh
echo "\$CAM_EVENT_ID \$CAM_EVENT" >> "$TMP/ran"
exec sleep 61.25
EOF
chmod 755 "$TMP/hook"

ev_sim_start 1
ev_bridge_start hooktest bridge "$HPORT" --events.hook="$TMP/hook" --events.hook_timeout_seconds=1

WAIT_SECS=30 wait_for grep -q 'still running after 1 s' "$TMP/bridge.err" \
	|| { tail "$TMP/bridge.err"; fail "a hanging hook was not ended at its timeout"; }
frames() { grep -c ' new$' "$TMP/bridge.frames" 2>/dev/null || echo 0; }
# 10 s with a hook hanging most of the time and events piling up: the rate holds
f0=$(frames); sleep 10; f1=$(frames)
[ $((f1 - f0)) -ge 120 ] || fail "only $((f1 - f0)) frames in 10 s at 15 fps while the hook hung"
ok "stream kept its rate while hooks hung: $((f1 - f0)) frames in 10 s"
curl -fsS "http://127.0.0.1:$HPORT/metrics" >"$TMP/metrics" || fail "metrics"
python3 - "$TMP/metrics" <<'PY' || fail "hook counters: $(grep hook_ "$TMP/metrics")"
import sys
v = {}
for line in open(sys.argv[1]):
    if line.startswith('cam_bridge_hook_'):
        name, val = line.split('{')[0], float(line.split()[-1])
        v[name] = val
assert v['cam_bridge_hook_timeouts_total'] >= 3, v
assert v['cam_bridge_hook_runs_total'] >= v['cam_bridge_hook_timeouts_total'], v
assert v['cam_bridge_hook_failures_total'] >= v['cam_bridge_hook_timeouts_total'], v
PY
ok "metrics: $(grep -E '^cam_bridge_hook_(runs|timeouts)' "$TMP/metrics" | tr '\n' ' ')"
kill "$BRIDGE_PID"; wait "$BRIDGE_PID" 2>/dev/null
sleep 1.5   # SIGTERM, then SIGKILL one second later at the most
pgrep -f 'sleep 61[.]25' >/dev/null && fail "a hook outlived the bridge's stop"
ok "stop ends the running hook"
