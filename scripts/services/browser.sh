# shellcheck shell=bash
# Chromium from Debian, for the web page's browser test (playwright-core drives it).
# `npx playwright install` downloads its browsers from a CDN this machine cannot reach, so the
# test points playwright at /usr/bin/chromium instead. Nothing runs: the test launches it headless.

BROWSER_BIN="/usr/bin/chromium"

browser_install() {
  [[ -x "$BROWSER_BIN" ]] || apt_install chromium
}

browser_up() { :; }

browser_down() { :; }

browser_status() {
  [[ -x "$BROWSER_BIN" ]] || return 1
  "$BROWSER_BIN" --version 2>/dev/null | head -n 1
}
