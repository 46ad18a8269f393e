#!/usr/bin/env bash
# Container images (docs/deploy.md, "Images"): one per service and example
# agent, all from deploy/images/Containerfile (Swift products) or their own
# Containerfile (Python agents), tagged localhost/agion/<product>:dev.
#
#   scripts/images.sh            build every image, print each one's size (JSON lines)
#   scripts/images.sh base       only the local stand-ins (deploy/images/local/README.md)
#   scripts/images.sh sizes      print the sizes of what is built
#
# Where no registry answers (this machine, CI), the Swift products are built
# once on the host (--static-swift-stdlib, .build-images/) and copied in
# (BINARIES=prebuilt), and the base images are made with debootstrap. With
# AGION_IMAGES=registry the Containerfile builds from the official images.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/containers.sh
source "$root/scripts/lib/containers.sh"
cd "$root"

swift_products=(agion-registry agion-governance agion-coordination agion-execution agion-gateway
                agion-example-research agion-example-writer agion-template-swift agionctl)
python_images=("agion-example-langgraph:Examples/LangGraphReporter/Containerfile"
               "agion-template-python:Templates/python-agent/Containerfile")
mode=${AGION_IMAGES:-local}
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
local_debian=localhost/agion-local/debian:bookworm

has_image() { "$(engine)" image exists "$1" 2>/dev/null || "$(engine)" image inspect "$1" >/dev/null 2>&1; }

# Debian 12 minbase from the package mirror, imported as an image: the root
# every local image starts from. Made once; `rm` the image to make it again.
debian_base() {
  has_image "$local_debian" && return 0
  local dir; dir=$(mktemp -d /var/tmp/agion-debootstrap.XXXXXX)
  echo "images: debootstrap bookworm (minbase) into $dir" >&2
  as_root debootstrap --variant=minbase bookworm "$dir" http://deb.debian.org/debian >"$dir.log" 2>&1 \
    || { tail -20 "$dir.log" >&2; exit 1; }
  as_root rm -rf "$dir/var/cache/apt/archives/"*.deb "$dir/var/lib/apt/lists/"*
  as_root tar -C "$dir" -c . | "$(engine)" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["/bin/bash"]' - "$local_debian" >/dev/null
  as_root rm -rf "$dir" "$dir.log"
}

stand_ins() {
  debian_base
  # Their context: the Containerfiles, and this machine's added certificate
  # authorities for the python stand-in (python.Containerfile says why).
  local context=.build-images/local-context name tag
  rm -rf "$context" && mkdir -p "$context/ca" && cp deploy/images/local/* "$context/"
  cp /usr/local/share/ca-certificates/*.crt "$context/ca/" 2>/dev/null || true
  for name in python nats redis postgres; do
    case $name in python) tag=3.11 ;; nats) tag=2.9 ;; redis) tag=7.0 ;; postgres) tag=15 ;; esac
    echo "images: localhost/agion-local/$name:$tag" >&2
    "$(engine)" build -q -f "$context/$name.Containerfile" --build-arg DEBIAN_IMAGE="$local_debian" \
      -t "localhost/agion-local/$name:$tag" "$context" >/dev/null 2>"$context/$name.log" \
      || { cat "$context/$name.log" >&2; exit 1; }
  done
}

# Every Swift product in one release build (one plan, shared objects), the
# Swift runtime linked in so the image needs only the C libraries.
swift_binaries() {
  echo "images: swift build -c release --static-swift-stdlib (.build-images)" >&2
  local p bin
  rm -rf .build-images/context && mkdir -p .build-images/context/bin
  for p in "${swift_products[@]}"; do
    swift build -c release --static-swift-stdlib --scratch-path .build-images --product "$p" 2>&1 \
      | grep -E "error:|warning: unre" && { echo "images: $p did not build" >&2; exit 1; }
    bin=$(swift build -c release --static-swift-stdlib --scratch-path .build-images --show-bin-path)
    # Release builds carry debug info (about two thirds of the file): not in images.
    install -s "$bin/$p" ".build-images/context/bin/$p"
  done
}

labels=(--build-arg VERSION="$version" --build-arg REVISION="$revision" --build-arg CREATED="$created")

build_swift_image() {
  local p=$1
  if [ "$mode" = registry ]; then
    "$(engine)" build -q -f deploy/images/Containerfile --build-arg PRODUCT="$p" "${labels[@]}" -t "$(image_ref "$p")" . >/dev/null
  else
    "$(engine)" build -q -f deploy/images/Containerfile --build-arg PRODUCT="$p" --build-arg BINARIES=prebuilt \
      --build-arg DEBIAN_IMAGE="$local_debian" "${labels[@]}" -t "$(image_ref "$p")" .build-images/context >/dev/null
  fi
}

build_python_image() {
  local name=${1%%:*} file=${1#*:}
  local args=()
  [ "$mode" = registry ] || args=(--build-arg PYTHON_IMAGE=localhost/agion-local/python:3.11)
  "$(engine)" build -q -f "$file" "${args[@]}" "${labels[@]}" -t "$(image_ref "$name")" . >/dev/null
}

sizes() {
  local p
  for p in "${swift_products[@]}" "${python_images[@]%%:*}"; do
    has_image "$(image_ref "$p")" || continue
    local bytes; bytes=$("$(engine)" image inspect --format '{{.Size}}' "$(image_ref "$p")")
    printf '{"bench":"images.size","image":"%s","size_mb":%s}\n' "$p" "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')"
  done
}

# agionctl speaks HTTP with Foundation's URLSession, whose static library
# links libcurl (its image carries libcurl4): the linker needs the -dev package.
build_dependencies() {
  dpkg -s libcurl4-openssl-dev >/dev/null 2>&1 && return 0
  as_root apt-get update -qq >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcurl4-openssl-dev >/dev/null
}

case "${1:-all}" in
  base) install_podman; stand_ins ;;
  sizes) sizes ;;
  all)
    install_podman
    [ "$mode" = registry ] || { build_dependencies; stand_ins; swift_binaries; }
    for p in "${swift_products[@]}"; do echo "images: $(image_ref "$p")" >&2; build_swift_image "$p"; done
    for i in "${python_images[@]}"; do echo "images: $(image_ref "${i%%:*}")" >&2; build_python_image "$i"; done
    sizes ;;
  *) echo "usage: $0 [all|base|sizes]" >&2; exit 2 ;;
esac
