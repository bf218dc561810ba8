#!/usr/bin/env sh
# Makes sure the headless browser the progress-page test drives is installed: Debian's chromium
# at /usr/bin/chromium. Installs it when running as root (CI containers); otherwise says how.
set -eu
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing; installing Debian's chromium package..." >&2
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
  exit 0
fi
echo "ensure-chromium: $CHROMIUM is missing; the browser test needs it." >&2
echo "Install it with: sudo apt-get update && sudo apt-get install -y chromium" >&2
exit 1
