package io.github.temporalpayloadcodec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.temporal.api.common.v1.Payload;
import java.io.File;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The empty key id, which Temporal's Go encryption sample writes ({@code encryption-key-id: ""}):
 * the bytes of tests/vectors/go-sample-encryption.json decode with the file's key under the empty
 * id, and a codec encrypting under the empty id round-trips.
 */
class GoSampleEncryptionTest {
  private record Case(String name, byte[] plain, byte[] encoded) {}

  private record Vectors(String keyId, byte[] key, List<Case> cases) {}

  private static Vectors vectors() throws Exception {
    String path = System.getenv("TPC_GO_SAMPLE_VECTORS");
    if (path == null) {
      throw new IllegalStateException("TPC_GO_SAMPLE_VECTORS is not set (the pom sets it)");
    }
    JsonNode root = new ObjectMapper().readTree(new File(path));
    Base64.Decoder b64 = Base64.getDecoder();
    List<Case> cases = new ArrayList<>();
    for (JsonNode c : root.get("cases")) {
      cases.add(
          new Case(
              c.get("name").asText(),
              b64.decode(c.get("plain").asText()),
              b64.decode(c.get("encoded").asText())));
    }
    return new Vectors(
        root.get("key_id").asText(), HexFormat.of().parseHex(root.get("key_hex").asText()), cases);
  }

  private static String metadata(Payload p, String name) {
    return p.getMetadataOrThrow(name).toStringUtf8();
  }

  @Test
  void decodesBothCasesOfTheGoSampleUnderTheEmptyKeyId() throws Exception {
    Vectors v = vectors();
    assertEquals("", v.keyId());
    assertEquals(32, v.key().length);
    assertEquals(
        List.of("codec-server-zlib-then-encrypted", "worker-encrypted"),
        v.cases().stream().map(Case::name).toList());
    try (TpcCodec codec = TpcCodec.newBuilder().addKey("", v.key()).build()) {
      for (Case c : v.cases()) {
        List<Payload> encoded = Fixtures.parse(c.encoded());
        assertTrue(encoded.size() > 0, c.name());
        for (Payload p : encoded) {
          // What makes this a test of the empty id: each payload names it, present and empty.
          assertEquals("binary/encrypted", Fixtures.encoding(p), c.name());
          assertEquals("", metadata(p, "encryption-key-id"), c.name());
        }
        assertArrayEquals(c.plain(), codec.decodeSerialized(c.encoded()), c.name());
        assertEquals(Fixtures.parse(c.plain()), codec.decode(encoded), c.name());
      }
    }
    // The id is matched, not ignored: the same key under another id does not decode them.
    try (TpcCodec other = TpcCodec.newBuilder().addKey("x", v.key()).build()) {
      for (Case c : v.cases()) {
        TpcException e =
            assertThrows(TpcException.class, () -> other.decodeSerialized(c.encoded()));
        assertEquals(Status.UNKNOWN_KEY, e.getStatus(), e.getMessage());
      }
    }
  }

  @Test
  void encryptionUnderTheEmptyKeyIdRoundTrips() throws Exception {
    byte[] key = vectors().key();
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
