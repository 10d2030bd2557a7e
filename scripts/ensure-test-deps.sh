#!/usr/bin/env bash
# Installs from Debian what is missing (as root), idempotent and quiet.
#   ensure-test-deps.sh          everything the tests use: real tar writers, the Go tar-split CLI,
#                                dockerd 20.10 with containerd/runc, xattr tools, SQLite, btrfs-progs
#   ensure-test-deps.sh sample   only what building the bundled sample root needs (npm start)
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have tar-split || need+=(tar-split)
have bsdtar || need+=(libarchive-tools)
[ -x /usr/bin/busybox ] || need+=(busybox-static)
have setfattr || need+=(attr)
if [ "${1:-}" != sample ]; then
  have dockerd || need+=(docker.io containerd runc)
  have sqlite3 || need+=(sqlite3)
  have dot || need+=(graphviz)
  have debootstrap || need+=(debootstrap)
  have cgroupfs-mount || need+=(cgroupfs-mount)
  have mkfs.btrfs || need+=(btrfs-progs)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "tests need: ${need[*]} (Debian packages); run as root or install them" >&2
    exit 1
  fi
  echo "installing test dependencies: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# dockerd needs cgroups mounted (peers.md); mount them when the machine has none.
if [ -z "$(ls -A /sys/fs/cgroup 2>/dev/null)" ] && have cgroupfs-mount; then cgroupfs-mount || true; fi
