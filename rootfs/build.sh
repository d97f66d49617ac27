#!/bin/bash
# Builds the base images into the store: rootfs/build.sh [--force] [busybox] [debian] [nginx]
# (all three when none is named). Images already in the store are kept unless --force or FORCE=1.
set -euo pipefail
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
force=()
names=()
for arg in "$@"; do
  case $arg in
    --force) force=(--force) ;;
    busybox | debian | nginx) names+=("$arg") ;;
    *) echo "usage: rootfs/build.sh [--force] [busybox] [debian] [nginx]" >&2; exit 2 ;;
  esac
done
[ "${#names[@]}" -gt 0 ] || names=(busybox debian nginx)
for name in "${names[@]}"; do
  "$dir/$name.sh" "${force[@]}"
done
