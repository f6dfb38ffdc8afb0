#!/usr/bin/env bash
# Puts this checkout's library into the module, for the tests and examples of this repository:
#   bindings/go/local-lib.sh
# Builds it (scripts/build-lib.sh), copies the header to native/include/ and the static
# library to native/linux-<GOARCH>/ for this machine (both gitignored; a release gets every
# platform's from dist.sh instead). Prints the pkg-config directory on its last line, as
# scripts/build-lib.sh does, for -tags tpc_shared.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
pc_dir=$("$repo/scripts/build-lib.sh" | tail -1)
goarch=$(cd "$here" && go env GOARCH)
case "$(go env GOOS)/$goarch" in
  linux/amd64 | linux/arm64) ;;
  *) echo "local-lib.sh: the module carries libraries for linux/amd64 and linux/arm64 only; use -tags tpc_shared" >&2; exit 1 ;;
esac
cp "$repo/include/temporal_payload_codec.h" "$here/native/include/"
cp "$repo/target/release/libtemporal_payload_codec.a" "$here/native/linux-$goarch/"
echo "$pc_dir"
