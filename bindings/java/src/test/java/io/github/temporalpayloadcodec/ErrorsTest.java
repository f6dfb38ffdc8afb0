package io.github.temporalpayloadcodec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import io.github.temporalpayloadcodec.Structs.TpcBuffer;
import io.temporal.api.common.v1.Payload;
import io.temporal.payload.codec.PayloadCodecException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every library status arrives as a TpcException carrying the status and the message. The statuses
 * of the conformance suite (ConformanceTest) are not repeated here: these are the ones it cannot
 * reach (NULL_ARGUMENT, BUFFER_TOO_SMALL), the binding's own checks, and its message format.
 */
class ErrorsTest {
  private static TpcException expect(Status status, Executable call) {
    TpcException e = assertThrows(TpcException.class, call);
    assertEquals(status, e.getStatus(), e.getMessage());
    assertEquals(status.code(), e.getCode());
    assertTrue(
        e.getMessage().startsWith(status.cName() + " (" + status.code() + "): "), e.getMessage());
    assertFalse(e.getDetail().isEmpty(), "the library gave no message");
    assertTrue(e instanceof PayloadCodecException);
    return e;
  }

  private static Payload snappy(int seed) {
    return TpcCodec.defaultCodec().encode(List.of(Fixtures.order(seed, 10_000))).get(0);
  }

  @Test
  void nullArgument() {
    // Unreachable through the public API (it never passes NULL); called directly to check the
    // status still maps to an exception with the library's message.
    TpcBuffer out = new TpcBuffer();
    TpcBuffer err = new TpcBuffer();
    int status = TestLib.tpc_encode(0, 5, out, err);
    assertEquals(Status.NULL_ARGUMENT.code(), status);
    assertEquals(null, out.data, "no output on failure");
    TpcException e =
        new TpcException(status, new String(TestLib.take(err), StandardCharsets.UTF_8));
    assertEquals(Status.NULL_ARGUMENT, e.getStatus());
    assertFalse(e.getDetail().isEmpty());
    assertEquals(null, err.data, "tpc_buffer_free zeroed the buffer");
  }

  @Test
  void invalidArguments() {
    byte[] shortKey = new byte[16];
    java.util.Arrays.fill(shortKey, (byte) 0x5a);
    TpcException e =
        expect(Status.INVALID_ARGUMENT, () -> TpcCodec.newBuilder().addKey("k1", shortKey).build());
    assertTrue(e.getDetail().contains("k1"), e.getDetail());
    assertFalse(e.getMessage().contains("5a5a") || e.getMessage().contains("ZZZZ"), "key bytes");

    expect(Status.INVALID_ARGUMENT, () -> TpcCodec.newBuilder().maxDecodedSize(0).build());
    expect(Status.INVALID_ARGUMENT, () -> TpcCodec.newBuilder().maxDecodedSize(-1).build());
    for (long bad : new long[] {0, -1, Long.MIN_VALUE}) {
      TpcException total =
          expect(
              Status.INVALID_ARGUMENT,
              () -> TpcCodec.newBuilder().maxTotalDecodedSize(bad).build());
      assertTrue(total.getDetail().contains("max total decoded size"), total.getDetail());
      assertTrue(total.getDetail().contains(String.valueOf(bad)), total.getDetail());
    }
    TpcException twice =
        expect(
            Status.INVALID_ARGUMENT,
            () ->
                TpcCodec.newBuilder()
                    .addKey("", Fixtures.key(1))
                    .addKey(new byte[0], Fixtures.key(2))
                    .build());
    assertTrue(twice.getDetail().contains("\"\""), twice.getDetail());
    expect(
        Status.INVALID_ARGUMENT,
        () ->
            TpcCodec.newBuilder()
                .addKey("same", Fixtures.key(1))
                .addKey("same", Fixtures.key(2))
                .build());
    TpcException never =
        expect(
            Status.INVALID_ARGUMENT,
            () -> TpcCodec.newBuilder().encryptionKeyId("never-added").build());
    assertTrue(never.getDetail().contains("never-added"), never.getDetail());
  }

  /**
   * Key ids are bytes of any value: the empty id and one holding NUL are ids (ABI 1 refused both),
   * distinct from each other and from their prefixes.
   */
  @Test
  void anyBytesAreAKeyId() {
    List<Payload> plain = List.of(Fixtures.json("\"ids\""));
    String[] ids = {"", "a", "a\0b", "\u00e9t\u00e9"};
    for (int w = 0; w < ids.length; w++) {
      try (TpcCodec writer =
          TpcCodec.newBuilder().addKey(ids[w], Fixtures.key(w)).encryptionKeyId(ids[w]).build()) {
        List<Payload> encoded = writer.encode(plain);
        assertEquals(ids[w], encoded.get(0).getMetadataOrThrow("encryption-key-id").toStringUtf8());
        for (int r = 0; r < ids.length; r++) {
          try (TpcCodec reader = TpcCodec.newBuilder().addKey(ids[r], Fixtures.key(w)).build()) {
            if (r == w) {
              assertEquals(plain, reader.decode(encoded));
            } else {
              expect(Status.UNKNOWN_KEY, () -> reader.decode(encoded));
            }
          }
        }
      }
    }
    // An id that is not UTF-8, through the bytes overloads.
    byte[] raw = {(byte) 0xff, 0, (byte) 0xfe};
    try (TpcCodec codec =
        TpcCodec.newBuilder().addKey(raw, Fixtures.key(9)).encryptionKeyId(raw).build()) {
      assertTrue(codec.toString().contains("encryptionKeyId=0xff00fe"), codec.toString());
      List<Payload> encoded = codec.encode(plain);
      assertArrayEquals(raw, encoded.get(0).getMetadataOrThrow("encryption-key-id").toByteArray());
      assertEquals(plain, codec.decode(encoded));
    }
  }

  @Test
  void aNullCodecIsANullArgumentNotTheDefault() {
    // ABI 2 has no "NULL codec means the default codec": the binding never passes NULL (its
    // default codec is a built one), and the library refuses it on every advanced call.
    Scratch s = Scratch.get();
    long len = s.writeBytes(Fixtures.serialize(List.of(Fixtures.json("1"))));
    s.clear();
    int encode =
        Lib.tpc_workspace_encode(
            s.workspace(),
            0,
            s.inputAddress(),
            len,
            s.address(Scratch.VIEW),
            s.address(Scratch.ERR));
    assertEquals(Status.NULL_ARGUMENT, s.takeError(encode).getStatus());
    s.clear();
    long cap = s.outputCapacity();
    int decode =
        Lib.tpc_codec_decode_into(
            0,
            s.inputAddress(),
            len,
            s.outputAddress(),
            cap,
            s.address(Scratch.DECODED_LEN),
            s.address(Scratch.ERR));
    assertEquals(Status.NULL_ARGUMENT, s.takeError(decode).getStatus());
  }

  /**
   * The contract the binding's decode relies on: too small a buffer is TPC_ERR_BUFFER_TOO_SMALL
   * with the size needed written out, and a message to free; a buffer of that size then succeeds.
   */
  @Test
  void bufferTooSmallReportsTheSizeNeeded() {
    byte[] plain = Fixtures.serialize(List.of(Fixtures.order(1, 100_000), Fixtures.json("2")));
    byte[] encoded = TpcCodec.defaultCodec().encodeSerialized(plain);
    long address = TestLib.buildCodec(Compression.SNAPPY, false);
    try {
      Scratch s = Scratch.get();
      long len = s.writeBytes(encoded);
      s.clear();
      long outLen = s.address(Scratch.DECODED_LEN);
      int status =
          Lib.tpc_codec_decode_into(
              address, s.inputAddress(), len, 0, 0, outLen, s.address(Scratch.ERR));
      assertEquals(Status.BUFFER_TOO_SMALL.code(), status);
      assertEquals(plain.length, s.decodedLength());
      TpcException e = s.takeError(status);
      assertEquals(Status.BUFFER_TOO_SMALL, e.getStatus());
      assertFalse(e.getDetail().isEmpty());

      s.ensureOutput(s.decodedLength());
      s.clear();
      status =
          Lib.tpc_codec_decode_into(
              address,
              s.inputAddress(),
              len,
              s.outputAddress(),
              plain.length,
              outLen,
              s.address(Scratch.ERR));
      assertEquals(0, status);
      assertArrayEquals(plain, s.takeDecoded());
    } finally {
      Lib.tpc_codec_free(address);
    }
  }

  /**
   * A decode larger than the thread's output area goes through the retry, whose
   * TPC_ERR_BUFFER_TOO_SMALL message the binding frees (tpc_buffer_free zeroes the buffer; a
   * success leaves it untouched, so a forgotten message would still be there).
   */
  @Test
  void theDecodeRetryFreesItsMessage() throws Exception {
    byte[] plain = Fixtures.serialize(List.of(Fixtures.order(2, 1 << 20)));
    byte[] encoded = TpcCodec.defaultCodec().encodeSerialized(plain);
    long[] seen = new long[3];
    Thread fresh = // a thread of its own: its output area starts at its initial 64 KiB
        new Thread(
            () -> {
              Scratch s = Scratch.get();
              seen[0] = s.outputCapacity();
              seen[1] = TpcCodec.defaultCodec().decodeSerialized(encoded).length;
              TpcBuffer err =
                  Structure.newInstance(TpcBuffer.class, new Pointer(s.address(Scratch.ERR)));
              err.read();
              seen[2] = Pointer.nativeValue(err.data);
            });
    fresh.start();
    fresh.join();
    assertTrue(seen[0] < plain.length, "the area was already large enough: " + seen[0]);
    assertEquals(plain.length, seen[1]);
    assertEquals(0, seen[2], "the TPC_ERR_BUFFER_TOO_SMALL message was not freed");
  }

  @Test
  void corruptPayload() {
    Payload good = snappy(1);
    byte[] data = good.getData().toByteArray();
    data[data.length - 1] ^= 0x55; // breaks the chunk's CRC or its stream
    Payload bad = good.toBuilder().setData(ByteString.copyFrom(data)).build();
    TpcException e =
        expect(
            Status.CORRUPT_PAYLOAD,
            () -> TpcCodec.defaultCodec().decode(List.of(Fixtures.json("1"), bad)));
    assertTrue(e.getDetail().contains("payload 1"), e.getDetail());
  }

  @Test
  void maxTotalDecodedSizeCountsTheWholeCall() {
    // Each payload decodes to about 600 bytes: alone under the 1000-byte limit, with the first
    // over it. The limit is per call, so the message names the payload where the total crossed.
    List<Payload> batch =
        TpcCodec.defaultCodec().encode(List.of(Fixtures.order(1, 600), Fixtures.order(2, 600)));
    byte[] serialized = Fixtures.serialize(batch);
    try (TpcCodec tight = TpcCodec.newBuilder().maxTotalDecodedSize(1000).build()) {
      assertTrue(tight.toString().contains("maxTotalDecodedSize=1000"), tight.toString());
      assertEquals(1, tight.decode(batch.subList(0, 1)).size());
      assertEquals(1, tight.decode(batch.subList(1, 2)).size());
      for (Executable call :
          List.<Executable>of(
              () -> tight.decode(batch), () -> tight.decodeSerialized(serialized))) {
        TpcException e = expect(Status.LIMIT_EXCEEDED, call);
        assertTrue(e.getDetail().startsWith("payload 1:"), e.getDetail());
      }
    }
    // The default, 256 MiB, lets the same batch through.
    assertEquals(2, TpcCodec.defaultCodec().decode(batch).size());
  }

  @Test
  void statusCodesAndNames() {
    for (Status s : Status.values()) {
      assertEquals(s, Status.fromCode(s.code()));
    }
    assertEquals(Status.INTERNAL, Status.fromCode(255));
    assertEquals("TPC_ERR_INTERNAL", Status.INTERNAL.cName());
    TpcException future = new TpcException(42, "from a newer library");
    assertEquals(Status.UNKNOWN, future.getStatus());
    assertEquals(42, future.getCode());
    assertEquals("TPC_ERR_UNKNOWN_STATUS (42): from a newer library", future.getMessage());
    // The library's own descriptions exist for every code we name.
    for (Status s : Status.values()) {
      if (s != Status.UNKNOWN) {
        assertFalse(
            TestLib.tpc_status_str(s.code()).getString(0).equals("unknown status"), s.name());
      }
    }
  }

  @Test
  void closedCodecsRefuseCalls() {
    TpcCodec codec = TpcCodec.newBuilder().build();
    codec.close();
    codec.close(); // twice is harmless
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> codec.encode(List.of()));
    assertEquals("this TpcCodec is closed", e.getMessage());
    TpcCodec.defaultCodec().close(); // does nothing
    assertEquals(List.of(), TpcCodec.defaultCodec().encode(List.of()));
  }

  @Test
  void toStringShowsNoKeyBytes() {
    try (TpcCodec codec =
        TpcCodec.newBuilder()
            .addKey("shown-id", Fixtures.key(0x41))
            .encryptionKeyId("shown-id")
            .build()) {
      String s = codec.toString();
      assertTrue(s.contains("shown-id"), s);
      assertFalse(s.contains("ABCD"), s);
    }
  }
}
