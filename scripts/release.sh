#!/usr/bin/env bash
# Writes a release into dist/ (git-ignored, emptied first):
#
#   awstray_<pkgver>_linux_{amd64,arm64}.tar.gz   binary, README, .desktop, unit, icon
#   awstray_<pkgver>_{amd64,arm64}.deb            nfpm, packaging/nfpm.yaml
#   awstray-<pkgver>-1.{x86_64,aarch64}.rpm       nfpm, packaging/nfpm.yaml
#   awstray_<pkgver>_windows_amd64.zip            awstray.exe (console build) and README.md
#   SHA256SUMS                                    of the archives and packages above, checked
#   awstray.rb                                    Homebrew formula (Linux), checksums filled in
#   awstray.json                                  Scoop manifest, checksum filled in
#   RELEASE_NOTES.md                              the first-parent git log since the last tag
#
# VERSION (default: git describe) is what `awstray version` prints; the
# packages take <pkgver>, the same made valid for dpkg and rpm. macOS is not
# built here: it needs cgo (packaging/homebrew/awstray-cask.rb.in is filled
# by the macOS workflow). Needs go, nfpm, tar, gzip, zip, sha256sum.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
VERSION=${VERSION:-$(git describe --tags --always --dirty --match 'v[0-9]*' 2>/dev/null || echo devel)}
COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
# Archives and packages carry the commit's time, so that two runs on one
# commit write the same bytes (where the tools allow it).
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH
REPO_URL=https://github.com/awstray/awstray

for tool in "$GO" nfpm tar gzip zip sha256sum; do
  command -v "$tool" >/dev/null || { echo "release: $tool is not on PATH (make deps installs it)" >&2; exit 1; }
done

# pkgversion turns git describe's output into a version dpkg and rpm both
# order correctly: v1.2.3 → 1.2.3, v1.2.3-rc.1 → 1.2.3~rc.1 (before 1.2.3),
# v1.2.3-4-gabc → 1.2.3+git4.gabc (after it), a bare hash → 0.0.0~git.gabc;
# -dirty adds .dirty.
pkgversion() {
  local v=$1 dirty="" after="" pre=""
  if [[ $v == *-dirty ]]; then dirty=.dirty; v=${v%-dirty}; fi
  if [[ $v =~ ^(.*)-([0-9]+)-g([0-9a-f]+)$ ]]; then
    after="+git${BASH_REMATCH[2]}.g${BASH_REMATCH[3]}"; v=${BASH_REMATCH[1]}
  fi
  if [[ $v =~ ^v?([0-9]+(\.[0-9]+)*)(-(.+))?$ ]]; then
    pre=${BASH_REMATCH[4]}
    v=${BASH_REMATCH[1]}${pre:+~${pre//-/.}}
    echo "$v$after$dirty"
  elif [[ $v =~ ^[0-9a-f]{7,40}$ ]]; then
    echo "0.0.0~git.g$v$dirty"
  else
    echo "0.0.0~$(printf %s "$v" | tr -c 'A-Za-z0-9.' '.')$dirty"
  fi
}
# `release.sh pkgversion DESCRIBE…` prints the package versions and stops
# (scripts/test-packages.sh checks how dpkg and rpm order them).
if [[ ${1:-} == pkgversion ]]; then
  shift
  for v; do pkgversion "$v"; done
  exit 0
fi
PKGVERSION=$(pkgversion "$VERSION")

dist=dist
rm -rf "$dist"
mkdir -p "$dist/build"
echo "release: awstray $VERSION ($PKGVERSION), commit $COMMIT"

# Static builds, in parallel. The Windows binary is a console program (no
# -H=windowsgui): the CLI must print to the terminal that runs it; started
# from Explorer, the tray shows a console window beside it.
ldflags="-s -w -X github.com/awstray/awstray/cli.Version=$VERSION -X github.com/awstray/awstray/cli.Commit=$COMMIT"
targets="linux/amd64 linux/arm64 windows/amd64"
pids=()
for t in $targets; do
  os=${t%/*} arch=${t#*/} exe=awstray
  [[ $os == windows ]] && exe=awstray.exe
  mkdir -p "$dist/build/${os}_$arch"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch "$GO" build -trimpath -ldflags "$ldflags" \
    -o "$dist/build/${os}_$arch/$exe" . &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

# The binary for this machine says what it was stamped with.
host=$("$GO" env GOOS)_$("$GO" env GOARCH)
if [[ -x $dist/build/$host/awstray ]]; then
  got=$(DBUS_SESSION_BUS_ADDRESS=disabled: "$dist/build/$host/awstray" version | head -1)
  [[ $got == "awstray $VERSION" ]] || { echo "release: the $host binary prints \"$got\", want \"awstray $VERSION\"" >&2; exit 1; }
fi

# tarball OUT DIR: a reproducible .tar.gz of DIR (its base name is the top folder).
tarball() {
  tar -C "$(dirname "$2")" --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime="@$SOURCE_DATE_EPOCH" -cf - "$(basename "$2")" | gzip -n -9 >"$1"
}

for arch in amd64 arm64; do
  b=$dist/build/linux_$arch
  # Tarball: what a manual install needs.
  top=$b/tar/awstray_${PKGVERSION}_linux_$arch
  mkdir -p "$top"
  install -m 0755 "$b/awstray" "$top/awstray"
  install -m 0644 README.md packaging/awstray.desktop packaging/awstray.service \
    packaging/awstray-autostart.desktop "$top/"
  install -m 0644 assets/icons/awstray-256.png "$top/awstray.png"
  tarball "$dist/awstray_${PKGVERSION}_linux_$arch.tar.gz" "$top"

  # Packages: nfpm.yaml takes paths relative to where it runs (./awstray,
  # ./packaging/…, ./assets/icons/…), so it runs in a copy of that layout.
  root=$b/nfpm
  mkdir -p "$root/assets/icons"
  cp -r packaging "$root/"
  cp assets/icons/awstray-256.png "$root/assets/icons/"
  cp "$b/awstray" "$root/awstray"
  for fmt in deb rpm; do
    (cd "$root" && VERSION=$PKGVERSION ARCH=$arch nfpm package -f packaging/nfpm.yaml -p "$fmt" -t "$OLDPWD/$dist/" >/dev/null)
  done
done

w=$dist/build/windows_amd64/zip/awstray_${PKGVERSION}_windows_amd64
mkdir -p "$w"
cp "$dist/build/windows_amd64/awstray.exe" README.md "$w/"
touch -d "@$SOURCE_DATE_EPOCH" "$w" "$w"/*
(cd "$(dirname "$w")" && zip -X -q -r "$OLDPWD/$dist/awstray_${PKGVERSION}_windows_amd64.zip" "$(basename "$w")")

artefacts=(
  "awstray_${PKGVERSION}_linux_amd64.tar.gz" "awstray_${PKGVERSION}_linux_arm64.tar.gz"
  "awstray_${PKGVERSION}_amd64.deb" "awstray_${PKGVERSION}_arm64.deb"
  "awstray-${PKGVERSION}-1.x86_64.rpm" "awstray-${PKGVERSION}-1.aarch64.rpm"
  "awstray_${PKGVERSION}_windows_amd64.zip"
)
(cd "$dist" && sha256sum "${artefacts[@]}" >SHA256SUMS && sha256sum --quiet --strict -c SHA256SUMS)

sum() { awk -v f="$1" '$2 == f { print $1 }' "$dist/SHA256SUMS"; }
url="$REPO_URL/releases/download/$VERSION"
fill() {
  sed -e "s|@VERSION@|$VERSION|g" -e "s|@PKGVERSION@|$PKGVERSION|g" -e "s|@URL@|$url|g" \
    -e "s|@SHA256_LINUX_AMD64@|$(sum "awstray_${PKGVERSION}_linux_amd64.tar.gz")|g" \
    -e "s|@SHA256_LINUX_ARM64@|$(sum "awstray_${PKGVERSION}_linux_arm64.tar.gz")|g" \
    -e "s|@SHA256_WINDOWS_AMD64@|$(sum "awstray_${PKGVERSION}_windows_amd64.zip")|g" "$1"
}
fill packaging/homebrew/awstray.rb.in >"$dist/awstray.rb"
fill packaging/scoop/awstray.json.in >"$dist/awstray.json"
if grep -n '@[A-Z0-9_]*@' "$dist/awstray.rb" "$dist/awstray.json"; then
  echo "release: a placeholder above was left unfilled" >&2; exit 1
fi

# Release notes: what landed on the main line since the previous tag (for
# a tagged commit, since the tag before it).
if [[ -n $(git tag --points-at HEAD --list 'v[0-9]*') ]]; then
  prev=$(git describe --tags --abbrev=0 --match 'v[0-9]*' HEAD^ 2>/dev/null || true)
else
  prev=$(git describe --tags --abbrev=0 --match 'v[0-9]*' HEAD 2>/dev/null || true)
fi
{
  echo "# awstray $VERSION"
  echo
  if [[ -n $prev ]]; then echo "Changes since $prev:"; else echo "Changes (no earlier release tag):"; fi
  echo
  git log --first-parent --format='- %s (%h)' ${prev:+"$prev..HEAD"}
  echo
  echo "Checksums: SHA256SUMS. macOS builds come from the macOS workflow."
} >"$dist/RELEASE_NOTES.md"

rm -rf "$dist/build"
echo "release: wrote $dist/:"
ls -l "$dist"
