//go:build !tpc_static

package tpc

// The default links the shared library found through pkg-config, whose .pc file also sets an
// rpath, so a binary built against target/release runs without LD_LIBRARY_PATH:
//
//	export PKG_CONFIG_PATH=$(scripts/build-lib.sh | tail -1)

// #cgo pkg-config: temporal_payload_codec
import "C"
