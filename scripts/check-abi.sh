#!/usr/bin/env bash
# The ABI guard: no change can break the C ABI by accident.
#
# The C ABI is what include/temporal_payload_codec.h declares: cbindgen generates it from
# src/ (the C ABI crate), and tests/ffi.rs fails when the committed copy is stale. This script checks that
#   1. the release library exports exactly the header's functions, and its SONAME is
#      libtemporal_payload_codec.so.<TPC_ABI_VERSION>;
#   2. the header's ABI equals the committed baseline abi/temporal_payload_codec.<ABI>.abi.
#      That baseline is libabigail's description (abidw) of a stub library compiled from the
#      header's declarations with full debug information: every function's parameters and
#      return type, every struct's fields, sizes and offsets, every typedef. (The Rust
#      library's own debug information would drag in the Rust insides of the opaque types,
#      so any internal change would look like a break.)
#   Against the baseline, abidiff finds
#   - no change: pass;
#   - an incompatible change (a function removed or changed, a struct changed): fail. A
#     deliberate break needs a new ABI version and SONAME: bump TPC_ABI_VERSION in src/status.rs
#     and ABI_VERSION in build.rs, regenerate the header, and write the new version's baseline
#     with --update;
#   - a compatible change (a function added): fail until the baseline is updated with --update,
#     so that the addition is frozen too.
#
# Usage: scripts/check-abi.sh               the checks above
#        scripts/check-abi.sh --update      rewrite the baseline from the header
#        scripts/check-abi.sh --self-test   plant breaks in copies of the header and show that
#                                           the guard refuses each one
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/lib.sh"
cd "$repo"
for tool in abidw abidiff gcc readelf nm python3; do
  command -v "$tool" >/dev/null || die "$tool not found: scripts/setup.sh installs it (abigail-tools)"
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

abi_version() { # header
  sed -n 's/^#define TPC_ABI_VERSION \([0-9]*\)$/\1/p' "$1"
}

# Writes to $2 the ABI description of the functions and types header $1 declares.
describe() {
  local header=$1 out=$2 dir
  dir=$(mktemp -d -p "$work")
  cp "$header" "$dir/temporal_payload_codec.h"
  # A definition for every declared function, so that each one is an exported symbol with
  # its full signature in the debug information.
  python3 - "$dir/temporal_payload_codec.h" >"$dir/stub.c" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
body = re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)
print('#include "temporal_payload_codec.h"')
protos = re.findall(r"^([A-Za-z_][\w \*]*?\b(tpc_\w+)\s*\([^;{]*\))\s*;", body, flags=re.M)
if not protos:
    sys.exit("no function declarations found in the header")
for proto, name in protos:
    ret = proto[: proto.index(name)].strip()
    print(f"{proto} {{" + (" return 0;" if ret != "void" else "") + " }")
PY
  gcc -std=c11 -g -O0 -fPIC -shared -fno-eliminate-unused-debug-types -Wno-unused-parameter \
    -I"$dir" "$dir/stub.c" -o "$dir/libtemporal_payload_codec.so" \
    -Wl,-soname,"libtemporal_payload_codec.so.$(abi_version "$header")"
  abidw --no-corpus-path --no-comp-dir-path --short-locs --headers-dir "$dir" \
    "$dir/libtemporal_payload_codec.so" >"$out"
}

# Compares header $1 with the committed baseline of its ABI version. Prints why it fails.
guard() {
  local header=$1 abi baseline rc=0
  abi=$(abi_version "$header")
  [ -n "$abi" ] || { echo "no TPC_ABI_VERSION in $header"; return 1; }
  baseline="abi/temporal_payload_codec.$abi.abi"
  if [ ! -f "$baseline" ]; then
    echo "TPC_ABI_VERSION is $abi but there is no baseline $baseline: a new ABI version needs its"
    echo "baseline, written by scripts/check-abi.sh --update and committed"
    return 1
  fi
  describe "$header" "$work/current.abi"
  abidiff --no-show-locs "$baseline" "$work/current.abi" >"$work/diff.txt" 2>&1 || rc=$?
  if [ "$rc" = 0 ]; then
    return 0
  fi
  sed 's/^/    /' "$work/diff.txt"
  # abidiff sets its "incompatible" bit for removals only; a changed parameter or struct field
  # is "a change". Only additions are compatible: anything removed or changed is a break.
  local changed
  changed=$(sed -n 's/.*changes summary: \([0-9]*\) Removed[^,]*, \([0-9]*\) Changed.*/\1 \2/p' "$work/diff.txt" |
    awk '{s += $1 + $2} END {print s + 0}')
  if [ $((rc & 8)) != 0 ] || { [ $((rc & 4)) != 0 ] && [ "$changed" != 0 ]; }; then
    echo "INCOMPATIBLE change of C ABI $abi (above). A deliberate break needs a new ABI version and"
    echo "SONAME: bump TPC_ABI_VERSION (src/status.rs) and ABI_VERSION (build.rs), then write the new"
    echo "baseline with scripts/check-abi.sh --update."
  elif [ $((rc & 4)) != 0 ]; then
    echo "compatible change of C ABI $abi (above, e.g. an added function): freeze it in the baseline"
    echo "with scripts/check-abi.sh --update and commit $baseline."
  else
    echo "abidiff failed (exit $rc)"
  fi
  return 1
}

# The library as built: exactly the header's functions, and the SONAME of its ABI version.
library_matches_header() {
  local lib="$repo/target/release/libtemporal_payload_codec.so" abi soname
  "$repo/scripts/build-lib.sh" >/dev/null
  abi=$(abi_version include/temporal_payload_codec.h)
  soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
  [ "$soname" = "libtemporal_payload_codec.so.$abi" ] ||
    die "the library's SONAME is '$soname', not libtemporal_payload_codec.so.$abi (build.rs)"
  nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sort >"$work/exported"
  sed -n 's/^.*\b\(tpc_[a-z_0-9]*\)(.*$/\1/p' include/temporal_payload_codec.h | sort -u >"$work/declared"
  if ! diff "$work/declared" "$work/exported" >"$work/exports.diff"; then
    sed 's/^/    /' "$work/exports.diff"
    die "the library's exports differ from the header's functions (< header only, > library only)"
  fi
  log "ABI: the library exports the header's $(wc -l <"$work/declared") functions; SONAME $soname"
}

case "${1:-}" in
  --update)
    abi=$(abi_version include/temporal_payload_codec.h)
    mkdir -p abi
    describe include/temporal_payload_codec.h "abi/temporal_payload_codec.$abi.abi"
    log "wrote abi/temporal_payload_codec.$abi.abi: commit it"
    ;;
  --self-test)
    # Each planted change must be refused, for the reason expected; the header as it is must
    # pass. The plants are the two breaks a C ABI most often suffers, plus an addition.
    plant() { # name, expected text, python expression over `h` (the header's text)
      local name=$1 want=$2 expr=$3 header="$work/planted.h" out
      python3 - include/temporal_payload_codec.h "$header" "$expr" <<'PY'
import sys
h = open(sys.argv[1]).read()
planted = eval(sys.argv[3])
assert planted != h, "the plant changed nothing"
open(sys.argv[2], "w").write(planted)
PY
      if out=$(guard "$header"); then
        die "ABI guard self-test: the guard accepted a planted break ($name)"
      fi
      grep -qF "$want" <<<"$out" || { echo "$out"; die "ABI guard self-test: $name refused for another reason"; }
      log "ABI guard self-test: refused as expected: $name"
    }
    guard include/temporal_payload_codec.h >/dev/null || die "ABI guard self-test: the header as it is fails"
    plant "an export removed (tpc_workspace_capacity)" "INCOMPATIBLE" \
      "__import__('re').sub(r'\nsize_t tpc_workspace_capacity\([^;]*;', '\n', h)"
    plant "a struct field's type changed (tpc_slice.len size_t -> uint32_t)" "INCOMPATIBLE" \
      "h.replace('  const uint8_t *data;\n  size_t len;\n} tpc_slice;', '  const uint8_t *data;\n  uint32_t len;\n} tpc_slice;')"
    plant "a parameter added (tpc_codec_builder_set_zlib_level)" "INCOMPATIBLE" \
      "h.replace('tpc_codec_builder_set_zlib_level(struct tpc_codec_builder *b, uint32_t level)', 'tpc_codec_builder_set_zlib_level(struct tpc_codec_builder *b, uint32_t level, uint32_t strategy)')"
    plant "a function added" "compatible change" \
      "h.replace('uint32_t tpc_abi_version(void);', 'uint32_t tpc_abi_version(void);\n\nuint32_t tpc_new_call(void);')"
    plant "the ABI version bumped without a baseline" "no baseline" \
      "h.replace('#define TPC_ABI_VERSION 2\n', '#define TPC_ABI_VERSION 3\n')"
    ;;
  "")
    library_matches_header
    guard include/temporal_payload_codec.h || die "ABI guard: the C ABI changed (see above)"
    log "ABI: the header matches the committed baseline of ABI $(abi_version include/temporal_payload_codec.h)"
    ;;
  *) die "usage: scripts/check-abi.sh [--update | --self-test]" ;;
esac
