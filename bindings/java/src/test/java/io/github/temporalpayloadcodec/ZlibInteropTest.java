package io.github.temporalpayloadcodec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.temporal.api.common.v1.Payload;
import io.temporal.payload.codec.ZlibPayloadCodec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The SDK's own ZlibPayloadCodec reads what we write, and we read what it writes. */
class ZlibInteropTest {
  private static List<Payload> batch() {
    List<Payload> batch = new ArrayList<>();
    batch.add(Fixtures.json("{}")); // small: both sides keep it as it is
    batch.add(Fixtures.json("\"x\""));
    for (int i = 0; i < 5; i++) {
      batch.add(Fixtures.order(i, 300 << i));
    }
    return batch;
  }

  @Test
  void sdkZlibToUs() {
    for (int level : new int[] {1, 6, 9}) {
      List<Payload> sdkEncoded = new ZlibPayloadCodec(level).encode(batch());
      assertEquals("binary/zlib", Fixtures.encoding(sdkEncoded.get(6)));
      assertEquals(batch(), TpcCodec.defaultCodec().decode(sdkEncoded), "level " + level);
    }
  }

  @Test
  void usToSdkZlib() {
    try (TpcCodec codec =
        TpcCodec.newBuilder().compression(Compression.ZLIB).onlyIfSmaller(true).build()) {
      List<Payload> ours = codec.encode(batch());
      assertEquals("json/plain", Fixtures.encoding(ours.get(0)), "only-if-smaller kept it");
      for (int i = 2; i < ours.size(); i++) {
        assertEquals("binary/zlib", Fixtures.encoding(ours.get(i)));
      }
      assertEquals(batch(), new ZlibPayloadCodec().decode(ours));
    }
  }

  @Test
  void inACodecChainWithTheSdkZlib() {
    // The SDK applies a list last-to-first on encode: our encryption wraps the SDK's zlib.
    try (TpcCodec codec =
        TpcCodec.newBuilder()
            .compression(Compression.NONE)
            .addKey("k", Fixtures.key(7))
            .encryptionKeyId("k")
            .build()) {
      var sdk = new ZlibPayloadCodec();
      List<Payload> encoded = codec.encode(sdk.encode(batch()));
      // Our decode peels both layers (it knows binary/zlib) ...
      assertEquals(batch(), codec.decode(encoded));
      // ... and the SDK's chain order gives the same.
      assertEquals(batch(), sdk.decode(codec.decode(encoded)));
    }
  }
}
