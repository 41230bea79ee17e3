#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright never downloads its own browser here).
# CI runs as root with Debian's registry reachable; a machine that has it skips this.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
  exit 0
fi
SUDO=""
if [[ "$(id -u)" != "0" ]]; then
  SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
