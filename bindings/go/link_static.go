//go:build !tpc_shared

package tpc

// By default the Rust staticlib carried inside this module is linked into the Go binary, which
// then needs no shared library at run time: native/include holds the header, and
// native/linux-amd64 and native/linux-arm64 each hold libtemporal_payload_codec.a for their
// platform (put there by dist.sh for a release, by local-lib.sh in this repository). The
// paths are ${SRCDIR}-relative, so they resolve in the module cache and in a vendor folder.
// -l: names the archive itself. The system libraries are what the Rust standard library
// needs (rustc --print native-static-libs). Other platforms: link_unsupported.go.

// #cgo CFLAGS: -I${SRCDIR}/native/include
// #cgo linux,amd64 LDFLAGS: -L${SRCDIR}/native/linux-amd64 -l:libtemporal_payload_codec.a -lgcc_s -lm -ldl -lpthread
// #cgo linux,arm64 LDFLAGS: -L${SRCDIR}/native/linux-arm64 -l:libtemporal_payload_codec.a -lgcc_s -lm -ldl -lpthread
import "C"
