//go:build tpc_native_files

package tpc

// Never built (no one sets the tag): these imports make `go mod vendor`, which reads every
// file whatever its build tags, copy the folders holding the header and the static
// libraries, which cgo reaches through ${SRCDIR} and which no Go import would otherwise name.
import (
	_ "github.com/temporal-payload-codec/temporal-payload-codec/bindings/go/native/include"
	_ "github.com/temporal-payload-codec/temporal-payload-codec/bindings/go/native/linux-amd64"
	_ "github.com/temporal-payload-codec/temporal-payload-codec/bindings/go/native/linux-arm64"
)
