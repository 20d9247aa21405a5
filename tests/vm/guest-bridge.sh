# Sourced by tests/vm/guest.sh (inside the VM) once /build/cam-bridge and /build/cam-sim exist,
# after guest-lib.sh.  Every check here is mandatory: a built cam-bridge that misbehaves FAILS
# the VM test.  One camera (camera1, wake = always); scenarios, in order: camera asleep when the
# bridge and a consumer start (placeholder, no error); camera wakes (live frames: the consumer
# suite); the camera drops off and returns while a consumer streams; a consumer stops and starts
# again; the bridge restarted under the same device after SIGTERM and after SIGKILL (the 0.12.7
# STREAMON bug), a consumer streaming across the SIGKILL restart; clean stop.

NAME=camera1
HTTP=${CAM_HTTP[$NAME]}
NOTIFYLOG=/out/notify-$NAME.log

# A fresh module: the negative control above left video41 unusable (the 0.12.7 bug).
if unload_module && load_module && wait_caps $DEV output 5; then
	ok "bridge: module reloaded, $DEV output-only"
else
	bad "bridge: module reload failed ($(caps $DEV))"
fi

cam_conf $NAME always
cam_argv $NAME
ok "bridge: unit ExecStart -> ${ARGV[*]}"
if "${ARGV[@]}" --check-config >/out/bridge-check.log 2>&1; then
	ok "bridge: --check-config accepts /etc/cam-bridge/$NAME.conf"
else
	bad "bridge: --check-config: $(head -n 5 /out/bridge-check.log | tr '\n' ' ')"
fi

# ---- A. camera asleep: the bridge starts, a consumer starts, both get the placeholder -------
if start_sim $NAME --wake-delay 4000; then
	ok "bridge: cam-sim up (control FIFO /tmp/$NAME.ctl)"
else
	bad "bridge: cam-sim did not start: $(tail -n 5 /out/sim-$NAME.log | tr '\n' ' ')"
	exit 1
fi
sim_ctl $NAME sleep
start_bridge $NAME bridge1
if wait_caps $DEV capture 20; then
	ok "bridge: $DEV flipped output -> capture once cam-bridge streams"
else
	bad "bridge: $DEV is $(caps $DEV) 20 s after cam-bridge started ($(tail -n 5 /out/bridge1.log | tr '\n' ' '))"
fi
if timeout 20 v4l2-ctl -d $DEV --stream-mmap=3 --stream-count=8 --stream-to=/out/asleep_v4l2ctl.yuv >/out/asleep_v4l2ctl.log 2>&1; then
	ok "bridge: a consumer started while the camera sleeps gets frames, no error (healthz: $(healthz $NAME | head -n1))"
	markers asleep_v4l2ctl asleep_v4l2ctl.yuv $BFMT ${BW}x$BH --min 0 --max 8 --need-placeholder
else
	bad "bridge: consumer while the camera sleeps: $(tail -n 3 /out/asleep_v4l2ctl.log | tr '\n' ' ')"
fi

# ---- B. the camera wakes: live frames through every consumer ----------------------------------
sim_ctl $NAME wake
if wait_live $NAME 40; then
	ok "bridge: live ($(healthz $NAME | head -n1))"
else
	bad "bridge: not live 40 s after the camera was woken: healthz '$(healthz $NAME)'; $(tail -n 5 /out/bridge1.log | tr '\n' ' ')"
fi
consume bridge $DEV $BFMT $BW $BH $BFPS --allow-repeat

# sd_notify: READY=1 and watchdog pings, as Type=notify and WatchdogSec= expect.
grep -q ' READY=1$' $NOTIFYLOG && ok "bridge: sd_notify READY=1" || bad "bridge: no READY=1 on \$NOTIFY_SOCKET"
nwd=$(grep -c ' WATCHDOG=1$' $NOTIFYLOG)
[ "$nwd" -ge 2 ] && ok "bridge: $nwd WATCHDOG=1 pings (WATCHDOG_USEC=4 s)" || bad "bridge: $nwd WATCHDOG=1 pings"

# ---- C. the camera drops off and returns while a consumer streams -----------------------------
# DROP_WINDOW s of frames; the camera is gone from 2 s to 2+DROP_SECS s (longer than
# camera.read_timeout_ms = 2 s); healthz is polled meanwhile to report how long the bridge took.
DROP_SECS=${DROP_SECS:-3} DROP_WINDOW=${DROP_WINDOW:-11}
bg timeout $((DROP_WINDOW + 20)) v4l2-ctl -d $DEV --stream-mmap=3 --stream-count=$((BFPS * DROP_WINDOW)) --stream-to=/out/dropoff_v4l2ctl.yuv >/out/dropoff_v4l2ctl.log 2>&1
CONS=$!
bg sh -c "while :; do echo \"\$(cut -d' ' -f1 /proc/uptime) \$(curl -s -m 1 http://$HTTP/healthz | head -n1)\"; sleep 0.3; done" >/out/dropoff_health.log
POLL=$!
sleep 2
tdrop=$(up)
sim_ctl $NAME dropoff $DROP_SECS
wait $CONS; rc=$?
kill $POLL 2>/dev/null
h=$(awk -v t=$tdrop '$1 >= t { st = ($2 == "ok" && $3 == "streaming") ? "live" : "down" }
	$1 >= t && st == "down" && !d { d = $1 - t }
	$1 >= t && st == "live" && d && !r { r = $1 - t }
	END { printf "camera lost after %s s, live again after %s s", d ? d : "?", r ? r : "?" }' /out/dropoff_health.log)
if [ $rc -eq 0 ]; then
	ok "bridge: consumer streamed through a ${DROP_SECS} s camera drop-off without an error ($h)"
	markers dropoff_v4l2ctl dropoff_v4l2ctl.yuv $BFMT ${BW}x$BH --min 10 --allow-repeat --need-stall-resume $BFPS
else
	bad "bridge: consumer across the drop-off: exit $rc $(tail -n 3 /out/dropoff_v4l2ctl.log | tr '\n' ' ') ($h)"
fi
wait_live $NAME 30 || bad "bridge: not live again after the drop-off: healthz '$(healthz $NAME)'"

# ---- D. the bridge restarted under the same device (0.12.7 STREAMON bug) ---------------------
stop_bridge $NAME bridge1
wait_caps $DEV output 5 && ok "bridge: stopped, $DEV back to output-only" || bad "bridge: stopped, $DEV is $(caps $DEV)"
start_bridge $NAME bridge2
if wait_caps $DEV capture 20 && wait_live $NAME 40; then
	if timeout 30 v4l2-ctl -d $DEV --stream-mmap=3 --stream-count=15 --stream-to=/out/restart_v4l2ctl.yuv >/out/restart_v4l2ctl.log 2>&1; then
		ok "bridge: restarted under the same device, streams again"
		markers restart_v4l2ctl restart_v4l2ctl.yuv $BFMT ${BW}x$BH --min 5 --allow-repeat
	else
		bad "bridge: after restart v4l2-ctl: $(tail -n 3 /out/restart_v4l2ctl.log | tr '\n' ' ')"
	fi
else
	bad "bridge: restarted cam-bridge: $DEV is $(caps $DEV), healthz '$(healthz $NAME)'; $(tail -n 5 /out/bridge2.log | tr '\n' ' ')"
fi
grep -q ' STOPPING=1$' $NOTIFYLOG && ok "bridge: sd_notify STOPPING=1 on stop" || bad "bridge: no STOPPING=1"

# ---- E. a consumer stops and starts again (same bridge, camera live) -------------------------
for k in 1 2; do
	if timeout 30 v4l2-ctl -d $DEV --stream-mmap=3 --stream-count=10 --stream-to=/out/again${k}_v4l2ctl.yuv >/out/again${k}_v4l2ctl.log 2>&1; then
		ok "bridge: consumer run $k of 2 streams"
		markers again${k}_v4l2ctl again${k}_v4l2ctl.yuv $BFMT ${BW}x$BH --min 5 --allow-repeat
	else
		bad "bridge: consumer run $k of 2: $(tail -n 3 /out/again${k}_v4l2ctl.log | tr '\n' ' ')"
	fi
done

# ---- F. SIGKILL (a crash; systemd's Restart=on-failure starts it again) ----------------------
# A consumer streams across it: what it sees while no producer exists is the module's business
# (it blocks in DQBUF: a frozen picture), but it must not fail, and after the restart it must
# get the camera's frames again.
KILL_WINDOW=${KILL_WINDOW:-14}
bg timeout $((KILL_WINDOW + 30)) v4l2-ctl -d $DEV --stream-mmap=3 --stream-count=$((BFPS * KILL_WINDOW)) --stream-to=/out/kill_v4l2ctl.yuv >/out/kill_v4l2ctl.log 2>&1
CONS=$!
sleep 3
log "SIGKILL to cam-bridge"
stop_bridge $NAME bridge2 KILL
log "cam-bridge gone"
# With a reader still streaming the device keeps its capture side: "both" (0.13) or "capture"
# (0.12.7); what must not happen is "none", the sign of a writer never released (#470).
sleep 0.5
c=$(caps $DEV)
[ "$c" != none ] && [ "$c" != error ] && ok "bridge: SIGKILLed while a consumer streams: $DEV is '$c'" ||
	bad "bridge: SIGKILLed, $DEV is '$c'"
start_bridge $NAME bridge3
if wait_caps $DEV capture 20 && wait_live $NAME 40; then
	ok "bridge: restarted after SIGKILL, live again"
else
	bad "bridge: after SIGKILL: $DEV is $(caps $DEV), healthz '$(healthz $NAME)'; $(tail -n 5 /out/bridge3.log | tr '\n' ' ')"
fi
wait $CONS; rc=$?
if [ $rc -eq 0 ]; then
	ok "bridge: a consumer streaming across a SIGKILL + restart of the bridge kept going without an error"
	markers kill_v4l2ctl kill_v4l2ctl.yuv $BFMT ${BW}x$BH --min 10 --allow-repeat --need-stall-resume 2
else
	# Not the bridge's doing, but users meet it: record what the module did.
	bad "bridge: a consumer across a SIGKILL + restart: exit $rc: $(tail -n 3 /out/kill_v4l2ctl.log | tr '\n' ' ')"
fi
stop_bridge $NAME bridge3
stop_sim $NAME
