#!/usr/bin/env bash
# Build (once, cached) everything the live oracle needs: a UML Linux 6.12 kernel from Debian's
# linux-source-6.12, the LD_PRELOAD xstate shim, and the static guest agent.
# Recipe: ../shared/notes/real-kernel-oracle.md §1.2 (shim) and §3.2 (kernel config).
# Usage: build-kernel.sh CACHE_DIR      (prints nothing on a cache hit; exits non-zero on failure)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${1:?usage: build-kernel.sh CACHE_DIR}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
log="$cache/build.log"

need_pkgs=()
for p in gcc make flex bison libelf-dev bc busybox-static xfsprogs e2fsprogs xz-utils; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if ((${#need_pkgs[@]})); then
  echo "oracle: installing ${need_pkgs[*]}" >&2
  # Stale package lists are the usual failure on a fresh machine: refresh them once and retry.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}" >>"$log" 2>&1 ||
    { apt-get update -q >>"$log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}" >>"$log" 2>&1; } ||
    { echo "oracle: apt-get install failed (see $log)" >&2; exit 1; }
fi

kver=6.12
kbin="$cache/linux-$kver.uml"
if [[ ! -x "$kbin" ]]; then
  src="$cache/src"
  if [[ ! -d "$src/linux-source-$kver" ]]; then
    mkdir -p "$src"
    deb="${DIOCHECK_KSRC_DEB:-}"  # a local copy of the .deb, if you have one
    if [[ -z "$deb" ]]; then
      (cd "$src" && apt-get download "linux-source-$kver" >>"$log" 2>&1) ||
        { echo "oracle: apt-get download linux-source-$kver failed (see $log)" >&2; exit 1; }
      deb="$(ls "$src"/linux-source-${kver}_*.deb | head -1)"
    fi
    dpkg-deb -x "$deb" "$src/deb"
    tar -C "$src" -xaf "$src"/deb/usr/src/linux-source-$kver.tar.xz
    rm -rf "$src/deb"
  fi
  echo "oracle: building UML $kver (about 4 minutes on 2 cores; log in $log)" >&2
  (
    cd "$src/linux-source-$kver"
    make ARCH=um defconfig
    ./scripts/config -e BLK_DEV_UBD -e HOSTFS -e XFS_FS -e XFS_POSIX_ACL -e XFS_DEBUG -e EXT4_FS \
      -e IO_URING -e AIO -e BLK_DEV_LOOP -e CONFIGFS_FS -e BLK_DEV_NULL_BLK \
      -e MD -e BLK_DEV_DM -e DM_FLAKEY -e DM_LOG_WRITES -e DM_DUST -e DM_DELAY -e DM_SNAPSHOT -e DM_ZERO \
      -e SCSI -e BLK_DEV_SD -e SCSI_LOWLEVEL -e SCSI_DEBUG \
      -e DEBUG_FS -e DEBUG_FS_ALLOW_ALL -e FAULT_INJECTION -e FAIL_MAKE_REQUEST -e FAIL_IO_TIMEOUT \
      -e FAULT_INJECTION_DEBUG_FS -e FTRACE -e ENABLE_DEFAULT_TRACERS -e BLK_DEV_IO_TRACE \
      -e MAGIC_SYSRQ -e IKCONFIG -e IKCONFIG_PROC -e BLK_DEV_WRITE_MOUNTED -d MODULES -d NET -d SOUND -d UML_NET
    make ARCH=um olddefconfig
    make ARCH=um -j"$(($(nproc) + 1))" linux
  ) >>"$log" 2>&1 || { echo "oracle: kernel build failed (see $log)" >&2; exit 1; }
  cp "$src/linux-source-$kver/linux" "$kbin"
fi

# The shim: UML's fixed 2,696-byte XSAVE buffer against an AMX host's 11,008 (note §1.1).
if [[ ! -f "$cache/xstate_shim.so" || "$here/xstate_shim.c" -nt "$cache/xstate_shim.so" ]]; then
  gcc -O2 -shared -fPIC -o "$cache/xstate_shim.so" "$here/xstate_shim.c" -ldl
fi

# The guest agent: static, so the jailed root needs nothing but it and busybox.
if [[ ! -f "$cache/root/agent" || "$here/agent.c" -nt "$cache/root/agent" ]]; then
  mkdir -p "$cache/root/bin" "$cache/root/dev" "$cache/root/proc" "$cache/root/sys" "$cache/root/mnt" "$cache/root/tmp"
  gcc -O2 -static -Wall -o "$cache/root/agent" "$here/agent.c"
  cp /bin/busybox "$cache/root/bin/busybox"
fi
