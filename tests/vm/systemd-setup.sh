#!/bin/bash
# Runs in the VM's /init just before it execs systemd as PID 1 (tests/vm/run.sh VM_SYSTEMD=1):
# the few /etc files systemd and the test need on the initramfs root, the project's unit (only
# ExecStart's binary path changed: /build/cam-bridge), and cam-vm.target, which runs
# tests/vm/guest-systemd.sh once and powers the machine off whatever happens.
set -u
export PATH=/usr/sbin:/usr/bin
mkdir -p /etc/systemd/system /etc/cam-bridge /etc/udev/rules.d /etc/modprobe.d /var/lib /var/log \
	/var/tmp /var/cache /home /srv /mnt /opt /boot
ln -sf ../usr/lib/os-release /etc/os-release
: >/etc/machine-id                      # systemd puts a transient id over it
printf 'passwd: files systemd\ngroup: files systemd\nshadow: files\nhosts: files\n' >/etc/nsswitch.conf
sed 's|^ExecStart=/usr/bin/cam-bridge |ExecStart=/build/cam-bridge |' /src/systemd/cam-bridge@.service \
	>/etc/systemd/system/cam-bridge@.service
[ -f /src/systemd/cam-bridge.target ] && cp /src/systemd/cam-bridge.target /etc/systemd/system/
cp /src/udev/70-cam-bridge.rules /etc/udev/rules.d/
cat >/etc/systemd/system/cam-vm.target <<'EOF'
[Unit]
Description=cam-bridge VM test
Wants=cam-vm-test.service
EOF
cat >/etc/systemd/system/cam-vm-test.service <<'EOF'
[Unit]
Description=cam-bridge VM test script
Wants=systemd-udevd.service systemd-journald.service
After=systemd-udevd.service systemd-journald.service
SuccessAction=poweroff-force
FailureAction=poweroff-force
[Service]
Type=oneshot
ExecStart=/usr/bin/bash /src/tests/vm/guest-systemd.sh
StandardOutput=append:/out/guest.log
StandardError=append:/out/guest.log
TimeoutStartSec=infinity
EOF
# 0.13.2: the module built on the host takes the packaged one's place (as in guest.sh).
if [ -n "${cb_module:-}" ]; then
	mount --bind "$cb_module" "$cb_modpath" || echo "systemd-setup: cannot bind-mount $cb_module over $cb_modpath"
fi
