#!/bin/sh
# Installs Debian's chromium for the HTML report's browser test when it is missing.
# Never fails the caller: without chromium that test is skipped, with a reason.
# Usage (from .ci/run): sh scripts/ensure-chromium.sh
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  echo "ensure-chromium: $("$CHROMIUM" --version 2>/dev/null | head -n 1)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "ensure-chromium: not root and no sudo: the browser test will be skipped" >&2
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if $SUDO apt-get update -qq >/dev/null 2>&1 && $SUDO apt-get install -y -qq chromium >/dev/null 2>&1; then
  echo "ensure-chromium: installed $("$CHROMIUM" --version 2>/dev/null | head -n 1)"
else
  echo "ensure-chromium: apt-get could not install chromium: the browser test will be skipped" >&2
fi
exit 0
