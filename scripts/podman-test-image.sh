#!/usr/bin/env bash
# A minimal local image for the live podman tests, made without any registry: Debian's
# busybox-static package is downloaded (not installed) from the apt mirror, unpacked into a
# rootfs with one link per applet, and `podman import`ed. About 2 s and 1 MB. (debootstrap
# --variant=minbase works too, but takes ~30 s and 200 MB.)
#   scripts/podman-test-image.sh [IMAGE]      (default localhost/ptb-busybox:1; no-op if it exists)
set -euo pipefail
IMAGE="${1:-localhost/ptb-busybox:1}"
if podman image exists "$IMAGE"; then exit 0; fi
work="$(mktemp -d /var/tmp/ptb-busybox.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cd "$work"
# As root, apt downloads "unsandboxed" into a directory _apt cannot write: harmless, so quiet.
if ! apt-get download busybox-static >/dev/null 2>&1; then
  apt-get update -qq
  apt-get download busybox-static >/dev/null 2>&1
fi
dpkg-deb -x busybox-static_*.deb pkg
R=rootfs
mkdir -p $R/bin $R/usr/bin $R/etc $R/tmp $R/proc $R/dev $R/sys $R/root
chmod 1777 $R/tmp
cp pkg/bin/busybox $R/bin/busybox
for a in $(pkg/bin/busybox --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
ln -s ../../bin/busybox $R/usr/bin/env
echo 'root:x:0:0:root:/root:/bin/sh' > $R/etc/passwd
echo 'root:x:0:' > $R/etc/group
tar -C $R -c . | podman import -q - "$IMAGE" >/dev/null
echo "built $IMAGE (busybox $(pkg/bin/busybox | head -1 | cut -d' ' -f2))"
