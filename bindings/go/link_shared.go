//go:build tpc_shared

package tpc

// With -tags tpc_shared the package links a shared libtemporal_payload_codec found through
// pkg-config (any platform the library builds on), and the binary asks the loader for
// libtemporal_payload_codec.so.2 at run time. In this repository the .pc file of
// scripts/build-lib.sh also sets an rpath, so a binary built against target/release runs
// without LD_LIBRARY_PATH:
//
//	export PKG_CONFIG_PATH=$(scripts/build-lib.sh | tail -1)

// #cgo pkg-config: temporal_payload_codec
import "C"
