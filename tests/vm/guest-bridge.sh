# Sourced by tests/vm/guest.sh (inside the VM) once /build/cam-bridge and /build/cam-sim exist.
# Every check here is mandatory: a built cam-bridge that misbehaves FAILS the VM test.
#
# cam-bridge runs with the command line of systemd/cam-bridge@.service's ExecStart (parsed here,
# %i = camera1, only the binary path swapped for /build/cam-bridge), in the environment systemd
# would give it: an unprivileged user in the video group, $CREDENTIALS_DIRECTORY/password
# (LoadCredential=), $NOTIFY_SOCKET (Type=notify) and $WATCHDOG_USEC/$WATCHDOG_PID (WatchdogSec=).
# Scenarios, in order: camera asleep when the bridge and a consumer start (placeholder, no
# error); camera wakes (live frames: the consumer suite); the camera drops off and returns while
# a consumer streams; the bridge restarted under the same device (STREAMON bug); clean stop.

NAME=camera1
SIM_UID=95270000VMTEST01
SIM_USER=admin
SIM_PW=vm-secret-pw
DISC_PORT=2018
SIM_SIZE=640x480
SIM_FPS=15
BW=320 BH=240 BFPS=15 BFMT=i420      # the output as configured (scaled from the camera)
SUID=61234                            # stands in for DynamicUser=
FIFO=/tmp/sim.ctl
NOTIFY=/run/cb-notify.sock
CREDDIR=/run/credentials/cam-bridge@$NAME.service
HTTP=127.0.0.1:8080

# A fresh module: the negative control above left video41 unusable (the 0.12.7 bug).
if unload_module && load_module && wait_caps $DEV output 5; then
	ok "bridge: module reloaded, $DEV output-only"
else
	bad "bridge: module reload failed ($(caps $DEV))"
fi

mkdir -p /etc/cam-bridge
cat >/etc/cam-bridge/$NAME.conf <<EOF
camera = {
	source = "bc-udp://$SIM_USER@127.0.0.1:$DISC_PORT/main?uid=$SIM_UID";
	read_timeout_ms = 2000;
	connect_timeout_ms = 5000;
};
output = { device = "label:$LABEL"; format = "$BFMT"; width = $BW; height = $BH; fps = $BFPS; };
reconnect = { backoff_min_ms = 200; backoff_max_ms = 1000; };
decode = { hwaccel = "none"; };
http = { listen = "$HTTP"; };
EOF
chmod 0644 /etc/cam-bridge/$NAME.conf
mkdir -p "$CREDDIR"
printf '%s\n' "$SIM_PW" >"$CREDDIR/password"
chown -R $SUID:$SUID "$CREDDIR"
chmod 0500 "$CREDDIR"; chmod 0400 "$CREDDIR/password"

# ---- the unit's ExecStart, parsed --------------------------------------------------------
UNIT=/src/systemd/cam-bridge@.service
mapfile -t execs < <(sed -n 's/^ExecStart=//p' "$UNIT")
if [ ${#execs[@]} -ne 1 ]; then
	bad "bridge: $UNIT has ${#execs[@]} ExecStart= lines, want 1"
	exit 1
fi
line=${execs[0]}
while case $line in [@+!:-]*) true ;; *) false ;; esac; do line=${line#?}; done   # exec prefixes
line=${line//%i/$NAME}
line=${line//%I/$NAME}
case $line in
*%* | *\"* | *\'* | *\\* | *\$*)
	bad "bridge: ExecStart uses specifiers/quoting/variables this parser does not handle: $line"
	exit 1 ;;
esac
read -r -a ARGV <<<"$line"
if [ "${ARGV[0]}" != /usr/bin/cam-bridge ]; then
	bad "bridge: ExecStart runs ${ARGV[0]}, not /usr/bin/cam-bridge"
	exit 1
fi
ARGV[0]=$BRIDGE
ok "bridge: unit ExecStart -> ${ARGV[*]}"

if "${ARGV[@]}" --check-config >/out/bridge-check.log 2>&1; then
	ok "bridge: --check-config accepts /etc/cam-bridge/$NAME.conf"
else
	bad "bridge: --check-config: $(head -n 5 /out/bridge-check.log | tr '\n' ' ')"
fi

# ---- helpers -------------------------------------------------------------------------------
start_sim() {
	rm -f $FIFO
	bg $SIM --listen 127.0.0.1 --disc-port $DISC_PORT --tcp-port -1 --uid $SIM_UID \
		--user $SIM_USER --password $SIM_PW --source live --codec h264 --size $SIM_SIZE \
		--fps $SIM_FPS --wake-delay 4000 --control-fifo $FIFO --frame-log /out/sim-frames.log \
		>>/out/sim.log 2>&1
	SIMPID=$!
	local i
	for i in $(seq 100); do [ -p $FIFO ] && return 0; sleep 0.1; done
	return 1
}
sim_ctl() {   # one line to cam-sim's control FIFO (never blocks the test for long)
	timeout 5 sh -c "echo '$*' >$FIFO" || bad "bridge: cam-sim control '$*' not accepted"
}
start_bridge() {   # $1 = log name
	local env=(CREDENTIALS_DIRECTORY=$CREDDIR NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=4000000
		PATH=/usr/bin INVOCATION_ID=vmtest)
	bg setpriv --reuid=$SUID --regid=$SUID --groups=44 --inh-caps=-all --no-new-privs \
		env -i "${env[@]}" sh -c 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$@"' sh \
		"${ARGV[@]}" >>/out/$1.log 2>&1
	BPID=$!
}
healthz() { curl -s -m 2 http://$HTTP/healthz 2>/dev/null; }
wait_live() {   # $1 = seconds: the bridge reports live camera frames
	local i
	for ((i = 0; i < $1 * 2; i++)); do
		case $(healthz) in "ok streaming"*) return 0 ;; esac
		sleep 0.5
	done
	return 1
}
stop_bridge() {   # SIGTERM, as systemctl stop; the exit status must be 0
	kill -TERM $BPID 2>/dev/null
	local i rc
	for i in $(seq 100); do kill -0 $BPID 2>/dev/null || break; sleep 0.1; done
	kill -0 $BPID 2>/dev/null && { bad "bridge: still running 10 s after SIGTERM"; kill -KILL $BPID; }
	wait $BPID; rc=$?
	[ $rc -eq 0 ] && ok "bridge: exits 0 on SIGTERM" || bad "bridge: exit $rc on SIGTERM ($(tail -n 3 /out/$1.log | tr '\n' ' '))"
}

bg python3 /src/tests/vm/notify_listen.py $NOTIFY /out/notify.log
for i in $(seq 50); do [ -S $NOTIFY ] && break; sleep 0.1; done

# ---- A. camera asleep: the bridge starts, a consumer starts, both get the placeholder -------
if start_sim; then
	ok "bridge: cam-sim up (control FIFO $FIFO)"
else
	bad "bridge: cam-sim did not start: $(tail -n 5 /out/sim.log | tr '\n' ' ')"
	exit 1
fi
sim_ctl sleep
start_bridge bridge1
if wait_caps $DEV capture 20; then
	ok "bridge: $DEV flipped output -> capture once cam-bridge streams"
else
	bad "bridge: $DEV is $(caps $DEV) 20 s after cam-bridge started ($(tail -n 5 /out/bridge1.log | tr '\n' ' '))"
fi
if timeout 20 v4l2-ctl -d $DEV --stream-mmap=3 --stream-count=8 --stream-to=/out/asleep_v4l2ctl.yuv >/out/asleep_v4l2ctl.log 2>&1; then
	ok "bridge: a consumer started while the camera sleeps gets frames, no error (healthz: $(healthz | head -n1))"
	markers asleep_v4l2ctl asleep_v4l2ctl.yuv $BFMT ${BW}x$BH --min 0 --max 8 --need-placeholder
else
	bad "bridge: consumer while the camera sleeps: $(tail -n 3 /out/asleep_v4l2ctl.log | tr '\n' ' ')"
fi

# ---- B. the camera wakes: live frames through every consumer ----------------------------------
sim_ctl wake
if wait_live 40; then
	ok "bridge: live ($(healthz | head -n1))"
else
	bad "bridge: not live 40 s after the camera was woken: healthz '$(healthz)'; $(tail -n 5 /out/bridge1.log | tr '\n' ' ')"
fi
consume bridge $DEV $BFMT $BW $BH $BFPS --allow-repeat

# sd_notify: READY=1 and watchdog pings, as Type=notify and WatchdogSec= expect.
grep -q ' READY=1$' /out/notify.log && ok "bridge: sd_notify READY=1" || bad "bridge: no READY=1 on \$NOTIFY_SOCKET"
nwd=$(grep -c ' WATCHDOG=1$' /out/notify.log)
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
sim_ctl dropoff $DROP_SECS
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
wait_live 30 || bad "bridge: not live again after the drop-off: healthz '$(healthz)'"

# ---- D. the bridge restarted under the same device (0.12.7 STREAMON bug) ---------------------
stop_bridge bridge1
wait_caps $DEV output 5 && ok "bridge: stopped, $DEV back to output-only" || bad "bridge: stopped, $DEV is $(caps $DEV)"
start_bridge bridge2
if wait_caps $DEV capture 20 && wait_live 40; then
	if timeout 30 v4l2-ctl -d $DEV --stream-mmap=3 --stream-count=15 --stream-to=/out/restart_v4l2ctl.yuv >/out/restart_v4l2ctl.log 2>&1; then
		ok "bridge: restarted under the same device, streams again"
		markers restart_v4l2ctl restart_v4l2ctl.yuv $BFMT ${BW}x$BH --min 5 --allow-repeat
	else
		bad "bridge: after restart v4l2-ctl: $(tail -n 3 /out/restart_v4l2ctl.log | tr '\n' ' ')"
	fi
else
	bad "bridge: restarted cam-bridge: $DEV is $(caps $DEV), healthz '$(healthz)'; $(tail -n 5 /out/bridge2.log | tr '\n' ' ')"
fi
stop_bridge bridge2
grep -q ' STOPPING=1$' /out/notify.log && ok "bridge: sd_notify STOPPING=1 on stop" || bad "bridge: no STOPPING=1"
kill -TERM $SIMPID; wait $SIMPID
