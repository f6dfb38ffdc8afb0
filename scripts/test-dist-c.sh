#!/usr/bin/env bash
# Install tests of the C tarballs (and the x86-64 wheel) on systems older and other than this one:
#   1. Debian 11 (glibc 2.31, gcc 10), a debootstrap root entered with chroot: the x86-64 tarball's
#      install.sh into /usr/local and again staged with DESTDIR; scripts/dist-tests/roundtrip.c
#      built with pkg-config against the shared library, fully static (`pkg-config --static`) and
#      against the .a, each run (reference bytes both ways, a zlib + AES-256-GCM round trip), the
#      loaded library checked by path and SONAME (scripts/dist-tests/c-checks.sh);
#   2. Python on the same root: CPython 3.11 built from source (Debian 11 has 3.9, temporalio
#      needs 3.10+), a venv, the manylinux_2_17 x86-64 wheel from DIST_DIR and temporalio from
#      PyPI, a round trip (scripts/dist-tests/python-checks.sh);
#   3. aarch64: the aarch64 tarball, the same checks with Debian's cross gcc, run under
#      qemu-aarch64 (DESTDIR install only: this machine is not aarch64).
# Everything runs in a fresh temp folder; the roots are never written to (an overlay per run).
#
#   scripts/test-dist-c.sh DIST_DIR       (root: debootstrap, chroot and mount need it)
#
# The Debian 11 root, with CPython, is cached in $TPC_DIST_CACHE (default
# /var/cache/tpc-dist-test), keyed by what goes into it. A fresh machine builds it: debootstrap
# 1 to 2 minutes, CPython 3 to 3.5 (4.5 to 5 minutes for the whole script, measured); later runs
# reuse it (15 to 25 s). The Debian mirror is the one this machine's apt sources name (or
# $TPC_DEBIAN_MIRROR).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/lib.sh"
[ $# -eq 1 ] || die "usage: $0 DIST_DIR"
dist=$(cd "$1" && pwd)
[ "$(id -u)" = 0 ] || die "$0 needs root (debootstrap, chroot, mount)"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)
tests="$repo/scripts/dist-tests"
total_start=$SECONDS

x86_tar="$dist/temporal-payload-codec-$version-linux-x86_64.tar.gz"
arm_tar="$dist/temporal-payload-codec-$version-linux-aarch64.tar.gz"
for f in "$x86_tar" "$arm_tar"; do [ -f "$f" ] || die "$f missing: run scripts/dist.sh first"; done
shopt -s nullglob
wheels=("$dist"/temporal_payload_codec-"$version"-*manylinux_2_17_x86_64*.whl)
shopt -u nullglob
[ ${#wheels[@]} -eq 1 ] ||
  die "expected one temporal_payload_codec-$version-*manylinux_2_17_x86_64*.whl in $dist, found ${#wheels[@]} (bindings/python/dist.sh builds it)"
wheel=${wheels[0]}

# The Debian mirror this machine's apt uses (deb822 URIs: or one-line deb entries).
apt_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '/^[[:space:]]*(deb|URIs:)/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) print $i }' "$f"
  done | head -1 || true
}
mirror=${TPC_DEBIAN_MIRROR:-$(apt_mirror)}
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}

SUITE=bullseye
# The C toolchain and pkg-config for the C checks; TLS, zlib and libffi (ctypes) for CPython.
PACKAGES=build-essential,pkg-config,ca-certificates,libssl-dev,zlib1g-dev,libffi-dev
PYTHON_PREFIX=/opt/python3.11
ROOT_KEY="debian11-$(printf '%s\n' "$SUITE" "$PACKAGES" layout-1 | sha256sum | cut -c1-12)"
PYTHON_KEY="cpython3.11-from-bookworm-source-1"
cache=${TPC_DIST_CACHE:-/var/cache/tpc-dist-test}
root="$cache/$ROOT_KEY"

# Unmounts everything mounted at or below a folder, deepest first.
umount_under() {
  local m
  awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
}
remove_work() { # a work folder: unmounted first, and kept if anything stays mounted in it
  umount_under "$1"
  if awk -v d="$1/" 'index($5 "/", d) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    echo "warning: mounts left under $1, not removing it" >&2
  else
    rm -rf "$1" || echo "warning: could not remove all of $1" >&2
  fi
}
# The work folders of runs that were killed (timeout's SIGKILL leaves their mounts behind).
for old in /tmp/tpc-dist-c.*.*; do
  [ -d "$old" ] || continue
  pid=${old#/tmp/tpc-dist-c.}
  kill -0 "${pid%%.*}" 2>/dev/null || remove_work "$old"
done
work=$(mktemp -d "/tmp/tpc-dist-c.$$.XXXXXX")
cleanup() {
  [ -n "${building:-}" ] && umount_under "$building"
  remove_work "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# chroot with a clean environment (plus pip's and the proxies' settings, for PyPI).
in_root() { # root, command...
  local r=$1; shift
  local env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8
    DEBIAN_FRONTEND=noninteractive)
  local v
  for v in PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_DEFAULT_TIMEOUT http_proxy https_proxy no_proxy \
    HTTP_PROXY HTTPS_PROXY NO_PROXY; do
    [ -n "${!v:-}" ] && env+=("$v=${!v}")
  done
  chroot "$r" /usr/bin/env -i "${env[@]}" "$@"
}

# --- the Debian 11 root, cached --------------------------------------------------------------
ensure_apt debootstrap
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock -x 9
if [ ! -f "$root/.tpc-complete" ]; then
  log "dist-c: building the Debian 11 root ($SUITE, $mirror) into $root"
  start=$SECONDS
  building="$cache/.building-$ROOT_KEY"
  umount_under "$building"
  rm -rf "$building" "$root"
  if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$building" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -30 "$work/debootstrap.log" >&2
    die "debootstrap $SUITE failed"
  fi
  umount_under "$building"
  touch "$building/.tpc-complete"
  mv "$building" "$root"
  building=
  log "dist-c: Debian 11 root built in $((SECONDS - start)) s ($(du -sh "$root" | cut -f1))"
  # Roots of other keys are stale.
  find "$cache" -mindepth 1 -maxdepth 1 -type d -name 'debian11-*' ! -name "$ROOT_KEY" -exec rm -rf {} +
fi
if [ "$(cat "$root$PYTHON_PREFIX/.tpc-complete" 2>/dev/null)" != "$PYTHON_KEY" ]; then
  log "dist-c: building CPython 3.11 in the Debian 11 root (scripts/dist-tests/build-python.sh)"
  start=$SECONDS
  building=$root
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mkdir -p "$root/tmp/tpc-build"
  cp "$tests/build-python.sh" "$root/tmp/tpc-build/"
  mount -t proc proc "$root/proc"
  in_root "$root" /bin/bash /tmp/tpc-build/build-python.sh "$PYTHON_PREFIX" "$mirror" || die "building CPython failed"
  umount_under "$root"
  building=
  rm -rf "$root/tmp/tpc-build"
  echo "$PYTHON_KEY" >"$root$PYTHON_PREFIX/.tpc-complete"
  log "dist-c: CPython built in $((SECONDS - start)) s"
fi
flock -s 9 # others may use the root too, but not rebuild it under us

# --- 1. the C tarball on Debian 11 ------------------------------------------------------------
log "dist-c: the x86-64 tarball on Debian 11 ($(basename "$x86_tar"))"
start=$SECONDS
mkdir -p "$work/upper" "$work/ovl" "$work/root"
mount -t overlay overlay -o "lowerdir=$root,upperdir=$work/upper,workdir=$work/ovl" "$work/root"
mount -t proc proc "$work/root/proc"
cp /etc/resolv.conf "$work/root/etc/resolv.conf"
# This machine's certificate authorities (its proxy to PyPI may have its own), for pip.
cp /etc/ssl/certs/ca-certificates.crt "$work/root/etc/ssl/certs/ca-certificates.crt"
t="$work/root/tmp/tpc"
mkdir -p "$t"
cp "$tests/c-checks.sh" "$tests/roundtrip.c" "$tests/python-checks.sh" "$tests/roundtrip.py" "$x86_tar" "$wheel" "$t/"
echo "   $(in_root "$work/root" ldd --version | head -1), $(in_root "$work/root" gcc --version | head -1)"
in_root "$work/root" env SYSTEM_INSTALL=1 /bin/bash /tmp/tpc/c-checks.sh "/tmp/tpc/$(basename "$x86_tar")" "$version" /tmp/tpc/c ||
  die "the x86-64 tarball failed on Debian 11"
log "dist-c: x86-64 tarball on Debian 11 passed in $((SECONDS - start)) s"

# --- 2. the wheel on Debian 11 ----------------------------------------------------------------
log "dist-c: the x86-64 wheel on Debian 11 with CPython 3.11 ($(basename "$wheel"))"
start=$SECONDS
in_root "$work/root" env PIP_CERT=/etc/ssl/certs/ca-certificates.crt /bin/bash /tmp/tpc/python-checks.sh \
  "$PYTHON_PREFIX/bin/python3.11" "/tmp/tpc/$(basename "$wheel")" "$version" /tmp/tpc/py ||
  die "the x86-64 wheel failed on Debian 11"
log "dist-c: x86-64 wheel on Debian 11 passed in $((SECONDS - start)) s"
umount_under "$work/root"

# --- 3. the aarch64 tarball under qemu --------------------------------------------------------
log "dist-c: the aarch64 tarball under qemu-aarch64 ($(basename "$arm_tar"))"
start=$SECONDS
ensure_apt qemu-user libc6-arm64-cross libc6-dev-arm64-cross gcc-aarch64-linux-gnu binutils pkg-config
mkdir -p "$work/aarch64-tests"
cp "$tests/c-checks.sh" "$tests/roundtrip.c" "$work/aarch64-tests/"
(cd "$work" && env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$work" LC_ALL=C.UTF-8 \
  CC=aarch64-linux-gnu-gcc RUN="qemu-aarch64 -L /usr/aarch64-linux-gnu" MACHINE=AArch64 \
  bash "$work/aarch64-tests/c-checks.sh" "$arm_tar" "$version" "$work/aarch64") || die "the aarch64 tarball failed under qemu"
log "dist-c: aarch64 tarball passed in $((SECONDS - start)) s"

log "dist-c: all passed in $((SECONDS - total_start)) s"
