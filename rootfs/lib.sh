# Shared by the base image scripts (busybox.sh, debian.sh, nginx.sh); sourced, not run.
#
# Each script builds a root filesystem tarball from Debian packages, wraps it with an OCI image
# config in an OCI image layout directory (oci-layout, index.json, manifest, config and one
# uncompressed layer, each blob named by its sha256), and imports that with
# "tspod image import": the base images go through the same verified import path as any image
# a user brings. The store is the one bin/tspod uses: --root from TSPOD_ROOT, else /var/lib/tspod.
#
# Environment: TSPOD_ROOT (the store), FORCE=1 (rebuild an image already in the store),
# TSPOD_APT_SOURCES (apt sources files for mmdebstrap; default: the host's own).

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${TSPOD_IMAGES_OUT:-$REPO/rootfs/out}
TSPOD=${TSPOD:-$REPO/bin/tspod}

log() { printf 'rootfs: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Exits 0 (nothing to do) when image $1 is already in the store, unless FORCE=1 or --force.
skip_if_present() {
  local name=$1
  shift
  if [ "${FORCE:-0}" != 1 ] && [ "${1:-}" != --force ] && "$TSPOD" image inspect "$name" >/dev/null 2>&1; then
    log "$name is already in the store (FORCE=1 rebuilds it)"
    exit 0
  fi
}

# The CLI is compiled TypeScript: build it when dist/ is missing.
ensure_cli() {
  [ -f "$REPO/dist/tspod.mjs" ] || (cd "$REPO" && npm run --silent build:ts)
}

# Installs Debian package $2 when command $1 is missing (apt-get update first if apt has no lists).
ensure_command() {
  command -v "$1" >/dev/null 2>&1 && return 0
  log "installing $2 (for $1)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2" >&2 ||
    { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2" >&2; }
}

# A fresh work directory under $OUT, removed when the script exits (parallel builds don't collide).
make_work() {
  mkdir -p "$OUT"
  WORK=$(mktemp -d "$OUT/$1.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
}

# The OCI architecture name (GOARCH) of this host.
oci_arch() {
  local arch
  arch=$(dpkg --print-architecture)
  case $arch in
    armhf | armel) echo arm ;;
    i386) echo 386 ;;
    ppc64el) echo ppc64le ;;
    *) echo "$arch" ;;
  esac
}

# Prints the sha256 (hex) of file $1.
sha256_hex() { sha256sum "$1" | cut -d' ' -f1; }

# Moves file $2 into the layout $1 as a blob; prints its digest and size as "sha256:<hex> <size>".
add_blob() {
  local hex size
  hex=$(sha256_hex "$2")
  size=$(stat -c %s "$2")
  mv "$2" "$1/blobs/sha256/$hex"
  echo "sha256:$hex $size"
}

# write_layout DIR TAR CONFIG CREATED CREATED_BY: an OCI image layout with TAR as its only layer
# and CONFIG (the JSON of the config's "config" object: Cmd, Env, ...) as its process.
write_layout() {
  local dir=$1 tar=$2 run_config=$3 created=$4 created_by=$5
  local layer config manifest
  mkdir -p "$dir/blobs/sha256"
  printf '{"imageLayoutVersion":"1.0.0"}\n' >"$dir/oci-layout"
  read -r layer layer_size < <(add_blob "$dir" "$tar")
  printf '{"created":"%s","architecture":"%s","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["%s"]},"history":[{"created":"%s","created_by":"%s"}]}' \
    "$created" "$(oci_arch)" "$run_config" "$layer" "$created" "$created_by" >"$dir/config.json"
  read -r config config_size < <(add_blob "$dir" "$dir/config.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
    "$config" "$config_size" "$layer" "$layer_size" >"$dir/manifest.json"
  read -r manifest manifest_size < <(add_blob "$dir" "$dir/manifest.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}\n' \
    "$manifest" "$manifest_size" >"$dir/index.json"
}

# import_tar NAME TAR CONFIG CREATED CREATED_BY: wraps TAR in an OCI layout and imports it.
import_tar() {
  local layout="$WORK/layout"
  write_layout "$layout" "$2" "$3" "$4" "$5"
  log "importing $1"
  "$TSPOD" image import "$1" "$layout" >/dev/null
  log "$1 is in the store: $("$TSPOD" image inspect "$1" | sed -n 's/^  "id": "\(.*\)",$/\1/p')"
}

# The apt sources mmdebstrap builds from: TSPOD_APT_SOURCES, else the host's own files.
apt_sources() {
  if [ -n "${TSPOD_APT_SOURCES:-}" ]; then
    printf '%s\n' $TSPOD_APT_SOURCES
    return
  fi
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && grep -qvE '^[[:space:]]*(#|$)' "$f" && echo "$f"
  done
  return 0
}

# mmdebstrap_tar TAR [OPTION...]: a bookworm minbase root filesystem tarball from the host's sources.
mmdebstrap_tar() {
  local tar=$1
  shift
  ensure_command mmdebstrap mmdebstrap
  local sources
  mapfile -t sources < <(apt_sources)
  [ "${#sources[@]}" -gt 0 ] || die "no apt sources found in /etc/apt (set TSPOD_APT_SOURCES)"
  log "mmdebstrap bookworm from ${sources[*]}"
  mmdebstrap --variant=minbase --format=tar "$@" bookworm "$tar" "${sources[@]}" >&2
}
