#!/bin/bash
# The nginx image: Debian bookworm minbase plus Debian's nginx, set up the way the Kubernetes
# documentation's pods expect of an "nginx" image: it runs in the foreground
# (nginx -g 'daemon off;'), serves its default site from /usr/share/nginx/html, logs to the
# container's stdout and stderr, and stops gracefully on SIGQUIT.
#
# Usage: rootfs/nginx.sh [--force]   (store: TSPOD_ROOT, default /var/lib/tspod)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=nginx:latest
ensure_cli
skip_if_present "$NAME" "$@"
make_work nginx

# Run by mmdebstrap once the packages are installed, with the root filesystem as "$1".
hooks=(
  'sed -i "s|^\([[:space:]]*root[[:space:]]\+\)/var/www/html;|\1/usr/share/nginx/html;|" "$1/etc/nginx/sites-available/default"'
  'grep -q "root /usr/share/nginx/html;" "$1/etc/nginx/sites-available/default"'
  'test -e "$1/usr/share/nginx/html/index.html" || install -D -m 0644 "$1/var/www/html/index.nginx-debian.html" "$1/usr/share/nginx/html/index.html"'
  'ln -sfn /dev/stdout "$1/var/log/nginx/access.log"'
  'ln -sfn /dev/stderr "$1/var/log/nginx/error.log"'
)
mmdebstrap_tar "$WORK/rootfs.tar" --include=nginx "${hooks[@]/#/--customize-hook=}"
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
config='{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["nginx","-g","daemon off;"],"ExposedPorts":{"80/tcp":{}},"StopSignal":"SIGQUIT"}'
import_tar "$NAME" "$WORK/rootfs.tar" "$config" "$created" "rootfs/nginx.sh: mmdebstrap --variant=minbase --include=nginx bookworm"
