package tpc

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"
)

// The generator every language decodes the same hostile batches from; TPC_HOSTILE_GENERATOR
// overrides the path for a test binary run from elsewhere.
func hostileGenerator() string {
	if p := os.Getenv("TPC_HOSTILE_GENERATOR"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "tests", "hostile", "make_hostile.py")
}

type hostileBatch struct {
	Name            string `json:"name"`
	File            string `json:"file"`
	Status          string `json:"status"`
	MessageContains string `json:"message_contains"`
	What            string `json:"what"`
	payloads        []*commonpb.Payload
}

func loadHostileBatches(t *testing.T) []hostileBatch {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("python3", hostileGenerator(), dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v (python3 is required to write the hostile batches): %v\n%s", cmd, err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var batches []hostileBatch
	if err := json.Unmarshal(raw, &batches); err != nil {
		t.Fatal(err)
	}
	if len(batches) == 0 {
		t.Fatal("the manifest lists no batches")
	}
	for i := range batches {
		data, err := os.ReadFile(filepath.Join(dir, batches[i].File))
		if err != nil {
			t.Fatal(err)
		}
		var ps commonpb.Payloads
		if err := proto.Unmarshal(data, &ps); err != nil {
			t.Fatalf("%s: %v", batches[i].Name, err)
		}
		batches[i].payloads = ps.Payloads
	}
	return batches
}

// checkAddressSpaceLimit fails when test.sh promised a limit (TPC_WANT_ADDRESS_SPACE_LIMIT,
// in bytes) the process does not have: the hostile tests only prove the process survives
// within that budget when the budget is really there.
func checkAddressSpaceLimit(t *testing.T) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &lim); err != nil {
		t.Fatal(err)
	}
	t.Logf("address space limit: %#x bytes", lim.Cur)
	want := os.Getenv("TPC_WANT_ADDRESS_SPACE_LIMIT")
	if want == "" {
		return
	}
	n, err := strconv.ParseUint(want, 10, 64)
	if err != nil {
		t.Fatalf("TPC_WANT_ADDRESS_SPACE_LIMIT=%q: %v", want, err)
	}
	if lim.Cur > n {
		t.Fatalf("address space limit is %d bytes, want at most %d: run under ulimit -v", lim.Cur, n)
	}
}

// Each hostile batch gets its status and message from the default codec and a configured one,
// and the process goes on encoding and decoding. Before the library bounded decoding, the
// claims batch killed the process ("fatal error: out of memory": Decode sized its buffer from
// the 62.5 GiB the library's size query reported), and the zlib batch decoded 3 GiB.
func TestHostileBatches(t *testing.T) {
	checkAddressSpaceLimit(t)
	batches := loadHostileBatches(t)
	// A key makes the encrypted layer live; zlib makes the configured codec differ from the
	// default in what it encodes with too.
	keyed := mustNew(t, WithCompression(CompressionZlib), WithKey("k", key32(7)), WithEncryptionKeyID("k"))
	codecs := []struct {
		name  string
		codec *Codec
	}{{"default", Default()}, {"zlib+aes", keyed}}

	for _, b := range batches {
		want, ok := statusByName[b.Status]
		if !ok {
			t.Fatalf("%s: unknown status %q in the manifest", b.Name, b.Status)
		}
		for _, c := range codecs {
			t.Run(b.Name+"/"+c.name, func(t *testing.T) {
				out, err := c.codec.Decode(b.payloads)
				if out != nil {
					t.Errorf("got %d payloads along with the error", len(out))
				}
				checkErr(t, err, want, "decode", b.MessageContains)
			})
		}
	}

	for _, c := range codecs {
		in := testBatch(t)
		encoded, err := c.codec.Encode(in)
		if err != nil {
			t.Fatalf("%s: encode after the hostile batches: %v", c.name, err)
		}
		decoded, err := c.codec.Decode(encoded)
		if err != nil {
			t.Fatalf("%s: decode after the hostile batches: %v", c.name, err)
		}
		assertSamePayloads(t, decoded, in)
	}
}

// The per-call total through the encrypted layer, whose output counts too (the conformance
// suite checks it on compressed payloads), and the values New refuses.
func TestMaxTotalDecodedSize(t *testing.T) {
	// Two payloads of about 720 bytes each: the first fits under 1000, the second crosses.
	in := []*commonpb.Payload{
		jsonPayload(t, strings.Repeat("a", 700)),
		jsonPayload(t, strings.Repeat("b", 700)),
	}
	keyOpts := []Option{WithKey("k", key32(3)), WithEncryptionKeyID("k")}
	sealed, err := mustNew(t, keyOpts...).Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	_, err = mustNew(t, append(keyOpts, WithMaxTotalDecodedSize(1000))...).Decode(sealed)
	checkErr(t, err, ErrLimitExceeded, "decode", "payload 1:")
	// Room for both: the cap is on the total, not a refusal of everything.
	decoded, err := mustNew(t, append(keyOpts, WithMaxTotalDecodedSize(4000))...).Decode(sealed)
	if err != nil {
		t.Fatal(err)
	}
	assertSamePayloads(t, decoded, in)

	for _, n := range []int{0, -1} {
		c, err := New(WithMaxTotalDecodedSize(n))
		if c != nil {
			t.Fatalf("WithMaxTotalDecodedSize(%d) gave a codec", n)
		}
		checkErr(t, err, ErrInvalidArgument, "new", "max total decoded size "+strconv.Itoa(n)+" must be at least 1")
	}
}
