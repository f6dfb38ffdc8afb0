#!/usr/bin/env bash
# Installs the Java release artifacts of bindings/java/dist.sh as a user would, and checks them:
#   bindings/java/test-dist.sh DIST_DIR          (dist/ of scripts/dist.sh)
# 1. The jar carries the library for linux-x86-64/ and linux-aarch64/ (JNA's resource folders),
#    each of its architecture, stripped, with SONAME libtemporal_payload_codec.so.2 and no glibc
#    symbol version newer than 2.17 (objdump -T); equal to DIST_DIR/native's when that is there.
# 2. mvn install:install-file puts the jar and its pom into a fresh local Maven repository in a
#    temp folder; a Maven project generated there depends on it (coordinates only), is compiled,
#    and its program, run with an empty environment (no library path, no TPC_* variable), encodes
#    and decodes payloads: the reference vector byte for byte, a snappy and an encrypted zlib
#    round trip, a wrong key refused; the library it loaded is the jar's, extracted by JNA.
# 3. The same program on aarch64: qemu-aarch64 runs Debian's arm64 JRE (apt-get download, unpacked
#    into a temp sysroot), so the aarch64 library is loaded from the jar and exercised too.
# The consumer's other dependencies (temporal-sdk, jna, the Maven plugins) come from Maven
# Central, read through ~/.m2/repository first when it exists (as a file:// repository, read
# only): a cache, not a source of this artifact, which only the fresh local repository holds (the
# test checks the jar on the classpath is DIST_DIR's, byte for byte).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
source "$repo/scripts/lib.sh"

[ $# -eq 1 ] || die "usage: $0 DIST_DIR"
dist=$(cd "$1" && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)
soname=libtemporal_payload_codec.so.2
jar="$dist/temporal-payload-codec-$version.jar"
pom="$dist/temporal-payload-codec-$version.pom"
[ -f "$jar" ] || die "$jar not found: run scripts/dist.sh (or bindings/java/dist.sh dist/native dist)"
[ -f "$pom" ] || die "$pom not found: run scripts/dist.sh"

ensure_apt openjdk-17-jdk-headless maven binutils file unzip
start=$SECONDS
tmp=$(mktemp -d /tmp/tpc-java-dist.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

log "java dist: the libraries in $(basename "$jar")"
mkdir "$tmp/jar"
unzip -q "$jar" -d "$tmp/jar"
for pair in "linux-x86-64:linux-x86_64:X86-64" "linux-aarch64:linux-aarch64:AArch64"; do
  IFS=: read -r folder platform machine <<<"$pair"
  so="$tmp/jar/$folder/libtemporal_payload_codec.so"
  [ -f "$so" ] || die "the jar lacks $folder/libtemporal_payload_codec.so"
  readelf -h "$so" | grep -q "Machine: *.*$machine" ||
    die "$folder/libtemporal_payload_codec.so is not $machine: $(readelf -h "$so" | grep Machine)"
  check_native "$so" "$soname" "$folder/libtemporal_payload_codec.so"
  if [ -f "$dist/native/$platform/libtemporal_payload_codec.so" ]; then
    cmp -s "$so" "$dist/native/$platform/libtemporal_payload_codec.so" ||
      die "$folder/libtemporal_payload_codec.so differs from $dist/native/$platform/"
    same="; equal to native/$platform/"
  else
    same="; no $dist/native/$platform/ to compare with"
  fi
  echo "$folder/libtemporal_payload_codec.so: $machine, stripped, SONAME $soname, glibc <= 2.17$same"
done

# Maven with a fresh local repository and settings of its own (no ~/.m2/settings.xml), reading
# ~/.m2/repository as a file:// repository ahead of Maven Central when there is one.
seed=""
if [ -d "$HOME/.m2/repository" ]; then
  seed="<repository><id>seed</id><url>file://$HOME/.m2/repository</url>
        <releases><checksumPolicy>ignore</checksumPolicy></releases><snapshots><enabled>false</enabled></snapshots></repository>"
fi
cat >"$tmp/settings.xml" <<XML
<settings>
  <localRepository>$tmp/m2</localRepository>
  <profiles>
    <profile>
      <id>seed</id>
      <repositories>$seed</repositories>
      <pluginRepositories>${seed//repository>/pluginRepository>}</pluginRepositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>seed</activeProfile></activeProfiles>
</settings>
XML
# Maven's output goes to a log, shown when it fails.
mvn_fresh() {
  mvn -B --no-transfer-progress -Dstyle.color=never -s "$tmp/settings.xml" -Dmaven.repo.local="$tmp/m2" \
    "$@" >"$tmp/mvn.log" 2>&1 || { tail -40 "$tmp/mvn.log" >&2; return 1; }
}

log "java dist: mvn install:install-file into a fresh local repository"
(cd "$tmp" && mvn_fresh org.apache.maven.plugins:maven-install-plugin:3.1.4:install-file \
  -Dfile="$jar" -DpomFile="$pom") || die "mvn install:install-file failed"
installed="$tmp/m2/io/github/temporalpayloadcodec/temporal-payload-codec/$version/temporal-payload-codec-$version.jar"
cmp -s "$installed" "$jar" || die "install-file did not install $jar as $installed"

log "java dist: a consumer project depending on io.github.temporalpayloadcodec:temporal-payload-codec:$version"
consumer="$tmp/consumer"
mkdir -p "$consumer/src/main/java/example"
cat >"$consumer/pom.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>consumer</artifactId>
  <version>1</version>
  <properties>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
    <maven.compiler.release>11</maven.compiler.release>
  </properties>
  <dependencies>
    <dependency>
      <groupId>io.github.temporalpayloadcodec</groupId>
      <artifactId>temporal-payload-codec</artifactId>
      <version>$version</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>2.0.20</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.14.0</version>
      </plugin>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>3.8.1</version>
      </plugin>
    </plugins>
  </build>
</project>
XML
# The reference codec's bytes for tests/vectors/reference-snappy.json's "json-object" case.
cat >"$consumer/src/main/java/example/Consumer.java" <<'JAVA'
package example;

import com.google.protobuf.ByteString;
import io.github.temporalpayloadcodec.Compression;
import io.github.temporalpayloadcodec.TpcCodec;
import io.github.temporalpayloadcodec.TpcException;
import io.temporal.api.common.v1.Payload;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

public final class Consumer {
  static final String PLAIN = "CisKFgoIZW5jb2RpbmcSCmpzb24vcGxhaW4SEXsiaGVsbG8iOiJ3b3JsZCJ9";
  static final String ENCODED =
      "CloKGQoIZW5jb2RpbmcSDWJpbmFyeS9zbmFwcHkSPf8GAABzTmFQcFkBLwAAnE2m7goWCghlbmNvZGluZxIKanNvbi9w"
          + "bGFpbhIReyJoZWxsbyI6IndvcmxkIn0=";

  static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError(what);
    }
  }

  public static void main(String[] args) throws Exception {
    byte[] plain = Base64.getDecoder().decode(PLAIN);
    byte[] encoded = Base64.getDecoder().decode(ENCODED);
    TpcCodec codec = TpcCodec.defaultCodec();
    check(Arrays.equals(codec.encodeSerialized(plain), encoded), "encode != the reference vector");
    check(Arrays.equals(codec.decodeSerialized(encoded), plain), "decode != the reference vector");

    List<Payload> payloads =
        List.of(
            Payload.newBuilder()
                .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
                .setData(ByteString.copyFromUtf8("{\"order\": 42, \"items\": [\"tea\", \"cake\"]}"))
                .build(),
            Payload.newBuilder()
                .putMetadata("encoding", ByteString.copyFromUtf8("binary/plain"))
                .setData(ByteString.copyFrom(new byte[100_000]))
                .build());
    List<Payload> snappy = codec.encode(payloads);
    check(
        snappy.get(0).getMetadataOrThrow("encoding").toStringUtf8().equals("binary/snappy"),
        "snappy encoding metadata");
    check(codec.decode(snappy).equals(payloads), "snappy round trip");

    byte[] key = new byte[32];
    Arrays.fill(key, (byte) 7);
    try (TpcCodec sealed =
            TpcCodec.newBuilder()
                .compression(Compression.ZLIB)
                .addKey("k1", key)
                .encryptionKeyId("k1")
                .build();
        TpcCodec other =
            TpcCodec.newBuilder().addKey("k2", key).encryptionKeyId("k2").build()) {
      List<Payload> encrypted = sealed.encode(payloads);
      check(
          encrypted.get(1).getMetadataOrThrow("encoding").toStringUtf8().equals("binary/encrypted"),
          "encrypted encoding metadata");
      check(encrypted.get(1).getSerializedSize() < 10_000, "zlib did not shrink 100 kB of zeros");
      check(sealed.decode(encrypted).equals(payloads), "encrypted zlib round trip");
      try {
        other.decode(encrypted);
        throw new AssertionError("a codec without key k1 decoded its payloads");
      } catch (TpcException expected) {
        check(expected.getMessage().contains("TPC_ERR_UNKNOWN_KEY"), expected.getMessage());
      }
    }
    System.out.println(
        "ok: "
            + System.getProperty("os.arch")
            + " library "
            + TpcCodec.libraryVersion()
            + " ABI "
            + TpcCodec.abiVersion()
            + " from "
            + TpcCodec.libraryFile());
  }
}
JAVA
(cd "$consumer" && mvn_fresh compile dependency:build-classpath -Dmdep.outputFile=classpath.txt) ||
  die "the consumer project did not build"
classpath="$consumer/target/classes:$(cat "$consumer/classpath.txt")"
grep -q "$installed" "$consumer/classpath.txt" || die "the consumer's classpath lacks $installed"

# Runs the consumer with an empty environment (PATH, and a HOME in the temp folder for the tools;
# the JVM takes user.home from the password file); prints its output.
run_consumer() {
  local label=$1 home="$tmp/home-$1" out
  shift
  mkdir -p "$home"
  out=$(cd "$consumer" && env -i PATH=/usr/bin:/bin HOME="$home" "$@" -cp "$classpath" example.Consumer 2>&1) ||
    die "the consumer failed on $label: $out"
  grep -q "^ok: .* library $version ABI 2 from " <<<"$out" || die "the consumer on $label printed: $out"
  # Loaded from the jar: a temporary file JNA extracted the resource to (jnaNNN.tmp in its temp
  # folder, ~/.cache/JNA/temp), not a file on a system path.
  local file=${out##* from }
  case "$file" in
    */jna*.tmp) ;;
    *) die "the consumer on $label loaded $file, not the jar's library extracted by JNA" ;;
  esac
  echo "$label: $out"
}

log "java dist: the consumer on x86-64, no library path"
run_consumer x86-64 java

log "java dist: the consumer on aarch64 (qemu-aarch64, Debian's arm64 JRE)"
# Debian's arm64 JRE and the libraries it links, fetched with apt-get download through an apt
# state of their own (arm64 package lists in the temp folder; the machine's dpkg and apt setup are
# untouched) and unpacked, not installed, into a sysroot that qemu-aarch64 -L runs it in. About
# 46 MB. (Installing them as a dpkg foreign architecture instead would upgrade dozens of the
# host's packages to the arm64 ones' versions.)
ensure_apt qemu-user
arm="$tmp/arm64"
mkdir -p "$arm/lists/partial" "$arm/cache/archives/partial" "$arm/debs" "$arm/root"
apt_arm=(apt-get -q -o Dir::State::Lists="$arm/lists" -o Dir::Cache="$arm/cache" -o APT::Architecture=arm64
  -o APT::Architectures::=arm64 -o APT::Sandbox::User=root -o Debug::NoLocking=1)
"${apt_arm[@]}" update >"$arm/apt.log" 2>&1 || die "apt-get update of the arm64 lists failed: $(tail -5 "$arm/apt.log")"
(cd "$arm/debs" && "${apt_arm[@]}" download openjdk-17-jre-headless:arm64 libc6:arm64 libgcc-s1:arm64 \
  libstdc++6:arm64 zlib1g:arm64 >>"$arm/apt.log" 2>&1) || die "apt-get download of the arm64 JRE failed: $(tail -5 "$arm/apt.log")"
for deb in "$arm"/debs/*.deb; do dpkg-deb -x "$deb" "$arm/root"; done
arm_java="$arm/root/usr/lib/jvm/java-17-openjdk-arm64/bin/java"
[ -x "$arm_java" ] || die "$arm_java not found in openjdk-17-jre-headless:arm64"
run_consumer aarch64 qemu-aarch64 -L "$arm/root" "$arm_java"

echo
echo "java dist: $(basename "$jar") checked in $((SECONDS - start)) s"
