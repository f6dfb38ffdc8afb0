package io.github.temporalpayloadcodec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.common.converter.CodecDataConverter;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Real SDK values through CodecDataConverter with this codec. */
class DataConverterTest {
  /** A Jackson-serialized type, as workflow arguments usually are. */
  public static final class Order {
    public String customer;
    public List<String> items;
    public Map<String, Integer> quantities;

    public Order() {}

    Order(String customer, List<String> items, Map<String, Integer> quantities) {
      this.customer = customer;
      this.items = items;
      this.quantities = quantities;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Order other
          && customer.equals(other.customer)
          && items.equals(other.items)
          && quantities.equals(other.quantities);
    }

    @Override
    public int hashCode() {
      return customer.hashCode();
    }
  }

  private static DataConverter converter(TpcCodec codec) {
    return new CodecDataConverter(DefaultDataConverter.newDefaultInstance(), List.of(codec));
  }

  private static void roundTrip(TpcCodec codec, String expectedEncoding) {
    DataConverter dc = converter(codec);
    Order order = new Order("Ada Lovelace", List.of("engine", "cards"), Map.of("engine", 1));
    byte[] bytes = "raw bytes \u0000\u00ff".getBytes(StandardCharsets.ISO_8859_1);
    Payloads payloads = dc.toPayloads(order, "text", 42, null, bytes, List.of(1L, 2L)).get();

    assertEquals(6, payloads.getPayloadsCount());
    for (Payload p : payloads.getPayloadsList()) {
      assertEquals(expectedEncoding, Fixtures.encoding(p));
      if (expectedEncoding.equals("binary/encrypted")) {
        assertFalse(p.getData().toStringUtf8().contains("Lovelace"), "plaintext leaked");
      }
    }
    Optional<Payloads> in = Optional.of(payloads);
    assertEquals(order, dc.fromPayloads(0, in, Order.class, Order.class));
    assertEquals("text", dc.fromPayloads(1, in, String.class, String.class));
    assertEquals(42, dc.fromPayloads(2, in, Integer.class, Integer.class));
    assertNull(dc.fromPayloads(3, in, String.class, String.class));
    assertArrayEquals(bytes, dc.fromPayloads(4, in, byte[].class, byte[].class));
    assertEquals(List.of(1, 2), dc.fromPayloads(5, in, List.class, List.class));
  }

  @Test
  void defaultCodecRoundTrips() {
    roundTrip(TpcCodec.defaultCodec(), "binary/snappy");
  }

  @Test
  void everyCompressionRoundTrips() {
    for (Compression c : List.of(Compression.SNAPPY, Compression.SNAPPY_RAW, Compression.ZLIB)) {
      try (TpcCodec codec = TpcCodec.newBuilder().compression(c).zlibLevel(9).build()) {
        roundTrip(codec, c == Compression.ZLIB ? "binary/zlib" : "binary/snappy");
      }
    }
  }

  @Test
  void encryptedRoundTripsAndRotatedKeysStillDecrypt() {
    Order order = new Order("Grace Hopper", List.of("compiler"), Map.of("compiler", 1));
    Payloads old;
    try (TpcCodec v1 =
        TpcCodec.newBuilder()
            .addKey("2025-06", Fixtures.key(1))
            .encryptionKeyId("2025-06")
            .build()) {
      roundTrip(v1, "binary/encrypted");
      old = converter(v1).toPayloads(order).get();
    }
    try (TpcCodec v2 =
        TpcCodec.newBuilder()
            .compression(Compression.ZLIB)
            .addKey("2026-11", Fixtures.key(2))
            .addKey("2025-06", Fixtures.key(1))
            .encryptionKeyId("2026-11")
            .build()) {
      roundTrip(v2, "binary/encrypted");
      assertEquals(
          order, converter(v2).fromPayloads(0, Optional.of(old), Order.class, Order.class));
      Payload fresh = converter(v2).toPayloads(order).get().getPayloads(0);
      assertEquals("2026-11", fresh.getMetadataOrThrow("encryption-key-id").toStringUtf8());
    }
  }

  @Test
  void noCompressionAndOnlyIfSmallerKeepSmallPayloadsAsTheyAre() {
    Payload tiny = Fixtures.json("1");
    try (TpcCodec none = TpcCodec.newBuilder().compression(Compression.NONE).build();
        TpcCodec smaller =
            TpcCodec.newBuilder().compression(Compression.SNAPPY).onlyIfSmaller(true).build()) {
      assertEquals(List.of(tiny), none.encode(List.of(tiny)));
      assertEquals(List.of(tiny), smaller.encode(List.of(tiny)));
      Payload big = Fixtures.order(1, 5000);
      assertEquals("binary/snappy", Fixtures.encoding(smaller.encode(List.of(big)).get(0)));
    }
  }

  @Test
  void codecFailuresSurfaceThroughTheConverter() {
    Payloads encrypted;
    try (TpcCodec writer =
        TpcCodec.newBuilder().addKey("gone", Fixtures.key(3)).encryptionKeyId("gone").build()) {
      encrypted = converter(writer).toPayloads("secret").get();
    }
    try (TpcCodec reader = TpcCodec.newBuilder().addKey("other", Fixtures.key(4)).build()) {
      RuntimeException e =
          assertThrows(
              RuntimeException.class,
              () ->
                  converter(reader)
                      .fromPayloads(0, Optional.of(encrypted), String.class, String.class));
      Throwable t = e;
      while (t != null && !(t instanceof TpcException)) {
        t = t.getCause();
      }
      assertTrue(t instanceof TpcException, "no TpcException in the cause chain of " + e);
      assertEquals(Status.UNKNOWN_KEY, ((TpcException) t).getStatus());
    }
  }

  @Test
  void emptyBatchesAndEmptyPayloads() {
    TpcCodec codec = TpcCodec.defaultCodec();
    assertEquals(List.of(), codec.encode(List.of()));
    assertEquals(List.of(), codec.decode(List.of()));
    assertArrayEquals(new byte[0], codec.encodeSerialized(new byte[0]));
    Payload empty = Payload.getDefaultInstance();
    assertEquals(List.of(empty), codec.decode(codec.encode(List.of(empty))));
  }
}
