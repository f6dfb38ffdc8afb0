// Command goserver is the benchmark's reference: the minimal codec server the Go SDK
// suggests, converter.NewPayloadCodecHTTPHandler over the project's Go binding (the same core
// through cgo), with the same body limit and header timeout as tpc-codec-server.
package main

import (
	"encoding/hex"
	"flag"
	"log"
	"net/http"
	"os"
	"time"

	tpc "github.com/temporal-payload-codec/temporal-payload-codec/bindings/go"
	"go.temporal.io/sdk/converter"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:8889", "listen address")
	limit := flag.Int64("max-body-bytes", 16<<20, "request body limit")
	flag.Parse()
	key, err := hex.DecodeString(os.Getenv("TPC_KEY_HEX"))
	if err != nil || len(key) != 32 {
		log.Fatalln("TPC_KEY_HEX must be 64 hex characters")
	}
	codec, err := tpc.New(tpc.WithKey("demo-key", key), tpc.WithEncryptionKeyID("demo-key"))
	if err != nil {
		log.Fatalln(err)
	}
	defer codec.Close()
	srv := &http.Server{
		Addr:              *addr,
		Handler:           http.MaxBytesHandler(converter.NewPayloadCodecHTTPHandler(codec), *limit),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Println("listening on", *addr)
	log.Fatalln(srv.ListenAndServe())
}
