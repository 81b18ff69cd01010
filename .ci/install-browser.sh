#!/usr/bin/env bash
# Install Debian's Chromium and its driver for the DPO's browser test (tests/flows/test_ui_browser.py).
# Idempotent; nothing is downloaded at test time (Selenium uses these two binaries).
set -euo pipefail

if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo -n); fi
export DEBIAN_FRONTEND=noninteractive

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

if ! installed chromium || ! installed chromium-driver; then
    "${SUDO[@]}" apt-get install -y --no-install-recommends chromium chromium-driver \
        || { "${SUDO[@]}" apt-get update && "${SUDO[@]}" apt-get install -y --no-install-recommends chromium chromium-driver; }
fi
echo "install-browser: $(chromium --version 2>/dev/null | head -n 1)"
