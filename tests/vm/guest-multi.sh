# Sourced by tests/vm/guest.sh after guest-wake.sh: two cameras.  Two cam-sims (camera2 counts
# from 1000000, so each picture tells which camera it came from), two bridges on the two
# devices the generated module options made (found by label), consumers opening the by-id links;
# then one bridge stops and the other must not notice.

cam_conf camera1 always
cam_conf camera2 always
# The module was loaded with options generated from configs naming the same two labels; the
# generator run on the real configs must say the same.
if /src/config/cam-bridge-modprobe-gen -d /etc/cam-bridge -o /tmp/gen-multi.conf 2>/tmp/gen-multi.err &&
	[ "$(grep '^options' /tmp/gen-multi.conf)" = "$(grep '^options' /etc/modprobe.d/cam-bridge.conf)" ]; then
	ok "multi: modprobe-gen on /etc/cam-bridge/camera{1,2}.conf: $(grep '^options' /tmp/gen-multi.conf)"
else
	bad "multi: modprobe-gen on the two configs: $(cat /tmp/gen-multi.err) $(grep '^options' /tmp/gen-multi.conf 2>/dev/null)"
fi
: >/out/sim-camera1.log
start_sim camera1 && start_sim camera2 || bad "multi: cam-sim did not start"
start_bridge camera1 multi-bridge1
start_bridge camera2 multi-bridge2
if wait_live camera1 60 && wait_live camera2 60; then
	ok "multi: both bridges live ($DEV, $DEV2)"
else
	bad "multi: camera1 '$(healthz camera1)', camera2 '$(healthz camera2)'; $(tail -n 3 /out/multi-bridge2.log | tr '\n' ' ')"
fi

# Both at once, each through its by-id link.
bg timeout 40 v4l2-ctl -d $LINK --stream-mmap=3 --stream-count=20 --stream-to=/out/multi1.yuv >/out/multi1.log 2>&1
C1=$!
timeout 40 v4l2-ctl -d $LINK2 --stream-mmap=3 --stream-count=20 --stream-to=/out/multi2.yuv >/out/multi2.log 2>&1; rc2=$?
wait $C1; rc1=$?
if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]; then
	ok "multi: a consumer on each by-id link at once ($LINK, $LINK2)"
	markers multi1 multi1.yuv $BFMT ${BW}x$BH --min 10 --allow-repeat --range 0 999999
	markers multi2 multi2.yuv $BFMT ${BW}x$BH --min 10 --allow-repeat --range 1000000 1999999
else
	bad "multi: consumers: $rc1 $(tail -n 2 /out/multi1.log | tr '\n' ' ') / $rc2 $(tail -n 2 /out/multi2.log | tr '\n' ' ')"
fi

# Stop camera1's bridge while camera2's consumer streams: camera2 goes on untouched.
s2=$(sim_sessions camera2)
bg timeout 40 v4l2-ctl -d $LINK2 --stream-mmap=3 --stream-count=$((BFPS * 8)) --stream-to=/out/multi2_stop1.yuv >/out/multi2_stop1.log 2>&1
C2=$!
sleep 2
stop_bridge camera1 multi-bridge1
wait_caps $DEV output 5 && ok "multi: camera1's bridge stopped, $DEV back to output-only" ||
	bad "multi: camera1's bridge stopped, $DEV is $(caps $DEV)"
wait $C2; rc=$?
if [ $rc -eq 0 ]; then
	markers multi2_stop1 multi2_stop1.yuv $BFMT ${BW}x$BH --min 60 --allow-repeat --range 1000000 1999999
	if kill -0 ${BPID[camera2]} 2>/dev/null && [ "$(sim_sessions camera2)" = "$s2" ] && [ "$(caps $DEV2)" = capture ] &&
		[ "$(healthz camera2 | head -n1)" = "ok streaming" ]; then
		ok "multi: camera2 untouched by camera1's stop (bridge running, same camera session, $DEV2 capture, healthz ok streaming)"
	else
		bad "multi: camera2 after camera1's stop: bridge $(kill -0 ${BPID[camera2]} 2>/dev/null && echo running || echo gone), sessions $s2 -> $(sim_sessions camera2), $DEV2 $(caps $DEV2), healthz '$(healthz camera2)'"
	fi
else
	bad "multi: camera2's consumer during camera1's stop: exit $rc $(tail -n 3 /out/multi2_stop1.log | tr '\n' ' ')"
fi
stop_bridge camera2 multi-bridge2
stop_sim camera1
stop_sim camera2
