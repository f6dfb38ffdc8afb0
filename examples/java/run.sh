#!/usr/bin/env bash
# Builds (when stale) and runs the Java examples:
#   examples/java/run.sh build                          build only
#   examples/java/run.sh worker                         DescribeOrder on task queue tpc-java
#   examples/java/run.sh starter [-id ID] [CUSTOMER [ITEM...]]
#   examples/java/run.sh payload-tool encode|decode FILE|-
# Building = scripts/build-lib.sh, `mvn install` of bindings/java (the jar with the .so inside,
# into ~/.m2), then `mvn package` here (target/tpc-examples.jar, a shaded jar). Build output goes
# to stderr so the payload tool's stdout stays clean.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
jar="$here/target/tpc-examples.jar"

build() {
  {
    "$repo/scripts/build-lib.sh" >/dev/null
    (cd "$repo/bindings/java" && mvn -B -q install -DskipTests)
    (cd "$here" && mvn -B -q package -DskipTests)
  } >&2
}

stale() {
  [ ! -f "$jar" ] && return 0
  [ -n "$(find "$here/src" "$here/pom.xml" "$repo/bindings/java/src/main" "$repo/bindings/java/pom.xml" \
    "$repo/src" "$repo/Cargo.toml" -newer "$jar" -print -quit 2>/dev/null)" ]
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  build) build; exit 0 ;;
  worker) main=io.github.temporalpayloadcodec.examples.Worker ;;
  starter) main=io.github.temporalpayloadcodec.examples.Starter ;;
  payload-tool) main=io.github.temporalpayloadcodec.examples.PayloadTool ;;
  *) echo "usage: $0 build | worker | starter [-id ID] [CUSTOMER [ITEM...]] | payload-tool encode|decode FILE|-" >&2
     exit 2 ;;
esac
if stale; then build; fi
exec java -cp "$jar" "$main" "$@"
