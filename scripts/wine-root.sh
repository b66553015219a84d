#!/usr/bin/env bash
# Makes the Debian trixie root with Wine 10 that the Windows test stage runs
# in, unless it is there, and prints its path. Debian 12's Wine 8 cannot
# start Go >= 1.22 programs (they need ProcessPrng from
# bcryptprimitives.dll); trixie's Wine 10 can, in a root of its own, without
# touching the host's packages. The root is a cache (1.1 GB, ~2 min to make)
# and lives outside the checkout.
# Usage: scripts/wine-root.sh [ROOT]   (default $AWSTRAY_WINE_ROOT or
# /var/cache/awstray-wine/root). Run as root.
set -euo pipefail
root=${1:-${AWSTRAY_WINE_ROOT:-/var/cache/awstray-wine/root}}

# Inside the root: /usr/bin/wine is a link through /etc/alternatives.
if [ -d "$root" ] && chroot "$root" test -x /usr/bin/wine 2>/dev/null; then
	echo "$root"
	exit 0
fi
if [ -e "$root" ]; then
	echo "wine-root: $root exists but holds no Wine; remove it to make it again" >&2
	exit 1
fi
if ! command -v mmdebstrap >/dev/null; then
	apt-get update >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mmdebstrap >&2
fi
parent=$(dirname "$root")
mkdir -p "$parent"
# Made aside and renamed, so that an interrupted run leaves no half root
# that the next run would take for a whole one.
tmp=$(mktemp -d "$parent/.wine-root.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
mmdebstrap --variant=apt --include=wine,wine64,ca-certificates trixie "$tmp" >&2
chmod 755 "$tmp"
mv "$tmp" "$root"
trap - EXIT
echo "wine-root: made $root in $((SECONDS - start)) s" >&2
echo "$root"
