#!/usr/bin/env bash
# Install Orthanc (Debian package) for the PACS tests, plus its DICOMweb plugin when the
# distribution has it. Idempotent; the packaged service is never started (the tests start
# their own instances on loopback ports). Exits 0 when only the plugin is unavailable.
set -euo pipefail

if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo -n); fi
export DEBIAN_FRONTEND=noninteractive

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

if ! installed orthanc; then
    "${SUDO[@]}" apt-get install -y --no-install-recommends orthanc \
        || { "${SUDO[@]}" apt-get update && "${SUDO[@]}" apt-get install -y --no-install-recommends orthanc; }
fi

if installed orthanc-dicomweb; then
    :
elif apt-cache show orthanc-dicomweb >/dev/null 2>&1; then
    "${SUDO[@]}" apt-get install -y --no-install-recommends orthanc-dicomweb \
        || echo "install-orthanc: orthanc-dicomweb could not be installed; DICOMweb tests will skip"
else
    echo "install-orthanc: no orthanc-dicomweb package here; DICOMweb tests will skip"
fi

# The package may start a system service on 4242/8042: stop it, the tests never use it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet orthanc 2>/dev/null; then
    "${SUDO[@]}" systemctl stop orthanc || true
fi
command -v Orthanc >/dev/null || [[ -x /usr/sbin/Orthanc ]]
echo "install-orthanc: $(/usr/sbin/Orthanc --version 2>/dev/null | head -n 1)"
