#!/usr/bin/env bash
# Takes docs/guard.png: the real tray's question for a guarded profile, a
# real zenity --question under Xvfb, asked by `awstray exec prod -- terraform`.
# Needs: xvfb zenity xdotool imagemagick dbus moto_server.
# Usage: scripts/guard-screenshot.sh [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-docs/guard.png}")
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/awstray" .

export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_STATE_HOME="$work/home/.state" \
  XDG_RUNTIME_DIR="$work/run" AWSTRAY_BACKEND=file AWSTRAY_FILE_PASSPHRASE=screenshot \
  AWS_CONFIG_FILE="$work/home/.aws/config" NO_AT_BRIDGE=1
mkdir -p "$HOME/.aws" "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/awstray"
chmod 700 "$XDG_RUNTIME_DIR"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
until curl -fs "$AWS_ENDPOINT_URL/moto-api/" >/dev/null; do sleep 0.2; done
printf '[profile prod]\nregion = eu-west-1\n' > "$AWS_CONFIG_FILE"
printf 'dialogs = "zenity"\nguarded_profiles = ["prod*"]\n' > "$XDG_CONFIG_HOME/awstray/settings.toml"
printf 'AKIAIOSFODNN7EXAMPLE\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n' | DBUS_SESSION_BUS_ADDRESS=disabled: "$work/awstray" add prod 2>/dev/null

display=:$((90 + RANDOM % 9))
Xvfb "$display" -screen 0 800x400x24 -nolisten tcp >/dev/null 2>&1 &
export DISPLAY=$display
until xdotool getdisplaygeometry >/dev/null 2>&1; do sleep 0.2; done

dbus-run-session -- sh -c '
  "$0" tray >/dev/null 2>&1 &
  tray=$!
  until [ -S "$XDG_RUNTIME_DIR/awstray/agent.sock" ]; do sleep 0.2; done
  "$0" exec prod -- terraform plan >/dev/null 2>&1 &
  asker=$!
  for i in $(seq 100); do
    win=$(xdotool search --name "allow guarded" 2>/dev/null | head -1) && [ -n "$win" ] && break
    sleep 0.2
  done
  sleep 1 # the window is mapped; let GTK draw it
  import -window "$win" "$1"
  kill "$asker" "$tray" 2>/dev/null; wait
' "$work/awstray" "$work/shot.png"
cp "$work/shot.png" "$out"
echo "wrote $out"
