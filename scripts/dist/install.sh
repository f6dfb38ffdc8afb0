#!/bin/sh
# Installs this tarball's library, header and pkg-config file.
#   ./install.sh                      into /usr/local
#   PREFIX=/opt/tpc ./install.sh      into another prefix
#   DESTDIR=/tmp/pkgroot ./install.sh staged, as package builds do (files land in
#                                     $DESTDIR$PREFIX; the .pc file stays relocatable)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-/usr/local}
dest=${DESTDIR:-}
libdir="$dest$prefix/lib"
mkdir -p "$libdir/pkgconfig" "$dest$prefix/include"
for f in "$here"/lib/libtemporal_payload_codec.so.* "$here"/lib/libtemporal_payload_codec.a; do
  cp "$f" "$libdir/"
done
soname=$(basename "$here"/lib/libtemporal_payload_codec.so.*)
ln -sf "$soname" "$libdir/libtemporal_payload_codec.so"
cp "$here/include/temporal_payload_codec.h" "$dest$prefix/include/"
cp "$here/lib/pkgconfig/temporal_payload_codec.pc" "$libdir/pkgconfig/"
echo "installed temporal-payload-codec into $dest$prefix (library $soname)"
if [ -z "$dest" ]; then
  echo "if $prefix/lib is a directory the loader searches, run ldconfig to refresh its cache"
fi
