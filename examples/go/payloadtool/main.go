// Command payloadtool encodes or decodes a serialized Payloads with the Go binding, for the
// cross-language decode matrix: payloadtool encode|decode FILE|-  (result on stdout).
//
// Environment: TPC_COMPRESSION = none | snappy (default) | snappy-raw | zlib; TPC_KEY_HEX, a
// 32-byte key in hex, held under TPC_KEY_ID (default demo-key) and used to encrypt.
// Exit status: 0 on success, 2 for usage errors, 3 for codec errors, which print
// "tpc.Error: <status> (<code>): <message>" on stderr.
package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	tpc "github.com/temporal-payload-codec/temporal-payload-codec/bindings/go"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"
)

func usage(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(2)
}

func options() []tpc.Option {
	var opts []tpc.Option
	switch c := os.Getenv("TPC_COMPRESSION"); c {
	case "", "snappy":
		opts = append(opts, tpc.WithCompression(tpc.CompressionSnappy))
	case "none":
		opts = append(opts, tpc.WithCompression(tpc.CompressionNone))
	case "snappy-raw":
		opts = append(opts, tpc.WithCompression(tpc.CompressionSnappyRaw))
	case "zlib":
		opts = append(opts, tpc.WithCompression(tpc.CompressionZlib))
	default:
		usage("TPC_COMPRESSION must be none, snappy, snappy-raw or zlib, not %q", c)
	}
	if keyHex := os.Getenv("TPC_KEY_HEX"); keyHex != "" {
		key, err := hex.DecodeString(keyHex)
		if err != nil || len(key) != 32 {
			usage("TPC_KEY_HEX must be 64 hex digits (a 32-byte AES-256 key)")
		}
		id := os.Getenv("TPC_KEY_ID")
		if id == "" {
			id = "demo-key"
		}
		opts = append(opts, tpc.WithKey(id, key), tpc.WithEncryptionKeyID(id))
	}
	return opts
}

func main() {
	if len(os.Args) != 3 || (os.Args[1] != "encode" && os.Args[1] != "decode") {
		usage("usage: payloadtool encode|decode FILE|-")
	}
	var in []byte
	var err error
	if os.Args[2] == "-" {
		in, err = io.ReadAll(os.Stdin)
	} else {
		in, err = os.ReadFile(os.Args[2])
	}
	if err != nil {
		usage("read %s: %v", os.Args[2], err)
	}
	var payloads commonpb.Payloads
	if err := proto.Unmarshal(in, &payloads); err != nil {
		usage("%s is not a serialized Payloads: %v", os.Args[2], err)
	}
	codec, err := tpc.New(options()...)
	if err != nil {
		fail(err)
	}
	defer codec.Close()
	run := codec.Encode
	if os.Args[1] == "decode" {
		run = codec.Decode
	}
	out, err := run(payloads.Payloads)
	if err != nil {
		fail(err)
	}
	bytes, err := proto.Marshal(&commonpb.Payloads{Payloads: out})
	if err != nil {
		fail(err)
	}
	if _, err := os.Stdout.Write(bytes); err != nil {
		usage("write: %v", err)
	}
}

func fail(err error) {
	var e *tpc.Error
	if errors.As(err, &e) {
		fmt.Fprintf(os.Stderr, "tpc.Error: %s (%d): %s\n", e.Status.Error(), uint32(e.Status), e.Message)
	} else {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
	}
	os.Exit(3)
}
