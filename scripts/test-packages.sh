#!/usr/bin/env bash
# Package tests (run as root, after `make release`): installs dist/'s .deb for
# this machine with dpkg -i, runs /usr/bin/awstray version, validates the
# installed .desktop files, checks the icon in hicolor, removes the package
# with dpkg -r and checks that none of its files or the folders it made is
# left; then checks that the .rpm (rpm -qlp, rpm --dump) holds the same files
# with the same contents, and both packages' recommends. The machine is left
# as it was found: the test refuses to run where awstray is installed or
# where any file of the package already exists.
#
# VERSION, when set, is what `awstray version` must print on its first line.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "test-packages: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || fail "needs root to install the .deb (make test-packages as root, as CI does)"
for tool in dpkg dpkg-deb dpkg-query desktop-file-validate rpm sha256sum md5sum od; do
  command -v "$tool" >/dev/null || fail "$tool is not on PATH (make deps installs it)"
done

arch=$(dpkg --print-architecture)
case $arch in
  amd64) rpmarch=x86_64 ;;
  arm64) rpmarch=aarch64 ;;
  *) fail "no package is built for $arch" ;;
esac
shopt -s nullglob
debs=(dist/awstray_*_"$arch".deb)
rpms=(dist/awstray-*-1."$rpmarch".rpm)
shopt -u nullglob
[[ ${#debs[@]} == 1 && ${#rpms[@]} == 1 ]] ||
  fail "want one .deb and one .rpm for $arch in dist/, found: ${debs[*]:-none} ${rpms[*]:-none} (make release)"
deb=${debs[0]} rpm=${rpms[0]}
echo "test-packages: $deb, $rpm"

# The versions release.sh gives packages sort as the releases do, for dpkg
# and rpm alike: a pre-release before its release, commits after a tag
# after it, an untagged build before any release.
mapfile -t order < <(scripts/release.sh pkgversion abcdef0 v0.9.0-3-g1234567-dirty v1.2.3-rc.1 v1.2.3 v1.2.3-4-gabcdef0 v1.2.4)
want=(0.0.0~git.gabcdef0 0.9.0+git3.g1234567.dirty 1.2.3~rc.1 1.2.3 1.2.3+git4.gabcdef0 1.2.4)
[[ ${order[*]} == "${want[*]}" ]] || fail "release.sh pkgversion gives ${order[*]}, want ${want[*]}"
for ((i = 1; i < ${#order[@]}; i++)); do
  a=${order[i - 1]} b=${order[i]}
  dpkg --compare-versions "$a" lt "$b" || fail "dpkg sorts $a after $b"
  [[ $(rpm --eval "%{lua: print(rpm.vercmp('$a', '$b'))}") == -1 ]] || fail "rpm sorts $a after $b"
done

status() { dpkg-query -W -f='${db:Status-Abbrev}' awstray 2>/dev/null || true; }
case $(status) in
  "" | un*) ;;
  *) fail "awstray is installed on this machine ($(status)); the test would remove it" ;;
esac

# The package's files and folders, from the .deb itself.
mapfile -t entries < <(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -e 's|^\./|/|')
files=() dirs=()
for e in "${entries[@]}"; do
  case $e in
    /) ;;
    */) dirs+=("${e%/}") ;;
    *) files+=("$e") ;;
  esac
done
[[ ${#files[@]} -gt 0 ]] || fail "$deb holds no files"
newdirs=()
for f in "${files[@]}"; do
  [[ -e $f || -L $f ]] && fail "$f exists before the install; the test would remove it"
done
for d in "${dirs[@]}"; do
  [[ -e $d ]] || newdirs+=("$d")
done

installed=0
work=$(mktemp -d)
cleanup() {
  if [[ $installed == 1 ]]; then dpkg -r awstray >/dev/null || echo "test-packages: dpkg -r awstray failed: remove it by hand" >&2; fi
  rm -rf "$work"
}
trap cleanup EXIT

dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; installed=1; fail "dpkg -i $deb failed"; }
installed=1
mapfile -t listed < <(dpkg -L awstray)
for f in "${files[@]}"; do
  printf '%s\n' "${listed[@]}" | grep -qxF "$f" || fail "dpkg -L awstray lacks $f"
  [[ -f $f ]] || fail "$f is not installed"
done

# The binary runs and says what it is. No bus: nothing may start a
# dbus-daemon that outlives the test.
out=$(env -i PATH=/usr/bin:/bin HOME="$work" DBUS_SESSION_BUS_ADDRESS=disabled: /usr/bin/awstray version) ||
  fail "/usr/bin/awstray version failed"
echo "$out" | sed 's/^/  /'
if [[ -n ${VERSION:-} ]]; then
  [[ $(head -1 <<<"$out") == "awstray $VERSION" ]] || fail "awstray version prints \"$(head -1 <<<"$out")\", want \"awstray $VERSION\""
fi
grep -qx "platform: linux/$arch" <<<"$out" || fail "awstray version does not say linux/$arch"
grep -qx "keyrings: secret-service, kwallet, pass, keyctl, file" <<<"$out" || fail "awstray version lists other keyring backends"
grep -qE '^commit: +[0-9a-f]{40}' <<<"$out" || fail "awstray version names no commit"

# The desktop files: valid (hints are fine, warnings are not), running the
# installed binary, with an icon hicolor has.
desktop=(/usr/share/applications/awstray.desktop /usr/share/awstray/awstray-autostart.desktop)
for d in "${desktop[@]}"; do
  [[ -f $d ]] || fail "$d is not installed"
  v=$(desktop-file-validate "$d" 2>&1) || fail "desktop-file-validate $d: $v"
  grep -E 'error:|warning:' <<<"$v" && fail "desktop-file-validate $d complains"
  exe=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$d")
  [[ $(PATH=/usr/bin:/bin command -v "$exe") == /usr/bin/awstray ]] || fail "$d: Exec=$exe is not /usr/bin/awstray"
  icon=$(sed -n 's/^Icon=//p' "$d")
  [[ $icon == awstray ]] || fail "$d: Icon=$icon, want awstray"
done
png=/usr/share/icons/hicolor/256x256/apps/awstray.png
[[ -f $png ]] || fail "$png is not installed"
# A PNG's signature, then the IHDR chunk's width and height (big-endian).
[[ $(od -An -tx1 -N8 "$png" | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "$png is not a PNG"
size=$(od -An -tu1 -j16 -N8 "$png" | awk '{ printf "%dx%d", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }')
[[ $size == 256x256 ]] || fail "$png is $size, its folder says 256x256"

# The .rpm: the same files with the same contents (rpm --dump gives each
# file's path, size, mtime and digest; the .deb's are installed).
mapfile -t rpmfiles < <(rpm -qlp "$rpm" 2>/dev/null)
diff <(printf '%s\n' "${files[@]}" | sort) <(printf '%s\n' "${rpmfiles[@]}" | sort) >&2 ||
  fail "the .rpm and the .deb hold different files (< deb, > rpm)"
while read -r path _ _ digest _; do
  case ${#digest} in
    64) got=$(sha256sum "$path" | cut -d' ' -f1) ;;
    32) got=$(md5sum "$path" | cut -d' ' -f1) ;;
    *) fail "rpm --dump: no digest for $path" ;;
  esac
  [[ $got == "$digest" ]] || fail "$path differs between the .deb and the .rpm"
done < <(rpm -qp --dump "$rpm" 2>/dev/null)

# Recommends: a Secret Service provider, a clipboard tool, a dialog tool.
rec=$(dpkg-deb -f "$deb" Recommends)
rpmrec=$(rpm -qp --recommends "$rpm" 2>/dev/null)
for want in gnome-keyring xclip wl-clipboard zenity kdialog; do
  grep -qw -- "$want" <<<"$rec" || fail "the .deb does not recommend $want: $rec"
  grep -qw -- "$want" <<<"$rpmrec" || fail "the .rpm does not recommend $want: $rpmrec"
done

# Removal leaves nothing: no file, no folder the package made, no
# leftover conffiles state.
dpkg -r awstray >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -r awstray failed"; }
installed=0
case $(status) in
  "" | un*) ;;
  *) fail "after dpkg -r, dpkg still knows awstray: $(status)" ;;
esac
for f in "${files[@]}" "${newdirs[@]}"; do
  [[ -e $f || -L $f ]] && fail "dpkg -r left $f behind"
done
echo "test-packages: ok (${#files[@]} files installed, checked and removed; the .rpm matches)"
