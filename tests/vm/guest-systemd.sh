# Runs INSIDE the VM as cam-vm-test.service, systemd being PID 1 (tests/vm/run.sh VM_SYSTEMD=1,
# part of make check-vm-long): systemd itself starts cam-bridge@camera1.service from the
# project's unit (Type=notify, WatchdogSec=, LoadCredential=, DynamicUser= and the sandboxing),
# and this script checks what is actually in force on the running process.  Same results
# protocol as guest.sh (/out/results, END).
set -u
export PATH=/usr/sbin:/usr/bin HOME=/tmp
R=/out/results
: >"$R"
: >/out/markers.todo
up() { cut -d' ' -f1 /proc/uptime; }
ok() { echo "ok $*" >>"$R"; echo "[$(up)] ok - $*"; }
bad() { echo "FAIL $*" >>"$R"; echo "[$(up)] FAIL: $*"; }
log() { echo "[$(up)] $*"; }
DONE=0
SIMPID=
finish() {
	[ -n "$SIMPID" ] && kill $SIMPID 2>/dev/null
	journalctl -b --no-pager -o short-monotonic -u cam-bridge@camera1 >/out/bridge-journal.log 2>&1
	if [ $DONE = 1 ]; then echo END >>"$R"; elif grep -q '^FAIL ' "$R"; then echo STOPPED >>"$R"; fi
	log "guest test done"
}
trap finish EXIT

NAME=camera1 UNIT=cam-bridge@camera1.service DEV=/dev/video40 HTTP=127.0.0.1:8080
PW=vm-secret-pw W=320 H=240
log "systemd $(systemctl --version | head -n1 | cut -d' ' -f2) is PID 1: $(cat /proc/1/comm)"
[ "$(cat /proc/1/comm)" = systemd ] && ok "systemd is PID 1" || { bad "PID 1 is $(cat /proc/1/comm)"; exit 1; }

echo 'options v4l2loopback devices=1 video_nr=40 card_label="VM Cam One" exclusive_caps=1' >/etc/modprobe.d/cam-bridge.conf
cat >/etc/cam-bridge/$NAME.conf <<EOF
camera = { source = "bc-udp://admin@127.0.0.1:2018/main?uid=95270000VMTEST01"; };
output = { device = "label:VM Cam One"; format = "i420"; width = $W; height = $H; fps = 15; };
decode = { hwaccel = "none"; };
http = { listen = "$HTTP"; };
wake = { mode = "always"; };
EOF
install -m 0600 /dev/null /etc/cam-bridge/$NAME.password
printf '%s\n' "$PW" >/etc/cam-bridge/$NAME.password
/build/cam-sim --listen 127.0.0.1 --disc-port 2018 --tcp-port -1 --uid 95270000VMTEST01 --password "$PW" \
	--size 640x480 --fps 15 >/out/sim.log 2>&1 &
SIMPID=$!

# ---- systemd starts the unit: returns once READY=1 arrived (Type=notify) --------------------
t0=$(up)
if timeout 120 systemctl start $UNIT; then
	ok "systemctl start $UNIT returned after $(echo "$(up) $t0" | awk '{printf "%.1f", $1 - $2}') s (Type=notify: READY=1 received); module $(cat /sys/module/v4l2loopback/version 2>/dev/null)"
else
	bad "systemctl start $UNIT: $(systemctl status --no-pager $UNIT 2>&1 | tail -n 8 | tr '\n' ' ')"
	exit 1
fi
prop() { systemctl show -p "$1" --value $UNIT; }
PID=$(prop MainPID)
cat /sys/module/v4l2loopback/version >/out/module 2>/dev/null
ok "unit: Type=$(prop Type) NotifyAccess=$(prop NotifyAccess) WatchdogUSec=$(prop WatchdogUSec) Status='$(prop StatusText)'"

# ---- what is in force on the process ----------------------------------------------------------
st=/proc/$PID/status
uid=$(awk '/^Uid:/ {print $2}' $st)
groups=$(awk '/^Groups:/ {$1 = ""; print}' $st)
nnp=$(awk '/^NoNewPrivs:/ {print $2}' $st)
sec=$(awk '/^Seccomp:/ {print $2}' $st)
capeff=$(awk '/^CapEff:/ {print $2}' $st)
capbnd=$(awk '/^CapBnd:/ {print $2}' $st)
user=$(ps -o user= -p $PID)
if [ "$uid" -ge 61184 ] && [ "$uid" -le 65519 ] && grep -qw 44 <<<"$groups" && [ "$nnp" = 1 ] &&
	[ "$sec" = 2 ] && [ "$capeff" = 0000000000000000 ] && [ "$capbnd" = 0000000000000000 ]; then
	ok "hardening in force: DynamicUser uid $uid ($user), groups$groups, NoNewPrivs $nnp, Seccomp $sec (filter), CapEff $capeff, CapBnd $capbnd"
else
	bad "hardening: uid $uid groups '$groups' NoNewPrivs $nnp Seccomp $sec CapEff $capeff CapBnd $capbnd"
fi
# ProtectSystem=strict: / read-only in its mount namespace; PrivateTmp: its own /tmp.
rootro=$(awk '$5 == "/" {print $6}' /proc/$PID/mountinfo | head -n1)
tmpsrc=$(awk '$5 == "/tmp" {print $4}' /proc/$PID/mountinfo | head -n1)
homeinfo=$(awk '$5 == "/home" {print $6}' /proc/$PID/mountinfo | head -n1)
case $rootro in ro*) ok "ProtectSystem=strict: / is '$rootro' for the service; /tmp from '$tmpsrc' (PrivateTmp); /home '$homeinfo'" ;;
*) bad "ProtectSystem: / is '$rootro' in the service's mount namespace" ;; esac
# The credential: the password reached the bridge only through $CREDENTIALS_DIRECTORY.
for i in $(seq 60); do case $(curl -s -m 2 http://$HTTP/healthz) in "ok streaming"*) break ;; esac; sleep 1; done
if [ "$(curl -s -m 2 http://$HTTP/healthz | head -n1)" = "ok streaming" ] && ! grep -q "$PW" /proc/$PID/cmdline /proc/$PID/environ 2>/dev/null; then
	ok "LoadCredential=: logged in to the camera with the password from \$CREDENTIALS_DIRECTORY (not in its command line or environment)"
else
	bad "credential: healthz '$(curl -s -m 2 http://$HTTP/healthz)'"
fi
if timeout 30 v4l2-ctl -d $DEV --stream-mmap=3 --stream-count=15 --stream-to=/out/systemd_v4l2ctl.yuv >/out/systemd_v4l2ctl.log 2>&1; then
	ok "a consumer reads the device the service writes"
	echo "systemd_v4l2ctl systemd_v4l2ctl.yuv i420 ${W}x$H --min 10 --allow-repeat" >>/out/markers.todo
else
	bad "consumer: $(tail -n 3 /out/systemd_v4l2ctl.log | tr '\n' ' ')"
fi
# WatchdogSec=: systemd records every WATCHDOG=1; the stamp must move.
w1=$(prop WatchdogTimestampMonotonic); sleep 12; w2=$(prop WatchdogTimestampMonotonic)
[ -n "$w1" ] && [ "$w2" != "$w1" ] && [ "$w2" != 0 ] && ok "WatchdogSec=: systemd saw watchdog pings (stamp $w1 -> $w2)" ||
	bad "watchdog: stamp $w1 -> $w2"
systemd-analyze security --no-pager $UNIT >/out/security.log 2>&1
ok "systemd-analyze security (report): $(grep -i 'overall exposure' /out/security.log)"

# ---- a crash: Restart=on-failure brings it back -----------------------------------------------
kill -KILL $PID
for i in $(seq 60); do
	p2=$(prop MainPID)
	[ "$p2" != 0 ] && [ "$p2" != "$PID" ] && [ "$(prop ActiveState)" = active ] && break
	sleep 1
done
[ "$p2" != "$PID" ] && [ "$(prop ActiveState)" = active ] &&
	ok "Restart=on-failure: SIGKILLed, active again as PID $p2 (NRestarts=$(prop NRestarts))" ||
	bad "after SIGKILL: $(prop ActiveState) MainPID $p2 NRestarts $(prop NRestarts)"

# ---- systemctl stop: clean -----------------------------------------------------------------------
systemctl stop $UNIT
[ "$(prop Result)" = success ] && [ "$(prop ExecMainStatus)" = 0 ] &&
	ok "systemctl stop: Result=success, exit status 0" ||
	bad "systemctl stop: Result=$(prop Result) ExecMainStatus=$(prop ExecMainStatus)"
DONE=1
