#!/usr/bin/env bash
# Install Debian's chromium, which tests/report/test_html_browser.py renders the report page with.
#
# Quiet (exit 0) when a chromium binary is already on PATH. Otherwise, as root with apt-get, it installs
# the package; anywhere else it prints the command to run and exits 1 (the browser test is then skipped).
set -euo pipefail

if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "chromium is not installed; the browser test of the report page is skipped. On Debian, as root, run:" >&2
  echo "  apt-get update && apt-get install -y chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }
