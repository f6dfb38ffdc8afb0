package tpc

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/temporal-payload-codec/temporal-payload-codec/bindings/go/internal/testmalloc"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// The framing format's stream identifier, from the format's specification: every non-empty
// reference-codec payload starts with it.
var streamIdentifier = []byte{0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59}

func mustNew(t testing.TB, opts ...Option) *Codec {
	t.Helper()
	c, err := New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func key32(seed byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = seed + byte(i)
	}
	return k
}

func jsonPayload(t testing.TB, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func assertSamePayloads(t testing.TB, got, want []*commonpb.Payload) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d payloads, want %d", len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Fatalf("payload %d differs:\n got  %v\n want %v", i, got[i], want[i])
		}
	}
}

type order struct {
	Customer string         `json:"customer"`
	Items    []string       `json:"items"`
	Total    float64        `json:"total"`
	Notes    map[string]int `json:"notes"`
}

// Real SDK types through the SDK's own data converter: what a worker does on every call.
func TestDataConverterRoundTrip(t *testing.T) {
	configs := map[string]func(t *testing.T) *Codec{
		"default":          func(*testing.T) *Codec { return Default() },
		"zlib":             func(t *testing.T) *Codec { return mustNew(t, WithCompression(CompressionZlib)) },
		"snappy+encrypted": func(t *testing.T) *Codec { return mustNew(t, WithKey("k1", key32(1)), WithEncryptionKeyID("k1")) },
	}
	wantEncoding := map[string]string{"default": "binary/snappy", "zlib": "binary/zlib", "snappy+encrypted": "binary/encrypted"}
	for name, mk := range configs {
		t.Run(name, func(t *testing.T) {
			codec := mk(t)
			dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codec)
			inOrder := order{Customer: "Ada", Items: []string{"tea", "cake"}, Total: 12.5, Notes: map[string]int{"a": 1, "b": 2}}
			inBytes := []byte{0, 1, 2, 0xfe, 0xff}
			inProto := &commonpb.WorkflowExecution{WorkflowId: "wf-1", RunId: "run-1"}
			inString := strings.Repeat("long text that compresses ", 100)

			payloads, err := dc.ToPayloads(inOrder, nil, inBytes, inProto, inString)
			if err != nil {
				t.Fatal(err)
			}
			if len(payloads.Payloads) != 5 {
				t.Fatalf("got %d payloads", len(payloads.Payloads))
			}
			for i, p := range payloads.Payloads {
				if got := string(p.Metadata["encoding"]); got != wantEncoding[name] {
					t.Fatalf("payload %d: encoding %q, want %q", i, got, wantEncoding[name])
				}
				if name == "default" && !bytes.HasPrefix(p.Data, streamIdentifier) {
					t.Fatalf("payload %d: data does not start with the snappy stream identifier: % x", i, p.Data[:10])
				}
			}

			var outOrder order
			var outNil *order
			var outBytes []byte
			outProto := &commonpb.WorkflowExecution{}
			var outString string
			if err := dc.FromPayloads(payloads, &outOrder, &outNil, &outBytes, &outProto, &outString); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(outOrder, inOrder) {
				t.Fatalf("order: got %+v, want %+v", outOrder, inOrder)
			}
			if outNil != nil {
				t.Fatalf("nil came back as %+v", outNil)
			}
			if !bytes.Equal(outBytes, inBytes) {
				t.Fatalf("bytes: got %x", outBytes)
			}
			if !proto.Equal(outProto, inProto) {
				t.Fatalf("proto: got %v", outProto)
			}
			if outString != inString {
				t.Fatal("string changed")
			}

			// Single-payload path, and decoding gives back exactly what the plain converter wrote.
			plain, err := converter.GetDefaultDataConverter().ToPayloads(inOrder, nil, inBytes, inProto, inString)
			if err != nil {
				t.Fatal(err)
			}
			decoded, err := codec.Decode(payloads.Payloads)
			if err != nil {
				t.Fatal(err)
			}
			assertSamePayloads(t, decoded, plain.Payloads)
			one, err := dc.ToPayload(inProto)
			if err != nil {
				t.Fatal(err)
			}
			back := &commonpb.WorkflowExecution{}
			if err := dc.FromPayload(one, &back); err != nil || !proto.Equal(back, inProto) {
				t.Fatalf("single payload: %v %v", back, err)
			}
		})
	}
}

// Read relative to the repository so every language's tests use the same file.
func vectorsPath(t *testing.T) string {
	if p := os.Getenv("TPC_VECTORS"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "tests", "vectors", "reference-snappy.json")
}

type vectorCase struct {
	Name     string `json:"name"`
	Plain    string `json:"plain"`
	Encoded  string `json:"encoded"`
	RawBlock string `json:"raw_block"`
}

func loadVectors(t *testing.T) []vectorCase {
	raw, err := os.ReadFile(vectorsPath(t))
	if err != nil {
		t.Fatalf("shared vectors are required (set TPC_VECTORS to override the path): %v", err)
	}
	var file struct {
		Cases []vectorCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) == 0 {
		t.Fatal("no vector cases")
	}
	return file.Cases
}

func b64(t *testing.T, s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parsePayloads(t testing.TB, b []byte) []*commonpb.Payload {
	t.Helper()
	var ps commonpb.Payloads
	if err := proto.Unmarshal(b, &ps); err != nil {
		t.Fatal(err)
	}
	return ps.Payloads
}

// The reference vectors (made by the reference Python codec) are conformance cases, encode,
// decode and the raw-block decode (conformance_test.go). What the suite lacks is the raw-block
// encode: CompressionSnappyRaw writes exactly each vector's raw_block.
func TestRawBlockVectors(t *testing.T) {
	raw := mustNew(t, WithCompression(CompressionSnappyRaw))
	for _, vc := range loadVectors(t) {
		t.Run(vc.Name, func(t *testing.T) {
			plain, rawBlock := b64(t, vc.Plain), b64(t, vc.RawBlock)
			got, err := raw.Encode(parsePayloads(t, plain))
			if err != nil {
				t.Fatal(err)
			}
			if gotBytes := marshal(t, &commonpb.Payloads{Payloads: got}); !bytes.Equal(gotBytes, rawBlock) {
				t.Fatalf("raw block encode:\n got  %x\n want %x", gotBytes, rawBlock)
			}
		})
	}
}

func testBatch(t testing.TB) []*commonpb.Payload {
	return []*commonpb.Payload{
		jsonPayload(t, map[string]any{"hello": "world"}),
		jsonPayload(t, nil),
		jsonPayload(t, strings.Repeat("compressible ", 2000)),
		jsonPayload(t, []byte{1, 2, 3}),
		{Metadata: map[string][]byte{"encoding": []byte("json/plain"), "b-extra": []byte("x"), "a-extra": []byte("y")}, Data: []byte(`"multi-key"`)},
	}
}

// Interop with the SDK's own zlib codec, both ways.
func TestZlibInteropWithSDK(t *testing.T) {
	sdk := converter.NewZlibCodec(converter.ZlibCodecOptions{AlwaysEncode: true})
	ours := mustNew(t, WithCompression(CompressionZlib))
	in := testBatch(t)

	encoded, err := ours.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range encoded {
		if len(p.Metadata) != 1 || string(p.Metadata["encoding"]) != "binary/zlib" {
			t.Fatalf("payload %d metadata %v", i, p.Metadata)
		}
	}
	byTheSDK, err := sdk.Decode(encoded)
	if err != nil {
		t.Fatal(err)
	}
	assertSamePayloads(t, byTheSDK, in)

	fromTheSDK, err := sdk.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	// The default codec (snappy) reads zlib too: decoding does not depend on the encode setting.
	for _, c := range []*Codec{ours, Default()} {
		byUs, err := c.Decode(fromTheSDK)
		if err != nil {
			t.Fatal(err)
		}
		assertSamePayloads(t, byUs, in)
	}

	// Only-if-smaller mirrors the SDK default (AlwaysEncode false): a tiny payload stays as is.
	tiny := []*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte("1")}}
	sdkDefault, err := converter.NewZlibCodec(converter.ZlibCodecOptions{}).Encode(tiny)
	if err != nil {
		t.Fatal(err)
	}
	oursIfSmaller, err := mustNew(t, WithCompression(CompressionZlib), WithOnlyIfSmaller(true)).Encode(tiny)
	if err != nil {
		t.Fatal(err)
	}
	assertSamePayloads(t, sdkDefault, tiny)
	assertSamePayloads(t, oursIfSmaller, tiny)
	oursAlways, err := ours.Encode(tiny)
	if err != nil {
		t.Fatal(err)
	}
	if string(oursAlways[0].Metadata["encoding"]) != "binary/zlib" {
		t.Fatalf("without only-if-smaller the tiny payload must be wrapped: %v", oursAlways[0])
	}
}

// The framing format written by github.com/golang/snappy reads as ours and the other way
// round (a second, independent implementation of the format).
func TestSnappyInteropWithGolangSnappy(t *testing.T) {
	in := testBatch(t)
	ours, err := Default().Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ours {
		got, err := readAllSnappy(p.Data)
		if err != nil {
			t.Fatalf("payload %d: golang/snappy cannot read ours: %v", i, err)
		}
		if !bytes.Equal(got, marshal(t, in[i])) {
			t.Fatalf("payload %d: golang/snappy read different bytes", i)
		}
	}
	for _, goCodec := range []converter.PayloadCodec{newGoSnappyCodec(), goSnappyNaive{}} {
		theirs, err := goCodec.Encode(in)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Default().Decode(theirs)
		if err != nil {
			t.Fatal(err)
		}
		assertSamePayloads(t, back, in)
		mine, err := goCodec.Decode(ours)
		if err != nil {
			t.Fatal(err)
		}
		assertSamePayloads(t, mine, in)
	}

	raw, err := mustNew(t, WithCompression(CompressionSnappyRaw)).Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range raw {
		got, err := snappy.Decode(nil, p.Data)
		if err != nil || !bytes.Equal(got, marshal(t, in[i])) {
			t.Fatalf("payload %d: raw block unreadable by snappy.Decode: %v", i, err)
		}
	}
}

// The Temporal Go encryption sample's codec, as the sample writes it (samples-go/encryption),
// with the sample's key: the real layout, independent of our code.
type sampleEncryptionCodec struct {
	keyID string
	key   []byte
}

func (s sampleEncryptionCodec) gcm() cipher.AEAD {
	block, err := aes.NewCipher(s.key)
	if err != nil {
		panic(err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return g
}

func (s sampleEncryptionCodec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, err
		}
		g := s.gcm()
		nonce := make([]byte, g.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{"encoding": []byte("binary/encrypted"), "encryption-key-id": []byte(s.keyID)},
			Data:     g.Seal(nonce, nonce, plain, nil),
		}
	}
	return out, nil
}

func (s sampleEncryptionCodec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.Metadata["encoding"]) != "binary/encrypted" {
			out[i] = p
			continue
		}
		if _, ok := p.Metadata["encryption-key-id"]; !ok {
			return nil, errors.New("no key id")
		}
		g := s.gcm()
		if len(p.Data) < g.NonceSize() {
			return nil, errors.New("short")
		}
		plain, err := g.Open(nil, p.Data[:g.NonceSize()], p.Data[g.NonceSize():], nil)
		if err != nil {
			return nil, err
		}
		out[i] = &commonpb.Payload{}
		if err := proto.Unmarshal(plain, out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func TestGoEncryptionSampleLayout(t *testing.T) {
	sampleKey := []byte("test-key-test-key-test-key-test!")
	sample := sampleEncryptionCodec{keyID: "test", key: sampleKey}
	sdkZlib := converter.NewZlibCodec(converter.ZlibCodecOptions{AlwaysEncode: true})
	ours := mustNew(t, WithKey("test", sampleKey), WithEncryptionKeyID("test"), WithCompression(CompressionZlib))
	in := testBatch(t)

	// The sample with compression: NewCodecDataConverter(dc, encryption, zlib) applies zlib first.
	sampleDC := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), sample, sdkZlib)
	for _, compressed := range []bool{false, true} {
		var written []*commonpb.Payload
		var err error
		if compressed {
			inner, err := sdkZlib.Encode(in)
			if err != nil {
				t.Fatal(err)
			}
			written, err = sample.Encode(inner)
			if err != nil {
				t.Fatal(err)
			}
		} else {
			written, err = sample.Encode(in)
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range written {
			if len(p.Data) < 12+16 || string(p.Metadata["encoding"]) != "binary/encrypted" {
				t.Fatalf("sample wrote an unexpected layout: %v", p)
			}
		}
		got, err := ours.Decode(written)
		if err != nil {
			t.Fatalf("compressed=%v: %v", compressed, err)
		}
		assertSamePayloads(t, got, in)
	}

	// And back: the sample's data converter reads what we write with zlib + encryption.
	var o order
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), ours)
	p, err := dc.ToPayloads(order{Customer: "Grace", Items: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sampleDC.FromPayloads(p, &o); err != nil || o.Customer != "Grace" {
		t.Fatalf("sample could not read ours: %v %+v", err, o)
	}
	// Our ciphertext opens with the raw AEAD: nonce(12) || ciphertext || tag, plaintext a zlib payload.
	encrypted, err := ours.Encode(in[:1])
	if err != nil {
		t.Fatal(err)
	}
	if string(encrypted[0].Metadata["encryption-key-id"]) != "test" {
		t.Fatalf("key id metadata: %v", encrypted[0].Metadata)
	}
	g := sample.gcm()
	plain, err := g.Open(nil, encrypted[0].Data[:12], encrypted[0].Data[12:], nil)
	if err != nil {
		t.Fatal(err)
	}
	var inner commonpb.Payload
	if err := proto.Unmarshal(plain, &inner); err != nil || string(inner.Metadata["encoding"]) != "binary/zlib" {
		t.Fatalf("inner payload: %v %v", &inner, err)
	}
	unzipped, err := sdkZlib.Decode([]*commonpb.Payload{&inner})
	if err != nil {
		t.Fatal(err)
	}
	assertSamePayloads(t, unzipped, in[:1])
}

func TestKeyRotationAndNoCompression(t *testing.T) {
	old := mustNew(t, WithKey("2025", key32(1)), WithEncryptionKeyID("2025"), WithCompression(CompressionNone))
	rotated := mustNew(t, WithKey("2026", key32(2)), WithKey("2025", key32(1)), WithEncryptionKeyID("2026"))
	in := testBatch(t)
	oldWritten, err := old.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	// No compression layer: the plaintext is the deterministic serialization of the payload itself.
	g := sampleEncryptionCodec{key: key32(1)}.gcm()
	for i, p := range oldWritten {
		plain, err := g.Open(nil, p.Data[:12], p.Data[12:], nil)
		if err != nil || !bytes.Equal(plain, marshal(t, in[i])) {
			t.Fatalf("payload %d: plaintext is not the serialized payload: %v", i, err)
		}
	}
	got, err := rotated.Decode(oldWritten)
	if err != nil {
		t.Fatal(err)
	}
	assertSamePayloads(t, got, in)
	newWritten, err := rotated.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(newWritten[0].Metadata["encryption-key-id"]) != "2026" {
		t.Fatalf("encrypted with %q", newWritten[0].Metadata["encryption-key-id"])
	}
	// Fresh nonces per call: the same input never gives the same ciphertext.
	again, err := rotated.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(again[0].Data, newWritten[0].Data) {
		t.Fatal("two encryptions gave the same ciphertext")
	}
}

func TestZlibLevel(t *testing.T) {
	in := []*commonpb.Payload{jsonPayload(t, strings.Repeat("level test abcdefgh ", 5000))}
	size := func(level int) int {
		out, err := mustNew(t, WithCompression(CompressionZlib), WithZlibLevel(level)).Encode(in)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Default().Decode(out)
		if err != nil {
			t.Fatal(err)
		}
		assertSamePayloads(t, back, in)
		return len(out[0].Data)
	}
	stored, best := size(0), size(9)
	if stored <= len(marshal(t, in[0])) || best >= stored/10 {
		t.Fatalf("level 0 gave %d bytes, level 9 gave %d bytes, input %d", stored, best, len(marshal(t, in[0])))
	}
}

// Fields the Go SDK's protos know (external_payloads) and fields nobody knows yet survive.
func TestLossless(t *testing.T) {
	p := &commonpb.Payload{
		Metadata:         map[string][]byte{"encoding": []byte("json/plain")},
		Data:             []byte(`"x"`),
		ExternalPayloads: []*commonpb.Payload_ExternalPayloadDetails{{SizeBytes: 12345}},
	}
	p.ProtoReflect().SetUnknown(protowire.AppendBytes(protowire.AppendTag(nil, 99, protowire.BytesType), []byte("future")))
	codec := mustNew(t, WithKey("k", key32(3)), WithEncryptionKeyID("k"))
	enc, err := codec.Encode([]*commonpb.Payload{p})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := codec.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(marshal(t, dec[0]), marshal(t, p)) {
		t.Fatalf("payload changed:\n got  %x\n want %x", marshal(t, dec[0]), marshal(t, p))
	}
	if dec[0].ExternalPayloads[0].SizeBytes != 12345 || len(dec[0].ProtoReflect().GetUnknown()) == 0 {
		t.Fatalf("fields lost: %v", dec[0])
	}
}

func TestEmptyBatch(t *testing.T) {
	for _, in := range [][]*commonpb.Payload{nil, {}} {
		for _, op := range []func([]*commonpb.Payload) ([]*commonpb.Payload, error){Default().Encode, Default().Decode} {
			out, err := op(in)
			if err != nil || out == nil || len(out) != 0 {
				t.Fatalf("empty batch: %v %v", out, err)
			}
		}
	}
}

func TestWorkflowInTestSuite(t *testing.T) {
	codec := &countingCodec{inner: mustNew(t, WithKey("wf", key32(9)), WithEncryptionKeyID("wf"))}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetDataConverter(converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codec))
	env.RegisterActivityWithOptions(describe, activity.RegisterOptions{Name: "Describe"})
	env.RegisterWorkflow(orderWorkflow)
	env.ExecuteWorkflow(orderWorkflow, order{Customer: "Lin", Items: []string{"pen", "ink"}})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var result string
	if err := env.GetWorkflowResult(&result); err != nil {
		t.Fatal(err)
	}
	if result != "Lin ordered 2: pen, ink" {
		t.Fatalf("result %q", result)
	}
	enc, dec := codec.counts()
	if enc == 0 || dec == 0 {
		t.Fatalf("the codec was not used: %d encodes, %d decodes", enc, dec)
	}
	if codec.sawPlain() {
		t.Fatal("a payload left the codec unencrypted")
	}
}

func orderWorkflow(ctx workflow.Context, o order) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var s string
	err := workflow.ExecuteActivity(ctx, "Describe", o).Get(ctx, &s)
	return s, err
}

func describe(_ context.Context, o order) (string, error) {
	return fmt.Sprintf("%s ordered %d: %s", o.Customer, len(o.Items), strings.Join(o.Items, ", ")), nil
}

type countingCodec struct {
	inner    converter.PayloadCodec
	mu       sync.Mutex
	enc, dec int
	plain    bool
}

func (c *countingCodec) Encode(p []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out, err := c.inner.Encode(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.enc++
	for _, q := range out {
		if string(q.Metadata["encoding"]) != "binary/encrypted" {
			c.plain = true
		}
	}
	return out, err
}

func (c *countingCodec) Decode(p []*commonpb.Payload) ([]*commonpb.Payload, error) {
	c.mu.Lock()
	c.dec++
	c.mu.Unlock()
	return c.inner.Decode(p)
}

func (c *countingCodec) counts() (int, int) { c.mu.Lock(); defer c.mu.Unlock(); return c.enc, c.dec }
func (c *countingCodec) sawPlain() bool     { c.mu.Lock(); defer c.mu.Unlock(); return c.plain }

func TestConcurrentGoroutines(t *testing.T) {
	for name, codec := range map[string]*Codec{
		"default":   Default(),
		"encrypted": mustNew(t, WithKey("k", key32(5)), WithEncryptionKeyID("k"), WithCompression(CompressionZlib)),
	} {
		t.Run(name, func(t *testing.T) {
			const goroutines, rounds = 64, 20
			var wg sync.WaitGroup
			errs := make(chan error, goroutines)
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for r := 0; r < rounds; r++ {
						in := []*commonpb.Payload{
							jsonPayload(t, map[string]int{"goroutine": g, "round": r}),
							jsonPayload(t, strings.Repeat(fmt.Sprint(g), 100*(r+1))),
						}
						enc, err := codec.Encode(in)
						if err != nil {
							errs <- err
							return
						}
						dec, err := codec.Decode(enc)
						if err != nil {
							errs <- err
							return
						}
						for i := range in {
							if !proto.Equal(dec[i], in[i]) {
								errs <- fmt.Errorf("goroutine %d round %d payload %d differs", g, r, i)
								return
							}
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

func TestClose(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	in := testBatch(t)
	if _, err := c.Encode(in); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := c.Encode(in); !errors.Is(err, ErrClosed) {
		t.Fatalf("Encode after Close: %v", err)
	}
	if _, err := c.Decode(in); !errors.Is(err, ErrClosed) {
		t.Fatalf("Decode after Close: %v", err)
	}
	if err := Default().Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Default().Encode(in); err != nil {
		t.Fatalf("Close must not disable the shared default: %v", err)
	}

	// Close while other goroutines encode: calls either finish or report ErrClosed, never crash.
	c2, err := New(WithKey("k", key32(7)), WithEncryptionKeyID("k"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if _, err := c2.Encode(in); err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Error(err)
					}
					return
				}
			}
		}()
	}
	time.Sleep(time.Millisecond)
	c2.Close()
	wg.Wait()
}

// A codec dropped without Close is freed by its cleanup, and a closed one is not freed again.
// The C side is watched through malloc's own count of bytes in use: the keyed codecs hold
// enough memory (32 keys each) that their release shows plainly above the noise.
func TestCleanupSafetyNet(t *testing.T) {
	tiny := []*commonpb.Payload{{Data: []byte("x")}}
	keyed := func(t *testing.T, seed int) *Codec {
		var opts []Option
		for k := range 32 {
			opts = append(opts, WithKey(fmt.Sprint(k), key32(byte(seed+k))))
		}
		c, err := New(append(opts, WithEncryptionKeyID("0"))...)
		if err != nil {
			t.Fatal(err)
		}
		if c.cleanup == (runtime.Cleanup{}) {
			t.Fatal("New registered no cleanup")
		}
		return c
	}
	// settle collects what earlier tests dropped and waits for their cleanups.
	settle := func() uint64 {
		for range 5 {
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
		}
		return testmalloc.InUse()
	}
	// dropAll forgets the codecs and waits until the collector has found every one of them
	// unreachable (a cleanup of the test's own on each) and malloc has got back at least 90% of
	// what they held.
	dropAll := func(t *testing.T, codecs []*Codec, base, held uint64) {
		var collected atomic.Int64
		for _, c := range codecs {
			runtime.AddCleanup(c, func(*atomic.Int64) { collected.Add(1) }, &collected)
		}
		want := int64(len(codecs))
		clear(codecs)
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) && (collected.Load() < want || testmalloc.InUse() > base+(held-base)/10) {
			runtime.GC()
			time.Sleep(10 * time.Millisecond)
		}
		if got := collected.Load(); got != want {
			t.Fatalf("%d of %d dropped codecs were collected", got, want)
		}
		if now := testmalloc.InUse(); now > base+(held-base)/10 {
			t.Fatalf("malloc still holds %d of the %d bytes the codecs took", now-base, held-base)
		}
	}

	base := settle()
	codecs := make([]*Codec, 50)
	for i := range codecs {
		codecs[i] = keyed(t, i)
	}
	held := testmalloc.InUse()
	if held < base+50*4096 {
		t.Fatalf("50 codecs of 32 keys took %d bytes of malloc: too few to watch", held-base)
	}
	for _, c := range codecs {
		if _, err := c.Encode(tiny); err != nil {
			t.Fatal(err)
		}
	}
	dropAll(t, codecs, base, held)

	// Closed codecs: Close frees them and stops their cleanup, so the collection frees nothing
	// twice (glibc aborts on a double free it sees) and the count stays down.
	base = settle()
	for i := range codecs {
		codecs[i] = keyed(t, i)
	}
	held = testmalloc.InUse()
	for _, c := range codecs {
		c.Close()
	}
	if now := testmalloc.InUse(); now > base+(held-base)/10 {
		t.Fatalf("Close left %d of %d bytes in malloc", now-base, held-base)
	}
	dropAll(t, codecs, base, held)
	if Default().cleanup != (runtime.Cleanup{}) {
		t.Fatal("the shared default codec has a cleanup")
	}
}

func TestCheckABI(t *testing.T) {
	if ABIVersion != 2 {
		t.Fatalf("ABIVersion %d, want 2", ABIVersion)
	}
	if err := checkABI(ABIVersion, ABIVersion); err != nil {
		t.Fatal(err)
	}
	// The refusal names both versions: the library's and the one this package expects.
	err := checkABI(1, ABIVersion)
	if err == nil || !strings.Contains(err.Error(), "implements ABI 1") ||
		!strings.Contains(err.Error(), fmt.Sprintf("expects ABI %d", ABIVersion)) {
		t.Fatalf("library mismatch not reported with both versions: %v", err)
	}
	if err := checkABI(ABIVersion, ABIVersion+1); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("declares ABI %d", ABIVersion+1)) {
		t.Fatalf("header mismatch not reported: %v", err)
	}
	// The loaded library is this checkout's: its version is Cargo.toml's.
	cargo, err := os.ReadFile(filepath.Join("..", "..", "Cargo.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if v := Version(); !strings.Contains(string(cargo), fmt.Sprintf("\nversion = %q\n", v)) {
		t.Fatalf("library version %q is not Cargo.toml's", v)
	}
}

// Encode output lives in a pooled workspace between calls: a small batch after a large one
// must not carry the large one's bytes, and the reference bytes must still come out.
func TestEncodeAcrossBatchSizesOnPooledWorkspaces(t *testing.T) {
	big := []*commonpb.Payload{{
		Metadata: map[string][]byte{"encoding": []byte("json/plain")},
		Data:     bytes.Repeat([]byte(`{"order":12345,"item":"widget","qty":7} `), 30000),
	}}
	vc := loadVectors(t)[0]
	plain, encoded := b64(t, vc.Plain), b64(t, vc.Encoded)
	for round := 0; round < 3; round++ {
		enc, err := Default().Encode(big)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := Default().Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		assertSamePayloads(t, dec, big)
		got, err := Default().call("encode", plain)
		if err != nil {
			t.Fatal(err)
		}
		if gotBytes := marshal(t, &commonpb.Payloads{Payloads: got}); !bytes.Equal(gotBytes, encoded) {
			t.Fatalf("round %d: encode after a large batch:\n got  %x\n want %x", round, gotBytes, encoded)
		}
	}
}

// A workspace that grew past maxPooledInput is freed after the call rather than pooled; one
// that did not goes back to the pool.
func TestOversizedWorkspaceIsFreedNotPooled(t *testing.T) {
	data := make([]byte, maxPooledInput+(1<<20))
	if _, err := rand.Read(data); err != nil { // incompressible: the output is as large
		t.Fatal(err)
	}
	big := []*commonpb.Payload{{Data: data}}
	for _, c := range []struct {
		name  string
		batch []*commonpb.Payload
		freed bool
	}{{"small", testBatch(t), false}, {"oversized", big, true}} {
		w := workspaces.Get().(*workspace)
		if _, err := Default().encodeInto(w, marshal(t, &commonpb.Payloads{Payloads: c.batch})); err != nil {
			t.Fatal(err)
		}
		capacity := w.capacity()
		w.release()
		if freed := w.ptr == nil; freed != c.freed {
			t.Fatalf("%s batch (workspace of %d bytes): freed %v, want %v", c.name, capacity, freed, c.freed)
		}
	}
	enc, err := Default().Encode(big)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := Default().Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dec[0].Data, data) {
		t.Fatal("round trip of the large payload differs")
	}
}

// Large results are decoded into a pooled scratch buffer and copied out per payload: payloads
// from one decode must not change when the scratch serves the next one.
func TestDecodedPayloadsOutliveTheScratchBuffer(t *testing.T) {
	batch := func(fill byte) []*commonpb.Payload {
		var ps []*commonpb.Payload
		for i := 0; i < 6; i++ {
			ps = append(ps, &commonpb.Payload{
				Metadata: map[string][]byte{"encoding": []byte("binary/plain"), "n": {fill, byte(i)}},
				Data:     bytes.Repeat([]byte{fill, byte(i)}, 10_000),
			})
		}
		return ps
	}
	first, second := batch('a'), batch('b')
	encFirst, err := Default().Encode(first)
	if err != nil {
		t.Fatal(err)
	}
	encSecond, err := Default().Encode(second)
	if err != nil {
		t.Fatal(err)
	}
	decFirst, err := Default().Decode(encFirst)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		decSecond, err := Default().Decode(encSecond)
		if err != nil {
			t.Fatal(err)
		}
		assertSamePayloads(t, decSecond, second)
	}
	assertSamePayloads(t, decFirst, first)
}

// Decode's one decode-into pattern on every path: a result that fits the pooled scratch at
// once, one that outgrows it (TPC_ERR_BUFFER_TOO_SMALL, then a retry), nested layers whose
// headers tell too little (a second retry with the exact size), and an input past
// scratchDecodeInput, which starts with the (NULL, 0) size query.
func TestDecodeIntoRetries(t *testing.T) {
	compressible := func(n int) []byte { return bytes.Repeat([]byte(`{"order":1,"item":"widget"} `), n/28+1)[:n] }
	random := make([]byte, scratchDecodeInput+(64<<10))
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	batches := map[string][]*commonpb.Payload{
		"fits the scratch":         {{Data: compressible(1000)}},
		"outgrows the scratch":     {{Data: compressible(200 << 10)}, {Data: compressible(50 << 10)}},
		"past the scratch's input": {{Data: random}, {Data: compressible(300 << 10)}},
	}
	codecs := map[string]*Codec{
		"default":        Default(),
		"zlib":           mustNew(t, WithCompression(CompressionZlib)),
		"snappy+aes":     mustNew(t, WithKey("k", key32(6)), WithEncryptionKeyID("k")),
		"zlib+aes":       mustNew(t, WithKey("k", key32(6)), WithEncryptionKeyID("k"), WithCompression(CompressionZlib)),
		"none+aes":       mustNew(t, WithKey("k", key32(6)), WithEncryptionKeyID("k"), WithCompression(CompressionNone)),
		"raw snappy":     mustNew(t, WithCompression(CompressionSnappyRaw)),
		"no compression": mustNew(t, WithCompression(CompressionNone)),
	}
	for cname, codec := range codecs {
		for bname, in := range batches {
			enc, err := codec.Encode(in)
			if err != nil {
				t.Fatalf("%s, %s: %v", cname, bname, err)
			}
			// Nested: the SDK's zlib codec around our encoding, so the outer header tells
			// nothing of the inner layers' sizes.
			sdkZlib := converter.NewZlibCodec(converter.ZlibCodecOptions{AlwaysEncode: true})
			nested, err := sdkZlib.Encode(enc)
			if err != nil {
				t.Fatal(err)
			}
			for form, encoded := range map[string][]*commonpb.Payload{"ours": enc, "inside SDK zlib": nested} {
				dec, err := codec.Decode(encoded)
				if err != nil {
					t.Fatalf("%s, %s, %s: %v", cname, bname, form, err)
				}
				assertSamePayloads(t, dec, in)
			}
		}
	}
}
