package tpc

import (
	"bytes"
	"math/rand/v2"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

func randomPayload(r *rand.Rand) *commonpb.Payload {
	randBytes := func(max int) []byte {
		b := make([]byte, r.IntN(max+1))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	}
	p := &commonpb.Payload{}
	if r.IntN(4) > 0 {
		p.Data = randBytes([]int{0, 5, 200, 20000}[r.IntN(4)])
	}
	n := r.IntN(12) // beyond the 8 keys sorted without allocation, sometimes
	if n > 0 {
		p.Metadata = map[string][]byte{}
	}
	for i := 0; i < n; i++ {
		key := string([]byte{byte('a' + r.IntN(26)), byte('a' + r.IntN(26))})
		if r.IntN(5) == 0 {
			key = ""
		}
		p.Metadata[key] = randBytes([]int{0, 3, 300}[r.IntN(3)])
	}
	return p
}

// Our writer must give exactly protobuf-go's deterministic bytes, and our reader exactly
// what protobuf-go parses, or the binding would change payloads.
func TestWireMatchesProtobufGo(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 300; round++ {
		batch := make([]*commonpb.Payload, r.IntN(6))
		for i := range batch {
			batch[i] = randomPayload(r)
		}
		want := marshal(t, &commonpb.Payloads{Payloads: batch})
		got, ok := appendPayloadsFast(nil, batch)
		if !ok {
			t.Fatal("plain payloads took the slow path")
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d:\n got  %x\n want %x", round, got, want)
		}
		parsed, err := parseBatch(append([]byte(nil), want...), false)
		if err != nil {
			t.Fatal(err)
		}
		assertSamePayloads(t, parsed, batch)
	}
}

func TestWireFallbacks(t *testing.T) {
	ext := &commonpb.Payload{Data: []byte("x"), ExternalPayloads: []*commonpb.Payload_ExternalPayloadDetails{{SizeBytes: 7}}}
	unknown := &commonpb.Payload{Data: []byte("y")}
	unknown.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 50, protowire.VarintType), 3))
	for _, p := range []*commonpb.Payload{ext, unknown} {
		if _, ok := appendPayloadsFast(nil, []*commonpb.Payload{p}); ok {
			t.Fatalf("%v must go through protobuf-go", p)
		}
		parsed, err := parseBatch(marshal(t, &commonpb.Payloads{Payloads: []*commonpb.Payload{p}}), false)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(marshal(t, parsed[0]), marshal(t, p)) {
			t.Fatalf("fallback lost fields: %v", parsed[0])
		}
	}

	entry := func(fields ...[]byte) []byte {
		var e []byte
		for i, f := range fields {
			e = protowire.AppendBytes(protowire.AppendTag(e, protowire.Number(i+1), protowire.BytesType), f)
		}
		return e
	}
	wrap := func(payload []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), payload)
	}
	meta := func(e []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), e)
	}
	// Value before key, a missing value, duplicate keys: legal protobuf, parsed by protobuf-go.
	valueFirst := protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), []byte("v"))
	valueFirst = protowire.AppendBytes(protowire.AppendTag(valueFirst, 1, protowire.BytesType), []byte("k"))
	for name, payload := range map[string][]byte{
		"value first":   meta(valueFirst),
		"no value":      meta(entry([]byte("k"))),
		"duplicate key": append(meta(entry([]byte("k"), []byte("1"))), meta(entry([]byte("k"), []byte("2")))...),
		"two data":      append(protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), []byte("a")), protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), []byte("b"))...),
	} {
		var want commonpb.Payload
		if err := proto.Unmarshal(payload, &want); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := parseBatch(wrap(payload), false)
		if err != nil || !proto.Equal(got[0], &want) {
			t.Fatalf("%s: got %v (%v), want %v", name, got, err, &want)
		}
	}
	// Invalid UTF-8 in a key is an error, as protobuf-go makes it.
	if _, err := parseBatch(wrap(meta(entry([]byte{0xff}, []byte("v")))), false); err == nil {
		t.Fatal("invalid UTF-8 key accepted")
	}
}

// Payloads share one buffer; appending to one must not write into its neighbour.
func TestParsedSlicesAreCapped(t *testing.T) {
	in := []*commonpb.Payload{{Data: []byte("first")}, {Data: []byte("second")}}
	parsed, err := parseBatch(marshal(t, &commonpb.Payloads{Payloads: in}), false)
	if err != nil {
		t.Fatal(err)
	}
	_ = append(parsed[0].Data, "XXXXXXXXXXXX"...)
	if string(parsed[1].Data) != "second" {
		t.Fatalf("neighbour overwritten: %q", parsed[1].Data)
	}
}
