package tpc

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"
)

// The conformance suite, tests/conformance/cases.json (see its README): the cases every
// binding runs, with expected outputs made by peers, never by this library. Every case runs
// through each path this binding has to the library:
//
//   - "payloads": Encode and Decode on []*commonpb.Payload, the public API. The case's input is
//     parsed by protobuf-go, serialized by the binding's own writer (wire.go), and the result
//     parsed by its own reader: this is what shows that wire.go's fast path agrees with the
//     core. The result is compared as protobuf-go parses it, the only form a []*Payload has.
//   - "bytes, size query" and "bytes, scratch": the case's exact input bytes through the C calls
//     under Encode and Decode (encodeInto a pooled workspace; decode by the (NULL, 0) size query
//     and an exact buffer, as batches over 256 KiB do, and into a scratch buffer, as smaller
//     ones do), the result compared byte for byte, then parsed by wire.go's reader both ways
//     (aliasing the buffer, and copying each payload out), which must give what protobuf-go
//     gives. The binding has no public bytes-level API; this is the layer under the one it has.
//
// A case whose codec is the default one ({}) runs with New() and with Default(). A case that
// fails at build fails in New, the one builder of every path, and counts for each.
//
// What the payloads path does not see: the case's exact input bytes. The library gets the
// writer's serialization of the parsed payloads. For one case, the Go sample's worker
// payloads, this serialization differs from the case's bytes, because their metadata entries
// come in map order; the result still matches. No encode case has a payload with more than
// one metadata entry, so the suite cannot catch a writer that orders metadata keys wrongly.
// TestWireMatchesProtobufGo catches that.

// TPC_CONFORMANCE_CASES overrides the path, for a test binary run from elsewhere.
func conformancePath() string {
	if p := os.Getenv("TPC_CONFORMANCE_CASES"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "tests", "conformance", "cases.json")
}

type conformanceCase struct {
	Name   string            `json:"name"`
	Codec  conformanceCodec  `json:"codec"`
	Op     string            `json:"op"`
	Input  string            `json:"input"`
	Expect conformanceExpect `json:"expect"`
}

// The one vocabulary of options. Unknown fields fail the load, so an option added to the suite
// cannot be silently ignored here.
type conformanceCodec struct {
	Compression         *string `json:"compression"`
	OnlyIfSmaller       *bool   `json:"only_if_smaller"`
	ZlibLevel           *int    `json:"zlib_level"`
	MaxDecodedSize      *int    `json:"max_decoded_size"`
	MaxTotalDecodedSize *int    `json:"max_total_decoded_size"`
	Keys                []struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	} `json:"keys"`
	EncryptionKeyID *string `json:"encryption_key_id"`
}

type conformanceExpect struct {
	Output    *string `json:"output"`
	Roundtrip bool    `json:"roundtrip"`
	Error     *struct {
		Status          string `json:"status"`
		MessageContains string `json:"message_contains"`
		At              string `json:"at"`
	} `json:"error"`
}

func loadConformanceCases(t *testing.T) []conformanceCase {
	t.Helper()
	raw, err := os.ReadFile(conformancePath())
	if err != nil {
		t.Fatalf("the conformance suite is required (TPC_CONFORMANCE_CASES overrides the path): %v", err)
	}
	var file struct {
		About any               `json:"about"`
		Cases []conformanceCase `json:"cases"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("%s: %v", conformancePath(), err)
	}
	if len(file.Cases) < 40 {
		t.Fatalf("%s holds %d cases, want at least 40", conformancePath(), len(file.Cases))
	}
	for _, c := range file.Cases {
		e := c.Expect
		kinds := 0
		for _, set := range []bool{e.Output != nil, e.Roundtrip, e.Error != nil} {
			if set {
				kinds++
			}
		}
		if kinds != 1 || (c.Op != "encode" && c.Op != "decode") {
			t.Fatalf("%s: op %q and expectation %+v: want encode or decode and one expectation", c.Name, c.Op, e)
		}
		if e.Error != nil && e.Error.At != "build" && e.Error.At != "call" {
			t.Fatalf("%s: error at %q", c.Name, e.Error.At)
		}
	}
	return file.Cases
}

// options maps the case's options onto New's.
func (cc conformanceCodec) options(t *testing.T) []Option {
	var opts []Option
	if cc.Compression != nil {
		c, ok := map[string]Compression{
			"none": CompressionNone, "snappy": CompressionSnappy, "snappy-raw": CompressionSnappyRaw, "zlib": CompressionZlib,
		}[*cc.Compression]
		if !ok {
			t.Fatalf("unknown compression %q", *cc.Compression)
		}
		opts = append(opts, WithCompression(c))
	}
	if cc.OnlyIfSmaller != nil {
		opts = append(opts, WithOnlyIfSmaller(*cc.OnlyIfSmaller))
	}
	if cc.ZlibLevel != nil {
		opts = append(opts, WithZlibLevel(*cc.ZlibLevel))
	}
	if cc.MaxDecodedSize != nil {
		opts = append(opts, WithMaxDecodedSize(*cc.MaxDecodedSize))
	}
	if cc.MaxTotalDecodedSize != nil {
		opts = append(opts, WithMaxTotalDecodedSize(*cc.MaxTotalDecodedSize))
	}
	for _, k := range cc.Keys {
		key, err := hex.DecodeString(k.Key)
		if err != nil {
			t.Fatalf("key %q: %v", k.ID, err)
		}
		opts = append(opts, WithKey(k.ID, key))
	}
	if cc.EncryptionKeyID != nil {
		opts = append(opts, WithEncryptionKeyID(*cc.EncryptionKeyID))
	}
	return opts
}

// A path runs one op on serialized Payloads and gives the serialized result. exact: results
// are compared byte for byte; else as protobuf-go parses them (a []*Payload holds no bytes).
type conformanceRoute struct {
	name  string
	exact bool
	run   func(t *testing.T, codec *Codec, op string, in []byte) ([]byte, error)
}

// errNoPayloads: the input is not Payloads that protobuf-go parses, so no []*commonpb.Payload
// can hold it.
var errNoPayloads = errors.New("not a Payloads protobuf-go parses")

// Cases the payloads path cannot express, with the reason. Their input is deliberately not a
// valid Payloads: the bytes paths hand it to the library, which must refuse it.
var notExpressibleAsPayloads = map[string]string{
	"malformed: truncated Payloads":    "the input does not parse, so there are no []*commonpb.Payload to pass",
	"malformed: encode refuses it too": "the input does not parse, so there are no []*commonpb.Payload to pass",
}

var conformanceRoutes = []conformanceRoute{
	{"payloads", false, func(t *testing.T, codec *Codec, op string, in []byte) ([]byte, error) {
		var batch commonpb.Payloads
		if err := proto.Unmarshal(in, &batch); err != nil {
			return nil, errNoPayloads
		}
		f := codec.Encode
		if op == "decode" {
			f = codec.Decode
		}
		out, err := f(batch.Payloads)
		if err != nil {
			if out != nil {
				t.Errorf("%s returned %d payloads along with its error", op, len(out))
			}
			return nil, err
		}
		return marshal(t, &commonpb.Payloads{Payloads: out}), nil
	}},
	{"bytes, size query", true, func(t *testing.T, codec *Codec, op string, in []byte) ([]byte, error) {
		if op == "encode" {
			return encodeBytes(t, codec, in)
		}
		out, err := codec.decodeExact(in)
		if err == nil {
			checkWireReader(t, out)
		}
		return out, err
	}},
	{"bytes, scratch", true, func(t *testing.T, codec *Codec, op string, in []byte) ([]byte, error) {
		if op == "encode" {
			return encodeBytes(t, codec, in)
		}
		scratch := decodeScratch.Get().(*[]byte)
		defer putDecodeScratch(scratch)
		out, err := codec.decodeIntoScratch(in, scratch)
		if err != nil {
			return nil, err
		}
		out = append([]byte(nil), out...)
		checkWireReader(t, out)
		return out, nil
	}},
}

// encodeBytes encodes in through a pooled workspace, as Encode does.
func encodeBytes(t *testing.T, codec *Codec, in []byte) ([]byte, error) {
	w := workspaces.Get().(*workspace)
	out, err := codec.encodeInto(w, in)
	w.release()
	if err == nil {
		checkWireReader(t, out)
	}
	return out, err
}

// checkWireReader parses the library's output with wire.go's reader both ways and with
// protobuf-go: the payloads must be the same.
func checkWireReader(t *testing.T, out []byte) {
	t.Helper()
	want := parsePayloads(t, out)
	for _, copyEach := range []bool{false, true} {
		got, err := parseBatch(append([]byte(nil), out...), copyEach)
		if err != nil {
			t.Fatalf("wire.go's reader (copyEach %v) refused the library's output: %v", copyEach, err)
		}
		assertSamePayloads(t, got, want)
	}
}

// normalized is b as protobuf-go parses and deterministically writes it: the form a
// []*commonpb.Payload can be compared in.
func normalized(t *testing.T, b []byte) []byte {
	t.Helper()
	return marshal(t, &commonpb.Payloads{Payloads: parsePayloads(t, b)})
}

func TestConformance(t *testing.T) {
	cases := loadConformanceCases(t)
	ran := map[string]int{}
	var notExpressed []string
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			input := b64(t, c.Input)
			want := c.Expect
			codec, err := New(c.Codec.options(t)...)
			if err != nil {
				if want.Error == nil || want.Error.At != "build" {
					t.Fatalf("New failed: %v", err)
				}
				checkConformanceError(t, err, c, "new")
				for _, r := range conformanceRoutes {
					ran[r.name]++
				}
				return
			}
			t.Cleanup(func() { codec.Close() })
			if want.Error != nil && want.Error.At == "build" {
				t.Fatalf("New succeeded, want %s at build", want.Error.Status)
			}
			codecs := []*Codec{codec}
			if c.Codec.isDefault() {
				codecs = append(codecs, Default())
			}
		routes:
			for _, r := range conformanceRoutes {
				for _, codec := range codecs {
					out, err := r.run(t, codec, c.Op, input)
					_, listed := notExpressibleAsPayloads[c.Name]
					if errors.Is(err, errNoPayloads) {
						if !listed || r.name != "payloads" {
							t.Fatalf("%s: the input does not parse as Payloads", r.name)
						}
						notExpressed = append(notExpressed, c.Name)
						continue routes
					}
					if listed && r.name == "payloads" {
						t.Fatal("listed as not expressible as payloads, yet its input parses: take it off the list")
					}
					checkConformanceOutcome(t, c, r, codec, input, out, err)
				}
				ran[r.name]++
			}
		})
	}
	for _, r := range conformanceRoutes {
		t.Logf("%d of %d cases through %q", ran[r.name], len(cases), r.name)
	}
	if t.Failed() {
		return
	}
	if len(notExpressed) != len(notExpressibleAsPayloads) {
		t.Fatalf("cases not run through the payloads path: %v, want exactly those listed: %v", notExpressed, notExpressibleAsPayloads)
	}
	if ran["payloads"] != len(cases)-len(notExpressed) {
		t.Fatalf("%d cases through the payloads path, want %d", ran["payloads"], len(cases)-len(notExpressed))
	}
	for _, r := range conformanceRoutes[1:] {
		if ran[r.name] != len(cases) {
			t.Fatalf("%d cases through %q, want all %d", ran[r.name], r.name, len(cases))
		}
	}
}

// isDefault: the case's codec has no options, so Default() is that codec too.
func (cc conformanceCodec) isDefault() bool {
	return cc.Compression == nil && cc.OnlyIfSmaller == nil && cc.ZlibLevel == nil && cc.MaxDecodedSize == nil &&
		cc.MaxTotalDecodedSize == nil && len(cc.Keys) == 0 && cc.EncryptionKeyID == nil
}

func checkConformanceOutcome(t *testing.T, c conformanceCase, r conformanceRoute, codec *Codec, input, out []byte, err error) {
	t.Helper()
	want := c.Expect
	if want.Error != nil {
		if err == nil {
			t.Fatalf("%s: succeeded, want %s", r.name, want.Error.Status)
		}
		checkConformanceError(t, err, c, c.Op)
		return
	}
	if err != nil {
		t.Fatalf("%s: %v", r.name, err)
	}
	same := bytes.Equal
	if !r.exact {
		same = func(a, b []byte) bool { return bytes.Equal(normalized(t, a), normalized(t, b)) }
	}
	if want.Output != nil {
		if expected := b64(t, *want.Output); !same(out, expected) {
			t.Fatalf("%s: not the expected bytes:\n got  %x\n want %x", r.name, out, expected)
		}
		return
	}
	// A round trip: encode changed the input, and decoding its result gives the input back.
	if len(input) > 0 && same(out, input) {
		t.Fatalf("%s: encode changed nothing", r.name)
	}
	back, err := r.run(t, codec, "decode", out)
	if err != nil {
		t.Fatalf("%s: decoding the result: %v", r.name, err)
	}
	if !same(back, input) {
		t.Fatalf("%s: decode(encode(x)) != x:\n got  %x\n want %x", r.name, back, input)
	}
}

// Statuses by the C names the suite and the hostile manifest use.
var statusByName = map[string]Status{
	"TPC_ERR_NULL_ARGUMENT": ErrNullArgument, "TPC_ERR_INVALID_ARGUMENT": ErrInvalidArgument,
	"TPC_ERR_MALFORMED_INPUT": ErrMalformedInput, "TPC_ERR_CORRUPT_PAYLOAD": ErrCorruptPayload,
	"TPC_ERR_LIMIT_EXCEEDED": ErrLimitExceeded, "TPC_ERR_UNKNOWN_KEY": ErrUnknownKey,
	"TPC_ERR_DECRYPT_FAILED": ErrDecryptFailed, "TPC_ERR_BUFFER_TOO_SMALL": ErrBufferTooSmall,
	"TPC_ERR_INTERNAL": ErrInternal,
}

// checkConformanceError: err is the library's *Error carrying the case's status, from the
// stage the case names (op "new" is New, the build), with the fragment in its message.
func checkConformanceError(t *testing.T, err error, c conformanceCase, op string) {
	t.Helper()
	want, ok := statusByName[c.Expect.Error.Status]
	if !ok {
		t.Fatalf("unknown status %q in the suite", c.Expect.Error.Status)
	}
	at := "call"
	if op == "new" {
		at = "build"
	}
	if at != c.Expect.Error.At {
		t.Fatalf("failed at %s, want at %s: %v", at, c.Expect.Error.At, err)
	}
	checkErr(t, err, want, op, c.Expect.Error.MessageContains)
}
