#!/bin/bash
# The C tarball as a user meets it: unpack, install.sh, build scripts/dist-tests/roundtrip.c with
# pkg-config (shared; fully static with `pkg-config --static`; the .a named explicitly with the C
# library still shared), run each, and check the SONAME and which library the process loaded.
# Run by scripts/test-dist-c.sh, inside the Debian 11 root for x86-64 and on the machine itself
# (cross compiler, qemu-aarch64) for aarch64; it needs nothing from the repository.
#
#   c-checks.sh TARBALL VERSION WORKDIR
#
# Environment:
#   SYSTEM_INSTALL=1  also install into the default prefix (/usr/local, as root) and build with
#                     pkg-config's default search path and no rpath (the loader finds the library
#                     after ldconfig, as install.sh tells a user to run); otherwise only a DESTDIR
#                     install
#   CC                the C compiler (default gcc), e.g. aarch64-linux-gnu-gcc
#   RUN               the command that runs a target binary (empty: run it directly), e.g.
#                     "qemu-aarch64 -L /usr/aarch64-linux-gnu"
#   MACHINE           what `readelf -h` must say the binaries are for, e.g. "AArch64"
set -euo pipefail # (no `| grep -q`: an early exit would fail the pipeline with SIGPIPE)
tarball=$1 version=$2 work=$3
CC=${CC:-gcc}
RUN=${RUN:-}
MACHINE=${MACHINE:-X86-64}
here=$(cd "$(dirname "$0")" && pwd)
src="$here/roundtrip.c"
pkg=temporal_payload_codec
cflags=(-std=c11 -Wall -Wextra -Werror -pedantic -O2)
checks=0

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
ok() { checks=$((checks + 1)); printf 'ok   %s\n' "$*"; }
# Runs a command quietly; on failure shows its output and stops.
quiet() { # what, command...
  local what=$1; shift
  if ! "$@" >"$work/last.log" 2>&1; then sed 's/^/    /' "$work/last.log" >&2; fail "$what"; fi
}

# The roundtrip program's own checks, then the library it reports having loaded.
run_roundtrip() { # binary, expected library path ("linked in" for static builds)
  local bin=$1 expected=$2 out
  # shellcheck disable=SC2086 # RUN is a command prefix
  if ! out=$($RUN "$bin" "$version" 2>&1); then
    printf '%s\n' "$out" | sed 's/^/    /' >&2
    fail "$(basename "$bin") did not pass its round trip"
  fi
  printf '%s\n' "$out" | grep -x 'roundtrip: all checks passed' >/dev/null || fail "$(basename "$bin"): no closing line"
  local loaded
  loaded=$(printf '%s\n' "$out" | sed -n 's/^library: //p')
  [ "$loaded" = "$expected" ] || fail "$(basename "$bin") loaded '$loaded', expected '$expected'"
  ok "$(basename "$bin") round trip (reference bytes both ways, zlib + AES-256-GCM), library: $loaded"
}

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

check_machine() {
  readelf -h "$1" | grep "Machine:.*$MACHINE" >/dev/null || fail "$1 is not an $MACHINE binary: $(readelf -h "$1" | grep Machine:)"
}

# Builds and runs the three link modes against the .pc file in $1 (PKG_CONFIG_LIBDIR, so nothing
# else is visible), or pkg-config's default search path when $1 is empty.
build_all() { # pcdir ("" = default search path), name suffix, extra link flags (e.g. an rpath)
  local pcdir=$1 suffix=$2 extra=${3:-}
  local pc=(pkg-config)
  [ -n "$pcdir" ] && pc=(env PKG_CONFIG_LIBDIR="$pcdir" PKG_CONFIG_PATH= pkg-config)
  [ "$("${pc[@]}" --modversion $pkg)" = "$version" ] || fail "pkg-config --modversion $pkg is not $version"
  local libdir soname
  libdir=$("${pc[@]}" --variable=libdir $pkg)
  libdir=$(cd "$libdir" && pwd -P)
  soname=$(cd "$libdir" && echo libtemporal_payload_codec.so.[0-9]*)

  # shellcheck disable=SC2046,SC2086 # pkg-config's output is a list of words
  quiet "building against the shared library" \
    $CC "${cflags[@]}" "$src" $("${pc[@]}" --cflags --libs $pkg) $extra -o "$work/roundtrip-shared$suffix"
  check_machine "$work/roundtrip-shared$suffix"
  needed "$work/roundtrip-shared$suffix" | grep -x "$soname" >/dev/null || fail "roundtrip-shared$suffix does not need $soname"
  ok "built with \`pkg-config --cflags --libs $pkg\`: needs $soname"
  run_roundtrip "$work/roundtrip-shared$suffix" "$libdir/$soname"

  # shellcheck disable=SC2046 # as above
  quiet "building fully static" \
    $CC "${cflags[@]}" -static "$src" $("${pc[@]}" --static --cflags --libs $pkg) -o "$work/roundtrip-static$suffix"
  check_machine "$work/roundtrip-static$suffix"
  [ -z "$(needed "$work/roundtrip-static$suffix")" ] || fail "roundtrip-static$suffix needs shared libraries"
  ok "built with \`gcc -static ... pkg-config --static --cflags --libs $pkg\`: no shared library needed"
  run_roundtrip "$work/roundtrip-static$suffix" "linked in"

  # The .a named explicitly, the C library still shared: Libs.private is what it needs besides.
  # shellcheck disable=SC2046 # as above
  quiet "building against the .a" \
    $CC "${cflags[@]}" "$src" $("${pc[@]}" --cflags $pkg) "$libdir/libtemporal_payload_codec.a" \
    $("${pc[@]}" --static --libs-only-l $pkg | sed 's/-ltemporal_payload_codec//') -o "$work/roundtrip-archive$suffix"
  check_machine "$work/roundtrip-archive$suffix"
  if needed "$work/roundtrip-archive$suffix" | grep temporal >/dev/null; then fail "roundtrip-archive$suffix needs the shared library"; fi
  ok "built with libtemporal_payload_codec.a and Libs.private ($(needed "$work/roundtrip-archive$suffix" | tr '\n' ' '))"
  run_roundtrip "$work/roundtrip-archive$suffix" "linked in"
}

# The files an install must put under PREFIX (DESTDIR included).
check_installed() { # root (DESTDIR + PREFIX)
  local root=$1 soname
  soname=$(cd "$root/lib" && echo libtemporal_payload_codec.so.[0-9]*)
  [ -f "$root/lib/$soname" ] || fail "no $root/lib/libtemporal_payload_codec.so.N"
  [ "$(readlink "$root/lib/libtemporal_payload_codec.so")" = "$soname" ] ||
    fail "$root/lib/libtemporal_payload_codec.so is not a link to $soname"
  for f in lib/libtemporal_payload_codec.a include/temporal_payload_codec.h lib/pkgconfig/$pkg.pc; do
    [ -f "$root/$f" ] || fail "no $root/$f"
  done
  local real
  real=$(readelf -d "$root/lib/$soname" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
  [ "$real" = "$soname" ] || fail "$root/lib/$soname has SONAME '$real'"
  check_machine "$root/lib/$soname"
  ok "installed under $root: $soname (its SONAME), the .so link, the .a, the header, the .pc"
}

mkdir -p "$work"
tar -xzf "$tarball" -C "$work"
unpacked="$work/$(basename "$tarball" .tar.gz)"
[ -x "$unpacked/install.sh" ] || fail "$(basename "$tarball") has no executable install.sh at its top"
ok "unpacked $(basename "$tarball")"

if [ "${SYSTEM_INSTALL:-0}" = 1 ]; then
  quiet "install.sh into /usr/local" "$unpacked/install.sh"
  check_installed /usr/local
  ldconfig
  ldconfig -p | grep '/usr/local/lib/libtemporal_payload_codec.so' >/dev/null ||
    fail "after ldconfig the loader's cache does not hold the library"
  ok "the loader finds the library without LD_LIBRARY_PATH or an rpath (ldconfig -p)"
  build_all "" "" ""
fi

# A staged install, as package builds do: everything under DESTDIR, nothing in the real prefix.
stage="$work/pkgroot"
before=$(ls /usr/lib/libtemporal_payload_codec* 2>/dev/null || true)
quiet "DESTDIR install" env DESTDIR="$stage" PREFIX=/usr "$unpacked/install.sh"
check_installed "$stage/usr"
[ "$(ls /usr/lib/libtemporal_payload_codec* 2>/dev/null || true)" = "$before" ] || fail "the DESTDIR install wrote into /usr/lib"
ok "DESTDIR=$stage PREFIX=/usr: nothing written outside DESTDIR"
# The staged .pc file is relocatable: pkg-config points into the staged tree.
build_all "$stage/usr/lib/pkgconfig" "-staged" "-Wl,-rpath,$stage/usr/lib"

echo "c-checks: $checks checks passed ($(basename "$tarball"))"
