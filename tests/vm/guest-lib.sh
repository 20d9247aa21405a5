# Sourced by tests/vm/guest.sh (inside the VM): runs cam-sim and cam-bridge the way the unit does.
#
# cam-bridge runs with the command line of systemd/cam-bridge@.service's ExecStart (parsed here,
# %i = the camera's name, only the binary path swapped for /build/cam-bridge), in the environment
# systemd would give it: an unprivileged user in the video group, $CREDENTIALS_DIRECTORY/password
# (LoadCredential=), $NOTIFY_SOCKET (Type=notify) and $WATCHDOG_USEC/$WATCHDOG_PID (WatchdogSec=).
# Every camera has a name (camera1, camera2), a simulated camera on its own discovery port with
# its own UID and first frame marker, a loopback device found by label, an HTTP port.

SIM_USER=admin
SIM_PW=vm-secret-pw
SIM_SIZE=640x480
SIM_FPS=15
BW=320 BH=240 BFPS=15 BFMT=i420      # the output as configured (scaled from the camera)
SUID=61234                            # stands in for DynamicUser=
declare -A CAM_LABEL CAM_DEV CAM_PORT CAM_UID CAM_HTTP CAM_FIRST SIMPID BPID

# cam_define NAME LABEL DEVICE DISC_PORT UID HTTP_PORT FIRST_MARKER
cam_define() {
	CAM_LABEL[$1]=$2 CAM_DEV[$1]=$3 CAM_PORT[$1]=$4 CAM_UID[$1]=$5
	CAM_HTTP[$1]=127.0.0.1:$6 CAM_FIRST[$1]=$7
}
cam_define camera1 "$LABEL" $DEV 2018 95270000VMTEST01 8080 0
cam_define camera2 "$LABEL2" $DEV2 2019 95270000VMTEST02 8081 1000000

# cam_conf NAME WAKE_MODE [IDLE_SECONDS]: /etc/cam-bridge/NAME.conf and the credential.
cam_conf() {
	local n=$1 creddir=/run/credentials/cam-bridge@$1.service
	mkdir -p /etc/cam-bridge
	cat >/etc/cam-bridge/$n.conf <<EOF
camera = {
	source = "bc-udp://$SIM_USER@127.0.0.1:${CAM_PORT[$n]}/main?uid=${CAM_UID[$n]}";
	read_timeout_ms = 2000;
	connect_timeout_ms = 5000;
};
output = { device = "label:${CAM_LABEL[$n]}"; format = "$BFMT"; width = $BW; height = $BH; fps = $BFPS; };
reconnect = { backoff_min_ms = 200; backoff_max_ms = 1000; };
decode = { hwaccel = "none"; };
http = { listen = "${CAM_HTTP[$n]}"; };
wake = { mode = "$2"; idle_seconds = ${3:-30}; };
EOF
	chmod 0644 /etc/cam-bridge/$n.conf
	mkdir -p "$creddir"
	printf '%s\n' "$SIM_PW" >"$creddir/password"
	chown -R $SUID:$SUID "$creddir"
	chmod 0500 "$creddir"; chmod 0400 "$creddir/password"
}

# ---- the unit's ExecStart, parsed once ------------------------------------------------------
UNIT=/src/systemd/cam-bridge@.service
mapfile -t execs < <(sed -n 's/^ExecStart=//p' "$UNIT")
if [ ${#execs[@]} -ne 1 ]; then
	bad "bridge: $UNIT has ${#execs[@]} ExecStart= lines, want 1"
	exit 1
fi
EXEC_LINE=${execs[0]}
while case $EXEC_LINE in [@+!:-]*) true ;; *) false ;; esac; do EXEC_LINE=${EXEC_LINE#?}; done   # exec prefixes
case ${EXEC_LINE//%[iI]/} in
*%* | *\"* | *\'* | *\\* | *\$*)
	bad "bridge: ExecStart uses specifiers/quoting/variables this parser does not handle: $EXEC_LINE"
	exit 1 ;;
esac
# cam_argv NAME: ARGV = the unit's command line for instance NAME.
cam_argv() {
	local line=${EXEC_LINE//%i/$1}
	line=${line//%I/$1}
	read -r -a ARGV <<<"$line"
	if [ "${ARGV[0]}" != /usr/bin/cam-bridge ]; then
		bad "bridge: ExecStart runs ${ARGV[0]}, not /usr/bin/cam-bridge"
		exit 1
	fi
	ARGV[0]=$BRIDGE
}

# start_sim NAME [cam-sim options]: the simulated camera, control FIFO /tmp/NAME.ctl.
start_sim() {
	local n=$1 i
	shift
	rm -f /tmp/$n.ctl
	bg $SIM --listen 127.0.0.1 --disc-port ${CAM_PORT[$n]} --tcp-port -1 --uid ${CAM_UID[$n]} \
		--user $SIM_USER --password $SIM_PW --source live --codec h264 --size $SIM_SIZE \
		--fps $SIM_FPS --first-marker ${CAM_FIRST[$n]} --control-fifo /tmp/$n.ctl \
		--frame-log /out/sim-$n-frames.log "$@" >>/out/sim-$n.log 2>&1
	SIMPID[$n]=$!
	for i in $(seq 100); do [ -p /tmp/$n.ctl ] && return 0; sleep 0.1; done
	return 1
}
stop_sim() { kill -TERM ${SIMPID[$1]} 2>/dev/null; wait ${SIMPID[$1]} 2>/dev/null; }
sim_ctl() {   # NAME LINE: one line to cam-sim's control FIFO (never blocks the test for long)
	timeout 5 sh -c "echo '$2' >/tmp/$1.ctl" || bad "$1: cam-sim control '$2' not accepted"
}
# Sessions cam-sim has opened / ended so far (its notice-level log lines).
sim_sessions() { grep -c 'udp session did [0-9]* for cid' /out/sim-$1.log; }
sim_ended() { grep -c 'udp session did [0-9]* cid [0-9]* ended' /out/sim-$1.log; }

# start_bridge NAME LOG: as the unit would, with its own notify socket /run/NAME-notify.sock
# (datagrams logged to /out/notify-NAME.log).
start_bridge() {
	local n=$1 sock=/run/$1-notify.sock i
	local env=(CREDENTIALS_DIRECTORY=/run/credentials/cam-bridge@$n.service NOTIFY_SOCKET=$sock
		WATCHDOG_USEC=4000000 PATH=/usr/bin INVOCATION_ID=vmtest)
	if [ ! -S $sock ]; then
		bg python3 /src/tests/vm/notify_listen.py $sock /out/notify-$n.log
		for i in $(seq 50); do [ -S $sock ] && break; sleep 0.1; done
	fi
	cam_argv $n
	bg setpriv --reuid=$SUID --regid=$SUID --groups=44 --inh-caps=-all --no-new-privs \
		env -i "${env[@]}" sh -c 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$@"' sh \
		"${ARGV[@]}" >>/out/$2.log 2>&1
	BPID[$n]=$!
}
# stop_bridge NAME LOG [KILL]: SIGTERM as systemctl stop (exit status must be 0), or SIGKILL.
stop_bridge() {
	local n=$1 pid=${BPID[$1]} i rc
	if [ "${3:-}" = KILL ]; then
		kill -KILL $pid 2>/dev/null
		wait $pid 2>/dev/null
		return 0
	fi
	kill -TERM $pid 2>/dev/null
	for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -0 $pid 2>/dev/null && { bad "$n: still running 10 s after SIGTERM"; kill -KILL $pid; }
	wait $pid; rc=$?
	[ $rc -eq 0 ] && ok "$n: exits 0 on SIGTERM" || bad "$n: exit $rc on SIGTERM ($(tail -n 3 /out/$2.log | tr '\n' ' '))"
}
healthz() { curl -s -m 2 http://${CAM_HTTP[$1]}/healthz 2>/dev/null; }
status_json() { curl -s -m 2 http://${CAM_HTTP[$1]}/api/v1/status 2>/dev/null; }
# V4L2 consumers the bridge counts (client-usage event), "null" when the driver does not say.
v4l2_clients() { status_json $1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["consumers"]["v4l2"])' 2>/dev/null; }
cam_state() { status_json $1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null; }
wait_live() {   # NAME SECONDS: the bridge reports live camera frames
	local i
	for ((i = 0; i < $2 * 2; i++)); do
		case $(healthz $1) in "ok streaming"*) return 0 ;; esac
		sleep 0.5
	done
	return 1
}
