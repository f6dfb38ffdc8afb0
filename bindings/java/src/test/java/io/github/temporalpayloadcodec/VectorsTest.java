package io.github.temporalpayloadcodec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.temporalpayloadcodec.Fixtures.Vector;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The reference Python codec's outputs, reproduced byte for byte. */
class VectorsTest {
  static List<Vector> vectors() throws Exception {
    return Fixtures.vectors();
  }

  @ParameterizedTest
  @MethodSource("vectors")
  void serializedBytesMatchTheReference(Vector v) {
    TpcCodec codec = TpcCodec.defaultCodec();
    assertArrayEquals(v.encoded(), codec.encodeSerialized(v.plain()), "encode");
    assertArrayEquals(v.plain(), codec.decodeSerialized(v.encoded()), "decode framing");
    assertArrayEquals(v.plain(), codec.decodeSerialized(v.rawBlock()), "decode raw block");
  }

  @ParameterizedTest
  @MethodSource("vectors")
  void payloadListsMatchTheReference(Vector v) throws Exception {
    // Through the PayloadCodec API: Java serializes the payloads, the library wraps them.
    TpcCodec codec = TpcCodec.defaultCodec();
    var encoded = codec.encode(Fixtures.parse(v.plain()));
    assertArrayEquals(v.encoded(), Fixtures.serialize(encoded), "encode");
    assertEquals(Fixtures.parse(v.plain()), codec.decode(Fixtures.parse(v.encoded())), "decode");
    assertEquals(Fixtures.parse(v.plain()), codec.decode(Fixtures.parse(v.rawBlock())), "raw");
  }

  @ParameterizedTest
  @MethodSource("vectors")
  void aConfiguredSnappyCodecWritesTheSameBytes(Vector v) {
    try (TpcCodec codec = TpcCodec.newBuilder().compression(Compression.SNAPPY).build()) {
      assertArrayEquals(v.encoded(), codec.encodeSerialized(v.plain()));
    }
  }
}
