package io.github.temporalpayloadcodec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.github.temporalpayloadcodec.Fixtures.Vector;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shared default codec and an explicitly snappy one are the reference codec: the reference
 * Python codec's vectors byte for byte, and its raw-block dialect read by the default codec. (The
 * conformance suite runs the same vectors through codecs built from options, through both APIs.)
 */
class VectorsTest {
  static List<Vector> vectors() throws Exception {
    return Fixtures.vectors();
  }

  @ParameterizedTest
  @MethodSource("vectors")
  void theDefaultCodecIsTheReferenceCodec(Vector v) {
    TpcCodec codec = TpcCodec.defaultCodec();
    assertArrayEquals(v.encoded(), codec.encodeSerialized(v.plain()), "encode");
    assertArrayEquals(v.plain(), codec.decodeSerialized(v.rawBlock()), "decode raw block");
    try (TpcCodec snappy = TpcCodec.newBuilder().compression(Compression.SNAPPY).build()) {
      assertArrayEquals(v.encoded(), snappy.encodeSerialized(v.plain()), "explicit SNAPPY");
    }
  }
}
