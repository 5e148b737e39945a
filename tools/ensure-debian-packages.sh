#!/usr/bin/env bash
# Installs those of the named Debian packages that are missing (apt-get --no-install-recommends), and
# nothing when all are there. Usage: tools/ensure-debian-packages.sh PACKAGE...   (root, for apt-get)
set -euo pipefail
need=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then echo "missing Debian packages: ${need[*]} (run as root to install them)" >&2; exit 1; fi
echo "installing ${need[*]} ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
