#!/usr/bin/env bash
# Build (once per release, cached) everything the live oracle needs: a UML kernel of one exact
# Linux 6.12 stable release from Debian's linux-source-6.12 at that release's package version,
# the LD_PRELOAD xstate shim, and the static guest agent.
# Recipe: ../shared/notes/real-kernel-oracle.md §1.2 (shim) and §3.2 (kernel config).
#
# Usage: build-kernel.sh CACHE_DIR RELEASE     (RELEASE as in model/kernel/releases.ts: 6.12.117)
#   Kernel: CACHE_DIR/kernels/RELEASE/linux.uml (prints nothing on a cache hit; non-zero on failure)
#   The package: DIOCHECK_KSRC_DEB (one .deb, for one release), else DIOCHECK_DEBS/linux-source-6.12_
#   <debian version>_all.deb if present, else `apt-get download linux-source-6.12=<debian version>`.
#   The extracted tree's Makefile must say the release (SUBLEVEL), whatever the package's name says.
#   DIOCHECK_JOBS: make -j (default: the number of cores).
#   DIOCHECK_KERNEL_FLAVOR (opt-in; unset builds exactly the kernel above): a named set of extra
#   config options, kept apart as CACHE_DIR/kernels/RELEASE-FLAVOR/linux.uml so that it never
#   replaces the oracle's kernel. btrfs: CONFIG_BTRFS_FS (scripts/oracle/btrfsDsync.ts).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if (($# != 2)) || [[ -z "$1" || -z "$2" ]]; then
  echo "usage: build-kernel.sh CACHE_DIR RELEASE" >&2
  exit 2
fi
cache="$1"
release="$2"
series=6.12

# The package version of the release: model/kernel/releases.ts is the one list of releases.
releases="$here/../../model/kernel/releases.ts"
debian="$(sed -n "s/.*name: '$(printf '%s' "$release" | sed 's/[.]/\\./g')', debian: '\([^']*\)'.*/\1/p" "$releases")"
if [[ -z "$debian" ]]; then
  echo "oracle: unknown release '$release' (one of: $(sed -n "s/.*name: '\([^']*\)', debian:.*/\1/p" "$releases" | paste -sd' '))" >&2
  exit 2
fi

flavor="${DIOCHECK_KERNEL_FLAVOR:-}"
extra_config=()
case "$flavor" in
  "") ;;
  btrfs) extra_config=(-e BTRFS_FS -e BTRFS_FS_POSIX_ACL) ;;
  *)
    echo "oracle: unknown DIOCHECK_KERNEL_FLAVOR '$flavor' (one of: btrfs)" >&2
    exit 2
    ;;
esac

mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
kdir="$cache/kernels/$release"
# A flavor's kernel lives beside the release's, never in its place.
if [[ -n "$flavor" ]]; then kdir="$kdir-$flavor"; fi
mkdir -p "$kdir"
log="$kdir/build.log"

# Installs what the build and the agent need, once; only when something is to be built, so that a
# wrong package is refused before anything is installed.
ensure_pkgs() {
  local need_pkgs=() p
  for p in gcc make flex bison libelf-dev bc busybox-static xfsprogs e2fsprogs xz-utils; do
    dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
  done
  ((${#need_pkgs[@]})) || return 0
  echo "oracle: installing ${need_pkgs[*]}" >&2
  # Stale package lists are the usual failure on a fresh machine: refresh them once and retry.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}" >>"$log" 2>&1 ||
    { apt-get update -q >>"$log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}" >>"$log" 2>&1; } ||
    { echo "oracle: apt-get install failed (see $log)" >&2; exit 1; }
}

# VERSION.PATCHLEVEL.SUBLEVEL of a kernel tree, from its top Makefile.
tree_release() {
  awk -F' *= *' '$1=="VERSION"{v=$2} $1=="PATCHLEVEL"{p=$2} $1=="SUBLEVEL"{s=$2} END{print v "." p "." s}' "$1/Makefile"
}

kbin="$kdir/linux.uml"
if [[ ! -x "$kbin" ]]; then
  src="$kdir/src"
  tree="$src/linux-source-$series"
  if [[ ! -f "$tree/Makefile" ]]; then
    rm -rf "$src"
    mkdir -p "$src"
    deb="${DIOCHECK_KSRC_DEB:-}"
    cached_deb="${DIOCHECK_DEBS:+$DIOCHECK_DEBS/linux-source-${series}_${debian}_all.deb}"
    if [[ -z "$deb" && -n "$cached_deb" && -f "$cached_deb" ]]; then deb="$cached_deb"; fi
    if [[ -z "$deb" ]]; then
      # The exact package version, never whatever the archive serves today.
      (cd "$src" && apt-get download "linux-source-$series=$debian" >>"$log" 2>&1) ||
        { apt-get update -q >>"$log" 2>&1 &&
          (cd "$src" && apt-get download "linux-source-$series=$debian" >>"$log" 2>&1); } ||
        { echo "oracle: apt-get download linux-source-$series=$debian failed (see $log)" >&2; exit 1; }
      deb="$(ls "$src"/linux-source-"${series}"_*.deb | head -1)"
    fi
    echo "oracle: extracting $deb" >&2
    { dpkg-deb --fsys-tarfile "$deb" | tar -C "$src" -x "./usr/src/linux-source-$series.tar.xz" &&
      tar -C "$src" -xaf "$src/usr/src/linux-source-$series.tar.xz"; } >>"$log" 2>&1 &&
      [[ -f "$tree/Makefile" ]] ||
      { rm -rf "$src"; echo "oracle: $deb holds no linux-source-$series tree (see $log)" >&2; exit 1; }
    rm -rf "$src/usr" "$src"/linux-source-"${series}"_*.deb
  fi
  # The package's name is not proof: the tree's own Makefile must be the release.
  got="$(tree_release "$tree")"
  if [[ "$got" != "$release" ]]; then
    rm -rf "$src"
    echo "oracle: the source tree is Linux $got, not $release (package $debian); removed it" >&2
    exit 1
  fi
  ensure_pkgs
  echo "oracle: building UML $release (about 4 minutes on 2 cores; log in $log)" >&2
  (
    cd "$tree"
    make ARCH=um defconfig
    ./scripts/config -e BLK_DEV_UBD -e HOSTFS -e XFS_FS -e XFS_POSIX_ACL -e XFS_DEBUG -e EXT4_FS \
      -e IO_URING -e AIO -e BLK_DEV_LOOP -e CONFIGFS_FS -e BLK_DEV_NULL_BLK \
      -e MD -e BLK_DEV_DM -e DM_FLAKEY -e DM_LOG_WRITES -e DM_DUST -e DM_DELAY -e DM_SNAPSHOT -e DM_ZERO \
      -e SCSI -e BLK_DEV_SD -e SCSI_LOWLEVEL -e SCSI_DEBUG \
      -e DEBUG_FS -e DEBUG_FS_ALLOW_ALL -e FAULT_INJECTION -e FAIL_MAKE_REQUEST -e FAIL_IO_TIMEOUT \
      -e FAULT_INJECTION_DEBUG_FS -e FTRACE -e ENABLE_DEFAULT_TRACERS -e BLK_DEV_IO_TRACE \
      -e MAGIC_SYSRQ -e IKCONFIG -e IKCONFIG_PROC -e BLK_DEV_WRITE_MOUNTED -d MODULES -d NET -d SOUND -d UML_NET \
      ${extra_config[@]+"${extra_config[@]}"}
    make ARCH=um olddefconfig
    make ARCH=um -j"${DIOCHECK_JOBS:-$(nproc)}" linux
  ) >>"$log" 2>&1 || { echo "oracle: kernel build failed (see $log)" >&2; exit 1; }
  cp "$tree/linux" "$kbin.tmp"
  mv "$kbin.tmp" "$kbin"
  # The source tree is 1.5 GB; the kernel is all the oracle needs again.
  rm -rf "$src"
fi

# Built from sources whose text differs from what the built file was made from (by their hash, not
# their dates: a fresh checkout or another branch has newer dates and maybe older text). The hash is
# of the sources' text in the order given (one source: the same hash as before there were several).
stale() { [[ ! -f "$1" || "$(cat "$1.sha256" 2>/dev/null)" != "$(cat "${@:2}" | sha256sum)" ]]; }
built() { cat "${@:2}" | sha256sum >"$1.sha256"; }

ensure_pkgs

# The shim: UML's fixed 2,696-byte XSAVE buffer against an AMX host's 11,008 (note §1.1).
if stale "$cache/xstate_shim.so" "$here/xstate_shim.c"; then
  gcc -O2 -shared -fPIC -o "$cache/xstate_shim.so" "$here/xstate_shim.c" -ldl
  built "$cache/xstate_shim.so" "$here/xstate_shim.c"
fi

# The guest agent: static, so the jailed root needs nothing but it and busybox; guest.h is the part
# it shares with btrfsDsync.c.
if stale "$cache/root/agent" "$here/agent.c" "$here/guest.h"; then
  mkdir -p "$cache/root/bin" "$cache/root/dev" "$cache/root/proc" "$cache/root/sys" "$cache/root/mnt" "$cache/root/tmp"
  gcc -O2 -static -Wall -o "$cache/root/agent" "$here/agent.c"
  built "$cache/root/agent" "$here/agent.c" "$here/guest.h"
  cp /bin/busybox "$cache/root/bin/busybox"
fi
