//go:build tpc_static

package tpc

// With -tags tpc_static the Rust staticlib is linked into the Go binary, which then needs no
// shared library at run time. -l: names the archive itself so the linker cannot prefer the
// .so sitting next to it; the -L below is the in-repo build, and GNU ld applies every -L to
// every -l, so CGO_LDFLAGS=-L/elsewhere and CGO_CFLAGS=-I/elsewhere point at an installed copy.
// The system libraries are what the Rust standard library needs (rustc --print
// native-static-libs).

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: -L${SRCDIR}/../../target/release -l:libtemporal_payload_codec.a -lm -ldl -lpthread
import "C"
