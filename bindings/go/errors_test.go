package tpc

import (
	"errors"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"
)

var allStatuses = []Status{ErrNullArgument, ErrInvalidArgument, ErrMalformedInput, ErrCorruptPayload,
	ErrLimitExceeded, ErrUnknownKey, ErrDecryptFailed, ErrBufferTooSmall, ErrInternal}

// checkErr asserts err is the library's error with this status and no other, and that its
// message says something specific.
func checkErr(t *testing.T, err error, want Status, op, msgPart string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("errors.Is(%v, %v) is false", err, want)
	}
	for _, other := range allStatuses {
		if other != want && errors.Is(err, other) {
			t.Fatalf("%v also matches %v", err, other)
		}
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%T is not *Error", err)
	}
	if e.Status != want || e.Op != op {
		t.Fatalf("status %d op %q, want %d %q", e.Status, e.Op, want, op)
	}
	if !strings.Contains(e.Message, msgPart) {
		t.Fatalf("message %q does not mention %q", e.Message, msgPart)
	}
	if !strings.Contains(err.Error(), e.Message) || !strings.Contains(err.Error(), strings.TrimPrefix(want.Error(), "tpc: ")) {
		t.Fatalf("Error() %q lacks the status text or the message", err.Error())
	}
}

func TestErrorStatuses(t *testing.T) {
	// Status numbers are the C ABI's; the text is the library's tpc_status_str.
	wantText := map[Status]string{
		1: "tpc: null argument", 2: "tpc: invalid argument", 3: "tpc: malformed input", 4: "tpc: corrupt payload",
		5: "tpc: limit exceeded", 6: "tpc: unknown key", 7: "tpc: decryption failed", 8: "tpc: buffer too small",
		255: "tpc: internal error",
	}
	for s, text := range wantText {
		if s.Error() != text {
			t.Errorf("Status(%d).Error() = %q, want %q", s, s.Error(), text)
		}
	}
	if Status(42).Error() != "tpc: unknown status" {
		t.Errorf("unknown code: %q", Status(42).Error())
	}
	for _, s := range allStatuses {
		if _, ok := wantText[s]; !ok {
			t.Errorf("sentinel %d has no expected text", s)
		}
	}

	// The statuses of the conformance suite's cases (conformance_test.go) are checked there;
	// these are the ones only a Go caller meets, or other inputs to the same status.
	t.Run("null argument", func(t *testing.T) {
		// The zero Codec holds no C codec, and the library refuses a NULL codec: there is no
		// "no codec means the default codec" on either side.
		var zero Codec
		_, err := zero.Encode(testBatch(t))
		checkErr(t, err, ErrNullArgument, "encode", "codec")
		_, err = zero.Decode(testBatch(t))
		checkErr(t, err, ErrNullArgument, "decode", "codec")
		if err := zero.Close(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("invalid argument", func(t *testing.T) {
		cases := []struct {
			opts []Option
			msg  string
		}{
			{[]Option{WithCompression(9)}, "compression"},
			{[]Option{WithKey("k", key32(1)), WithKey("k", key32(2))}, "twice"},
			{[]Option{WithKey("", key32(1)), WithKey("", key32(2))}, `"" was added twice`},
			// The empty id is an id like any other: it too needs its key.
			{[]Option{WithKey("k", key32(1)), WithEncryptionKeyID("")}, `"" was never added`},
			// Ids are bytes: "a\x00b" is not "a".
			{[]Option{WithKey("a", key32(1)), WithEncryptionKeyID("a\x00b")}, `"a\x00b" was never added`},
			{[]Option{WithZlibLevel(-1)}, "zlib level"},
			{[]Option{WithMaxDecodedSize(0)}, "at least 1"},
		}
		for _, c := range cases {
			codec, err := New(c.opts...)
			if codec != nil {
				t.Fatalf("%q: got a codec", c.msg)
			}
			checkErr(t, err, ErrInvalidArgument, "new", c.msg)
		}
	})

	t.Run("malformed input", func(t *testing.T) {
		// A payload whose own bytes are not a valid Payload (field 1 with wire type 7), written
		// by protobuf-go (the binding's writer passes unknown fields to it).
		p := &commonpb.Payload{Data: []byte("x")}
		p.ProtoReflect().SetUnknown([]byte{0x0f})
		_, err := Default().Encode([]*commonpb.Payload{p})
		checkErr(t, err, ErrMalformedInput, "encode", "payload 0")
	})

	snappyOf := func(t *testing.T, data []byte) *commonpb.Payload {
		return &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("binary/snappy")}, Data: data}
	}

	t.Run("corrupt payload", func(t *testing.T) {
		good, err := Default().Encode(testBatch(t))
		if err != nil {
			t.Fatal(err)
		}
		bad := append([]byte(nil), good[2].Data...)
		bad[len(bad)-1] ^= 0xff
		_, err = Default().Decode([]*commonpb.Payload{good[0], good[1], snappyOf(t, bad)})
		checkErr(t, err, ErrCorruptPayload, "decode", "payload 2")
		_, err = Default().Decode([]*commonpb.Payload{snappyOf(t, []byte("not snappy at all"))})
		checkErr(t, err, ErrCorruptPayload, "decode", "payload 0")
	})

	enc := mustNew(t, WithKey("writer", key32(1)), WithEncryptionKeyID("writer"))
	sealed, err := enc.Encode(testBatch(t))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("decrypt failed", func(t *testing.T) {
		tampered := proto.Clone(sealed[0]).(*commonpb.Payload)
		tampered.Data[20] ^= 1
		_, err := enc.Decode([]*commonpb.Payload{tampered})
		checkErr(t, err, ErrDecryptFailed, "decode", "payload 0")
	})

	t.Run("internal", func(t *testing.T) {
		// The library reports this only for a caught panic or an OS failure, which no input
		// provokes; what can be checked is that the code maps to the sentinel.
		err := error(&Error{Op: "encode", Status: Status(255), Message: "boom"})
		if !errors.Is(err, ErrInternal) || errors.Is(err, ErrCorruptPayload) {
			t.Fatal("status 255 is not ErrInternal")
		}
	})
}
