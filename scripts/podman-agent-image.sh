#!/usr/bin/env bash
# A local podman image whose agent CLI is installed by the agent image's own recipe step
# (containers/install-agent-clis.sh: pinned PyPI wheel, wheel and binary SHA-256, --version), for
# the live podman test of a real CLI run (RealAgentPodmanTests). No registry: the real image's
# bases (nvidia/cuda…, swift:… in containers/ptb.lock) are on Docker Hub, which these machines
# cannot reach, so the base here is a skeleton rootfs whose /usr is the host's, mounted read-only
# at run time (PTB_PODMAN_ARGS="-v /usr:/usr:ro"). That mount hides the image's /usr/local/bin, so
# the CLI links go into /opt/ptb/venv/bin, the first directory of the images' PATH.
#   scripts/podman-agent-image.sh IMAGE WHEEL_DIR [CLIS]   (no-op if IMAGE exists)
# WHEEL_DIR: where the wheels are (a pinned wheel already there is not downloaded again).
set -euo pipefail
IMAGE="$1" WHEELS="$2" CLIS="${3:-claude-code}"
cd "$(dirname "$0")/.."
if podman image exists "$IMAGE"; then exit 0; fi
# The rootfs is staged in RAM when there is room (this VM's disk made staging the slow part).
base=/var/tmp
[ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR==2 {print $4}')" -gt 2000000 ] 2>/dev/null && base=/dev/shm
R="$(mktemp -d "$base/ptb-agent-image.XXXXXX")"
trap 'rm -rf "$R"' EXIT
mkdir -p "$R"/usr "$R"/etc "$R"/tmp "$R"/proc "$R"/dev "$R"/sys "$R"/root
chmod 1777 "$R"/tmp
for d in bin lib lib64 sbin; do ln -s usr/$d "$R/$d"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$R"/etc/passwd
echo 'root:x:0:' > "$R"/etc/group
CLIS="$CLIS" DESTDIR="$R" sh containers/install-agent-clis.sh containers/ptb.lock /opt/ptb/agents /opt/ptb/venv/bin "$WHEELS"
tar -C "$R" -c . | podman import -q - "$IMAGE" >/dev/null
echo "built $IMAGE ($CLIS)"
