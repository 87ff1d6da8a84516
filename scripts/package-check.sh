#!/usr/bin/env bash
# Installs the .deb that `make package` built and checks that it works as installed: the
# binary is on PATH, the CLI migrates and checks a fresh database, the desktop entry is there,
# and the window starts (under a virtual display) and stays up. Then removes the package again,
# so the machine is left as it was found (unless the package was installed before the check,
# in which case the freshly built one stays installed).
set -euo pipefail
cd "$(dirname "$0")/.."

deb=$(ls -1t target/release/bundle/deb/*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
  echo "no .deb in target/release/bundle/deb: run make package first" >&2
  exit 1
fi
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
pkg=$(dpkg-deb -f "$deb" Package)
version=$(dpkg-deb -f "$deb" Version)
was_installed=no
dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" && was_installed=yes

work=$(mktemp -d /tmp/engagement-desk-package-check.XXXXXX)
app_pgid=""
fail() { echo "package check FAILED: $*" >&2; exit 1; }
cleanup() {
  status=$?
  if [ -n "$app_pgid" ]; then kill -- "-$app_pgid" 2>/dev/null || true; fi
  if [ "$was_installed" = no ]; then
    echo "removing $pkg (dpkg -r)"
    $SUDO dpkg -r "$pkg" >/dev/null 2>&1 || echo "could not remove $pkg" >&2
  else
    echo "$pkg was installed before the check: leaving the new build installed"
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

echo "installing $deb ($pkg $version, $(du -h "$deb" | cut -f1))"
# apt-get (rather than dpkg -i) so that the declared dependencies (webkit2gtk, gtk) resolve.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "./$deb" >"$work/apt.log" 2>&1 \
  || { cat "$work/apt.log" >&2; fail "apt-get install ./$deb"; }
echo "depends: $(dpkg-deb -f "$deb" Depends)"

# The binary, from PATH.
bin=$(command -v engagement-desk) || fail "engagement-desk is not on PATH"
dpkg -S "$bin" >/dev/null 2>&1 || fail "$bin does not belong to the package"
out=$(engagement-desk --version) || fail "engagement-desk --version"
[ "$out" = "engagement-desk $version" ] || fail "--version printed '$out', expected 'engagement-desk $version'"
echo "ok: $bin --version -> $out"

# The desktop entry, and that it launches the installed binary.
desktop=$(dpkg -L "$pkg" | grep -E '^/usr/share/applications/.+\.desktop$' | head -n 1 || true)
[ -n "$desktop" ] && [ -f "$desktop" ] || fail "no desktop entry in /usr/share/applications"
grep -Eq '^Exec=(/usr/bin/)?engagement-desk( |$)' "$desktop" || fail "$desktop does not run engagement-desk"
echo "ok: desktop entry $desktop"

# The CLI on a fresh temporary database.
db="$work/engagement-desk.db"
engagement-desk --db "$db" migrate >"$work/migrate.log" 2>&1 \
  || { cat "$work/migrate.log" >&2; fail "migrate"; }
out=$(engagement-desk --db "$db" check 2>&1) || { echo "$out" >&2; fail "check"; }
[ "$(printf '%s\n' "$out" | head -n 1)" = ok ] || { echo "$out" >&2; fail "check did not print ok"; }
echo "ok: migrate and check on $db"

# A release build carries no test hooks: the crash tests' hidden `drill` does not exist.
if out=$(engagement-desk --db "$db" drill --username x --password-stdin </dev/null 2>&1); then
  fail "the release binary has the drill test hook"
fi
printf '%s\n' "$out" | grep -q "unrecognized subcommand 'drill'" \
  || { echo "$out" >&2; fail "drill was not refused as an unknown subcommand"; }
echo "ok: no drill test hook in the release binary"

# The window: start it under a virtual display in its own process group, give it 8 seconds,
# and check the app process is still alive.
HOME="$work" NO_AT_BRIDGE=1 setsid xvfb-run -a engagement-desk --db "$db" >"$work/app.log" 2>&1 &
app_pgid=$!
sleep 8
app_pid=$(pgrep -g "$app_pgid" -x engagement-desk | head -n 1 || true)
if [ -z "$app_pid" ] || ! kill -0 "$app_pid" 2>/dev/null; then
  cat "$work/app.log" >&2
  fail "the installed app did not start or did not stay up for 8 seconds"
fi
echo "ok: window started (pid $app_pid) and was still running after 8 seconds"
# Stop the app; xvfb-run then stops its X server itself.
kill "$app_pid"
for _ in $(seq 1 20); do kill -0 "$app_pgid" 2>/dev/null || break; sleep 0.5; done
kill -- "-$app_pgid" 2>/dev/null || true
app_pgid=""

echo "package check passed: $deb installs, runs the CLI, and the window starts"
