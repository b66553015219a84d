#!/usr/bin/env python3
"""The console prompts of awstray.exe under Wine, on a real terminal.

Usage: wine-console-prompt.py ROOT EXE ENV...  (ENV: the `env -i ...` words
test-windows.sh runs Wine with). Runs `awstray.exe add dev` in ROOT on a new
pseudo-terminal, answers its two prompts, and checks that both prompts were
shown, that the key ID echoed and the secret did not, and that the key was
stored. Wine reads Enter as CR, so the terminal does not turn CR into LF.
"""
import os
import pty
import select
import shlex
import signal
import sys
import time

root, exe, envwords = sys.argv[1], sys.argv[2], sys.argv[3:]
KEY_ID, SECRET = "AKIAWINECONSOLE12345", "wIneConsoleSecretNeverEchoed0123456789ab"
env = envwords + ["AWSTRAY_BACKEND=file", r"AWSTRAY_FILE_DIR=C:\awstray-keyring",
                  "AWSTRAY_FILE_PASSPHRASE=console passphrase",
                  r"AWS_CONFIG_FILE=C:\awstray-config", "TERM=xterm"]
argv = ["chroot", root] + env + ["wine", exe, "add", "dev"]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("sh", ["sh", "-c", "stty -icrnl; exec " + " ".join(shlex.quote(a) for a in argv)])

screen, answered, deadline = b"", 0, time.time() + 30
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.2)
    if ready:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the terminal's last holder is gone
            break
        if not data:
            break
        screen += data
    if answered == 0 and b"Access Key ID:" in screen:
        os.write(fd, KEY_ID.encode() + b"\r")
        answered = 1
    elif answered == 1 and b"Secret Access Key:" in screen:
        os.write(fd, SECRET.encode() + b"\r")
        answered = 2
if time.time() >= deadline:  # waiting for an answer nobody gives
    os.kill(pid, signal.SIGKILL)
_, status = os.waitpid(pid, 0)
shown = screen.decode("utf-8", "replace")
problems = []
if answered < 2:
    problems.append("the %s prompt never showed" % ("key ID" if answered == 0 else "secret"))
if SECRET in shown:
    problems.append("the secret access key was echoed")
if answered and KEY_ID not in shown:
    problems.append("the key ID was not echoed as typed")
if "stored key ****************2345 for profile dev" not in shown:
    problems.append("no confirmation that the key was stored")
if time.time() >= deadline:
    problems.append("still running after 30 s")
elif os.waitstatus_to_exitcode(status) != 0:
    problems.append("exit status %d" % os.waitstatus_to_exitcode(status))
if problems:
    print("wine-console-prompt: " + "; ".join(problems))
    print("the terminal showed:\n" + shown.replace(SECRET, "<SECRET>"))
    sys.exit(1)
print("wine-console-prompt: both prompts shown, the secret not echoed, the key stored")
