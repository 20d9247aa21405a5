# Sourced by tests/vm/guest.sh in long mode (make check-vm-long), after guest-lib.sh: the
# consumers too slow under TCG for `make check`.  One camera (camera1) live through cam-bridge,
# then motion (its own V4L2 capture code, snapshots) and headless Chromium (enumerateDevices,
# getUserMedia, frames drawn to a canvas) read the device; their pictures' markers must advance.

NAME=camera1
MOTION_SECONDS=${MOTION_SECONDS:-12}
CHROME_TIMEOUT=${CHROME_TIMEOUT:-420}
CHROME_FRAMES=${CHROME_FRAMES:-30}

cam_conf $NAME always
start_sim $NAME || { bad "long: cam-sim did not start: $(tail -n 5 /out/sim-$NAME.log | tr '\n' ' ')"; exit 1; }
start_bridge $NAME long-bridge
if wait_caps $DEV capture 30 && wait_live $NAME 60; then
	ok "long: cam-bridge live on $DEV"
else
	bad "long: cam-bridge not live: $DEV $(caps $DEV), healthz '$(healthz $NAME)'; $(tail -n 5 /out/long-bridge.log | tr '\n' ' ')"
	exit 1
fi

# ---- motion: reads /dev/videoN with its own V4L2 code, writes a snapshot every second --------
if command -v motion >/dev/null; then
	mkdir -p /tmp/motion /out/motion
	cat >/tmp/motion/motion.conf <<EOF
daemon off
setup_mode off
log_level 6
log_file /out/motion.log
video_device $DEV
v4l2_palette 17
width $BW
height $BH
framerate $BFPS
target_dir /out/motion
snapshot_interval 1
snapshot_filename snap-%Y%m%d%H%M%S
picture_type ppm
picture_output off
movie_output off
webcontrol_port 0
stream_port 0
EOF
	t0=$(up)
	bg timeout -s INT $MOTION_SECONDS motion -n -c /tmp/motion/motion.conf
	MPID=$!
	wait $MPID
	mt=$(echo "$(up) $t0" | awk '{printf "%.1f", $1 - $2}')
	nsnap=$(ls /out/motion/snap-*.ppm 2>/dev/null | wc -l)
	if [ "$nsnap" -ge 3 ]; then
		# PPM (lossless RGB) back to I420 for the marker checker: 0/255 become 16/235 again.
		for f in /out/motion/snap-*.ppm; do
			ffmpeg -hide_banner -loglevel error -nostdin -i "$f" -pix_fmt yuv420p -f rawvideo -
		done >/out/motion_snaps.yuv 2>/out/motion_conv.log
		ok "motion: $nsnap snapshots in $mt s ($(grep -m1 -io 'palette.*' /out/motion.log | cut -c1-60))"
		markers motion_snaps motion_snaps.yuv $BFMT ${BW}x$BH --min 3
	else
		bad "motion: $nsnap snapshots in $mt s: $(grep -i 'error\|fail' /out/motion.log | tail -n 3 | tr '\n' ' ')"
	fi
else
	bad "motion not installed (make deps installs it)"
fi

# ---- Chromium: a video call page -------------------------------------------------------------
CHROME=/usr/lib/chromium/chromium   # the /usr/bin wrapper sources /etc/chromium.d, absent here
if [ -x $CHROME ]; then
	rm -f /out/chromium-result.json
	bg python3 /src/tests/vm/page_server.py 8090 /src/tests/vm/webcam.html /out/chromium-result.json 2>/out/page_server.log
	mkdir -p /tmp/chrome-profile
	t0=$(up)
	bg $CHROME --headless --no-sandbox --disable-gpu --no-first-run --disable-dev-shm-usage \
		--user-data-dir=/tmp/chrome-profile --use-fake-ui-for-media-stream \
		--autoplay-policy=no-user-gesture-required --disable-background-networking \
		--disable-component-update --disable-sync --disable-features=MediaRouter \
		"http://127.0.0.1:8090/?label=$(sed 's/ /%20/g' <<<"$LABEL")&frames=$CHROME_FRAMES" \
		>/out/chromium.log 2>&1
	CPID=$!
	for ((i = 0; i < CHROME_TIMEOUT * 2; i++)); do
		[ -f /out/chromium-result.json ] && break
		kill -0 $CPID 2>/dev/null || break
		sleep 0.5
	done
	ct=$(echo "$(up) $t0" | awk '{printf "%.1f", $1 - $2}')
	kill $CPID 2>/dev/null; wait $CPID 2>/dev/null
	if [ -f /out/chromium-result.json ]; then
		if v=$(python3 /src/tests/vm/chromium_check.py /out/chromium-result.json "$LABEL" $BW $BH $CHROME_FRAMES); then
			ok "chromium: $v; $ct s from start to result"
		else
			bad "chromium: $v"
		fi
	else
		bad "chromium: no result after $ct s: $(grep -v -i 'dbus\|fontconfig' /out/chromium.log | tail -n 3 | tr '\n' ' ')"
	fi
else
	bad "chromium not installed (make deps installs it)"
fi

stop_bridge $NAME long-bridge
stop_sim $NAME
