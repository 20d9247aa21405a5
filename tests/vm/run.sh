#!/bin/bash
# The VM test: boots Debian's own kernel (linux-image-amd64) under QEMU/TCG with the real
# v4l2loopback module and runs tests/vm/guest.sh inside: producers (tests/vm/v4l2_producer.c,
# then build/cam-sim + build/cam-bridge) writing into /dev/video40 (exclusive_caps=1), real
# consumers (v4l2-ctl, ffmpeg, GStreamer v4l2src, v4l2-compliance as report only), udev with
# udev/70-cam-bridge.rules, the module options made by config/cam-bridge-modprobe-gen, wake on
# watch, two cameras, restarts.  The host then checks the guest's verdicts and the frame markers
# of everything the consumers captured (tests/vm/markers.py).  docs/testing-vm.md says more.
#
# VM_MODULE picks the module: "dkms" = the distribution's v4l2loopback-dkms (0.12.7 on Debian
# 12), "0.13.2" = upstream 0.13.2 built here from ../shared/vendor/v4l2loopback-0.13.2.tar.gz
# (V4L2LOOPBACK_TARBALL) into $BUILD/vm/ against the guest kernel's headers.  Unset: both, one
# after the other.  VM_LONG=1 runs the slow consumers instead (Chromium, motion): make check-vm-long.
# VM_SYSTEMD=1 boots systemd as PID 1, which starts cam-bridge@camera1.service itself
# (tests/vm/guest-systemd.sh; also in make check-vm-long).
#
# Exit 0 pass, 77 skip (only when QEMU, the kernel/module packages or the 0.13.2 tarball are
# missing: run `make deps`), anything else fail.  tests/vm/out/MODULE[-long]/ (console, guest
# log, captured frames) is left behind for inspection and wiped at the start of the next run.
# VM_GUEST=/src/PATH runs another guest script (debugging; the verdict then only reflects what
# that script writes).
# Recipe and pitfalls: shared/notes/v4l2loopback.md, "Testing against the real module inside QEMU".
set -u
T0=$(date +%s.%N)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
VMDIR=$BUILD/vm
VM_TIMEOUT=${VM_TIMEOUT:-600}
VM_LONG=${VM_LONG:-0}
VM_SYSTEMD=${VM_SYSTEMD:-0}

# Both modules, one after the other: the worst result wins (fail > skip > pass).
if [ -z "${VM_MODULE:-}" ]; then
	worst=0
	for m in dkms 0.13.2; do
		echo "==== VM_MODULE=$m"
		VM_MODULE=$m "$0"; rc=$?
		case $rc in 0) ;; 77) [ $worst -eq 0 ] && worst=77 ;; *) worst=1 ;; esac
	done
	exit $worst
fi
case $VM_MODULE in dkms | 0.13.2) ;; *) echo "FAIL: VM_MODULE=$VM_MODULE: want dkms or 0.13.2"; exit 1 ;; esac
OUT=$ROOT/tests/vm/out/$VM_MODULE
[ "$VM_LONG" = 1 ] && OUT=$OUT-long
[ "$VM_SYSTEMD" = 1 ] && OUT=$OUT-systemd
mkdir -p "$ROOT/tests/vm/out"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
elapsed() { echo "$(date +%s.%N) $T0" | awk '{printf "%.1f", $1 - $2}'; }

# ---- prerequisites (packages come from `make deps`, tests/deps.sh VM_PKGS) ---------------
QEMU=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 not installed (make deps: qemu-system-x86)"
BUSYBOX=
for b in /bin/busybox /usr/bin/busybox; do
	[ -x "$b" ] && file -L "$b" 2>/dev/null | grep -q 'statically linked' && { BUSYBOX=$b; break; }
done
[ -n "$BUSYBOX" ] || { [ -x /bin/busybox ] && ! command -v file >/dev/null && BUSYBOX=/bin/busybox; }
[ -n "$BUSYBOX" ] || skip "static busybox not installed (make deps: busybox-static)"
for t in cpio python3 modprobe; do command -v $t >/dev/null || skip "$t not installed (make deps)"; done

# The newest Debian kernel that has both a vmlinuz and the DKMS-built v4l2loopback.
KVER=
for k in $(ls -v /lib/modules 2>/dev/null | sort -rV); do
	[ -f "/boot/vmlinuz-$k" ] || continue
	if [ -z "$(find "/lib/modules/$k" -name 'v4l2loopback.ko*' 2>/dev/null | head -n1)" ] &&
		command -v dkms >/dev/null && [ -d "/lib/modules/$k/build" ]; then
		echo "v4l2loopback not built for $k: dkms autoinstall -k $k"
		dkms autoinstall -k "$k" >"$OUT.dkms.log" 2>&1 || { cat "$OUT.dkms.log"; fail "dkms could not build v4l2loopback for $k"; }
		rm -f "$OUT.dkms.log"
	fi
	[ -n "$(find "/lib/modules/$k" -name 'v4l2loopback.ko*' 2>/dev/null | head -n1)" ] && { KVER=$k; break; }
done
if [ -z "$KVER" ]; then
	ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "no Debian kernel in /boot (make deps: linux-image-amd64)"
	dpkg-query -W -f='${Status}' v4l2loopback-dkms 2>/dev/null | grep -q 'install ok installed' ||
		skip "v4l2loopback-dkms not installed (make deps: v4l2loopback-dkms linux-headers-amd64)"
	fail "v4l2loopback-dkms is installed but no kernel in /boot has v4l2loopback.ko (dkms status: $(dkms status 2>&1 | tr '\n' ' '))"
fi
echo "kernel $KVER, $(dkms status v4l2loopback -k "$KVER" 2>/dev/null | head -n1), $($QEMU --version | head -n1)"

mkdir -p "$VMDIR"
rm -rf "$OUT"
mkdir -p "$OUT"

# 0.13.2: built here, then bind-mounted in the guest over the DKMS module's path, so that
# `modprobe v4l2loopback` (modules.dep, /etc/modprobe.d options) loads it as it would the
# packaged one.  Same dependencies (videodev) in both versions.
MODARGS=
if [ "$VM_MODULE" = 0.13.2 ]; then
	TARBALL=${V4L2LOOPBACK_TARBALL:-$ROOT/../shared/vendor/v4l2loopback-0.13.2.tar.gz}
	[ -f "$TARBALL" ] || skip "v4l2loopback 0.13.2 source not found ($TARBALL; set V4L2LOOPBACK_TARBALL)"
	[ -f "/lib/modules/$KVER/build/Makefile" ] || skip "no kernel headers for $KVER (make deps: linux-headers-amd64)"
	MODSRC=$VMDIR/v4l2loopback-0.13.2-$KVER
	if [ ! -f "$MODSRC/v4l2loopback.ko" ] || [ "$TARBALL" -nt "$MODSRC/v4l2loopback.ko" ]; then
		rm -rf "$MODSRC" && mkdir -p "$MODSRC" &&
			tar -xzf "$TARBALL" -C "$MODSRC" --strip-components=1 || fail "cannot unpack $TARBALL"
		echo "building v4l2loopback 0.13.2 for $KVER"
		make -C "/lib/modules/$KVER/build" M="$MODSRC" modules >"$MODSRC/build.log" 2>&1 ||
			{ tail -n 20 "$MODSRC/build.log"; fail "v4l2loopback 0.13.2 does not build against $KVER"; }
	fi
	modinfo -F version "$MODSRC/v4l2loopback.ko" | grep -qx 0.13.2 || fail "$MODSRC/v4l2loopback.ko is not 0.13.2"
	DKMSKO=$(find "/lib/modules/$KVER" -name 'v4l2loopback.ko*' | head -n1)
	case $DKMSKO in *.ko) ;; *) fail "the packaged module is compressed ($DKMSKO): cannot bind-mount over it" ;; esac
	MODARGS=" cb_module=/build/${MODSRC#"$BUILD"/}/v4l2loopback.ko cb_modpath=/usr${DKMSKO#/usr}"
fi

# ---- host-side preparation ------------------------------------------------------------------
CC=${CC:-cc}
$CC -std=gnu11 -O2 -Wall -Wextra -Werror -o "$VMDIR/v4l2_producer" "$ROOT/tests/vm/v4l2_producer.c" ||
	fail "cannot build tests/vm/v4l2_producer.c"

# The host-side checker must tell good captures from bad ones before it judges the guest's.
python3 "$ROOT/tests/vm/markers_selftest.py" || fail "tests/vm/markers.py self-test"

VMLINUX=$VMDIR/vmlinux-$KVER
if [ ! -s "$VMLINUX" ] || [ "/boot/vmlinuz-$KVER" -nt "$VMLINUX" ]; then
	python3 "$ROOT/tests/vm/extract-vmlinux.py" "/boot/vmlinuz-$KVER" "$VMLINUX.tmp" &&
		mv "$VMLINUX.tmp" "$VMLINUX" || fail "cannot extract vmlinux from /boot/vmlinuz-$KVER"
fi

# GStreamer scans every plugin on first use (seconds under TCG): hand the guest a registry made
# here (same /usr, so the same plugin paths).
if command -v gst-inspect-1.0 >/dev/null; then
	GST_REGISTRY=$VMDIR/gst-registry.bin gst-inspect-1.0 v4l2src >/dev/null 2>&1 ||
		echo "note: gst-inspect-1.0 v4l2src failed on the host (gstreamer1.0-plugins-good missing?)"
fi

# initramfs: static busybox, /init, the modules that mount 9p, a few /etc files.
IR=$VMDIR/initramfs
rm -rf "$IR"
mkdir -p "$IR"/{busybox,modules,proc,sys,dev,run,tmp,usr,out,src,build,etc/udev/rules.d,etc/modprobe.d,etc/cam-bridge,root,var/tmp}
cp "$BUSYBOX" "$IR/busybox/busybox"
for a in sh mount mkdir insmod cat ip hostname cut echo poweroff sync; do ln -s busybox "$IR/busybox/$a"; done
for l in bin sbin lib lib64; do ln -s "usr/$l" "$IR/$l"; done
cp "$ROOT/tests/vm/init" "$IR/init"
chmod +x "$IR/init"
: >"$IR/modules/order"
for m in virtio_pci 9pnet_virtio 9p; do
	modprobe -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
	case $ko in
	*.ko) cp "$ko" "$IR/modules/" ;;
	*.ko.xz) xz -dc "$ko" >"$IR/modules/$(basename "$ko" .xz)" ;;
	*) fail "unexpected module file $ko" ;;
	esac
	basename "${ko%.xz}" >>"$IR/modules/order"
done
[ "$(wc -l <"$IR/modules/order")" -ge 5 ] || fail "could not collect the 9p modules for $KVER"
cp /etc/ld.so.cache "$IR/etc/"
cp -a /etc/alternatives "$IR/etc/"   # ffmpeg's libblas/liblapack go through these
# Accounts only (no shadow): udev resolves GROUP="video", tools want root's name.
cp /etc/passwd /etc/group "$IR/etc/"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' >"$IR/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$IR/etc/hosts"
[ "$VM_LONG" = 1 ] && [ -d /etc/fonts ] && cp -a /etc/fonts "$IR/etc/"   # Chromium's fontconfig
(cd "$IR" && find . | cpio -o -H newc --quiet) >"$VMDIR/initramfs.cpio" || fail "cpio"

MEM=512
[ "$VM_LONG" = 1 ] && MEM=1536   # Chromium
SYSTEMDARGS=
[ "$VM_SYSTEMD" = 1 ] && SYSTEMDARGS=" cb_systemd=1 systemd.unit=cam-vm.target systemd.show_status=0"

# ---- boot ------------------------------------------------------------------------------------
echo "booting ($(elapsed) s after start)"
# KVM is not usable here (kvm_pvm: emulation failures); TCG with the PVH vmlinux boots in ~4 s.
timeout -k 5 "$VM_TIMEOUT" "$QEMU" \
	-accel tcg,thread=multi,tb-size=256 -cpu max -smp 2 -m "$MEM" \
	-nodefaults -no-user-config -display none -no-reboot \
	-serial "file:$OUT/console.log" \
	-kernel "$VMLINUX" -initrd "$VMDIR/initramfs.cpio" \
	-append "console=ttyS0 panic=-1 quiet loglevel=4 rdinit=/init mitigations=off cb_long=$VM_LONG$MODARGS$SYSTEMDARGS${VM_GUEST:+ cb_guest=$VM_GUEST}" \
	-virtfs "local,path=/usr,mount_tag=usr,security_model=none,readonly=on" \
	-virtfs "local,path=$OUT,mount_tag=out,security_model=none" \
	-virtfs "local,path=$ROOT,mount_tag=src,security_model=none,readonly=on" \
	-virtfs "local,path=$BUILD,mount_tag=build,security_model=none,readonly=on" \
	>"$OUT/qemu.log" 2>&1
qrc=$?
echo "qemu exit $qrc after $(elapsed) s"
[ -s "$OUT/guest.log" ] && cat "$OUT/guest.log"
if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
	tail -n 30 "$OUT/console.log"
	fail "VM did not finish within ${VM_TIMEOUT} s"
fi
[ $qrc -eq 0 ] || { cat "$OUT/qemu.log"; tail -n 30 "$OUT/console.log"; fail "qemu exit $qrc"; }
[ -f "$OUT/results" ] || { tail -n 40 "$OUT/console.log"; fail "the guest test did not run (no results)"; }
if ! grep -q '^END$' "$OUT/results"; then
	grep -E '^FAIL ' "$OUT/results"
	grep -q '^STOPPED$' "$OUT/results" && fail "the guest test stopped after a failed check"
	tail -n 20 "$OUT/guest.log"; tail -n 20 "$OUT/console.log"
	fail "the guest test did not run to its end (guest.rc=$(cat "$OUT/guest.rc" 2>/dev/null))"
fi

# ---- verdicts --------------------------------------------------------------------------------
nfail=0
echo "== marker checks (host)"
if [ -f "$OUT/markers.todo" ]; then
	while read -r name file fmt size opts; do
		# shellcheck disable=SC2086
		# In $OUT: options may name more files there (--times).
		if (cd "$OUT" && python3 "$ROOT/tests/vm/markers.py" "$file" "$fmt" "$size" $opts) >"$OUT/markers.$name.log" 2>&1; then
			echo "ok markers $name: $(tail -n1 "$OUT/markers.$name.log")" >>"$OUT/results"
		else
			echo "FAIL markers $name: $(grep -v '^ok' "$OUT/markers.$name.log" | cut -c1-400 | tr '\n' ' ')" >>"$OUT/results"
		fi
		cut -c1-300 "$OUT/markers.$name.log"
	done <"$OUT/markers.todo"
fi
echo "== summary"
grep -E '^(ok|FAIL|NOTRUN) ' "$OUT/results"
nok=$(grep -c '^ok ' "$OUT/results")
nfail=$(grep -c '^FAIL ' "$OUT/results")
nnot=$(grep -c '^NOTRUN ' "$OUT/results")
echo "VM test ($VM_MODULE$( [ "$VM_LONG" = 1 ] && echo ", long")$( [ "$VM_SYSTEMD" = 1 ] && echo ", systemd")): $nok ok, $nfail failed, $nnot not run; $(elapsed) s wall, kernel $KVER, module $(cat "$OUT/module" 2>/dev/null)"
[ "$nfail" -eq 0 ] || fail "$nfail guest checks failed (logs in ${OUT#"$ROOT"/}/)"
[ "$nok" -ge 5 ] || fail "only $nok checks passed"
echo "PASS"
exit 0
