// Package linuxarm64 holds libtemporal_payload_codec.a for linux/arm64, linked into the tpc
// package by default. It has no Go code: this file exists so that `go mod vendor` keeps the
// folder.
package linuxarm64
