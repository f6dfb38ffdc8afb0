// Package include holds temporal_payload_codec.h, the C header the tpc package compiles
// against. It has no Go code: this file exists so that `go mod vendor` keeps the folder.
package include
