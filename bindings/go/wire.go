package tpc

import (
	"slices"
	"strings"
	"unicode/utf8"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Hand-written protobuf for the common shape of a Payload (string-keyed metadata and data).
// Through protobuf-go, marshaling the input and parsing the output cost twice the codec
// itself on small payloads (reflection, a sort allocation per map, a copy per bytes field).
// Anything else (external_payloads, unknown fields, unusual encodings) goes through
// protobuf-go, so the result is always what protobuf-go gives (wire_test.go checks both; the
// conformance suite, conformance_test.go, checks them against the library).

// appendPayloadsFast appends what proto.MarshalOptions{Deterministic: true} writes for
// Payloads{payloads}, or reports false when a payload needs protobuf-go.
func appendPayloadsFast(b []byte, payloads []*commonpb.Payload) ([]byte, bool) {
	for _, p := range payloads {
		if p == nil || len(p.ExternalPayloads) > 0 || len(p.ProtoReflect().GetUnknown()) > 0 {
			return b, false
		}
	}
	// One walk over each metadata map (map iteration is a large part of this function's
	// time): the entries are gathered, sorted, sized and written from the gathered copy.
	var small [8]metadataEntry
	for _, p := range payloads {
		entries := small[:0]
		if len(p.Metadata) > len(small) {
			entries = make([]metadataEntry, 0, len(p.Metadata))
		}
		for k, v := range p.Metadata {
			entries = append(entries, metadataEntry{k, v})
		}
		// Deterministic order is ascending key order, as protobuf-go sorts map keys.
		slices.SortFunc(entries, func(a, b metadataEntry) int { return strings.Compare(a.key, b.key) })
		size := 0
		for _, e := range entries {
			size += 1 + protowire.SizeBytes(e.size())
		}
		if len(p.Data) > 0 {
			size += 1 + protowire.SizeBytes(len(p.Data))
		}
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(size))
		for _, e := range entries {
			b = protowire.AppendTag(b, 1, protowire.BytesType)
			b = protowire.AppendVarint(b, uint64(e.size()))
			b = protowire.AppendTag(b, 1, protowire.BytesType)
			b = protowire.AppendString(b, e.key)
			b = protowire.AppendTag(b, 2, protowire.BytesType)
			b = protowire.AppendBytes(b, e.value)
		}
		if len(p.Data) > 0 {
			b = protowire.AppendTag(b, 2, protowire.BytesType)
			b = protowire.AppendBytes(b, p.Data)
		}
	}
	return b, true
}

type metadataEntry struct {
	key   string
	value []byte
}

// protobuf-go writes both key and value of a map entry even when empty.
func (e metadataEntry) size() int {
	return 1 + protowire.SizeBytes(len(e.key)) + 1 + protowire.SizeBytes(len(e.value))
}

// parseBatch parses serialized Payloads. Without copyEach, buf must be Go memory the result
// may keep: data and metadata values are capacity-limited subslices of it, so the batch costs
// one copy of the library's output (done by the caller) and no copy per field. With copyEach
// (buf is reused memory), each payload's bytes are first copied into an allocation of its
// own, which its fields alias.
func parseBatch(buf []byte, copyEach bool) ([]*commonpb.Payload, error) {
	count, ok := countPayloads(buf)
	if !ok {
		// protobuf-go copies every field it keeps.
		return parseSlow(buf)
	}
	structs := make([]commonpb.Payload, count)
	out := make([]*commonpb.Payload, count)
	b := buf
	for i := range out {
		_, _, n := protowire.ConsumeTag(b)
		b = b[n:]
		v, n := protowire.ConsumeBytes(b)
		b = b[n:]
		if copyEach {
			v = append([]byte(nil), v...)
		}
		p := &structs[i]
		if !parsePayloadFast(p, v) {
			proto.Reset(p)
			if err := proto.Unmarshal(v, p); err != nil {
				return nil, err
			}
		}
		out[i] = p
	}
	return out, nil
}

func parseSlow(buf []byte) ([]*commonpb.Payload, error) {
	var ps commonpb.Payloads
	if err := proto.Unmarshal(buf, &ps); err != nil {
		return nil, err
	}
	if ps.Payloads == nil {
		ps.Payloads = []*commonpb.Payload{}
	}
	return ps.Payloads, nil
}

// countPayloads reports false unless buf is a clean sequence of field-1 elements.
func countPayloads(b []byte) (int, bool) {
	count := 0
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num != 1 || typ != protowire.BytesType {
			return 0, false
		}
		b = b[n:]
		_, n = protowire.ConsumeBytes(b)
		if n < 0 {
			return 0, false
		}
		b = b[n:]
		count++
	}
	return count, true
}

func capped(v []byte) []byte { return v[:len(v):len(v)] }

// parsePayloadFast fills p from b when b has only metadata entries written key-then-value
// and data; on anything else it reports false and the caller uses protobuf-go.
func parsePayloadFast(p *commonpb.Payload, b []byte) bool {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || typ != protowire.BytesType {
			return false
		}
		b = b[n:]
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return false
		}
		b = b[n:]
		switch num {
		case 1:
			k, val, ok := parseEntry(v)
			if !ok {
				return false
			}
			if p.Metadata == nil {
				p.Metadata = make(map[string][]byte, 2)
			}
			p.Metadata[k] = val
		case 2:
			p.Data = capped(v)
		default:
			return false
		}
	}
	return true
}

func parseEntry(b []byte) (string, []byte, bool) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 || num != 1 || typ != protowire.BytesType {
		return "", nil, false
	}
	b = b[n:]
	k, n := protowire.ConsumeBytes(b)
	if n < 0 || !utf8.Valid(k) {
		return "", nil, false
	}
	b = b[n:]
	num, typ, n = protowire.ConsumeTag(b)
	if n < 0 || num != 2 || typ != protowire.BytesType {
		return "", nil, false
	}
	b = b[n:]
	v, n := protowire.ConsumeBytes(b)
	if n < 0 || n != len(b) {
		return "", nil, false
	}
	return internKey(k), capped(v), true
}

// The keys the library writes, without an allocation each.
func internKey(k []byte) string {
	switch string(k) {
	case "encoding":
		return "encoding"
	case "encryption-key-id":
		return "encryption-key-id"
	}
	return string(k)
}
