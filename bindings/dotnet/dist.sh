#!/usr/bin/env bash
# The .NET binding as a NuGet package, with the native libraries inside:
#   bindings/dotnet/dist.sh NATIVE_DIR OUT_DIR      (scripts/dist.sh runs it: dist/native dist/)
# Writes OUT_DIR/TemporalPayloadCodec.<version>.nupkg (a zip in NuGet's layout):
#   TemporalPayloadCodec.nuspec                          id, version, authors, license, description
#   lib/net461/TemporalPayloadCodec.dll (+ .xml docs)    compiled by Mono's mcs against the
#                                                        .NET Framework 4.6.1 reference assemblies
#   runtimes/linux-x64/native/libtemporal_payload_codec.so     from NATIVE_DIR/linux-x86_64
#   runtimes/linux-arm64/native/libtemporal_payload_codec.so   from NATIVE_DIR/linux-aarch64
#   [Content_Types].xml, _rels/.rels, package/services/metadata/core-properties/*.psmdcp
#                                                        the OPC parts every nupkg carries
# There is no dotnet SDK on the machines this is built on, so this is not `dotnet pack` of the
# .csproj (which would give lib/netstandard2.0 and lib/net8.0): mcs builds what test.sh builds,
# and the target framework it can honestly claim is .NET Framework 4.6.1, which NuGet also
# gives to net8.0 projects (AssetTargetFallback, warning NU1701). The Temporalio adapter is not
# packaged (it needs the Temporalio package to compile).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 NATIVE_DIR OUT_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
source "$repo/scripts/lib.sh"
native=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)
csproj="$here/src/TemporalPayloadCodec/TemporalPayloadCodec.csproj"
csproj_version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$csproj")
[ "$csproj_version" = "$version" ] || die "dist.sh: $csproj has version $csproj_version, Cargo.toml $version"
id=TemporalPayloadCodec
tfm=net461
reference=/usr/lib/mono/4.6.1-api
description="One Temporal payload codec (snappy, zlib, AES-256-GCM) for every language: the .NET binding, P/Invoke over the shared Rust library, native libraries for Linux x86-64 and aarch64 (glibc 2.17 or later) included."
authors="temporal-payload-codec contributors"

ensure_apt mono-complete python3
[ -f "$reference/mscorlib.dll" ] || die "dist.sh: $reference (mono-complete's reference assemblies) is missing"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg="$stage/pkg"
mkdir -p "$pkg/lib/$tfm"

# The assembly's identity, as MSBuild would generate it from the csproj.
cat >"$stage/AssemblyInfo.cs" <<CS
[assembly: System.Reflection.AssemblyTitle("TemporalPayloadCodec")]
[assembly: System.Reflection.AssemblyDescription("$description")]
[assembly: System.Reflection.AssemblyVersion("$version.0")]
[assembly: System.Reflection.AssemblyFileVersion("$version.0")]
[assembly: System.Reflection.AssemblyInformationalVersion("$version")]
[assembly: System.Runtime.Versioning.TargetFramework(".NETFramework,Version=v4.6.1", FrameworkDisplayName = ".NET Framework 4.6.1")]
CS
log "dotnet: mcs, against the .NET Framework 4.6.1 reference assemblies"
mcs -nologo -warnaserror -optimize+ -nostdlib -target:library \
  -r:"$reference/mscorlib.dll" -r:"$reference/System.dll" \
  -out:"$pkg/lib/$tfm/$id.dll" -doc:"$pkg/lib/$tfm/$id.xml" \
  "$here"/src/TemporalPayloadCodec/*.cs "$stage/AssemblyInfo.cs"

# NuGet's runtime identifiers, from the platform names of scripts/dist.sh.
for pair in linux-x64:linux-x86_64 linux-arm64:linux-aarch64; do
  rid=${pair%%:*} lib="$native/${pair#*:}/libtemporal_payload_codec.so"
  [ -f "$lib" ] || die "dist.sh: $lib is missing (scripts/dist.sh native)"
  mkdir -p "$pkg/runtimes/$rid/native"
  cp "$lib" "$pkg/runtimes/$rid/native/"
done

# licenseUrl beside license: what dotnet pack writes, for clients older than NuGet 4.9.
cat >"$pkg/$id.nuspec" <<XML
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>$id</id>
    <version>$version</version>
    <title>temporal-payload-codec for .NET</title>
    <authors>$authors</authors>
    <requireLicenseAcceptance>false</requireLicenseAcceptance>
    <license type="expression">MIT</license>
    <licenseUrl>https://licenses.nuget.org/MIT</licenseUrl>
    <description>$description</description>
    <tags>temporal payload codec snappy zlib aes-gcm encryption</tags>
    <dependencies>
      <group targetFramework=".NETFramework4.6.1" />
    </dependencies>
  </metadata>
</package>
XML

# The zip: the OPC parts, and every file with the commit's time, so one commit gives the
# same entries (the assembly's MVID still differs from build to build).
if epoch=$(git -C "$repo" log -1 --format=%ct 2>/dev/null); then :; else epoch=$(date +%s); fi
nupkg="$out/$id.$version.nupkg"
python3 - "$pkg" "$nupkg" "$id" "$version" "$authors" "$description" "$epoch" <<'PY'
import hashlib, os, sys, time, zipfile
from xml.sax.saxutils import escape
pkg, nupkg, pid, version, authors, description, epoch = sys.argv[1:]
when = time.gmtime(int(epoch))[:6]
files = sorted(os.path.relpath(os.path.join(d, f), pkg).replace(os.sep, "/")
               for d, _, fs in os.walk(pkg) for f in fs)
psmdcp = "package/services/metadata/core-properties/%s.psmdcp" % hashlib.sha1(
    ("%s.%s" % (pid, version)).encode()).hexdigest()[:32]
parts = {
    psmdcp: f"""<?xml version="1.0" encoding="utf-8"?>
<coreProperties xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">
  <dc:creator>{escape(authors)}</dc:creator>
  <dc:description>{escape(description)}</dc:description>
  <dc:identifier>{pid}</dc:identifier>
  <version>{version}</version>
  <keywords>temporal payload codec snappy zlib aes-gcm encryption</keywords>
  <lastModifiedBy>bindings/dotnet/dist.sh</lastModifiedBy>
</coreProperties>
""",
    "_rels/.rels": f"""<?xml version="1.0" encoding="utf-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
  <Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/{pid}.nuspec" Id="R1" />
  <Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="/{psmdcp}" Id="R2" />
</Relationships>
""",
}
types = {"rels": "application/vnd.openxmlformats-package.relationships+xml",
         "psmdcp": "application/vnd.openxmlformats-package.core-properties+xml"}
for f in files:
    types.setdefault(f.rsplit(".", 1)[1], "application/octet")
parts["[Content_Types].xml"] = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\n'
    + "".join(f'  <Default Extension="{e}" ContentType="{t}" />\n' for e, t in sorted(types.items()))
    + "</Types>\n")
with zipfile.ZipFile(nupkg + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
    def add(name, data):
        info = zipfile.ZipInfo(name, when)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        z.writestr(info, data)
    add("_rels/.rels", parts["_rels/.rels"])
    add(f"{pid}.nuspec", open(os.path.join(pkg, f"{pid}.nuspec"), "rb").read())
    for f in files:
        if f != f"{pid}.nuspec":
            add(f, open(os.path.join(pkg, f), "rb").read())
    add(psmdcp, parts[psmdcp])
    add("[Content_Types].xml", parts["[Content_Types].xml"])
os.replace(nupkg + ".tmp", nupkg)
PY
echo "dist.sh: $(basename "$nupkg") ($(du -h "$nupkg" | cut -f1)): lib/$tfm/$id.dll, runtimes/linux-x64 and linux-arm64 native" >&2
