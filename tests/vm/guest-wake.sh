# Sourced by tests/vm/guest.sh after guest-bridge.sh: wake on watch (wake.mode = on-demand).
# A battery camera (cam-sim --sleep-after) that the bridge connects to only while a V4L2
# consumer streams from the device (v4l2loopback >= 0.13 reports it with its client-usage
# event); with 0.12.7, which has no such event, the bridge must say so and keep the camera
# awake.  Then two consumers at once: what each module version does with a second reader.

NAME=camera1
IDLE=${WAKE_IDLE:-3}
WAKE_FRAMES=${WAKE_FRAMES:-120}   # 8 s at 15 fps: the wake plus a few seconds of camera frames
cam_conf $NAME on-demand $IDLE
: >/out/sim-$NAME.log
if ! start_sim $NAME --sleep-after 2 --wake-delay 1500; then
	bad "wake: cam-sim did not start: $(tail -n 5 /out/sim-$NAME.log | tr '\n' ' ')"
	exit 1
fi
sleep 3   # asleep now (--sleep-after 2)
start_bridge $NAME wake-bridge
wait_caps $DEV capture 20 || bad "wake: $DEV is $(caps $DEV) 20 s after cam-bridge started"
sleep 4   # time enough for a camera woken by mistake to show up in cam-sim's log

# read_frames N FILE: N pictures with plain read() (no REQBUFS/STREAMON; one picture per read).
read_frames() {
	timeout 20 dd if=$DEV of=$2 bs=$((BW * BH * 3 / 2)) count=$1 status=none &&
		[ "$(stat -c %s $2)" -eq $(($1 * BW * BH * 3 / 2)) ]
}
# wake_consumer TAG: ffmpeg -f v4l2 (mmap, STREAMON) for WAKE_FRAMES pictures, with their
# timestamps (framecrc) for the wake latency.
wake_consumer() {
	timeout 60 ffmpeg -hide_banner -nostdin -f v4l2 -i $DEV \
		-map 0:v -frames:v $WAKE_FRAMES -fps_mode passthrough -f rawvideo -pix_fmt yuv420p -y /out/$1.yuv \
		-map 0:v -frames:v $WAKE_FRAMES -fps_mode passthrough -enc_time_base -1 -f framecrc -y /out/$1.crc >/out/$1.log 2>&1
}
# A timeline (every ~0.2 s: uptime, the bridge's V4L2 consumer count, sessions cam-sim has
# ended) while consumers come and go: the idle time is measured from the moment the bridge
# saw the last consumer leave to the end of the camera session.
watch_timeline() {
	while :; do
		echo "$(up) $(curl -s -m 1 http://${CAM_HTTP[$NAME]}/api/v1/status | grep -o '"v4l2":[0-9a-z]*' | cut -d: -f2) $(sim_ended $NAME)"
		sleep 0.2
	done
}
# idle_after K ENDED: seconds from the bridge's last "1 consumer" sample before the K-th session
# end to that end (the timeline's ENDED column reaching ENDED+1); empty when not seen.
idle_after() {
	awk -v e=$1 '$2 == "1" { last = $1 } $3 > e && last && !done { printf "%.1f", $1 - last; done = 1 }' /out/wake_timeline.log
}
# wait_session_end N SECONDS: cam-sim has seen N sessions end.
wait_session_end() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(sim_ended $NAME)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

if [ "$MODVER" = 0.12.7 ]; then
	# ---- 0.12.7: no client-usage event -> the bridge says so once and behaves as "always" -----
	if grep -q 'does not report its consumers' /out/wake-bridge.log && [ "$(v4l2_clients $NAME)" = None ] &&
		wait_live $NAME 30; then
		ok "wake (0.12.7): no client-usage event; the bridge says so once ($(grep -c 'does not report its consumers' /out/wake-bridge.log) line) and keeps the camera awake without a consumer (cam-sim sessions: $(sim_sessions $NAME))"
	else
		bad "wake (0.12.7): want the 'does not report its consumers' notice, v4l2 consumers unknown and a live camera; got v4l2=$(v4l2_clients $NAME), healthz '$(healthz $NAME)', sessions $(sim_sessions $NAME)"
	fi
else
	# ---- 0.13: nobody watches -> no camera session, the device shows the placeholder ----------
	n=$(v4l2_clients $NAME) s0=$(sim_sessions $NAME)
	st=$(cam_state $NAME)
	if [ "$n" = 0 ] && [ "$s0" = 0 ] && [ "$st" = sleeping ]; then
		ok "wake: no consumer -> v4l2 consumers 0, cam-sim has no session, bridge state '$st'"
	else
		bad "wake: no consumer, yet v4l2 consumers '$n', cam-sim sessions $s0, bridge state '$st'"
	fi
	# A read() reader (no STREAMON) is not counted by 0.13: it sees the placeholder, wakes nothing.
	if read_frames 4 /out/wake_idle_read.yuv 2>/out/wake_idle_read.log; then
		markers wake_idle_read wake_idle_read.yuv $BFMT ${BW}x$BH --min 0 --max 4 --need-placeholder
		sleep 2
		[ "$(sim_sessions $NAME)" = 0 ] &&
			ok "wake: a read() reader gets the placeholder and does not wake the camera (not counted by $MODVER)" ||
			bad "wake: a read() reader woke the camera (cam-sim sessions $(sim_sessions $NAME))"
	else
		bad "wake: read() reader: $(tail -n 3 /out/wake_idle_read.log | tr '\n' ' ')"
	fi

	# ---- a consumer opens the device -> the camera wakes, the consumer gets its frames -----------
	bg watch_timeline >/out/wake_timeline.log
	TL=$!
	for k in 1 2; do
		before=$(sim_sessions $NAME) ended=$(sim_ended $NAME)
		if wake_consumer wake$k; then
			markers wake$k wake$k.yuv $BFMT ${BW}x$BH --min 10 --need-wake --times wake$k.crc
			s1=$(sim_sessions $NAME)
			[ "$s1" = $((before + 1)) ] &&
				ok "wake: consumer $k woke the camera (cam-sim session $s1; bridge: $(grep -c 'waking the camera' /out/wake-bridge.log) wake(s) logged)" ||
				bad "wake: consumer $k: cam-sim sessions went from $before to $s1, want one more"
		else
			bad "wake: consumer $k (ffmpeg -f v4l2): $(tail -n 3 /out/wake$k.log | tr '\n' ' ')"
			continue
		fi
		# ---- the consumer left -> the session ends after wake.idle_seconds --------------------
		sleep 1
		n=$(v4l2_clients $NAME)
		[ "$n" = 0 ] && ok "wake: consumer $k left -> v4l2 consumers 0" || bad "wake: consumer $k left, v4l2 consumers '$n'"
		if wait_session_end $((ended + 1)) $((IDLE + 20)); then
			# The timeline samples every 0.2 s plus a curl (1-2 s apart under TCG on a
			# busy host): wait until it shows the end too.
			for ((i = 0; i < 100; i++)); do
				dt=$(idle_after $ended)
				[ -n "$dt" ] && break
				sleep 0.1
			done
			# The bridge's count is sampled every ~0.2 s, each sample taking a curl (slow under
			# TCG) after its timestamp: allow 1 s.
			if [ -n "$dt" ] && awk -v d="$dt" -v i=$IDLE 'BEGIN { exit !(d >= i - 1 && d <= i + 10) }'; then
				ok "wake: camera session ended $dt s after the bridge saw consumer $k leave (wake.idle_seconds = $IDLE)"
			else
				bad "wake: camera session ended '$dt' s after the bridge saw consumer $k leave, want about wake.idle_seconds = $IDLE (/out/wake_timeline.log)"
			fi
		else
			bad "wake: camera session still open $((IDLE + 21)) s after consumer $k left (healthz '$(healthz $NAME)')"
		fi
		sleep 3   # the camera falls asleep again (--sleep-after 2)
	done
	kill $TL

	# ---- the bridge restarted while a consumer streams (systemctl restart with Zoom open) -----
	# The new bridge asks for the current consumer count when it subscribes: it must wake the
	# camera without the consumer doing anything.
	bg v4l2-ctl -d $DEV --stream-mmap=3 --stream-count=100000 --stream-to=/dev/null >/out/wake_restart_cons.log 2>&1
	CR=$!
	wait_live $NAME 40 || bad "wake: the long consumer did not wake the camera: healthz '$(healthz $NAME)'"
	stop_bridge $NAME wake-bridge KILL
	s0=$(sim_sessions $NAME)
	start_bridge $NAME wake-bridge2
	if wait_live $NAME 40 && [ "$(v4l2_clients $NAME)" = 1 ]; then
		ok "wake: a bridge (re)started while a consumer streams sees it at once (v4l2 consumers 1) and wakes the camera (cam-sim sessions $s0 -> $(sim_sessions $NAME))"
	else
		bad "wake: bridge restarted under a streaming consumer: v4l2 consumers '$(v4l2_clients $NAME)', healthz '$(healthz $NAME)', sessions $s0 -> $(sim_sessions $NAME)"
	fi
	kill -TERM $CR 2>/dev/null; wait $CR 2>/dev/null   # (a background job ignores SIGINT)
	stop_bridge $NAME wake-bridge2 KILL
	start_bridge $NAME wake-bridge
	wait_caps $DEV capture 20 || bad "wake: $DEV is $(caps $DEV) after the bridge's restart"
fi

# ---- two consumers at once ------------------------------------------------------------------
# The first streams (mmap) until stopped; meanwhile a second mmap consumer (ffmpeg) and a read()
# reader try.  One camera session whatever happens.
before=$(sim_sessions $NAME)
bg v4l2-ctl -d $DEV --stream-mmap=3 --stream-count=100000 --stream-to=/out/two_first.yuv >/out/two_first.log 2>&1
C1=$!
wait_live $NAME 30 || bad "two consumers: camera not live with the first consumer: healthz '$(healthz $NAME)'"
n1=$(v4l2_clients $NAME)
timeout 30 ffmpeg -hide_banner -nostdin -f v4l2 -i $DEV -frames:v 15 -fps_mode passthrough -f rawvideo -pix_fmt yuv420p -y /out/two_second.yuv >/out/two_second.log 2>&1
rc2=$?
read_frames 10 /out/two_read.yuv 2>/out/two_read.log
rc3=$?
n2=$(v4l2_clients $NAME)
if kill -0 $C1 2>/dev/null; then
	kill -TERM $C1; wait $C1   # SIGTERM: background jobs of a script ignore SIGINT
	# Stopped mid-picture: keep the whole pictures.
	ps=$((BW * BH * 3 / 2)); sz=$(stat -c %s /out/two_first.yuv)
	truncate -s $((sz / ps * ps)) /out/two_first.yuv
	# 0.13: the first consumer woke the camera (placeholder first); 0.12.7: the camera was awake.
	markers two_first two_first.yuv $BFMT ${BW}x$BH --min 20 --allow-repeat $([ "$MODVER" = 0.12.7 ] || echo --need-wake)
else
	wait $C1; rc1=$?
	if [ "$MODVER" = 0.12.7 ] && grep -q 'VIDIOC_DQBUF: failed: Invalid argument' /out/two_first.log; then
		# 0.12.x: the second reader's REQBUFS(0) frees the buffers the first is streaming
		# from (upstream #454/#459; fixed in 0.13 by refusing the second reader).
		ok "two consumers (0.12.7): the second reader's REQBUFS(0) ended the first (driver bug #454)"
	else
		bad "two consumers: the first consumer stopped before the others were done (exit $rc1): $(tail -n 3 /out/two_first.log | tr '\n' ' ')"
	fi
fi
err2=$(grep -m1 -i 'busy\|error\|invalid' /out/two_second.log)
case $MODVER in
0.12.7)
	# 0.12.x lets several readers stream (one reader's REQBUFS(0) can upset the others).
	if [ $rc2 -eq 0 ]; then
		ok "two consumers (0.12.7): a second mmap reader streams too"
		markers two_second two_second.yuv $BFMT ${BW}x$BH --min 10 --allow-repeat
	else
		bad "two consumers (0.12.7): the second mmap reader failed (exit $rc2): $err2"
	fi ;;
*)
	# 0.13: a second STREAMON(CAPTURE) is refused with EBUSY while the first streams.
	if [ $rc2 -ne 0 ] && grep -qi 'busy' /out/two_second.log; then
		ok "two consumers ($MODVER): the second mmap reader is refused: $err2 (the first goes on; v4l2 consumers $n1 -> $n2)"
	else
		bad "two consumers ($MODVER): want EBUSY for a second mmap reader; exit $rc2: $err2"
	fi ;;
esac
if [ $rc3 -eq 0 ]; then
	ok "two consumers: a read() reader alongside gets frames too"
	markers two_read two_read.yuv $BFMT ${BW}x$BH --min 5 --allow-repeat
else
	bad "two consumers: a read() reader alongside: $(tail -n 3 /out/two_read.log | tr '\n' ' ')"
fi
s=$(sim_sessions $NAME)
if [ "$MODVER" = 0.12.7 ]; then
	[ "$s" = "$before" ] && ok "two consumers: one camera session (cam-sim sessions $s)" ||
		bad "two consumers: cam-sim sessions $before -> $s, want no new one"
else
	[ "$s" = $((before + 1)) ] && ok "two consumers: one camera session for all of them (cam-sim sessions $before -> $s)" ||
		bad "two consumers: cam-sim sessions $before -> $s, want exactly one more"
fi
stop_bridge $NAME wake-bridge
stop_sim $NAME
