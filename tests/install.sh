#!/bin/sh
# `make install`: tests/install.sh DESTDIR PREFIX BUILD
# Installs the programs, the systemd units, the udev rule, the modprobe generator, config
# examples, man pages, the README, docs/ and notes under DESTDIR.
# Directories (override from the environment):
#   BINDIR=PREFIX/bin  SBINDIR=PREFIX/sbin  MANDIR=PREFIX/share/man  DOCDIR=PREFIX/share/doc/cam-bridge
#   SYSCONFDIR=/etc (PREFIX/etc unless PREFIX is /usr; cam-bridge itself reads /etc/cam-bridge)
#   SYSTEMDUNITDIR  from `pkg-config --variable=systemdsystemunitdir systemd`, else /lib/systemd/system
#   UDEVDIR         from `pkg-config --variable=udevdir udev`, else /lib/udev
# The unit's ExecStart is rewritten to BINDIR/cam-bridge.
set -eu
[ $# -eq 3 ] || { echo "usage: $0 DESTDIR PREFIX BUILD" >&2; exit 2; }
DESTDIR=$1 PREFIX=$2 BUILD=$3
cd "$(dirname "$0")/.."

case $PREFIX in /*) ;; *) echo "install: PREFIX must be absolute: $PREFIX" >&2; exit 2 ;; esac
BINDIR=${BINDIR:-$PREFIX/bin}
SBINDIR=${SBINDIR:-$PREFIX/sbin}
MANDIR=${MANDIR:-$PREFIX/share/man}
DOCDIR=${DOCDIR:-$PREFIX/share/doc/cam-bridge}
if [ -z "${SYSCONFDIR:-}" ]; then
	case $PREFIX in /usr | /usr/) SYSCONFDIR=/etc ;; *) SYSCONFDIR=$PREFIX/etc ;; esac
fi
[ -n "${SYSTEMDUNITDIR:-}" ] || SYSTEMDUNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || true)
[ -n "$SYSTEMDUNITDIR" ] || SYSTEMDUNITDIR=/lib/systemd/system
[ -n "${UDEVDIR:-}" ] || UDEVDIR=$(pkg-config --variable=udevdir udev 2>/dev/null || true)
[ -n "$UDEVDIR" ] || UDEVDIR=/lib/udev

D=$DESTDIR
say() { echo "install: $*"; }
inst() {   # MODE SRC DESTFILE
	install -D -m "$1" "$2" "$D$3"
	say "$3"
}

for p in cam-bridge cam-sim cam-bridge-dump; do
	[ -x "$BUILD/$p" ] || { echo "install: $BUILD/$p not built (run make)" >&2; exit 1; }
	inst 0755 "$BUILD/$p" "$BINDIR/$p"
done
inst 0755 config/cam-bridge-modprobe-gen "$SBINDIR/cam-bridge-modprobe-gen"

# systemd: ExecStart must name the installed binary.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s#^ExecStart=/usr/bin/cam-bridge #ExecStart=$BINDIR/cam-bridge #" systemd/cam-bridge@.service >"$tmp/cam-bridge@.service"
grep -q "^ExecStart=$BINDIR/cam-bridge " "$tmp/cam-bridge@.service" ||
	{ echo "install: could not set ExecStart in cam-bridge@.service" >&2; exit 1; }
inst 0644 "$tmp/cam-bridge@.service" "$SYSTEMDUNITDIR/cam-bridge@.service"
inst 0644 systemd/cam-bridge.target "$SYSTEMDUNITDIR/cam-bridge.target"

inst 0644 udev/70-cam-bridge.rules "$UDEVDIR/rules.d/70-cam-bridge.rules"

# Configuration: the directory cam-bridge reads (camera files are the admin's), and examples.
install -d -m 0755 "$D$SYSCONFDIR/cam-bridge"
say "$SYSCONFDIR/cam-bridge/"
if [ -f config/camera.conf.example ]; then
	inst 0644 config/camera.conf.example "$SYSCONFDIR/cam-bridge/camera.conf.example"
	inst 0644 config/camera.conf.example "$DOCDIR/examples/camera.conf.example"
fi
inst 0644 config/modprobe-cam-bridge.conf.example "$DOCDIR/examples/modprobe-cam-bridge.conf.example"
inst 0644 config/modules-load-cam-bridge.conf.example "$DOCDIR/examples/modules-load-cam-bridge.conf.example"

for m in man/man1/*.1 man/man8/*.8; do
	[ -f "$m" ] || continue
	sec=${m##*.}
	inst 0644 "$m" "$MANDIR/man$sec/$(basename "$m")"
done

inst 0644 dkms-notes.md "$DOCDIR/dkms-notes.md"
[ -f README.md ] && inst 0644 README.md "$DOCDIR/README.md"
# The README's links into docs/ keep working in DOCDIR.
for f in docs/*.md; do
	[ -f "$f" ] || continue
	inst 0644 "$f" "$DOCDIR/$f"
done
exit 0
