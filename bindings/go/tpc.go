// Package tpc is the Go binding of temporal-payload-codec: one Temporal payload codec,
// written once in Rust and bound by every SDK language, so Go, Java, .NET and Python workers
// produce and read the very same bytes.
//
// A *Codec is a go.temporal.io/sdk/converter.PayloadCodec:
//
//	codec := tpc.Default() // the reference snappy codec
//	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codec)
//	c, err := client.Dial(client.Options{DataConverter: dc})
//
// Encryption, zlib and the other options of the C builder are set with New. The package is
// bound to C ABI version 2 of the library (ABIVersion) and refuses to start with another.
package tpc

/*
#include <stdlib.h>
#include "temporal_payload_codec.h"

// One crossing per call, with the out and err buffers living in C's frame and returned by
// value: passing the addresses of Go variables would make them escape to the heap, costing
// two allocations per call.
typedef struct {
	tpc_status status;
	tpc_slice out;
	tpc_buffer err;
} tpcgo_encode_result;

// Encodes with codec into the workspace ws: out views its memory until ws is used again.
static tpcgo_encode_result tpcgo_workspace_encode(tpc_workspace *ws, const tpc_codec *codec,
                                                  const uint8_t *in, size_t len) {
	tpcgo_encode_result r = {0};
	r.status = tpc_workspace_encode(ws, codec, in, len, &r.out, &r.err);
	return r;
}

static void tpcgo_free(tpc_buffer b) { tpc_buffer_free(&b); }

typedef struct {
	tpc_status status;
	size_t len;
	tpc_buffer err;
} tpcgo_into_result;

// Decodes into dst (Go memory): on TPC_ERR_BUFFER_TOO_SMALL (dst (NULL, 0) or too small), len
// is the size to retry with (see tpc_codec_decode_into).
static tpcgo_into_result tpcgo_decode_into(const tpc_codec *codec, const uint8_t *in, size_t len,
                                           uint8_t *dst, size_t cap) {
	tpcgo_into_result r = {0};
	r.status = tpc_codec_decode_into(codec, in, len, dst, cap, &r.len, &r.err);
	return r;
}

// The library never keeps the input pointer nor calls back into Go, so cgo may leave the
// marshaled input where it is and skip the callback bookkeeping.
#cgo noescape tpcgo_workspace_encode
#cgo nocallback tpcgo_workspace_encode
#cgo noescape tpcgo_free
#cgo nocallback tpcgo_free
#cgo noescape tpcgo_decode_into
#cgo nocallback tpcgo_decode_into
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"
)

// ABIVersion is the C ABI version this package was written against. The package refuses to
// initialize against a library or header reporting another one.
const ABIVersion = 2

func init() {
	if err := checkABI(uint32(C.tpc_abi_version()), uint32(C.TPC_ABI_VERSION)); err != nil {
		// Calling into a library whose ABI differs is undefined behaviour, so no call may
		// happen: failing at start-up with the reason beats corrupt payloads later.
		panic(err)
	}
}

// checkABI names both the library's ABI version and the one this package expects (and the
// header's, which cgo compiled against), so the message says which side to rebuild.
func checkABI(library, header uint32) error {
	if library == ABIVersion && header == ABIVersion {
		return nil
	}
	return fmt.Errorf("tpc: C ABI mismatch: the loaded libtemporal_payload_codec (version %s) implements ABI %d, "+
		"but this Go package expects ABI %d (the header cgo compiled against declares ABI %d); "+
		"build the library and this package from the same checkout (scripts/build-lib.sh)",
		Version(), library, ABIVersion, header)
}

// Version is the version of the loaded library, e.g. "0.2.0".
func Version() string { return C.GoString(C.tpc_version()) }

// Compression selects the compression layer of encoding. Decoding peels every layer the
// library knows, whatever is configured here.
type Compression uint32

const (
	// CompressionNone writes no compression layer.
	CompressionNone Compression = C.TPC_COMPRESSION_NONE
	// CompressionSnappy is binary/snappy in the framing format: the reference codec, and the
	// default.
	CompressionSnappy Compression = C.TPC_COMPRESSION_SNAPPY
	// CompressionSnappyRaw is binary/snappy as one raw block, the Go codec-server sample's
	// dialect.
	CompressionSnappyRaw Compression = C.TPC_COMPRESSION_SNAPPY_RAW
	// CompressionZlib is binary/zlib as converter.NewZlibCodec and Java's ZlibPayloadCodec
	// write it.
	CompressionZlib Compression = C.TPC_COMPRESSION_ZLIB
)

// Option configures New. Options mirror the C builder.
type Option func(*builder)

type builder struct {
	ptr *C.tpc_codec_builder
	// Only errors found on the Go side; the C builder records its own and build reports the
	// first of them with its message.
	err error
}

func (b *builder) fail(format string, args ...any) {
	if b.err == nil {
		b.err = &Error{Op: "new", Status: ErrInvalidArgument, Message: fmt.Sprintf(format, args...)}
	}
}

// bytesOf lends s to C as pointer and length: (NULL, 0) when empty. Key ids cross the ABI as
// bytes, so any Go string is an id, the empty one and ones holding NUL bytes included.
func bytesOf(s string) (*C.uint8_t, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

// WithCompression sets the compression layer (default CompressionSnappy).
func WithCompression(c Compression) Option {
	return func(b *builder) { C.tpc_codec_builder_set_compression(b.ptr, C.uint32_t(c)) }
}

// WithOnlyIfSmaller keeps a payload unwrapped unless compression makes it strictly smaller,
// as the Go and Java SDKs' zlib codecs do. Off by default: the reference codec always wraps.
func WithOnlyIfSmaller(on bool) Option {
	return func(b *builder) {
		var v C.uint32_t
		if on {
			v = 1
		}
		C.tpc_codec_builder_set_only_if_smaller(b.ptr, v)
	}
}

// WithZlibLevel sets the zlib level, 0 to 9 (default 6, as the SDKs).
func WithZlibLevel(level int) Option {
	return func(b *builder) {
		if level < 0 || level > 9 {
			b.fail("zlib level %d is out of range 0 to 9", level)
			return
		}
		C.tpc_codec_builder_set_zlib_level(b.ptr, C.uint32_t(level))
	}
}

// WithKey adds a 32-byte AES-256 key under id (option keys). Add as many as histories need:
// decoding picks the key a payload names in its encryption-key-id metadata, so old keys keep
// decrypting after a rotation. An id is any bytes: "" is a valid id (Temporal's Go encryption
// sample writes encryption-key-id ""), and so is one holding NUL bytes. Id and key are copied.
func WithKey(id string, key []byte) Option {
	return func(b *builder) {
		idPtr, idLen := bytesOf(id)
		keyPtr, keyLen := cBytes(key)
		C.tpc_codec_builder_add_key(b.ptr, idPtr, idLen, keyPtr, keyLen)
		runtime.KeepAlive(id)
		runtime.KeepAlive(key)
	}
}

// WithEncryptionKeyID encrypts with the key added under id (option encryption_key_id;
// AES-256-GCM, the layout of the Temporal samples). Encryption is on exactly when this option
// is given, also with id "". New fails if no key was added under id.
func WithEncryptionKeyID(id string) Option {
	return func(b *builder) {
		idPtr, idLen := bytesOf(id)
		C.tpc_codec_builder_set_encryption_key_id(b.ptr, idPtr, idLen)
		runtime.KeepAlive(id)
	}
}

// WithEncryptionKey is the old name of WithEncryptionKeyID.
//
// Deprecated: use WithEncryptionKeyID, the name every binding of the library uses.
func WithEncryptionKey(id string) Option { return WithEncryptionKeyID(id) }

// WithMaxDecodedSize caps the decoded size of one payload, per layer (default 64 MiB), so a
// hostile or corrupt payload cannot make the decoder allocate without bound.
func WithMaxDecodedSize(maxBytes int) Option {
	return func(b *builder) {
		if maxBytes < 1 {
			b.fail("max decoded size %d must be at least 1 byte", maxBytes)
			return
		}
		C.tpc_codec_builder_set_max_decoded_size(b.ptr, C.size_t(maxBytes))
	}
}

// WithMaxTotalDecodedSize caps the bytes one Decode call may produce, all payloads and all
// their layers counted (default 256 MiB). WithMaxDecodedSize alone bounds each payload, not a
// batch of many: a thousand payloads each just under it would still exhaust memory.
func WithMaxTotalDecodedSize(maxBytes int) Option {
	return func(b *builder) {
		if maxBytes < 1 {
			b.fail("max total decoded size %d must be at least 1 byte", maxBytes)
			return
		}
		C.tpc_codec_builder_set_max_total_decoded_size(b.ptr, C.size_t(maxBytes))
	}
}

// Codec is a converter.PayloadCodec backed by the shared Rust codec. It is safe for use by
// any number of goroutines at once. Call Close when done; a Codec that is garbage collected
// without Close is released too, but only at the collector's pace. Make one with New or
// Default: the zero Codec holds no C codec, and its calls fail with ErrNullArgument.
type Codec struct {
	// mu orders Close after every call in flight: the C codec must not be freed under a
	// running encode. Calls share the read lock, so they run in parallel.
	mu      sync.RWMutex
	ptr     *C.tpc_codec // nil only in the zero Codec and after Close
	closed  bool
	shared  bool // Default(): Close is a no-op
	cleanup runtime.Cleanup
}

// The default codec is a C codec built with no options (the builder's defaults are the
// reference codec), made on first use and never freed.
var defaultCodec = sync.OnceValue(func() *Codec {
	ptr, err := build(nil)
	if err != nil {
		// Only an allocation failure or a library bug fails a build without options.
		panic(fmt.Sprintf("tpc: build the default codec: %v", err))
	}
	return &Codec{ptr: ptr, shared: true}
})

// Default returns the shared default codec, a codec built with no options: the reference
// snappy codec of Temporal's documentation (snappy framing format, metadata
// {"encoding": "binary/snappy"}), byte for byte. It holds no keys, so it passes encrypted
// payloads through. Its Close does nothing.
func Default() *Codec { return defaultCodec() }

// New builds a codec from options; with none, it encodes and decodes like Default.
func New(opts ...Option) (*Codec, error) {
	ptr, err := build(opts)
	if err != nil {
		return nil, err
	}
	c := &Codec{ptr: ptr}
	// A safety net only: Close is the way to release a codec promptly.
	c.cleanup = runtime.AddCleanup(c, func(p *C.tpc_codec) { C.tpc_codec_free(p) }, ptr)
	return c, nil
}

// build runs the C builder with opts.
func build(opts []Option) (*C.tpc_codec, error) {
	b := &builder{ptr: C.tpc_codec_builder_new()}
	if b.ptr == nil {
		return nil, &Error{Op: "new", Status: ErrInternal, Message: "tpc_codec_builder_new returned NULL"}
	}
	for _, o := range opts {
		o(b)
	}
	if b.err != nil {
		C.tpc_codec_builder_free(b.ptr)
		return nil, b.err
	}
	var ptr *C.tpc_codec
	var errBuf C.tpc_buffer
	// Consumes the builder on success and failure alike.
	if st := C.tpc_codec_build(b.ptr, &ptr, &errBuf); st != C.TPC_OK {
		return nil, newError("new", st, &errBuf)
	}
	return ptr, nil
}

// Close releases the codec. It waits for calls in flight; later calls return ErrClosed.
// Closing twice is harmless.
func (c *Codec) Close() error {
	if c.shared {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	c.cleanup.Stop()
	C.tpc_codec_free(c.ptr)
	c.ptr = nil
	return nil
}

// Encode compresses and, if configured, encrypts each payload, returning as many payloads in
// the same order. The input is not modified.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	return c.run("encode", payloads)
}

// Decode peels every layer this library knows (binary/encrypted when the codec holds keys,
// binary/zlib, binary/snappy in both dialects) and passes other payloads through untouched.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	return c.run("decode", payloads)
}

// Deterministic marshaling sorts metadata map keys: Go randomizes map order, and the same
// payload must always give the same bytes, the same bytes other languages give.
var marshalOptions = proto.MarshalOptions{Deterministic: true}

// Marshal buffers are reused: C reads them only during the call, and a fresh buffer the size
// of the batch per call is an allocation and a zeroing the library does not need.
var inputPool = sync.Pool{New: func() any { return new([]byte) }}

// Buffers larger than this are dropped rather than pooled, so one huge batch does not pin
// its memory for the life of the process.
const maxPooledInput = 4 << 20

func (c *Codec) run(op string, payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	buf := inputPool.Get().(*[]byte)
	in, ok := appendPayloadsFast((*buf)[:0], payloads)
	if !ok {
		var err error
		in, err = marshalOptions.MarshalAppend((*buf)[:0], &commonpb.Payloads{Payloads: payloads})
		if err != nil {
			inputPool.Put(buf)
			return nil, fmt.Errorf("tpc: %s: marshal payloads: %w", op, err)
		}
	}
	out, err := c.call(op, in)
	if cap(in) <= maxPooledInput {
		*buf = in
		inputPool.Put(buf)
	}
	return out, err
}

// call runs one encode or decode over serialized Payloads and parses the result.
func (c *Codec) call(op string, in []byte) ([]*commonpb.Payload, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return nil, ErrClosed
	}
	if op == "decode" {
		return c.decode(in)
	}
	w := workspaces.Get().(*workspace)
	out, err := c.encodeInto(w, in)
	w.release()
	if err != nil {
		return nil, err
	}
	return parseResult(op, out, false)
}

// cBytes lends b to C as pointer and length: (NULL, 0) when empty. The caller keeps b alive
// (runtime.KeepAlive) until C is done reading it.
func cBytes(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// encodeInto encodes in (serialized Payloads) with the workspace w and returns the result,
// copied into Go memory: the workspace may serve another call as soon as this one returns.
func (c *Codec) encodeInto(w *workspace, in []byte) ([]byte, error) {
	p, n := cBytes(in)
	r := C.tpcgo_workspace_encode(w.ptr, c.ptr, p, n)
	// The cleanup must not free the C codec while C runs (keep c reachable until here), nor
	// the Go buffer C reads be collected.
	runtime.KeepAlive(c)
	runtime.KeepAlive(in)
	if r.status != C.TPC_OK {
		return nil, newError("encode", r.status, &r.err)
	}
	// The one copy into Go memory, out of the workspace before it serves another call. The
	// parsed payloads' data and metadata values are subslices of this copy.
	src := unsafe.Slice((*byte)(unsafe.Pointer(r.out.data)), int(r.out.len))
	// make+copy of len(src) is compiled to an allocation without zeroing.
	result := make([]byte, len(src))
	copy(result, src)
	return result, nil
}

// workspace is a C tpc_workspace: the memory the library encodes into, kept from call to
// call. With a fresh library buffer per call, glibc hands a large batch's freed output back to
// the kernel and the next call faults the pages in again, about a sixth of a 1 MiB encode.
// Any codec may use any workspace, one call at a time, so one pool serves the package.
type workspace struct {
	ptr     *C.tpc_workspace // nil once freed
	cleanup runtime.Cleanup
}

// The pool may drop a workspace at any garbage collection; its cleanup then frees the C side.
var workspaces = sync.Pool{New: func() any {
	w := &workspace{ptr: C.tpc_workspace_new()}
	w.cleanup = runtime.AddCleanup(w, func(p *C.tpc_workspace) { C.tpc_workspace_free(p) }, w.ptr)
	return w
}}

// capacity is the bytes of memory w keeps between calls.
func (w *workspace) capacity() int { return int(C.tpc_workspace_capacity(w.ptr)) }

// release returns w to the pool, or frees it at once when it holds more than a pooled input
// buffer may (maxPooledInput), so one huge batch does not pin its memory.
func (w *workspace) release() {
	if w.capacity() > maxPooledInput {
		w.cleanup.Stop()
		C.tpc_workspace_free(w.ptr)
		w.ptr = nil
		return
	}
	workspaces.Put(w)
}

// decode decodes with tpc_codec_decode_into, choosing where the result goes by the input's
// size. Batches whose input is up to scratchDecodeInput go through a pooled scratch buffer and
// are copied out; larger ones are decoded straight into a Go buffer of the exact size: a
// pooled buffer of a megabyte or more rarely survives the garbage collections such batches
// cause, and then costs a fresh allocation and a copy on top. The caller holds c.mu.
func (c *Codec) decode(in []byte) ([]*commonpb.Payload, error) {
	if len(in) > scratchDecodeInput {
		out, err := c.decodeExact(in)
		if err != nil {
			return nil, err
		}
		return parseResult("decode", out, false)
	}
	// Through a pooled scratch buffer, usually in one call, then copied out with make+copy
	// (no zeroing): whole when small, else each payload into its own allocation. Instead of a
	// size query, a decode and a fresh zeroed large object per batch, that is one call and
	// small-object allocations; the benchmark shows no clear change in time at 16 x 4 KiB
	// (see BENCHMARKS.md), but each payload keeps only its own memory alive, not the batch's.
	scratch := decodeScratch.Get().(*[]byte)
	defer putDecodeScratch(scratch)
	out, err := c.decodeIntoScratch(in, scratch)
	if err != nil {
		return nil, err
	}
	if len(out) <= smallResult {
		return parseResult("decode", append([]byte(nil), out...), false)
	}
	return parseResult("decode", out, true)
}

// Inputs up to this size decode via the pooled scratch buffer.
const scratchDecodeInput = 256 << 10

// decodeExact is a size query, then a decode into a Go buffer of that size, which the result
// is: no library-owned buffer and no copy.
func (c *Codec) decodeExact(in []byte) ([]byte, error) {
	return c.decodeUntilFits(in, nil, func(size int) []byte { return make([]byte, size) })
}

// decodeIntoScratch decodes into *scratch, replacing it with a larger buffer when the result
// does not fit. The result is a prefix of *scratch: copy it out before the scratch is reused.
func (c *Codec) decodeIntoScratch(in []byte, scratch *[]byte) ([]byte, error) {
	return c.decodeUntilFits(in, *scratch, func(size int) []byte {
		*scratch = make([]byte, size)
		return *scratch
	})
}

// decodeUntilFits is the one decode-into pattern of the C ABI: a call with dst, and while the
// library answers TPC_ERR_BUFFER_TOO_SMALL with the size needed, a call with grow(need). An
// empty dst is the pattern's (NULL, 0) size query; the scratch path starts from its pooled
// buffer instead, which usually fits at once. It returns the result, a prefix of the last
// buffer.
func (c *Codec) decodeUntilFits(in []byte, dst []byte, grow func(size int) []byte) ([]byte, error) {
	size, tooSmall, err := c.decodeIntoOnce(in, dst)
	// The library's contract ends the loop after at most two retries (the headers' size, then
	// the exact one when nested layers hid it); the bound only turns a library bug into an
	// error rather than a loop.
	for retries := 0; tooSmall; retries++ {
		if retries == maxDecodeRetries {
			return nil, &Error{Op: "decode", Status: ErrInternal, Message: fmt.Sprintf(
				"tpc_codec_decode_into still wanted a larger buffer (%d bytes) after %d retries", size, retries)}
		}
		dst = grow(size)
		size, tooSmall, err = c.decodeIntoOnce(in, dst)
	}
	if err != nil {
		return nil, err
	}
	return dst[:size], nil
}

// The library's contract: a first call with any buffer (the scratch, or the (NULL, 0) query)
// learns at worst the headers' size, the retry with it at worst the exact size.
const maxDecodeRetries = 2

// decodeIntoOnce is one tpc_codec_decode_into call into dst: the result's size, or with
// tooSmall the size needed (TPC_ERR_BUFFER_TOO_SMALL, whose message is freed unread).
func (c *Codec) decodeIntoOnce(in []byte, dst []byte) (size int, tooSmall bool, err error) {
	p, n := cBytes(in)
	d, dn := cBytes(dst)
	r := C.tpcgo_decode_into(c.ptr, p, n, d, dn)
	// The cleanup must not free the C codec while C runs, nor in or dst be collected.
	runtime.KeepAlive(c)
	runtime.KeepAlive(in)
	runtime.KeepAlive(dst)
	switch r.status {
	case C.TPC_OK:
		if int(r.len) > len(dst) {
			return 0, false, &Error{Op: "decode", Status: ErrInternal, Message: fmt.Sprintf(
				"tpc_codec_decode_into reported %d bytes written into a buffer of %d", r.len, len(dst))}
		}
		return int(r.len), false, nil
	case C.TPC_ERR_BUFFER_TOO_SMALL:
		C.tpcgo_free(r.err)
		return int(r.len), true, nil
	default:
		return 0, false, newError("decode", r.status, &r.err)
	}
}

// Results up to this size are copied out whole: Go's small-object limit.
const smallResult = 32 << 10

// Decode scratch buffers are reused between calls; like input buffers, one that grew past
// maxPooledInput is dropped rather than pinned for the life of the process.
var decodeScratch = sync.Pool{New: func() any {
	b := make([]byte, 64<<10)
	return &b
}}

func putDecodeScratch(b *[]byte) {
	if len(*b) <= maxPooledInput {
		decodeScratch.Put(b)
	}
}

// parseResult parses the library's serialized Payloads output. Data and metadata values are
// subslices of out, or with copyEach (out is reused memory) of a copy of each payload's bytes.
func parseResult(op string, out []byte, copyEach bool) ([]*commonpb.Payload, error) {
	payloads, err := parseBatch(out, copyEach)
	if err != nil {
		// The library returned bytes that do not parse: a bug on one side or the other.
		return nil, &Error{Op: op, Status: ErrInternal, Message: "parse the library's output: " + err.Error()}
	}
	return payloads, nil
}

// ErrClosed is returned by calls on a Codec after Close.
var ErrClosed = errors.New("tpc: codec is closed")

// Status is a status code of the C library. The exported Err* constants are its failure
// codes; test for them with errors.Is(err, tpc.ErrCorruptPayload).
type Status uint32

// Error returns the library's description of the status (tpc_status_str).
func (s Status) Error() string { return "tpc: " + C.GoString(C.tpc_status_str(C.uint32_t(s))) }

const (
	// ErrNullArgument: a NULL pointer reached the library: a call on the zero Codec, or a
	// binding bug.
	ErrNullArgument Status = C.TPC_ERR_NULL_ARGUMENT
	// ErrInvalidArgument: an option was out of range, or keys were misconfigured.
	ErrInvalidArgument Status = C.TPC_ERR_INVALID_ARGUMENT
	// ErrMalformedInput: the input is not a valid Payloads, or a Payload in it is malformed.
	ErrMalformedInput Status = C.TPC_ERR_MALFORMED_INPUT
	// ErrCorruptPayload: an encoded payload's data does not decode.
	ErrCorruptPayload Status = C.TPC_ERR_CORRUPT_PAYLOAD
	// ErrLimitExceeded: a decoded payload, or all of a call's, would exceed the maximum size, or
	// layers nest too deep.
	ErrLimitExceeded Status = C.TPC_ERR_LIMIT_EXCEEDED
	// ErrUnknownKey: an encrypted payload names a key id the codec does not hold.
	ErrUnknownKey Status = C.TPC_ERR_UNKNOWN_KEY
	// ErrDecryptFailed: authenticated decryption failed (wrong key or tampered payload).
	ErrDecryptFailed Status = C.TPC_ERR_DECRYPT_FAILED
	// ErrBufferTooSmall: a caller's buffer was too small for a decode-into result. Decode
	// grows its buffer and retries by itself, so a Go caller never gets it.
	ErrBufferTooSmall Status = C.TPC_ERR_BUFFER_TOO_SMALL
	// ErrInternal: a caught panic or an OS failure in the library; worth a bug report.
	ErrInternal Status = C.TPC_ERR_INTERNAL
)

// Error is a failure reported by the library: the status and its message, which names the
// payload index and the fault (never key bytes or payload data).
type Error struct {
	Op      string // "new", "encode" or "decode"
	Status  Status
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("tpc: %s: %s: %s", e.Op, C.GoString(C.tpc_status_str(C.uint32_t(e.Status))), e.Message)
}

// Unwrap makes errors.Is(err, tpc.ErrCorruptPayload) and friends work.
func (e *Error) Unwrap() error { return e.Status }

// newError takes ownership of errBuf and frees it.
func newError(op string, st C.tpc_status, errBuf *C.tpc_buffer) error {
	var msg string
	if errBuf.data != nil {
		// Not NUL-terminated: the length is the only end marker.
		msg = C.GoStringN((*C.char)(unsafe.Pointer(errBuf.data)), C.int(errBuf.len))
	}
	C.tpcgo_free(*errBuf)
	return &Error{Op: op, Status: Status(st), Message: msg}
}
