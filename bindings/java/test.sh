#!/usr/bin/env bash
# The Java binding's tests, runnable from any directory on a fresh Debian machine:
#   bindings/java/test.sh
# Installs a JDK, Maven and a C compiler if missing, builds the library, checks formatting
# (google-java-format via Spotless), runs the JUnit suite and installs the jar into ~/.m2, builds
# and tests the examples, then runs the example payload tool on a shared vector.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
examples="$repo/examples/java"
vectors="$repo/tests/vectors/reference-snappy.json"
# shellcheck source=../../scripts/lib.sh
source "$repo/scripts/lib.sh"

# cc builds LoadingTest's fake library and StructLayoutTest's sizeof/offsetof program; python3
# reads the vectors below.
ensure_apt openjdk-17-jdk-headless maven gcc python3
[ -f "$vectors" ] || die "shared vectors not found at $vectors"
mvn=(mvn -B -q --no-transfer-progress -Dstyle.color=never)

log "build the library"
# Apart, so that a failed build stops here (a substitution inside dirname's argument would not).
pc_dir=$("$repo/scripts/build-lib.sh" | tail -1)
lib_dir=$(dirname "$pc_dir")

log "formatting (google-java-format)"
(cd "$here" && "${mvn[@]}" spotless:check) || die "run: (cd bindings/java && mvn spotless:apply)"
(cd "$examples" && "${mvn[@]}" spotless:check) || die "run: (cd examples/java && mvn spotless:apply)"

log "JUnit tests of the binding (mvn install: test, then the jar into ~/.m2)"
# HostileTest runs apart, in a JVM inside 4 GiB of address space (ulimit -v): surefire's
# "hostile" execution starts it through src/test/jvm-4gib/bin/java, with the JVM flags that let
# it start and still leave a decode room (the pom says why).
rm -rf "$here/target/surefire-reports"
(cd "$here" && "${mvn[@]}" install -Dtpc.lib.dir="$lib_dir")
[ -f "$here/target/surefire-reports/TEST-io.github.temporalpayloadcodec.HostileTest.xml" ] ||
  die "HostileTest did not run (surefire execution \"hostile\" in the pom)"

# The jar must carry the library where JNA looks for it.
jar="$here/target/temporal-payload-codec-0.2.0.jar"
jar tf "$jar" | grep -qx 'linux-x86-64/libtemporal_payload_codec.so' ||
  die "$jar lacks linux-x86-64/libtemporal_payload_codec.so"

log "examples: test and package"
rm -rf "$examples/target/surefire-reports"
(cd "$examples" && "${mvn[@]}" package)

log "payload tool smoke check on the shared vectors"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tool=(java -cp "$examples/target/tpc-examples.jar" io.github.temporalpayloadcodec.examples.PayloadTool)
python3 - "$vectors" "$tmp" <<'PY'
import base64, json, sys
for case in json.load(open(sys.argv[1]))["cases"]:
    for kind in ("plain", "encoded"):
        open(f"{sys.argv[2]}/{case['name']}.{kind}", "wb").write(base64.b64decode(case[kind]))
PY
"${tool[@]}" encode "$tmp/several.plain" >"$tmp/out" && cmp "$tmp/out" "$tmp/several.encoded" ||
  die "payload tool encode differs from the reference vector"
"${tool[@]}" decode - <"$tmp/several.encoded" >"$tmp/out" && cmp "$tmp/out" "$tmp/several.plain" ||
  die "payload tool decode differs from the reference vector"
key=$(printf '7%.0s' {1..64})
TPC_KEY_HEX=$key "${tool[@]}" encode "$tmp/several.plain" >"$tmp/sealed"
rc=0
TPC_KEY_HEX=$key TPC_KEY_ID=other "${tool[@]}" decode "$tmp/sealed" >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" = 3 ] || die "payload tool: decoding with the wrong key id exited $rc, not 3"
grep -q '^TpcException: TPC_ERR_UNKNOWN_KEY (6): ' "$tmp/err" || die "payload tool stderr: $(cat "$tmp/err")"

# Surefire is silent under -q: count what ran from its reports, so no run passes on zero tests.
read -r total failed < <(cat "$here"/target/surefire-reports/TEST-*.xml "$examples"/target/surefire-reports/TEST-*.xml |
  python3 -c '
import re, sys
t = f = 0
for m in re.finditer(r"<testsuite [^>]*", sys.stdin.read()):
    a = dict(re.findall(r"(\w+)=\"([^\"]*)\"", m.group(0)))
    t += int(a["tests"]); f += int(a["failures"]) + int(a["errors"])
print(t, f)')
[ "$total" -gt 0 ] || die "no JUnit test ran"
echo
echo "Java binding: $((total - failed)) passed, $failed failed"
