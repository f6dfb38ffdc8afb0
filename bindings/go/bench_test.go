package tpc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/golang/snappy"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// The batches every language's benchmark reads (cargo run --release --example bench_data).
var benchBatches = []string{"100x200", "16x4096", "4x65536", "1x1048576"}

func loadBenchBatch(b *testing.B, name string) []*commonpb.Payload {
	dir := os.Getenv("TPC_BENCH_DATA")
	if dir == "" {
		b.Fatal("TPC_BENCH_DATA must name the directory bench_data wrote (bindings/go/bench/bench.sh sets it)")
	}
	raw, err := os.ReadFile(filepath.Join(dir, "batch-"+name+".bin"))
	if err != nil {
		b.Fatal(err)
	}
	return parsePayloads(b, raw)
}

// BenchmarkCodecs runs the three codecs side by side on each batch; decode benchmarks decode
// the codec's own encoding. Names are batch/op/codec so bench.sh can pair them up.
func BenchmarkCodecs(b *testing.B) {
	codecs := []struct {
		name  string
		codec converter.PayloadCodec
	}{
		{"tpc", Default()},
		{"gosnappy", newGoSnappyCodec()},
		{"gosnappynaive", goSnappyNaive{}},
		{"sdkzlib", converter.NewZlibCodec(converter.ZlibCodecOptions{AlwaysEncode: true})},
	}
	for _, batch := range benchBatches {
		in := loadBenchBatch(b, batch)
		size := int64(proto.Size(&commonpb.Payloads{Payloads: in}))
		for _, c := range codecs {
			encoded, err := c.codec.Encode(in)
			if err != nil {
				b.Fatal(err)
			}
			// A codec that does not round-trip would time nothing useful.
			decoded, err := c.codec.Decode(encoded)
			if err != nil {
				b.Fatal(err)
			}
			assertSamePayloads(b, decoded, in)
			b.Run(fmt.Sprintf("%s/encode/%s", batch, c.name), func(b *testing.B) {
				b.SetBytes(size)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.codec.Encode(in); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("%s/decode/%s", batch, c.name), func(b *testing.B) {
				b.SetBytes(size)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.codec.Decode(encoded); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkEngineGolangSnappy is the Go third of benches/engines/run.sh: golang/snappy's raw
// block encoder and decoder (amd64 assembly) on the same pieces as examples/engine_snap.rs
// (each serialized payload of a batch cut into 64 KiB pieces, reused buffers).
// "decompress" decodes golang/snappy's own blocks; "decompress-snap" decodes the blocks this
// library (the snap crate) writes for the same pieces, so the table can tell a faster engine
// from an easier stream.
func BenchmarkEngineGolangSnappy(b *testing.B) {
	for _, name := range benchBatches {
		batch := loadBenchBatch(b, name)
		var pieces, blocks [][]byte
		for _, p := range batch {
			raw, err := proto.Marshal(p)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < len(raw); i += 65536 {
				piece := raw[i:min(i+65536, len(raw))]
				pieces = append(pieces, piece)
				blocks = append(blocks, snappy.Encode(nil, piece))
			}
		}
		snapBlocks := librarySnappyBlocks(b, batch, pieces)
		scratch := make([]byte, snappy.MaxEncodedLen(65536))
		back := make([]byte, 65536)
		b.Run(name+"/compress", func(b *testing.B) {
			for b.Loop() {
				for _, p := range pieces {
					snappy.Encode(scratch, p)
				}
			}
		})
		b.Run(name+"/decompress", func(b *testing.B) {
			for b.Loop() {
				for _, blk := range blocks {
					if _, err := snappy.Decode(back, blk); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run(name+"/decompress-snap", func(b *testing.B) {
			for b.Loop() {
				for _, blk := range snapBlocks {
					if _, err := snappy.Decode(back, blk); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// librarySnappyBlocks returns the raw snappy block this library writes for each piece of batch,
// checked to decode to it. A payload of one piece is encoded as one raw block
// (CompressionSnappyRaw): the framing format stores a chunk uncompressed when compression saves
// under 1/8, which some 200 B payloads hit, and then writes no block. Larger payloads come from
// the framing format's chunks, the blocks Default() writes.
func librarySnappyBlocks(b *testing.B, batch []*commonpb.Payload, pieces [][]byte) [][]byte {
	raw, err := New(WithCompression(CompressionSnappyRaw))
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	var blocks [][]byte
	for _, p := range batch {
		one := []*commonpb.Payload{p}
		if proto.Size(p) <= 65536 {
			encoded, err := raw.Encode(one)
			if err != nil {
				b.Fatal(err)
			}
			blocks = append(blocks, encoded[0].Data)
			continue
		}
		encoded, err := Default().Encode(one)
		if err != nil {
			b.Fatal(err)
		}
		stream, ok := bytes.CutPrefix(encoded[0].Data, []byte("\xff\x06\x00\x00sNaPpY"))
		if !ok {
			b.Fatal("not a snappy framing-format stream")
		}
		for len(stream) > 0 {
			n := int(stream[1]) | int(stream[2])<<8 | int(stream[3])<<16
			if stream[0] != 0 {
				b.Fatalf("chunk type %#x where a compressed chunk was expected", stream[0])
			}
			// The chunk's body is a 4-byte checksum, then one raw block.
			blocks = append(blocks, stream[8:4+n])
			stream = stream[4+n:]
		}
	}
	if len(blocks) != len(pieces) {
		b.Fatalf("%d blocks for %d pieces", len(blocks), len(pieces))
	}
	for i, blk := range blocks {
		got, err := snappy.Decode(nil, blk)
		if err != nil || !bytes.Equal(got, pieces[i]) {
			b.Fatalf("block %d does not decode to its piece (%v)", i, err)
		}
	}
	return blocks
}

// BenchmarkWire times the binding's own protobuf handling alone, per shared batch: writing the
// input Payloads (appendPayloadsFast) and parsing a result (parseBatch), the Go-side work
// around every call. A change to wire.go can be judged here, away from the codec's noise:
//
//	TPC_BENCH_DATA=DIR go test -run '^$' -bench BenchmarkWire
func BenchmarkWire(b *testing.B) {
	for _, name := range benchBatches {
		in := loadBenchBatch(b, name)
		serialized, ok := appendPayloadsFast(nil, in)
		if !ok {
			b.Fatal("the shared batch took the slow path")
		}
		buf := make([]byte, 0, len(serialized))
		b.Run(name+"/write", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				appendPayloadsFast(buf[:0], in)
			}
		})
		b.Run(name+"/parse", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parseBatch(serialized, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
