#!/bin/bash
# Runs INSIDE the VM (tests/vm/run.sh boots it): /usr is the host's (read-only), /src the repo,
# /build the build dir (both read-only), /out the results dir (read-write).
# The kernel command line hands over cb_module/cb_modpath (0.13.2: bind-mount this module over
# the packaged one) and cb_long (1: the slow consumers, guest-long.sh, instead of the core).
# Writes /out/results: one line per check, "ok NAME detail", "FAIL NAME detail" or
# "NOTRUN NAME why", then "END" only when the script ran to its end (an early exit after a
# recorded FAIL writes "STOPPED"; anything else leaves neither, and the host fails); captured frames go to /out/*.yuv and are listed in
# /out/markers.todo ("NAME FILE FORMAT WxH checker-options") for the host's marker checker.
set -u
export PATH=/usr/sbin:/usr/bin HOME=/tmp
R=/out/results
: >"$R"
: >/out/markers.todo
T0=$(cut -d' ' -f1 /proc/uptime)
up() { cut -d' ' -f1 /proc/uptime; }
ok() { echo "ok $*" >>"$R"; echo "[$(up)] ok - $*"; }
bad() { echo "FAIL $*" >>"$R"; echo "[$(up)] FAIL: $*"; }
notrun() { echo "NOTRUN $*" >>"$R"; echo "[$(up)] NOT RUN: $*"; }
log() { echo "[$(up)] $*"; }
markers() { echo "$*" >>/out/markers.todo; }   # NAME FILE FORMAT WxH [opts]
PIDS=()
bg() { "$@" & PIDS+=($!); }
DONE=0
finish() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	if [ $DONE = 1 ]; then
		echo END >>"$R"
	elif grep -q '^FAIL ' "$R"; then
		echo STOPPED >>"$R"
	fi
	log "guest test done ($(echo "$(up) $T0" | awk '{printf "%.1f", $1 - $2}') s)"
}
trap finish EXIT

PRODUCER=/build/vm/v4l2_producer
BRIDGE=/build/cam-bridge
SIM=/build/cam-sim
KVER=$(uname -r)
W=640 H=480 FPS=15
SIZE=${W}x${H}
DEV=/dev/video40
DEV2=/dev/video41
LABEL="VM Cam One"
LINK=/dev/v4l/by-id/v4l2loopback-VM_Cam_One-video
LABEL2="VM Cam Two"
LINK2=/dev/v4l/by-id/v4l2loopback-VM_Cam_Two-video
export GST_REGISTRY=/build/vm/gst-registry.bin GST_REGISTRY_UPDATE=no

# Device Caps of a node as a word: output, capture, both, none.
caps() {
	local hex
	hex=$(v4l2-ctl -d "$1" --info 2>/dev/null | awk '/Device Caps/ {print $NF; exit}')
	[ -n "$hex" ] || { echo error; return; }
	case $(( (hex & 1) | (hex & 2) )) in
	1) echo capture ;; 2) echo output ;; 3) echo both ;; *) echo none ;;
	esac
}
# wait_caps DEV WANT SECONDS
wait_caps() {
	local i n=$(($3 * 10))
	for ((i = 0; i < n; i++)); do
		[ "$(caps "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
load_module() {
	modprobe v4l2loopback || return 1
	udevadm settle -t 15 2>/dev/null
	[ -e $DEV ]
}
unload_module() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rmmod v4l2loopback 2>/dev/null && { udevadm settle -t 10 2>/dev/null; return 0; }
		sleep 0.3
	done
	return 1
}

log "guest up, kernel $KVER, $(nproc) CPUs, $(free -m | awk '/Mem:/ {print $2}') MiB"
WANT_MODVER=
if [ -n "${cb_module:-}" ]; then
	# The module built on the host takes the packaged one's place: modprobe, modules.dep and
	# /etc/modprobe.d work as with an installed module.
	WANT_MODVER=$(modinfo -F version "$cb_module" 2>/dev/null)
	if ! mount --bind "$cb_module" "$cb_modpath" 2>/tmp/bind.err; then
		bad "module: cannot bind-mount $cb_module over $cb_modpath: $(cat /tmp/bind.err)"
		exit 1
	fi
fi
# Warm the page cache and TCG's translation cache for the big binaries on the idle 2nd vCPU
# (a cold ffmpeg start costs ~7 s under TCG, a warm one ~2 s).
bg sh -c 'ffmpeg -hide_banner -version; v4l2-compliance --version; v4l2-ctl --version' >/dev/null 2>&1

# ---- 1. module options from the generator, udev with our rule ------------------------------
mkdir -p /tmp/camconf
cat >/tmp/camconf/camera1.conf <<EOF
name = "camera1";
camera = { source = "bc-udp://admin@127.0.0.1/main?uid=95270000VMTEST01"; };
output = { device = "label:$LABEL"; format = "i420"; width = $W; height = $H; fps = $FPS; };
EOF
cat >/tmp/camconf/camera2.conf <<EOF
camera = { source = "bc-udp://admin@127.0.0.1:2019/main?uid=95270000VMTEST02"; };
output = { device = "label:$LABEL2"; format = "i420"; width = $W; height = $H; fps = $FPS; };
EOF
if /src/config/cam-bridge-modprobe-gen -d /tmp/camconf -o /etc/modprobe.d/cam-bridge.conf 2>/tmp/gen.err; then
	ok "modprobe-gen: $(grep '^options' /etc/modprobe.d/cam-bridge.conf)"
else
	bad "modprobe-gen: $(cat /tmp/gen.err)"
	echo 'options v4l2loopback devices=2 video_nr=40,41 card_label="VM Cam One,VM Cam Two" exclusive_caps=1,1' >/etc/modprobe.d/cam-bridge.conf
fi
cp /src/udev/70-cam-bridge.rules /etc/udev/rules.d/
/usr/lib/systemd/systemd-udevd --daemon 2>/tmp/udevd.err || bad "systemd-udevd did not start: $(cat /tmp/udevd.err)"

if load_module; then
	MODVER=$(dmesg | sed -n 's/.*v4l2loopback driver version \([0-9.]*\).*/\1/p' | tail -n1)
	echo "$MODVER" >/out/module
	if [ -n "$WANT_MODVER" ] && [ "$MODVER" != "$WANT_MODVER" ]; then
		bad "modprobe v4l2loopback loaded $MODVER, not the $WANT_MODVER built for this run"
		exit 1
	fi
	ok "modprobe v4l2loopback $MODVER with the generated options"
else
	bad "modprobe v4l2loopback failed: $(dmesg | grep -i v4l2loopback | tail -n 3 | tr '\n' ' ')"
	exit 1
fi
n40=$(cat /sys/class/video4linux/video40/name 2>/dev/null)
n41=$(cat /sys/class/video4linux/video41/name 2>/dev/null)
excl=$(cat /sys/module/v4l2loopback/parameters/exclusive_caps 2>/dev/null)
[ "$n40" = "$LABEL" ] && [ "$n41" = "$LABEL2" ] && [ "${excl:0:3}" = "Y,Y" ] &&
	ok "devices: video40 \"$n40\", video41 \"$n41\", exclusive_caps $excl" ||
	bad "devices: video40 \"$n40\" video41 \"$n41\" exclusive_caps \"$excl\""

# udev: by-id link, capability override, group.
udevadm trigger --subsystem-match=video4linux --action=add 2>/dev/null
udevadm settle -t 15 2>/dev/null
if [ "$(readlink -f $LINK 2>/dev/null)" = $DEV ] && [ "$(readlink -f $LINK2 2>/dev/null)" = $DEV2 ]; then
	ok "udev links $LINK -> $(readlink $LINK), $LINK2 -> $(readlink $LINK2)"
else
	bad "udev by-id links: $(ls -l /dev/v4l/by-id/ 2>&1 | tr '\n' ' ')"
fi
v4lid=$(/usr/lib/udev/v4l_id $DEV 2>/dev/null | grep CAPABILITIES)
capsprop=$(udevadm info -q property -n $DEV 2>/dev/null | grep '^ID_V4L_CAPABILITIES=')
[ "$capsprop" = "ID_V4L_CAPABILITIES=:capture:" ] &&
	ok "udev ID_V4L_CAPABILITIES=:capture: (v4l_id alone says ${v4lid#ID_V4L_})" ||
	bad "udev property: [$capsprop] (v4l_id: $v4lid)"
grp=$(stat -c '%G %a' $DEV)
[ "$grp" = "video 660" ] && ok "$DEV group/mode: $grp" || bad "$DEV group/mode: $grp"
udevadm test /sys/class/video4linux/video40 >/out/udevadm-test.log 2>&1
grep -q 'v4l2loopback-VM_Cam_One-video' /out/udevadm-test.log &&
	ok "udevadm test on the real device: $(grep -m1 '^DEVLINKS=' /out/udevadm-test.log | cut -c1-120)" ||
	bad "udevadm test: no by-id link in its output (/out/udevadm-test.log)"

# consume TAG DEV FORMAT W H FPS [marker-checker options]: the consumer suite.  Format, size
# and rate as each consumer sees them, frames captured by v4l2-ctl (mmap), ffmpeg and
# GStreamer for the host's marker checker, v4l2-compliance as a report.
consume() {
	local tag=$1 dev=$2 f=$3 w=$4 h=$5 fps=$6
	shift 6
	local mo="$*" v4l gstf avf fmt parm wh pf fr st gcaps
	case $f in
	i420) v4l=YU12 gstf=I420 avf=yuv420p ;;
	yuyv) v4l=YUYV gstf=YUY2 avf=yuyv422 ;;
	nv12) v4l=NV12 gstf=NV12 avf=nv12 ;;
	esac
	fmt=$(v4l2-ctl -d "$dev" --get-fmt-video 2>&1)
	parm=$(v4l2-ctl -d "$dev" --get-parm 2>&1)
	wh=$(echo "$fmt" | awk -F': *' '/Width\/Height/ {print $2}')
	pf=$(echo "$fmt" | awk -F"'" '/Pixel Format/ {print $2}')
	fr=$(echo "$parm" | awk -F': *' '/Frames per second/ {print $2}')
	[ "$wh" = "$w/$h" ] && [ "$pf" = "$v4l" ] && [ "${fr%% *}" = "$fps.000" ] &&
		ok "$tag: v4l2-ctl sees $wh $pf $fr" || bad "$tag: v4l2-ctl sees [$wh] [$pf] [$fr], configured $w/$h $v4l $fps"

	if timeout 30 v4l2-ctl -d "$dev" --stream-mmap=3 --stream-count=20 --stream-to=/out/${tag}_v4l2ctl.yuv >/out/${tag}_v4l2ctl.log 2>&1; then
		ok "$tag: v4l2-ctl --stream-mmap read $(stat -c %s /out/${tag}_v4l2ctl.yuv) bytes"
		markers ${tag}_v4l2ctl ${tag}_v4l2ctl.yuv $f ${w}x$h --min 20 --max 20 $mo
	else
		bad "$tag: v4l2-ctl --stream-mmap: $(tail -n 3 /out/${tag}_v4l2ctl.log | tr '\n' ' ')"
	fi

	# -fps_mode passthrough: no duplicated frames when the first ones arrive late (TCG).
	if timeout 40 ffmpeg -hide_banner -nostdin -f v4l2 -i "$dev" -frames:v 20 -fps_mode passthrough \
		-f rawvideo -pix_fmt $avf -y /out/${tag}_ffmpeg.yuv >/out/${tag}_ffmpeg.log 2>&1; then
		st=$(grep -m1 'Stream #0:0: Video' /out/${tag}_ffmpeg.log)
		case $st in
		*"$avf"*"${w}x$h"*" $fps fps"*) ok "$tag: ffmpeg -f v4l2: ${st#*Video: }" ;;
		*) bad "$tag: ffmpeg -f v4l2 stream: $st" ;;
		esac
		markers ${tag}_ffmpeg ${tag}_ffmpeg.yuv $f ${w}x$h --min 20 --max 20 $mo
	else
		bad "$tag: ffmpeg -f v4l2: $(tail -n 3 /out/${tag}_ffmpeg.log | tr '\n' ' ')"
	fi

	if command -v gst-launch-1.0 >/dev/null && [ -f /usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgstvideo4linux2.so ]; then
		if timeout 40 gst-launch-1.0 -v v4l2src device="$dev" num-buffers=15 ! "video/x-raw,format=$gstf,width=$w,height=$h" \
			! filesink location=/out/${tag}_gst.yuv >/out/${tag}_gst.log 2>&1; then
			gcaps=$(grep -m1 'v4l2src0.GstPad:src: caps' /out/${tag}_gst.log)
			case $gcaps in
			*"format=(string)$gstf"*"width=(int)$w"*"height=(int)$h"*"framerate=(fraction)$fps/1"*) ok "$tag: gst v4l2src caps: $(echo "${gcaps#*caps = }" | cut -d, -f1-4)" ;;
			*) bad "$tag: gst v4l2src caps: $gcaps" ;;
			esac
			markers ${tag}_gst ${tag}_gst.yuv $f ${w}x$h --min 15 --max 15 $mo
		else
			bad "$tag: gst-launch v4l2src: $(tail -n 3 /out/${tag}_gst.log | tr '\n' ' ')"
		fi
	else
		notrun "$tag: gst v4l2src: gstreamer1.0-tools / gstreamer1.0-plugins-good not installed"
	fi

	# Report only: 0.12.7 fails a few checks by itself (shared notes, pitfall 10).
	timeout 60 v4l2-compliance -d "$dev" >/out/${tag}_compliance.log 2>&1
	log "$tag: v4l2-compliance (report only): $(grep -m1 '^Total' /out/${tag}_compliance.log)"
}

HAVE_BRIDGE=0
[ -x $BRIDGE ] && [ -x $SIM ] && HAVE_BRIDGE=1

# ---- long mode: the slow consumers only (make check-vm-long) --------------------------------
if [ "${cb_long:-0}" = 1 ]; then
	if [ $HAVE_BRIDGE = 0 ]; then
		bad "long: $BRIDGE or $SIM not built"
		exit 1
	fi
	. /src/tests/vm/guest-lib.sh
	. /src/tests/vm/guest-long.sh
	DONE=1
	exit 0
fi

# ---- 2. our own producer (validates the harness; contract of shared notes §1.3) -------------
c=$(caps $DEV)
[ "$c" = output ] && ok "before any producer $DEV is output-only" || bad "before any producer $DEV is $c"

bg $PRODUCER -d $DEV -f i420 -s $SIZE -r $FPS -c 1 2>/out/p1.err
P1=$!
if wait_caps $DEV capture 10; then
	ok "producer streaming: $DEV flipped to capture-only"
else
	bad "producer streaming: $DEV is $(caps $DEV) ($(cat /out/p1.err))"
fi
if [ $HAVE_BRIDGE = 1 ]; then
	# The full consumer suite runs against cam-bridge below; here only what proves the harness.
	if timeout 30 v4l2-ctl -d $DEV --stream-mmap=3 --stream-count=10 --stream-to=/out/p1_v4l2ctl.yuv >/out/p1_v4l2ctl.log 2>&1; then
		ok "p1: v4l2-ctl --stream-mmap"
		markers p1_v4l2ctl p1_v4l2ctl.yuv i420 $SIZE --min 10 --max 10
	else
		bad "p1: v4l2-ctl --stream-mmap: $(tail -n 3 /out/p1_v4l2ctl.log | tr '\n' ' ')"
	fi
else
	consume p1 $DEV i420 $W $H $FPS
fi

kill -TERM $P1; wait $P1; p1rc=$?
[ $p1rc -eq 0 ] && ok "producer exits 0 on SIGTERM" || bad "producer exit $p1rc: $(cat /out/p1.err)"
wait_caps $DEV output 5 && ok "producer gone: $DEV back to output-only" || bad "producer gone: $DEV is $(caps $DEV)"

# Restart under the same device (the 0.12 STREAMON bug bites producers that skip STREAMON).
bg $PRODUCER -d $DEV -f i420 -s $SIZE -r $FPS -c 1000 2>/out/p2.err
P2=$!
if wait_caps $DEV capture 10; then
	if timeout 30 v4l2-ctl -d $DEV --stream-mmap=3 --stream-count=10 --stream-to=/out/p2_v4l2ctl.yuv >/out/p2_v4l2ctl.log 2>&1; then
		ok "restarted producer on the same device streams again"
		markers p2_v4l2ctl p2_v4l2ctl.yuv i420 $SIZE --min 10 --max 10 --ge 1000
	else
		bad "after restart v4l2-ctl: $(tail -n 3 /out/p2_v4l2ctl.log | tr '\n' ' ')"
	fi
else
	bad "restarted producer: $DEV is $(caps $DEV) ($(cat /out/p2.err))"
fi
kill -TERM $P2; wait $P2

# Negative control on video41: a producer without STREAMON leaves the device unusable on 0.12.7
# (upstream #470) — shows this harness does detect the bug the restart check guards against.
if [ "$MODVER" = 0.12.7 ]; then
	timeout 20 $PRODUCER -d $DEV2 -f i420 -s 320x240 -r 30 -n 5 -S 2>/out/neg1.err
	if timeout 20 $PRODUCER -d $DEV2 -f i420 -s 320x240 -r 30 -n 5 2>/out/neg2.err; then
		bad "negative control: a producer after a no-STREAMON producer worked (caps $(caps $DEV2)); the bug is not reproduced"
	else
		ok "negative control: after a no-STREAMON producer $DEV2 is '$(caps $DEV2)' and the next producer fails ($(tail -n1 /out/neg2.err))"
	fi
else
	# Fixed upstream in 0.13 (PR #477): the same sequence must leave the device usable.
	timeout 20 $PRODUCER -d $DEV2 -f i420 -s 320x240 -r 30 -n 5 -S 2>/out/neg1.err
	if timeout 20 $PRODUCER -d $DEV2 -f i420 -s 320x240 -r 30 -n 5 2>/out/neg2.err; then
		ok "no-STREAMON producer: on $MODVER the next producer still works (the 0.12.7 bug is fixed)"
	else
		bad "no-STREAMON producer: on $MODVER the next producer fails: $(tail -n1 /out/neg2.err) (caps $(caps $DEV2))"
	fi
fi

# ---- 3. cam-sim + cam-bridge (the real programs) ---------------------------------------------
if [ $HAVE_BRIDGE = 0 ]; then
	# Mandatory once the sources are in the tree (make check-vm builds them first).
	if [ -f /src/bridge/app/main.c ] && [ -f /src/bridge/sim/main.c ]; then
		bad "cam-bridge/cam-sim phase: sources present but $BRIDGE or $SIM not built"
	else
		notrun "cam-bridge/cam-sim phase: $BRIDGE or $SIM not written yet"
	fi
	DONE=1
	exit 0
fi
. /src/tests/vm/guest-lib.sh
. /src/tests/vm/guest-bridge.sh
. /src/tests/vm/guest-wake.sh
. /src/tests/vm/guest-multi.sh
DONE=1
