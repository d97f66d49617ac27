#!/bin/bash
# The debian image: Debian bookworm, minbase variant (essential packages and apt), made by
# mmdebstrap from the host's apt sources, which the image keeps as its own.
#
# Usage: rootfs/debian.sh [--force]   (store: TSPOD_ROOT, default /var/lib/tspod)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=debian:latest
ensure_cli
skip_if_present "$NAME" "$@"
make_work debian

mmdebstrap_tar "$WORK/rootfs.tar"
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
config='{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["bash"]}'
import_tar "$NAME" "$WORK/rootfs.tar" "$config" "$created" "rootfs/debian.sh: mmdebstrap --variant=minbase bookworm"
