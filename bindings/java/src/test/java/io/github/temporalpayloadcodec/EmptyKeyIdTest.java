package io.github.temporalpayloadcodec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.temporal.api.common.v1.Payload;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The empty key id, which Temporal's Go encryption sample writes ({@code encryption-key-id: ""}),
 * through both overloads (String and bytes): encrypting under it round-trips, each payload naming
 * it, and it is matched like any other id. (The sample's own bytes decode under it in the
 * conformance suite, ConformanceTest.)
 */
class EmptyKeyIdTest {
  private static String metadata(Payload p, String name) {
    return p.getMetadataOrThrow(name).toStringUtf8();
  }

  @Test
  void encryptionUnderTheEmptyKeyIdRoundTrips() {
    byte[] key = Fixtures.key(0x20);
    List<Payload> plain = List.of(Fixtures.json("\"empty id\""), Fixtures.order(7, 5000));
    for (Compression compression : List.of(Compression.SNAPPY, Compression.ZLIB)) {
      try (TpcCodec writer =
              TpcCodec.newBuilder()
                  .compression(compression)
                  .addKey("", key)
                  .encryptionKeyId("")
                  .build();
          TpcCodec bytesIds =
              TpcCodec.newBuilder()
                  .compression(compression)
                  .addKey(new byte[0], key)
                  .encryptionKeyId(new byte[0])
                  .build();
          TpcCodec reader = TpcCodec.newBuilder().addKey("", key).build()) {
        assertTrue(writer.toString().contains("encryptionKeyId=\"\""), writer.toString());
        for (TpcCodec codec : List.of(writer, bytesIds)) {
          List<Payload> encoded = codec.encode(plain);
          assertEquals(plain.size(), encoded.size());
          for (int i = 0; i < plain.size(); i++) {
            Payload p = encoded.get(i);
            assertEquals("binary/encrypted", Fixtures.encoding(p), compression + " " + i);
            assertEquals("", metadata(p, "encryption-key-id"));
            assertNotEquals(plain.get(i).getData(), p.getData());
          }
          assertEquals(plain, codec.decode(encoded), compression + " " + codec);
          assertEquals(plain, reader.decode(encoded), "a codec holding the key, not encrypting");
        }
      }
    }
    // A codec with keys but none under "" cannot read it, and one that holds the key but was
    // never told to encrypt does not: encryption is on exactly when encryptionKeyId was called.
    try (TpcCodec writer = TpcCodec.newBuilder().addKey("", key).encryptionKeyId("").build();
        TpcCodec otherId = TpcCodec.newBuilder().addKey("k", key).build();
        TpcCodec keyed = TpcCodec.newBuilder().addKey("", key).build()) {
      List<Payload> encoded = writer.encode(plain);
      TpcException e = assertThrows(TpcException.class, () -> otherId.decode(encoded));
      assertEquals(Status.UNKNOWN_KEY, e.getStatus(), e.getMessage());
      assertTrue(e.getDetail().contains("\"\""), e.getDetail());
      assertEquals("binary/snappy", Fixtures.encoding(keyed.encode(plain).get(0)));
    }
  }
}
