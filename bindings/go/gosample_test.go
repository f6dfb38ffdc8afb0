package tpc

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// The key of Temporal's Go encryption sample (samples-go encryption/).
var goSampleKey = []byte("test-key-test-key-test-key-test!")

func goSampleVectorPath() string {
	return filepath.Join("..", "..", "tests", "vectors", "go-sample-encryption.json")
}

const goSampleSource = "Temporal's Go encryption sample (samples-go encryption/), rewritten from its source and run " +
	"through the Go SDK's own converter.NewPayloadCodecHTTPHandler /encode, as its codec-server/main.go builds it: " +
	"&encryption.Codec{} (KeyID \"\", so encryption-key-id is empty) after converter.NewZlibCodec(AlwaysEncode: true); " +
	"and the same codec alone, as a worker or starter with no key id in its context and Compress off. AES-256-GCM, " +
	"data = nonce || ciphertext || tag. Made by bindings/go's TestGoSampleVector (TPC_UPDATE_VECTORS=1)."

const (
	goSampleServerCase = "codec-server-zlib-then-encrypted"
	goSampleWorkerCase = "worker-encrypted"
)

type goSampleDoc struct {
	Source string       `json:"source"`
	KeyID  string       `json:"key_id"`
	KeyHex string       `json:"key_hex"`
	Cases  []vectorCase `json:"cases"`
}

// goSampleJSON writes the file as the generator does: a map (so keys in ascending order)
// through json.MarshalIndent, and a final newline.
func goSampleJSON(t *testing.T, keyHex string, plain, server, worker []byte) []byte {
	b64 := base64.StdEncoding.EncodeToString
	doc := map[string]any{
		"source":  goSampleSource,
		"key_id":  "",
		"key_hex": keyHex,
		"cases": []map[string]string{
			{"name": goSampleServerCase, "plain": b64(plain), "encoded": b64(server)},
			{"name": goSampleWorkerCase, "plain": b64(plain), "encoded": b64(worker)},
		},
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// encodeViaHandler posts plain to /encode of the SDK's codec HTTP handler, as the Temporal UI
// or CLI would ask a codec server, and returns the answer as serialized Payloads.
func encodeViaHandler(t *testing.T, h http.Handler, plain *commonpb.Payloads) []byte {
	srv := httptest.NewServer(h)
	defer srv.Close()
	body, err := protojson.Marshal(plain)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.URL+"/encode", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/encode: %d %s", resp.StatusCode, raw)
	}
	var out commonpb.Payloads
	if err := protojson.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	// proto.Marshal as the SDK sends payloads (not deterministic: the two metadata entries of
	// an encrypted payload come in map order).
	b, err := proto.Marshal(&out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// generateGoSampleVector makes the file's content: the sample's codec (sampleEncryptionCodec,
// with an empty key id as the sample's codec server builds it) through the SDK's own
// converter.NewPayloadCodecHTTPHandler, with the SDK's zlib codec applied first (codec
// server) and alone (a worker with Compress off).
func generateGoSampleVector(t *testing.T) []byte {
	dc := converter.GetDefaultDataConverter()
	var ps []*commonpb.Payload
	for _, v := range []any{map[string]any{"order": 42, "items": []string{"a", "b"}}, "hello from the Go sample", nil, []byte{0, 1, 2, 255}} {
		p, err := dc.ToPayload(v)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	plain := &commonpb.Payloads{Payloads: ps}
	plainBytes, err := proto.Marshal(plain)
	if err != nil {
		t.Fatal(err)
	}
	sample := &sampleEncryptionCodec{keyID: "", key: goSampleKey}
	zlib := converter.NewZlibCodec(converter.ZlibCodecOptions{AlwaysEncode: true})
	server := encodeViaHandler(t, converter.NewPayloadCodecHTTPHandler(sample, zlib), plain)
	worker := encodeViaHandler(t, converter.NewPayloadCodecHTTPHandler(sample), plain)
	return goSampleJSON(t, hex.EncodeToString(goSampleKey), plainBytes, server, worker)
}

func parseGoSampleDoc(t *testing.T, raw []byte) goSampleDoc {
	t.Helper()
	var doc goSampleDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.KeyID != "" || doc.KeyHex != hex.EncodeToString(goSampleKey) {
		t.Fatalf("key_id %q key_hex %s: want the sample's key under the empty id", doc.KeyID, doc.KeyHex)
	}
	if len(doc.Cases) != 2 || doc.Cases[0].Name != goSampleServerCase || doc.Cases[1].Name != goSampleWorkerCase {
		t.Fatalf("cases %+v", doc.Cases)
	}
	return doc
}

// checkGoSampleDoc checks a file's cases with our codec and with the sample's own codec.
func checkGoSampleDoc(t *testing.T, doc goSampleDoc) {
	t.Helper()
	ours := mustNew(t, WithKey("", goSampleKey))
	sample := sampleEncryptionCodec{keyID: "", key: goSampleKey}
	sdkZlib := converter.NewZlibCodec(converter.ZlibCodecOptions{AlwaysEncode: true})
	for _, vc := range doc.Cases {
		plain, encoded := b64(t, vc.Plain), b64(t, vc.Encoded)
		payloads := parsePayloads(t, encoded)
		if len(payloads) != len(parsePayloads(t, plain)) || len(payloads) == 0 {
			t.Fatalf("%s: %d encoded payloads for %d plain", vc.Name, len(payloads), len(parsePayloads(t, plain)))
		}

		// (a) Our codec, holding the sample's key under the empty id, gives exactly plain.
		got, err := ours.call("decode", encoded)
		if err != nil {
			t.Fatalf("%s: decode: %v", vc.Name, err)
		}
		if gotBytes := marshal(t, &commonpb.Payloads{Payloads: got}); !bytes.Equal(gotBytes, plain) {
			t.Fatalf("%s: decode:\n got  %x\n want %x", vc.Name, gotBytes, plain)
		}
		viaAPI, err := ours.Decode(payloads)
		if err != nil {
			t.Fatalf("%s: Decode: %v", vc.Name, err)
		}
		if gotBytes := marshal(t, &commonpb.Payloads{Payloads: viaAPI}); !bytes.Equal(gotBytes, plain) {
			t.Fatalf("%s: Decode:\n got  %x\n want %x", vc.Name, gotBytes, plain)
		}
		// Without that key the payloads are refused, not passed through.
		if _, err := mustNew(t, WithKey("test", goSampleKey)).Decode(payloads); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("%s: a codec without the empty id: %v", vc.Name, err)
		}

		// (b) The sample's own codec: what it writes, and what it decrypts to.
		for i, p := range payloads {
			id, ok := p.Metadata["encryption-key-id"]
			if len(p.Metadata) != 2 || string(p.Metadata["encoding"]) != "binary/encrypted" || !ok || len(id) != 0 {
				t.Fatalf("%s: payload %d metadata %v: want binary/encrypted under the empty key id", vc.Name, i, p.Metadata)
			}
		}
		decrypted, err := sample.Decode(payloads)
		if err != nil {
			t.Fatalf("%s: the sample's codec: %v", vc.Name, err)
		}
		switch vc.Name {
		case goSampleServerCase:
			for i, p := range decrypted {
				if len(p.Metadata) != 1 || string(p.Metadata["encoding"]) != "binary/zlib" {
					t.Fatalf("%s: payload %d inside the encryption is not a binary/zlib payload: %v", vc.Name, i, p.Metadata)
				}
			}
			unzipped, err := sdkZlib.Decode(decrypted)
			if err != nil {
				t.Fatalf("%s: the SDK's zlib codec: %v", vc.Name, err)
			}
			if gotBytes := marshal(t, &commonpb.Payloads{Payloads: unzipped}); !bytes.Equal(gotBytes, plain) {
				t.Fatalf("%s: sample then SDK zlib:\n got  %x\n want %x", vc.Name, gotBytes, plain)
			}
		case goSampleWorkerCase:
			if gotBytes := marshal(t, &commonpb.Payloads{Payloads: decrypted}); !bytes.Equal(gotBytes, plain) {
				t.Fatalf("%s: the sample's decryption:\n got  %x\n want %x", vc.Name, gotBytes, plain)
			}
		}
	}
}

// tests/vectors/go-sample-encryption.json holds the bytes Temporal's Go encryption sample
// writes; every binding decodes it. TPC_UPDATE_VECTORS=1 regenerates it (fresh nonces, so
// every byte of "encoded" after the nonces changes).
func TestGoSampleVector(t *testing.T) {
	path := goSampleVectorPath()
	if os.Getenv("TPC_UPDATE_VECTORS") == "1" {
		if err := os.WriteFile(path, generateGoSampleVector(t), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	committed := parseGoSampleDoc(t, raw)
	checkGoSampleDoc(t, committed)

	// The generator, run in memory: its output passes the same checks and is the committed
	// file but for the nonces and ciphertexts (same plain bytes, same sizes), and the file is
	// in the generator's exact format.
	generated := parseGoSampleDoc(t, generateGoSampleVector(t))
	checkGoSampleDoc(t, generated)
	if generated.Source != committed.Source {
		t.Fatalf("source:\n file      %q\n generator %q", committed.Source, generated.Source)
	}
	for i := range committed.Cases {
		c, g := committed.Cases[i], generated.Cases[i]
		if c.Plain != g.Plain || len(c.Encoded) != len(g.Encoded) {
			t.Fatalf("%s: the generator gives other plain bytes or another encoded size", c.Name)
		}
	}
	again := goSampleJSON(t, committed.KeyHex, b64(t, committed.Cases[0].Plain),
		b64(t, committed.Cases[0].Encoded), b64(t, committed.Cases[1].Encoded))
	if !bytes.Equal(again, raw) {
		t.Fatalf("%s is not in the generator's format:\n%s", path, again)
	}
}

// Encryption under the empty key id round-trips, and the sample's codec reads it.
func TestEmptyEncryptionKeyID(t *testing.T) {
	in := testBatch(t)
	sample := sampleEncryptionCodec{keyID: "", key: goSampleKey}
	sdkZlib := converter.NewZlibCodec(converter.ZlibCodecOptions{AlwaysEncode: true})
	for _, compression := range []Compression{CompressionNone, CompressionZlib, CompressionSnappy} {
		codec := mustNew(t, WithKey("", goSampleKey), WithEncryptionKeyID(""), WithCompression(compression))
		enc, err := codec.Encode(in)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range enc {
			id, ok := p.Metadata["encryption-key-id"]
			if string(p.Metadata["encoding"]) != "binary/encrypted" || !ok || len(id) != 0 {
				t.Fatalf("compression %d payload %d: metadata %v", compression, i, p.Metadata)
			}
		}
		dec, err := codec.Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		assertSamePayloads(t, dec, in)
		if compression == CompressionSnappy {
			continue
		}
		byTheSample, err := sample.Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		if compression == CompressionZlib {
			if byTheSample, err = sdkZlib.Decode(byTheSample); err != nil {
				t.Fatal(err)
			}
		}
		assertSamePayloads(t, byTheSample, in)
	}

	// The deprecated name is the same option.
	old := mustNew(t, WithKey("", goSampleKey), WithEncryptionKey(""))
	enc, err := old.Encode(in[:1])
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := enc[0].Metadata["encryption-key-id"]; !ok || len(id) != 0 {
		t.Fatalf("WithEncryptionKey(\"\"): metadata %v", enc[0].Metadata)
	}
}

// Key ids are bytes: one holding a NUL byte is written whole and is not its prefix.
func TestKeyIDsAreBytes(t *testing.T) {
	in := testBatch(t)
	id := "a\x00b"
	writer := mustNew(t, WithKey(id, key32(4)), WithEncryptionKeyID(id))
	enc, err := writer.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(enc[0].Metadata["encryption-key-id"]); got != id {
		t.Fatalf("encryption-key-id %q, want %q", got, id)
	}
	_, err = mustNew(t, WithKey("a", key32(4))).Decode(enc)
	checkErr(t, err, ErrUnknownKey, "decode", `"a\x00b"`)
	dec, err := mustNew(t, WithKey("a", key32(5)), WithKey(id, key32(4))).Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	assertSamePayloads(t, dec, in)
}
