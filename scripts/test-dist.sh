#!/usr/bin/env bash
# Checks dist/ (scripts/dist.sh) as a user would meet it:
#   - every shared library in every artifact (tarballs, jar, wheels, nupkg, Go module, npm
#     package, codec server): no GLIBC_ symbol version newer than 2.17, stripped, and the
#     library's SONAME;
#   - SHA256SUMS matches;
#   - then each install test: scripts/test-dist-c.sh (the C tarball on Debian 11 and aarch64)
#     and every bindings/<lang>/test-dist.sh and codec-server/test-dist.sh present.
# Usage: scripts/test-dist.sh [DIST_DIR]   (default dist/)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/lib.sh"
dist=$(cd "${1:-$repo/dist}" && pwd)
[ -f "$dist/SHA256SUMS" ] || die "$dist/SHA256SUMS missing: run scripts/dist.sh first"
abi=$(sed -n 's/^#define TPC_ABI_VERSION \([0-9]*\)$/\1/p' "$repo/include/temporal_payload_codec.h")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

log "dist: checksums"
(cd "$dist" && sha256sum --quiet -c SHA256SUMS) || die "SHA256SUMS does not match dist/"

# Every ELF shared object or executable inside the artifacts, unpacked.
log "dist: glibc floor, stripping and SONAME of every native file"
for f in "$dist"/*; do
  case "$f" in
    *.tar.gz | *.tgz) mkdir -p "$work/$(basename "$f")" && tar -xzf "$f" -C "$work/$(basename "$f")" ;;
    *.jar | *.whl | *.nupkg | *.zip) mkdir -p "$work/$(basename "$f")" && unzip -q "$f" -d "$work/$(basename "$f")" ;;
  esac
done
checked=0
while IFS= read -r -d '' elf; do
  file -b "$elf" | grep -q '^ELF' || continue
  check_native "$elf" "libtemporal_payload_codec.so.$abi" "${elf#"$work"/}"
  checked=$((checked + 1))
done < <(find "$work" "$dist/native" -type f -print0)
[ "$checked" -ge 4 ] || die "found only $checked native files in dist/"
log "dist: $checked native files: glibc <= 2.17, stripped, SONAME libtemporal_payload_codec.so.$abi"

for t in scripts/test-dist-c.sh bindings/*/test-dist.sh codec-server/test-dist.sh; do
  [ -x "$repo/$t" ] || continue
  log "dist: $t"
  start=$SECONDS
  "$repo/$t" "$dist"
  log "dist: $t passed in $((SECONDS - start)) s"
done
