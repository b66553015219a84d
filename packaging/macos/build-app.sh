#!/bin/sh
# Makes awstray.app from a macOS build of awstray, on a Mac (plutil, sips,
# iconutil, codesign), as the macOS workflow does:
#
#   packaging/macos/build-app.sh BINARY VERSION OUTDIR
#
# VERSION is the bundle's version, numbers and dots (1.2.3). The layout:
#
#   awstray.app/Contents/Info.plist               packaging/macos/Info.plist
#   awstray.app/Contents/MacOS/awstray            BINARY (cgo: systray, Keychain)
#   awstray.app/Contents/Resources/awstray.icns   from assets/icons/awstray-256.png
#
# The bundle is signed ad hoc: the Keychain trusts items by code signature,
# so a release signs it again with a Developer ID.
set -eu
if [ $# -ne 3 ]; then
	echo "usage: $0 BINARY VERSION OUTDIR" >&2
	exit 2
fi
bin=$1 version=$2 out=$3
case $version in
'' | *[!0-9.]*)
	echo "build-app: version $version is not numbers and dots" >&2
	exit 2
	;;
esac
here=$(cd "$(dirname "$0")" && pwd)
app=$out/awstray.app
rm -rf "$app"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"
cp "$here/Info.plist" "$app/Contents/Info.plist"
plutil -replace CFBundleShortVersionString -string "$version" "$app/Contents/Info.plist"
plutil -replace CFBundleVersion -string "$version" "$app/Contents/Info.plist"
plutil -lint "$app/Contents/Info.plist"
cp "$bin" "$app/Contents/MacOS/awstray"
chmod 755 "$app/Contents/MacOS/awstray"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
iconset=$tmp/awstray.iconset
mkdir "$iconset"
src=$here/../../assets/icons/awstray-256.png
for s in 16 32 128 256; do
	sips -z "$s" "$s" "$src" --out "$iconset/icon_${s}x${s}.png" >/dev/null
	if [ $((s * 2)) -le 256 ]; then
		sips -z $((s * 2)) $((s * 2)) "$src" --out "$iconset/icon_${s}x${s}@2x.png" >/dev/null
	fi
done
iconutil -c icns -o "$app/Contents/Resources/awstray.icns" "$iconset"
codesign --force --sign - "$app"
echo "$app"
