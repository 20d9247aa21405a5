#!/bin/sh
# Installs the Debian 12 packages cam-bridge needs to build, test and run (make deps).
# As root it runs apt-get itself; otherwise it prints the exact command to run.
set -eu

BUILD_PKGS="build-essential pkgconf clang libclang-rt-14-dev llvm
 libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libturbojpeg0-dev
 libconfig-dev libsystemd-dev libssl-dev libexpat1-dev libmicrohttpd-dev libpcap-dev zlib1g-dev
 libmosquitto-dev"
TEST_PKGS="libcmocka-dev ffmpeg valgrind iproute2 curl v4l-utils python3 systemd udev
 chromium lintian debhelper devscripts dpkg-dev mosquitto mosquitto-clients"
# The VM test boots Debian's own kernel with the real v4l2loopback module under QEMU.
VM_PKGS="qemu-system-x86 linux-image-amd64 linux-headers-amd64 v4l2loopback-dkms dkms kmod cpio
 busybox-static bc time gstreamer1.0-tools gstreamer1.0-plugins-good motion"

# make demo: only what the demo needs (the build, python3 for its port check, v4l2-ctl).
DEMO_PKGS="python3 v4l-utils"

case "${1:-all}" in
demo) want="$BUILD_PKGS $DEMO_PKGS" ;;
*) want="$BUILD_PKGS $TEST_PKGS $VM_PKGS" ;;
esac
missing=""
for p in $want; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "make deps: all Debian packages present"
	exit 0
fi

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "make deps: missing Debian packages:$missing"
	echo "make deps: run as root:  apt-get update && $cmd"
	exit 1
fi
echo "make deps: installing missing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
echo "make deps: done"
