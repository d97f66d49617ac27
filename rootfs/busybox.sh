#!/bin/bash
# The busybox image: the static busybox binary from Debian's busybox-static package, one symlink
# per applet (/bin/sh, /bin/ls, ...), /etc/passwd and /etc/group with root and nobody, /tmp
# (1777). Tiny, and built without the network once the package is cached (apt's cache, or
# rootfs/out/cache/), which is why most tests use it.
#
# Usage: rootfs/busybox.sh [--force]   (store: TSPOD_ROOT, default /var/lib/tspod)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=busybox:latest
ensure_cli
skip_if_present "$NAME" "$@"
make_work busybox

# The newest busybox-static .deb from apt's cache or ours; else download it into ours.
find_deb() {
  local deb
  deb=$(ls -1 /var/cache/apt/archives/busybox-static_*.deb "$OUT"/cache/busybox-static_*.deb 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$deb" ]; then
    mkdir -p "$OUT/cache"
    (cd "$OUT/cache" && { apt-get download busybox-static >&2 || { apt-get update >&2 && apt-get download busybox-static >&2; }; })
    deb=$(ls -1 "$OUT"/cache/busybox-static_*.deb | sort -V | tail -n 1)
  fi
  echo "$deb"
}

deb=$(find_deb)
log "busybox from $deb"
dpkg-deb -x "$deb" "$WORK/pkg"
root="$WORK/root"
mkdir -p "$root"
install -D -m 0755 "$WORK/pkg/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list-full); do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$root/$(dirname "$applet")"
  ln -sfn /bin/busybox "$root/$applet"
done
install -d -m 0755 "$root"/{etc,dev,proc,sys,home,var,usr/local/bin,var/log}
install -d -m 0700 "$root/root"
install -d -m 1777 "$root/tmp" "$root/var/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
chmod 0644 "$root/etc/passwd" "$root/etc/group"

# Reproducible: every mtime and the config's date are the busybox binary's, so a rebuild from the
# same package gives the same image ID.
epoch=$(stat -c %Y "$WORK/pkg/bin/busybox")
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -C "$root" -cf "$WORK/rootfs.tar" .
config='{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]}'
import_tar "$NAME" "$WORK/rootfs.tar" "$config" "$created" "rootfs/busybox.sh from $(basename "$deb")"
