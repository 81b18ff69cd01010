#!/usr/bin/env bash
# Build deployments/Dockerfile where there is no container daemon and no image registry
# (only Debian packages and PyPI), then run the demo in the image, as its user, in a
# network namespace with only loopback: the demo cohort to the DPO gate, the approval, the
# release written. Run as root from anywhere:
#   bash deployments/build-with-buildah.sh [TAG]
# Installs buildah and debootstrap with apt-get when missing; storage: vfs.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-localhost/clearance:0.1.0}
base=localhost/clearance-base:bookworm
export STORAGE_DRIVER=vfs

if ! command -v buildah > /dev/null || ! command -v debootstrap > /dev/null; then
  apt-get update -qq && apt-get install -y -qq buildah debootstrap
fi

# the base: a minimal Debian bookworm with python3 (3.11) and venv, from Debian's packages
if ! buildah inspect --type image "$base" > /dev/null 2>&1; then
  rootfs=$(mktemp -d)
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$rootfs"
  ctr=$(buildah from scratch)
  mnt=$(buildah mount "$ctr")
  tar -C "$rootfs" -cf - . | tar -C "$mnt" -xf -
  buildah umount "$ctr" > /dev/null
  buildah commit -q "$ctr" "$base" > /dev/null
  buildah rm "$ctr" > /dev/null
  rm -rf "$rootfs"
fi

# this machine's trust store and pip settings serve the build only (never copied in)
mounts=(-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
[[ -f /etc/pip.conf ]] && mounts+=(-v /etc/pip.conf:/etc/pip.conf:ro)
buildah bud --isolation chroot --layers=false "${mounts[@]}" \
  -f deployments/Dockerfile --build-arg BASE="$base" -t "$tag" .

ctr=$(buildah from "$tag")
trap 'buildah rm "$ctr" > /dev/null' EXIT
demo=$(mktemp)
cat > "$demo" << 'EOF'
set -e
id
clearance demo > /tmp/demo.out 2>&1 || { tail -30 /tmp/demo.out; exit 1; }
tail -7 /tmp/demo.out
clearance approve "$(tail -1 /tmp/demo.out)" --dpo 'Mme Durand (DPO)'
released=$(find "$CLEARANCE_HOME/demo/release" -name '*.dcm' | wc -l)
clearance down > /dev/null
echo "released $released DICOM files"
test "$released" -gt 0
EOF
buildah copy --chown 10001:10001 "$ctr" "$demo" /tmp/demo.sh > /dev/null
rm -f "$demo"
# chroot isolation shares the caller's network: unshare gives it one with loopback only
unshare --net sh -c "ip link set lo up && buildah run --isolation chroot $ctr -- sh /tmp/demo.sh"
