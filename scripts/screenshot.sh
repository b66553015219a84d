#!/usr/bin/env bash
# Takes docs/tray.png: the tray in xfce4-panel under Xvfb with its menu open.
# Needs: xvfb xfce4-panel xdotool imagemagick dbus moto_server (make deps, plus
# apt-get install xfce4-panel imagemagick). Usage: scripts/screenshot.sh [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-docs/tray.png}")
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/awstray" .

export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_STATE_HOME="$work/home/.state" \
  XDG_DATA_HOME="$work/home/.local/share" XDG_CACHE_HOME="$work/home/.cache" XDG_RUNTIME_DIR="$work/run" \
  AWSTRAY_BACKEND=file AWSTRAY_FILE_PASSPHRASE=screenshot AWS_CONFIG_FILE="$work/home/.aws/config" \
  AWS_EC2_METADATA_DISABLED=true NO_AT_BRIDGE=1
mkdir -p "$HOME/.aws" "$XDG_RUNTIME_DIR" "$XDG_STATE_HOME/awstray" "$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml"
chmod 700 "$XDG_RUNTIME_DIR"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
until curl -fs "$AWS_ENDPOINT_URL/moto-api/" >/dev/null; do sleep 0.2; done

cat > "$HOME/.aws/config" <<'CFG'
[profile work]
region = eu-west-1
mfa_serial = arn:aws:iam::111111111111:mfa/me
mfa_process = echo 123456

[profile prod-admin]
source_profile = work
role_arn = arn:aws:iam::222222222222:role/admin

[profile prod-readonly]
source_profile = work
role_arn = arn:aws:iam::222222222222:role/readonly

[profile staging]
source_profile = work
role_arn = arn:aws:iam::333333333333:role/developer

[profile sandbox]
region = us-east-1
CFG
printf 'AKIAIOSFODNN7EXAMPLE\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n' | "$work/awstray" add work 2>/dev/null
"$work/awstray" exec prod-admin -- true
"$work/awstray" exec staging -- true
echo '{"unlocked": ["prod-admin", "staging"], "recent": ["prod-admin", "staging"]}' > "$XDG_STATE_HOME/awstray/state.json"

cat > "$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml/xfce4-panel.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="icon-size" type="uint" value="22"/>
      <property name="size" type="uint" value="32"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
        <value type="int" value="2"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="separator">
      <property name="expand" type="bool" value="true"/>
    </property>
    <property name="plugin-2" type="string" value="systray">
      <property name="square-icons" type="bool" value="true"/>
    </property>
  </property>
</channel>
XML

dbus-run-session -- bash -s "$work" "$out" <<'INNER'
set -euo pipefail
work=$1 out=$2
Xvfb :97 -screen 0 640x420x24 -nolisten tcp >/dev/null 2>&1 &
export DISPLAY=:97
sleep 1
if command -v xsetroot >/dev/null; then xsetroot -solid "#4c566a"; fi
xfce4-panel --disable-wm-check >/dev/null 2>&1 &
sleep 3
"$work/awstray" tray >/dev/null 2>&1 &
sleep 4
# The tray icon sits at the right end of the panel; open its menu, then the
# submenu of prod-admin.
xdotool mousemove 624 16 click 1
sleep 1.5
xdotool mousemove 560 98
sleep 1.5
import -window root "$work/shot.png"
convert "$work/shot.png" -crop 640x300+0+0 +repage "$out"
kill %3 %2 %1 2>/dev/null || true
INNER
echo "wrote $out"
