#!/usr/bin/env bash
# The Windows test stage (make test-windows): the Windows build, under Wine 10
# in the root that scripts/wine-root.sh makes, against moto_server on the
# host. It builds three Windows test binaries and runs them in one fresh Wine
# prefix (a throwaway Windows user, its Credential Manager included):
#   - credentials/keystore: the conformance suite on wincred, items over the
#     Credential Manager's 2560-byte limit among them;
#   - agent: the agent's tests, on named pipes;
#   - tray/notify: the notifications' tests, toasts included;
#   - awstray.exe's console prompts on a real terminal (a pty on the host:
#     scripts/wine-console-prompt.py);
#   - the top-level package: the CLI scripts of testdata/windows, the tray
#     serving the CLI through its named pipe, its menu (Start at login, read
#     back from the registry), its MFA dialog, the .exe's resources
#     (windows_wine_test.go).
# Needs root (chroot, mount), moto_server, Xvfb and xwininfo (make deps).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
say() { echo "test-windows: $* ($((SECONDS - start)) s)"; }

root=$(scripts/wine-root.sh)
cache=$(dirname "$root")
for tool in chroot mount flock Xvfb xwininfo curl python3; do
	command -v "$tool" >/dev/null || { echo "test-windows: $tool is missing (make deps)" >&2; exit 1; }
done
if command -v moto_server >/dev/null; then
	moto=(moto_server)
elif python3 -c 'import moto.server' 2>/dev/null; then
	moto=(python3 -m moto.server)
else
	echo "test-windows: moto_server is missing: pip install 'moto[server]'" >&2
	exit 1
fi

# One stage at a time per root: the stages would share its mounts.
exec 9>"$cache/stage.lock"
flock -w 1800 9 || { echo "test-windows: another stage still holds $cache/stage.lock" >&2; exit 1; }

stage=$(mktemp -d "$root/tmp/awstray-stage.XXXXXX") # on the host
win=${stage#"$root"}                                 # the same folder inside the root
mounted=()
pids=()
winenv=()
cleanup() {
	local status=$?
	set +e
	if [ ${#winenv[@]} -gt 0 ] && [ -d "$stage/prefix" ]; then
		chroot "$root" "${winenv[@]}" wineserver -k 2>/dev/null
		# The server's socket folder, /tmp/wine-*/server-DEV-INODE of the
		# prefix (Wine's wineserver aborts when TMPDIR moves it).
		local sdir
		sdir=server-$(stat -c %D "$stage/prefix")-$(printf %x "$(stat -c %i "$stage/prefix")")
		for d in "$root"/tmp/wine-*/"$sdir"; do
			[ -d "$d" ] && rm -rf "$d" && rmdir "$(dirname "$d")" 2>/dev/null
		done
	fi
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
	for m in "${mounted[@]}"; do umount "$root/$m" || umount -l "$root/$m"; done
	rm -rf "$stage"
	if [ "$status" = 0 ]; then say passed; else say "FAILED (exit $status)"; fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for m in proc dev; do
	if ! mountpoint -q "$root/$m"; then
		mount --bind "/$m" "$root/$m"
		mounted+=("$m")
	fi
done
mkdir -p "$stage/home" "$stage/run" "$stage/prefix" "$stage/pkg/testdata"
chmod 700 "$stage/run"

# The builds run while moto_server and Xvfb start.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${moto[@]}" -H 127.0.0.1 -p "$port" >"$stage/moto.log" 2>&1 &
pids+=($!)
Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp -noreset 3>"$stage/display" 2>"$stage/xvfb.log" &
pids+=($!)

export CGO_ENABLED=0 GOOS=windows GOARCH=amd64
go test -c -o "$stage/keystore.test.exe" ./credentials/keystore
go test -c -o "$stage/agent.test.exe" ./agent
go test -c -o "$stage/notify.test.exe" ./tray/notify
go test -c -o "$stage/pkg/awstray.test.exe" .
go build -o "$stage/awstray.exe" .
unset CGO_ENABLED GOOS GOARCH
cp -r testdata/windows "$stage/pkg/testdata/"
say built

waitfor() { # WHAT SECONDS COMMAND...: run COMMAND until it succeeds
	local what=$1 limit=$2
	shift 2
	local end=$((SECONDS + limit))
	until "$@" >/dev/null 2>&1; do
		if [ $SECONDS -ge $end ]; then
			echo "test-windows: $what did not come up within $limit s" >&2
			return 1
		fi
		sleep 0.1
	done
}
waitfor moto_server 30 curl -fsS "http://127.0.0.1:$port/moto-api/"
waitfor Xvfb 20 grep -q . "$stage/display"
display=:$(head -1 "$stage/display")

winenv=(env -i PATH=/usr/bin:/bin HOME="$win/home" XDG_RUNTIME_DIR="$win/run" LANG=C.UTF-8
	WINEDEBUG=-all WINEPREFIX="$win/prefix" DISPLAY="$display")
# A fresh prefix (~7 s); the server stays up until the end, so each program
# starts in a fraction of a second.
chroot "$root" "${winenv[@]}" wineserver -p
chroot "$root" "${winenv[@]}" wineboot --init >"$stage/wineboot.log" 2>&1
# Programs join Wine's desktop "shell" by default, the one with the taskbar
# and its notification area: else each would open its windows on a desktop
# of its own, and the tray's icon would land outside the taskbar.
chroot "$root" "${winenv[@]}" wine reg add 'HKCU\Software\Wine\Explorer' /v Desktop /d shell /f >/dev/null 2>&1
chroot "$root" "${winenv[@]}" wine reg add 'HKCU\Software\Wine\Explorer\Desktops' /v shell /d 1000x580 /f >/dev/null 2>&1
# A desktop with a notification area, for the tray's icon.
chroot "$root" "${winenv[@]}" wine explorer /desktop=shell,1000x580 >"$stage/explorer.log" 2>&1 &
pids+=($!)
waitfor "Wine's desktop" 30 sh -c "xwininfo -display '$display' -root -tree | grep -qi 'Wine desktop'"
say "Wine is ready"

testenv=(AWSTRAY_TEST_MOTO_URL="http://127.0.0.1:$port" AWSTRAY_TEST_WINCRED=throwaway
	CI="${CI:-}" AWSTRAY_REQUIRE_INTEGRATION="${AWSTRAY_REQUIRE_INTEGRATION:-}")
# runtest NAME DIR EXE ARGS...: runs a Windows test binary in DIR (inside the
# root); prints its summary, or all of its output when it fails.
runtest() {
	local name=$1 dir=$2
	shift 2
	local log="$stage/$name.log" t0=$SECONDS
	if timeout 600 chroot "$root" sh -c 'cd "$1" && shift && exec "$@"' sh "$dir" \
		"${winenv[@]}" "${testenv[@]}" wine "$@" -test.v -test.timeout=8m >"$log" 2>&1 &&
		grep -q '^--- PASS' "$log" && ! grep -q -e '^--- SKIP' -e 'no tests to run' "$log"; then
		if [ -n "${AWSTRAY_WINE_ONLY:-}" ]; then cat "$log"; else grep -E '^(--- |ok|PASS$)' "$log"; fi
		say "$name passed in $((SECONDS - t0)) s"
	else
		cat "$log"
		say "$name FAILED after $((SECONDS - t0)) s"
		return 1
	fi
}
# AWSTRAY_WINE_SCREENSHOT=FILE.png stages the tray
# with a profile unlocked and its menu open (TestScreenshotWindowsTray) and
# takes the picture of Wine's desktop from the host.
if [ -n "${AWSTRAY_WINE_SCREENSHOT:-}" ]; then
	command -v import >/dev/null || { echo "test-windows: import (ImageMagick) is missing" >&2; exit 1; }
	shot=$(realpath -m "$AWSTRAY_WINE_SCREENSHOT")
	mkdir -p "$stage/pkg/shot"
	testenv+=(AWSTRAY_WINE_SHOT=shot)
	runtest screenshot "$win/pkg" "$win/pkg/awstray.test.exe" -test.run '^TestScreenshotWindowsTray$' &
	tester=$!
	end=$((SECONDS + 120))
	until [ -e "$stage/pkg/shot/ready" ]; do
		if ! kill -0 "$tester" 2>/dev/null || [ $SECONDS -ge $end ]; then
			wait "$tester" || true
			echo "test-windows: the tray was not staged for the screenshot" >&2
			exit 1
		fi
		sleep 0.2
	done
	sleep 1 # the menu's first paint
	import -display "$display" -window root "$shot"
	touch "$stage/pkg/shot/done"
	wait "$tester"
	say "screenshot in $shot"
	exit 0
fi
# AWSTRAY_WINE_ONLY=PATTERN runs only the top-level tests PATTERN matches
# (-test.run), for working on one of them, and shows all of their output.
if [ -n "${AWSTRAY_WINE_ONLY:-}" ]; then
	runtest cli-and-tray "$win/pkg" "$win/pkg/awstray.test.exe" -test.run "$AWSTRAY_WINE_ONLY"
	exit 0
fi
runtest keystore "$win" "$win/keystore.test.exe" -test.run '^TestWinCred$'
# A byte-mode named pipe has no half-close: that subtest is for sockets.
runtest agent "$win" "$win/agent.test.exe" -test.skip '^TestBadInput$/^last_line_without_newline$'
runtest notify "$win" "$win/notify.test.exe"
runtest cli-and-tray "$win/pkg" "$win/pkg/awstray.test.exe" -test.run '^TestWindows'
t0=$SECONDS
if python3 scripts/wine-console-prompt.py "$root" "$win/awstray.exe" "${winenv[@]}" >"$stage/console.log" 2>&1; then
	cat "$stage/console.log"
	say "console prompts passed in $((SECONDS - t0)) s"
else
	cat "$stage/console.log"
	say "console prompts FAILED after $((SECONDS - t0)) s"
	exit 1
fi
