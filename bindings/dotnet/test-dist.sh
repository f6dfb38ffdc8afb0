#!/usr/bin/env bash
# Installs and uses the .NET package of dist/ (bindings/dotnet/dist.sh) as a user would, in a
# temp folder outside the repository, with no environment pointing at the repository:
#   bindings/dotnet/test-dist.sh DIST_DIR
# 1. structure: the zip's exact entries (unzip -l), the OPC parts, the nuspec parsed (id,
#    version, authors, description, license), each native library for its architecture,
#    stripped, SONAME libtemporal_payload_codec.so.2, no GLIBC_ symbol version past 2.17, and
#    the same bytes as the C tarball's library of that architecture;
# 2. Debian's NuGet client (nuget 2.8.7, on Mono) installs it from DIST_DIR as a package source;
# 3. a small Mono program round-trips payloads (default codec; zlib + AES-256-GCM; an unknown-key
#    error), run from another folder with a clean environment (env -i: no LD_LIBRARY_PATH, no
#    MONO_PATH) in the layouts an application meets: runtimes/<rid>/native/ beside the
#    assembly (dotnet build), the library copied beside the program (dotnet publish -r), the
#    assembly used inside the installed package; and without the library, the error that says
#    how to make it found. The program reports which file it loaded (/proc/self/maps).
# Not testable here: the dotnet CLI consuming it (no .NET SDK on this machine), and Mono on
# aarch64 (the arm64 library is checked for structure and is the C tarball's, which
# scripts/test-dist-c.sh runs under qemu).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIST_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
source "$repo/scripts/lib.sh"
dist=$(cd "$1" && pwd)
start=$SECONDS

ensure_apt mono-complete nuget unzip binutils file python3
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)
abi=$(sed -n 's/^#define TPC_ABI_VERSION \([0-9]*\)$/\1/p' "$repo/include/temporal_payload_codec.h")
id=TemporalPayloadCodec
nupkg="$dist/$id.$version.nupkg"
[ -f "$nupkg" ] || die "$nupkg is missing: run scripts/dist.sh (bindings/dotnet/dist.sh)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Every program runs with only PATH and a HOME of its own.
clean() { env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$work/home" "$@"; }
mkdir -p "$work/home"

log "dotnet dist: the package's entries"
unzip -l "$nupkg"
unzip -Z1 "$nupkg" | sort >"$work/entries"
cat >"$work/expected" <<EOF
$id.nuspec
[Content_Types].xml
_rels/.rels
lib/net461/$id.dll
lib/net461/$id.xml
runtimes/linux-arm64/native/libtemporal_payload_codec.so
runtimes/linux-x64/native/libtemporal_payload_codec.so
EOF
grep -v '^package/services/metadata/core-properties/[0-9a-f]*\.psmdcp$' "$work/entries" >"$work/entries-but-psmdcp" || true
diff <(sort "$work/expected") "$work/entries-but-psmdcp" || die "the package's entries differ from the expected ones (above)"
[ "$(grep -c '\.psmdcp$' "$work/entries")" = 1 ] || die "expected one core-properties part"
unzip -q "$nupkg" -d "$work/unzipped"

log "dotnet dist: nuspec and OPC parts"
python3 - "$work/unzipped" "$id" "$version" <<'PY'
import os, sys
import xml.etree.ElementTree as ET
root, pid, version = sys.argv[1:]
ns = "{http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd}"
pkg = ET.parse(os.path.join(root, pid + ".nuspec")).getroot()
assert pkg.tag == ns + "package", pkg.tag
meta = pkg.find(ns + "metadata")
def text(name):
    e = meta.find(ns + name)
    assert e is not None and (e.text or "").strip(), "nuspec: <%s> missing or empty" % name
    return e.text.strip()
assert text("id") == pid, text("id")
assert text("version") == version, text("version")
text("authors"); text("description")
lic = meta.find(ns + "license")
assert lic is not None and lic.get("type") == "expression" and lic.text == "MIT", "nuspec: license"
groups = [g.get("targetFramework") for g in meta.iter(ns + "group")]
assert groups == [".NETFramework4.6.1"], groups
rels = ET.parse(os.path.join(root, "_rels/.rels")).getroot()
R = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
targets = {r.get("Type").rsplit("/", 1)[1]: r.get("Target") for r in rels.iter(R)}
assert targets.get("manifest") == "/%s.nuspec" % pid, targets
assert os.path.isfile(os.path.join(root, targets["core-properties"].lstrip("/"))), targets
types = ET.parse(os.path.join(root, "[Content_Types].xml")).getroot()
D = "{http://schemas.openxmlformats.org/package/2006/content-types}Default"
exts = {d.get("Extension") for d in types.iter(D)}
for d, _, fs in os.walk(root):
    for f in fs:
        if f != "[Content_Types].xml":
            assert f.rsplit(".", 1)[-1] in exts, "no content type for " + f
print("nuspec: %s %s, license MIT, %s; _rels/.rels and [Content_Types].xml consistent" % (pid, version, groups[0]))
PY

log "dotnet dist: the native libraries"
for pair in linux-x64:x86-64:x86_64 linux-arm64:aarch64:aarch64; do
  IFS=: read -r rid machine platform <<<"$pair"
  so="$work/unzipped/runtimes/$rid/native/libtemporal_payload_codec.so"
  info=$(file -b "$so")
  [[ "$info" == *"ELF 64-bit"*"shared object"*"$machine"* ]] || [[ "$info" == *"ELF 64-bit"*"$machine"*"shared object"* ]] ||
    die "$rid: not a 64-bit $machine shared object: $info"
  [[ "$info" == *", stripped"* ]] || die "$rid: not stripped: $info"
  soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
  [ "$soname" = "libtemporal_payload_codec.so.$abi" ] || die "$rid: SONAME '$soname'"
  newest=$(objdump -T "$so" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
  [ "$(printf '%s\n2.17\n' "$newest" | sort -V | tail -1)" = 2.17 ] || die "$rid: needs GLIBC_$newest, past 2.17"
  # The C tarball's library of the same platform: scripts/test-dist-c.sh runs that one (aarch64 under qemu).
  tarball="$dist/temporal-payload-codec-$version-linux-$platform.tar.gz"
  if [ -f "$tarball" ]; then
    tar -xzf "$tarball" -C "$work" "temporal-payload-codec-$version-linux-$platform/lib/libtemporal_payload_codec.so.$abi"
    cmp -s "$so" "$work/temporal-payload-codec-$version-linux-$platform/lib/libtemporal_payload_codec.so.$abi" ||
      die "$rid: differs from the library in $(basename "$tarball")"
    same=", the same bytes as $(basename "$tarball")'s"
  else
    same=" ($(basename "$tarball") absent: not compared)"
  fi
  echo "$rid: $machine, stripped, SONAME $soname, GLIBC_ <= $newest$same"
done

log "dotnet dist: Debian's NuGet client installs it from DIST_DIR"
(cd "$work" && clean nuget install "$id" -Version "$version" -Source "$dist" -OutputDirectory "$work/packages" -NonInteractive) |
  tee "$work/nuget.log"
installed="$work/packages/$id.$version"
grep -q "Successfully installed '$id $version'" "$work/nuget.log" && [ -f "$installed/lib/net461/$id.dll" ] ||
  die "nuget install did not install $id $version"

log "dotnet dist: a program using it, from another folder, clean environment"
cat >"$work/RoundTrip.cs" <<'CS'
using System;
using System.IO;
using System.Linq;
using System.Text;
using TemporalPayloadCodec;

static class RoundTrip
{
    // A serialized temporal.api.common.v1.Payloads of one payload (metadata encoding, data).
    static byte[] Payloads(string encoding, byte[] data)
    {
        var entry = Field(1, Encoding.ASCII.GetBytes("encoding")).Concat(Field(2, Encoding.ASCII.GetBytes(encoding))).ToArray();
        var payload = Field(1, entry).Concat(Field(2, data)).ToArray();
        return Field(1, payload);
    }

    static byte[] Field(int number, byte[] bytes)
    {
        var head = new System.Collections.Generic.List<byte> { (byte)((number << 3) | 2) };
        for (uint n = (uint)bytes.Length; ; n >>= 7)
        {
            if (n < 0x80) { head.Add((byte)n); break; }
            head.Add((byte)(n | 0x80));
        }
        return head.Concat(bytes).ToArray();
    }

    static int Main()
    {
        var text = string.Concat(Enumerable.Repeat("{\"greeting\":\"hello from Mono\"}", 300));
        var plain = Payloads("json/plain", Encoding.UTF8.GetBytes(text));

        var encoded = TpcCodec.Default.Encode(plain);
        if (encoded.Length >= plain.Length || !TpcCodec.Default.Decode(encoded).SequenceEqual(plain))
            throw new Exception("default codec: no round trip");

        var key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        using (var codec = TpcCodec.CreateBuilder().Compression(TpcCompression.Zlib).AddKey("k1", key).EncryptionKeyId("k1").Build())
        {
            var sealedBytes = codec.Encode(plain);
            if (!codec.Decode(sealedBytes).SequenceEqual(plain))
                throw new Exception("zlib + AES-256-GCM: no round trip");
            // A codec without keys passes encrypted payloads through; one with other keys refuses them.
            if (!TpcCodec.Default.Decode(sealedBytes).SequenceEqual(sealedBytes))
                throw new Exception("a codec without keys changed encrypted payloads");
            using (var other = TpcCodec.CreateBuilder().AddKey("k2", key).Build())
            {
                try
                {
                    other.Decode(sealedBytes);
                    throw new Exception("a codec without the key decoded encrypted payloads");
                }
                catch (TpcException e) when (e.Status == TpcStatus.UnknownKey)
                {
                }
            }
        }

        var loaded = File.ReadAllLines("/proc/self/maps").Where(l => l.Contains("libtemporal_payload_codec")).Select(l => l.Substring(l.IndexOf('/'))).Distinct();
        Console.WriteLine("library " + TpcCodec.LibraryVersion + " (ABI " + TpcCodec.AbiVersion + ") loaded from " + string.Join(", ", loaded));
        Console.WriteLine("round trips ok: default " + plain.Length + " -> " + encoded.Length + " bytes, zlib + AES-256-GCM, unknown key refused");
        return 0;
    }
}
CS
lib="$installed/lib/net461/$id.dll"
mkdir -p "$work/build"
mcs -nologo -warnaserror -r:"$lib" -r:System.Core -out:"$work/build/RoundTrip.exe" "$work/RoundTrip.cs"
mkdir -p "$work/elsewhere"
run_app() { # run_app LABEL EXPECTED-LIBRARY-PATH [VAR=VALUE...] EXE
  local label=$1 want=$2
  shift 2
  (cd "$work/elsewhere" && clean "${@:1:$#-1}" mono "${!#}") >"$work/run.log" 2>&1 ||
    { cat "$work/run.log"; die "$label: the program failed"; }
  grep -q "^library $version (ABI $abi) loaded from $want\$" "$work/run.log" ||
    { cat "$work/run.log"; die "$label: not loaded from $want"; }
  grep -q '^round trips ok' "$work/run.log" || { cat "$work/run.log"; die "$label: no round trip"; }
  echo "$label: $(tail -1 "$work/run.log")"
  echo "  $(head -1 "$work/run.log")"
}

# As dotnet build lays out a portable app: the package's runtimes/ folder beside the assembly.
app="$work/app-build"
mkdir -p "$app"
cp "$work/build/RoundTrip.exe" "$lib" "$app/"
cp -r "$installed/runtimes" "$app/"
run_app "runtimes/linux-x64/native beside the assembly" "$app/runtimes/linux-x64/native/libtemporal_payload_codec.so" "$app/RoundTrip.exe"

# As dotnet publish -r linux-x64 lays it out: the library copied beside the program.
app="$work/app-publish"
mkdir -p "$app"
cp "$work/build/RoundTrip.exe" "$lib" "$installed/runtimes/linux-x64/native/libtemporal_payload_codec.so" "$app/"
run_app "the library beside the program" "$app/libtemporal_payload_codec.so" "$app/RoundTrip.exe"

# The assembly used where NuGet installed it (lib/net461/ next to the package's runtimes/).
app="$work/app-inplace"
mkdir -p "$app"
cp "$work/build/RoundTrip.exe" "$app/"
run_app "the assembly inside the installed package" "$installed/runtimes/linux-x64/native/libtemporal_payload_codec.so" \
  MONO_PATH="$installed/lib/net461" "$app/RoundTrip.exe"

# Without the library: the runtime's search finds none elsewhere on this machine, and the
# error names the fixes.
app="$work/app-nolib"
mkdir -p "$app"
cp "$work/build/RoundTrip.exe" "$lib" "$app/"
if (cd "$work/elsewhere" && clean mono "$app/RoundTrip.exe") >"$work/run.log" 2>&1; then
  die "without the native library the program succeeded: $(cat "$work/run.log")"
fi
grep -q "DllNotFoundException: cannot load the native library 'temporal_payload_codec'.*runtimes/linux-x64|linux-arm64/native" "$work/run.log" ||
  { cat "$work/run.log"; die "without the native library: not the expected DllNotFoundException"; }
echo "without the native library: DllNotFoundException naming the package's runtimes/ folder and the other fixes"

log "dotnet dist: passed in $((SECONDS - start)) s (consuming it with the dotnet CLI is not tested: no .NET SDK here)"
