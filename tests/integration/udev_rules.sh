#!/bin/bash
# udev/70-cam-bridge.rules, host side: udevd's own rule parser (`udevadm test`, run in a private
# mount namespace with a tmpfs over /run/udev so nothing on the host changes) must load the file
# without a single diagnostic; a deliberately broken rule next to it must be flagged (negative
# control).  systemd 252 has no `udevadm verify`.  What the rule *does* to a real loopback device
# (by-id link, ID_V4L_CAPABILITIES, group) is asserted in the VM test (tests/vm/), where a real
# systemd-udevd handles the real v4l2loopback device.
. "$(dirname "$0")/lib.sh"

RULE=$ROOT/udev/70-cam-bridge.rules
[ -f "$RULE" ] || fail "$RULE missing"
command -v udevadm >/dev/null || skip "udevadm not installed (apt-get install udev)"
[ "$(id -u)" -eq 0 ] || skip "needs root for a private mount namespace"
unshare -m true 2>/dev/null || skip "cannot create a mount namespace here"
dev=
for d in /sys/class/net/lo /sys/class/mem/null; do [ -e "$d" ] && { dev=$d; break; }; done
[ -n "$dev" ] || skip "no sysfs device to run udevadm test against"

if udevadm verify --help >/dev/null 2>&1; then
	udevadm verify "$RULE" || fail "udevadm verify"
	ok "udevadm verify"
fi

out=$(unshare -m sh -c '
	mount -t tmpfs none /run/udev || exit 90
	mkdir -p /run/udev/rules.d
	cp "$1" /run/udev/rules.d/70-cam-bridge.rules
	printf "SUBSYSTEM==\"video4linux\", FOOBAR=\"y\"\n" >/run/udev/rules.d/71-cam-bridge-bad.rules
	SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_COLOR=0 udevadm test --action=add "$2" 2>&1
' sh "$RULE" "$dev"); rc=$?
[ $rc -eq 90 ] && skip "cannot mount tmpfs on /run/udev"
printf '%s\n' "$out" | grep -q 'Reading rules file: /run/udev/rules.d/70-cam-bridge.rules' ||
	{ printf '%s\n' "$out" | tail -n 30; fail "udevadm test did not read the rule file"; }
printf '%s\n' "$out" | grep -q '71-cam-bridge-bad.rules:1 .*FOOBAR' ||
	{ printf '%s\n' "$out" | grep -- -bad; fail "negative control: broken rule not flagged"; }
ok "negative control flagged: $(printf '%s\n' "$out" | grep '71-cam-bridge-bad.rules:1' | head -n1)"
diag=$(printf '%s\n' "$out" | grep '70-cam-bridge.rules:')
[ -z "$diag" ] || { printf '%s\n' "$diag"; fail "udevd's parser complains about 70-cam-bridge.rules"; }
ok "udevadm test ($dev): 70-cam-bridge.rules parsed without diagnostics"
