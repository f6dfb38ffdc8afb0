package io.github.temporalpayloadcodec.bench;

import com.google.protobuf.ByteString;
import io.temporal.api.common.v1.Payload;
import io.temporal.payload.codec.PayloadCodec;
import io.temporal.payload.codec.PayloadCodecException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.xerial.snappy.SnappyFramedInputStream;
import org.xerial.snappy.SnappyFramedOutputStream;

/**
 * The comparison codec: the reference format (snappy framing of the whole serialized payload,
 * metadata {@code encoding: binary/snappy}) written in Java with xerial snappy-java's framed
 * streams, the way a Java team would write it without this library.
 */
final class SnappyJavaCodec implements PayloadCodec {
  private static final ByteString ENCODING = ByteString.copyFromUtf8("binary/snappy");

  @Override
  public List<Payload> encode(List<Payload> payloads) {
    List<Payload> out = new ArrayList<>(payloads.size());
    try {
      for (Payload p : payloads) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(p.getSerializedSize() / 2 + 64);
        try (SnappyFramedOutputStream snappy = new SnappyFramedOutputStream(bytes)) {
          p.writeTo(snappy);
        }
        out.add(
            Payload.newBuilder()
                .putMetadata("encoding", ENCODING)
                .setData(ByteString.copyFrom(bytes.toByteArray()))
                .build());
      }
    } catch (IOException e) {
      throw new PayloadCodecException(e);
    }
    return out;
  }

  @Override
  public List<Payload> decode(List<Payload> payloads) {
    List<Payload> out = new ArrayList<>(payloads.size());
    try {
      for (Payload p : payloads) {
        if (!ENCODING.equals(p.getMetadataOrDefault("encoding", ByteString.EMPTY))) {
          out.add(p);
          continue;
        }
        try (SnappyFramedInputStream in =
            new SnappyFramedInputStream(new ByteArrayInputStream(p.getData().toByteArray()))) {
          out.add(Payload.parseFrom(in.readAllBytes()));
        }
      }
    } catch (IOException e) {
      throw new PayloadCodecException(e);
    }
    return out;
  }
}
