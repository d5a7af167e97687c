#!/usr/bin/env bash
# Installs what the browser tests (tests/ui_browser.rs) need: /usr/bin/chromium and
# /usr/bin/chromedriver, from the Debian packages `chromium` and `chromium-driver`.
# Does nothing when both are already there. Runs `apt-get update` only when the
# install fails without it. Quiet on success; exit 0 iff both exist afterwards.
#
#   scripts/install-chromium.sh && SUBLEDGER_UI_TESTS=1 cargo test --test ui_browser
set -uo pipefail

have() { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }

have && exit 0

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
    echo "install-chromium: not root and no sudo; install chromium and chromium-driver" >&2
    exit 1
  fi
else
  SUDO=()
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT

install() {
  "${SUDO[@]}" apt-get install -y -q chromium chromium-driver >"$log" 2>&1
}

if ! install; then
  if ! "${SUDO[@]}" apt-get update -q >>"$log" 2>&1 || ! install; then
    cat "$log" >&2
    echo "install-chromium: apt-get install chromium chromium-driver failed" >&2
    exit 1
  fi
fi

if ! have; then
  cat "$log" >&2
  echo "install-chromium: /usr/bin/chromium or /usr/bin/chromedriver still missing" >&2
  exit 1
fi
