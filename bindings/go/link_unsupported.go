//go:build !tpc_shared && !(linux && (amd64 || arm64))

package tpc

// The module carries the static library for linux/amd64 and linux/arm64 only. Elsewhere the
// build stops here, on the name below, rather than at the linker with undefined tpc_
// symbols: build the library yourself and use -tags tpc_shared (pkg-config).
var _ = tpc_static_library_only_for_linux_amd64_and_arm64__build_with_tags_tpc_shared
