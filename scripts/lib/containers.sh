# Sourced by the scripts that build or run containers (images.sh,
# compose-test.sh, kube-play.sh): picks the engine and its settings.
#
#   engine            podman, or docker where a Docker engine answers (AGION_ENGINE overrides)
#   install_podman    Debian's podman, buildah, runc (what this machine runs containers with)
#   image_ref NAME    the image a product runs from: localhost/agion/NAME:$AGION_IMAGE_TAG
#   tools_venv MODULE PACKAGE   .run/venv-tools, with PACKAGE (PyPI) installed unless MODULE imports; prints its path

AGION_IMAGE_TAG=${AGION_IMAGE_TAG:-dev}
containers_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# runc, cgroupfs, raised ulimits (deploy/podman/containers.conf says why).
export CONTAINERS_CONF=${CONTAINERS_CONF:-$containers_root/deploy/podman/containers.conf}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_podman() {
  command -v podman >/dev/null && command -v runc >/dev/null && command -v debootstrap >/dev/null && return 0
  as_root apt-get update -qq >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah runc debootstrap uidmap slirp4netns \
    fuse-overlayfs containernetworking-plugins netavark aardvark-dns >/dev/null
}

engine() {
  if [ -n "${AGION_ENGINE:-}" ]; then echo "$AGION_ENGINE"; return; fi
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then echo docker; else echo podman; fi
}

image_ref() { echo "localhost/agion/$1:$AGION_IMAGE_TAG"; }

tools_venv() {
  local venv=.run/venv-tools
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c "import $1" 2>/dev/null || "$venv/bin/pip" install -q "$2" >&2
  echo "$venv"
}
