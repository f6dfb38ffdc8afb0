#!/usr/bin/env bash
# The C side, tested as C: the example built with -Wall -Wextra -Werror, run against the shared
# vectors, under AddressSanitizer + UBSan and valgrind (zero leaks, zero errors), linked
# statically, and the header compiled as C++; the hostile batches decoded under a 4 GiB
# address-space limit (examples/c/process_lives.c).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/lib.sh"
cd "$repo"
ensure_apt valgrind
"$repo/scripts/build-lib.sh" >/dev/null
out="$repo/target/c-tests"
mkdir -p "$out"
lib="$repo/target/release"
cflags=(-std=c11 -Wall -Wextra -Werror -pedantic -I"$repo/include")
src=examples/c/payload_tool.c

log "C: building the example (shared, static, sanitized) and the C++ header check"
gcc "${cflags[@]}" -O2 "$src" -L"$lib" -Wl,-rpath,"$lib" -ltemporal_payload_codec -o "$out/payload_tool"
gcc "${cflags[@]}" -O2 "$src" "$lib/libtemporal_payload_codec.a" -lpthread -ldl -lm -o "$out/payload_tool_static"
gcc "${cflags[@]}" -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
    "$src" -L"$lib" -Wl,-rpath,"$lib" -ltemporal_payload_codec -o "$out/payload_tool_asan"
g++ -std=c++17 -Wall -Wextra -Werror -pedantic -I"$repo/include" examples/c/header_cpp.cpp \
    -L"$lib" -Wl,-rpath,"$lib" -ltemporal_payload_codec -o "$out/header_cpp"
gcc "${cflags[@]}" -O2 examples/c/process_lives.c -L"$lib" -Wl,-rpath,"$lib" -ltemporal_payload_codec \
    -o "$out/process_lives"

passed=0 failed=0
check() { # name, command...
    local name=$1; shift
    if "$@" >"$out/last.log" 2>&1; then passed=$((passed + 1)); else
        failed=$((failed + 1)); echo "FAILED: $name"; sed 's/^/    /' "$out/last.log"; fi
}
# Expects the command to fail with exit status 3 and the given text on stderr.
check_error() { # name, expected text, command...
    local name=$1 text=$2; shift 2
    local rc=0; "$@" >"$out/err.log" 2>&1 || rc=$?
    if [ "$rc" = 3 ] && grep -qF "$text" "$out/err.log"; then passed=$((passed + 1)); else
        failed=$((failed + 1)); echo "FAILED: $name (exit $rc)"; sed 's/^/    /' "$out/err.log"; fi
}

check "C++ includes the header" "$out/header_cpp"
# The shared library exports our C API and nothing else: a dependency's own C symbols (crc-fast
# has an "ffi" feature, for one) would clash in a process that links that library too.
check "only tpc_ symbols are exported" bash -c "nm -D --defined-only '$lib/libtemporal_payload_codec.so' |
    awk '{print \$3}' | grep -v '^tpc_' | tee /dev/stderr | wc -l | grep -qx 0"
for tool in payload_tool payload_tool_static payload_tool_asan; do
    check "$tool round trip" "$out/$tool"
    check "$tool round trip, zlib + encryption" env TPC_COMPRESSION=zlib TPC_KEY_HEX="$(printf '%064x' 42)" "$out/$tool"
done

# The shared vectors from the real reference codec, through the C ABI, both directions.
vectors="$repo/tests/vectors/reference-snappy.json"
[ -f "$vectors" ] || die "missing $vectors"
python3 - "$vectors" "$out" <<'PY'
import base64, json, sys
cases = json.load(open(sys.argv[1]))["cases"]
for c in cases:
    for field in ("plain", "encoded", "raw_block"):
        if field in c:
            open(f"{sys.argv[2]}/vec-{c['name']}.{field}", "wb").write(base64.b64decode(c[field]))
open(f"{sys.argv[2]}/vec-names", "w").write("\n".join(c["name"] for c in cases))
PY
while read -r name; do
    v="$out/vec-$name"
    check "vector $name: encode is byte-identical" bash -c "'$out/payload_tool' encode '$v.plain' | cmp - '$v.encoded'"
    check "vector $name: decode" bash -c "'$out/payload_tool' decode '$v.encoded' | cmp - '$v.plain'"
    if [ -f "$v.raw_block" ]; then
        check "vector $name: decode raw block" bash -c "'$out/payload_tool_asan' decode '$v.raw_block' | cmp - '$v.plain'"
    fi
done <"$out/vec-names"

# The bytes Temporal's Go encryption sample writes: an empty encryption-key-id, zlib inside on
# its codec server (tests/c/go_sample.c holds its key under the empty id, under the sanitizers).
sample="$repo/tests/vectors/go-sample-encryption.json"
sample_key=$(python3 - "$sample" "$out" <<'PY'
import base64, json, sys
doc = json.load(open(sys.argv[1]))
assert doc["key_id"] == "", "the sample writes an empty key id"
for c in doc["cases"]:
    for field in ("plain", "encoded"):
        open(f"{sys.argv[2]}/go-sample-{c['name']}.{field}", "wb").write(base64.b64decode(c[field]))
print(doc["key_hex"])
PY
)
gcc "${cflags[@]}" -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all tests/c/go_sample.c \
    -L"$lib" -Wl,-rpath,"$lib" -ltemporal_payload_codec -o "$out/go_sample"
check "Go encryption sample's bytes decode under the empty key id" "$out/go_sample" "$sample_key" \
    "$out/go-sample-codec-server-zlib-then-encrypted.encoded" "$out/go-sample-codec-server-zlib-then-encrypted.plain" \
    "$out/go-sample-worker-encrypted.encoded" "$out/go-sample-worker-encrypted.plain"
check_error "Go encryption sample under another key id" "unknown key (6)" env TPC_KEY_ID=other \
    TPC_KEY_HEX="$sample_key" "$out/payload_tool" decode "$out/go-sample-worker-encrypted.encoded"

# Bad input: a clear status and message, also under the sanitizers.
printf '\x0a\x05\x12' >"$out/truncated.bin"
check_error "truncated input is malformed" "malformed input (3)" "$out/payload_tool_asan" decode "$out/truncated.bin"
TPC_KEY_HEX="$(printf '%064x' 1)" "$out/payload_tool" encode "$out/vec-json-object.plain" >"$out/sealed.bin"
check_error "wrong key id" "unknown key (6)" env TPC_KEY_ID=other TPC_KEY_HEX="$(printf '%064x' 1)" \
    "$out/payload_tool_asan" decode "$out/sealed.bin"
check_error "wrong key bytes" "decryption failed (7)" env TPC_KEY_HEX="$(printf '%064x' 2)" \
    "$out/payload_tool_asan" decode "$out/sealed.bin"
check_error "bad compression name" "unknown compression algorithm" env TPC_COMPRESSION=lz4 "$out/payload_tool_asan"

# The process lives: each hostile batch of tests/hostile/make_hostile.py (the generator every
# binding uses) gives its status and message, then the same process encodes and decodes, under a
# 4 GiB address-space limit; the claims batches once made the library reserve 62.5 GiB and abort.
rm -rf "$out/hostile"
python3 tests/hostile/make_hostile.py "$out/hostile"
mapfile -t hostile < <(python3 - "$out/hostile" <<'PY'
import json, sys
for entry in json.load(open(f"{sys.argv[1]}/manifest.json")):
    print(entry["status"], entry["message_contains"], f"{sys.argv[1]}/{entry['file']}", sep="\n")
PY
)
[ "${#hostile[@]}" -ge 3 ] || die "no hostile batches in $out/hostile/manifest.json"
check "hostile batches, then a round trip, under ulimit -v 4 GiB" \
    bash -c 'ulimit -v 4194304 && exec "$@"' _ "$out/process_lives" "${hostile[@]}"

# valgrind: no leaks, no errors, on success and failure paths.
vg=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=9)
check "valgrind round trip" "${vg[@]}" "$out/payload_tool"
check "valgrind zlib + encryption" env TPC_COMPRESSION=zlib TPC_KEY_HEX="$(printf '%064x' 42)" "${vg[@]}" "$out/payload_tool"
check "valgrind show" "${vg[@]}" "$out/payload_tool" show "$out/vec-several.encoded"
check_error "valgrind error path" "malformed input" "${vg[@]}" "$out/payload_tool" decode "$out/truncated.bin"
check_error "valgrind builder error path" "unknown compression algorithm" env TPC_COMPRESSION=lz4 "${vg[@]}" "$out/payload_tool"
# The library's error paths on hostile input (about 30 s, nearly all of it inflating the zlib
# batch up to the 256 MiB cap); no ulimit here, valgrind's own shadow memory needs the room.
check "valgrind hostile batches" "${vg[@]}" "$out/process_lives" "${hostile[@]}"

echo "C: $passed passed, $failed failed"
[ "$failed" = 0 ]
