package tpc

import (
	"bytes"
	"io"
	"sync"

	"github.com/golang/snappy"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"
)

// goSnappyCodec is what a Go team writes without this library: the reference codec's format
// (snappy framing, metadata encoding=binary/snappy) with github.com/golang/snappy's buffered
// writer. It reuses writers and readers through pools, as a careful implementation would:
// each holds about 140 KiB of buffers, and allocating them per payload would make it look
// far slower than it needs to be.
type goSnappyCodec struct {
	writers sync.Pool
	readers sync.Pool
	buffers sync.Pool
}

func newGoSnappyCodec() *goSnappyCodec {
	return &goSnappyCodec{
		writers: sync.Pool{New: func() any { return snappy.NewBufferedWriter(nil) }},
		readers: sync.Pool{New: func() any { return snappy.NewReader(nil) }},
		buffers: sync.Pool{New: func() any { return new(bytes.Buffer) }},
	}
}

func (c *goSnappyCodec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	w := c.writers.Get().(*snappy.Writer)
	defer c.writers.Put(w)
	buf := c.buffers.Get().(*bytes.Buffer)
	defer c.buffers.Put(buf)
	for i, p := range payloads {
		b, err := proto.Marshal(p)
		if err != nil {
			return nil, err
		}
		buf.Reset()
		w.Reset(buf)
		if _, err := w.Write(b); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{"encoding": []byte("binary/snappy")},
			Data:     bytes.Clone(buf.Bytes()),
		}
	}
	return out, nil
}

func (c *goSnappyCodec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	r := c.readers.Get().(*snappy.Reader)
	defer c.readers.Put(r)
	buf := c.buffers.Get().(*bytes.Buffer)
	defer c.buffers.Put(buf)
	for i, p := range payloads {
		if string(p.Metadata["encoding"]) != "binary/snappy" {
			out[i] = p
			continue
		}
		r.Reset(bytes.NewReader(p.Data))
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return nil, err
		}
		// Unmarshal copies out of buf, so buf is free for the next payload.
		out[i] = &commonpb.Payload{}
		if err := proto.Unmarshal(buf.Bytes(), out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readAllSnappy(data []byte) ([]byte, error) {
	return io.ReadAll(snappy.NewReader(bytes.NewReader(data)))
}

// goSnappyNaive is the same format written the way the SDK writes its zlib codec: a new
// buffered writer and reader per payload, and io.ReadAll.
type goSnappyNaive struct{}

func (goSnappyNaive) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		b, err := proto.Marshal(p)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		w := snappy.NewBufferedWriter(&buf)
		if _, err := w.Write(b); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		out[i] = &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("binary/snappy")}, Data: buf.Bytes()}
	}
	return out, nil
}

func (goSnappyNaive) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.Metadata["encoding"]) != "binary/snappy" {
			out[i] = p
			continue
		}
		b, err := readAllSnappy(p.Data)
		if err != nil {
			return nil, err
		}
		out[i] = &commonpb.Payload{}
		if err := proto.Unmarshal(b, out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
