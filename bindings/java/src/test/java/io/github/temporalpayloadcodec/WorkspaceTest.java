package io.github.temporalpayloadcodec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.github.temporalpayloadcodec.Structs.TpcBuffer;
import io.temporal.api.common.v1.Payload;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Encode goes through the thread's tpc_workspace: its bytes equal the library's own-buffer encode
 * (tpc_encode / tpc_codec_encode, which the binding no longer calls), a smaller batch after a
 * larger one sees none of the larger one's bytes, an oversized workspace is freed after its call,
 * and the workspace of a thread that ended is freed.
 */
class WorkspaceTest {
  /** A native codec and the TpcCodec configured alike, for the own-buffer reference encode. */
  private static final class Pair implements AutoCloseable {
    final TpcCodec codec;
    final long reference; // 0: the default codec through tpc_encode

    Pair(Compression compression, boolean onlyIfSmaller) {
      codec = TpcCodec.newBuilder().compression(compression).onlyIfSmaller(onlyIfSmaller).build();
      reference = TestLib.buildCodec(compression, onlyIfSmaller);
    }

    Pair() {
      codec = TpcCodec.defaultCodec();
      reference = 0;
    }

    /** The library's encode into a buffer of its own, freed after the copy. */
    byte[] referenceEncode(byte[] serialized) {
      Scratch s = Scratch.get();
      long len = s.writeBytes(serialized);
      TpcBuffer out = new TpcBuffer();
      TpcBuffer err = new TpcBuffer();
      int status =
          reference == 0
              ? TestLib.tpc_encode(s.inputAddress(), len, out, err)
              : TestLib.tpc_codec_encode(reference, s.inputAddress(), len, out, err);
      if (status != 0) {
        throw new TpcException(status, new String(TestLib.take(err), StandardCharsets.UTF_8));
      }
      return TestLib.take(out); // the library's own buffer: copied out, then freed
    }

    /** Workspace encode equals the reference, and decodes back to the input. */
    void check(byte[] serialized, String what) {
      byte[] encoded = codec.encodeSerialized(serialized);
      assertArrayEquals(referenceEncode(serialized), encoded, what + ", " + codec);
      assertArrayEquals(serialized, codec.decodeSerialized(encoded), what + " round trip");
    }

    @Override
    public void close() {
      codec.close();
      Lib.tpc_codec_free(reference);
    }
  }

  private static List<Pair> pairs() {
    List<Pair> pairs = new ArrayList<>();
    pairs.add(new Pair());
    for (Compression c : Compression.values()) {
      pairs.add(new Pair(c, false));
      pairs.add(new Pair(c, true));
    }
    return pairs;
  }

  private static byte[] batch(int seed, int count, int size) {
    List<Payload> payloads = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      payloads.add(Fixtures.order(seed * 1000 + i, size));
    }
    return Fixtures.serialize(payloads);
  }

  /** Incompressible: its encoding is at least as large as the batch. */
  private static byte[] randomBatch(int seed, int size) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return Fixtures.serialize(
        List.of(Payload.newBuilder().setData(ByteString.copyFrom(data)).build()));
  }

  @Test
  void sameBytesAsTheLibrarysOwnBufferEncode() throws Exception {
    for (Fixtures.Vector v : Fixtures.vectors()) {
      assertArrayEquals(v.encoded(), TpcCodec.defaultCodec().encodeSerialized(v.plain()), v.name());
    }
    byte[][] batches = {
      new byte[0], batch(1, 100, 200), batch(2, 16, 4096), batch(3, 4, 65536), batch(4, 1, 1 << 20)
    };
    List<Pair> pairs = pairs();
    try {
      // All codecs share this thread's one workspace, in turn.
      for (byte[] b : batches) {
        for (Pair p : pairs) {
          p.check(b, b.length + " bytes");
        }
      }
    } finally {
      pairs.forEach(Pair::close);
    }
  }

  @Test
  void aSmallerBatchAfterALargerOneGetsOnlyItsOwnBytes() {
    byte[] large = batch(10, 1, 1 << 20);
    byte[] small = batch(11, 1, 300);
    byte[] otherLarge = batch(12, 3, 200_000); // smaller than the first: a stale tail would show
    byte[] incompressible = randomBatch(13, 900_000);
    List<Pair> pairs = pairs();
    try {
      for (Pair p : pairs) {
        p.check(large, "large");
        p.check(small, "small after large");
        p.check(otherLarge, "other large after small");
        p.check(incompressible, "incompressible");
        p.check(small, "small after incompressible");
      }
      List<Payload> payloads = List.of(Fixtures.json("\"x\""));
      TpcCodec codec = TpcCodec.defaultCodec();
      codec.encodeSerialized(large);
      assertEquals(payloads, codec.decode(codec.encode(payloads)), "List API after large");
    } finally {
      pairs.forEach(Pair::close);
    }
  }

  @Test
  void anEncodeErrorLeavesTheWorkspaceUsable() {
    TpcCodec codec = TpcCodec.defaultCodec();
    byte[] large = batch(20, 1, 300_000);
    byte[] first = codec.encodeSerialized(large);
    assertThrows(TpcException.class, () -> codec.encodeSerialized(new byte[] {0x0a, 0x05, 0x12}));
    assertArrayEquals(first, codec.encodeSerialized(large));
  }

  @Test
  void anOversizedWorkspaceIsFreedAfterItsCall() {
    Scratch scratch = Scratch.get();
    TpcCodec codec = TpcCodec.defaultCodec();
    byte[] medium = batch(30, 1, 200_000);
    codec.encodeSerialized(medium);
    long kept = scratch.workspaceCapacity();
    assertTrue(kept > 0 && kept <= Scratch.RETAIN, "a 200 KB batch's workspace is kept: " + kept);
    codec.encodeSerialized(batch(31, 1, 100));
    assertEquals(kept, scratch.workspaceCapacity(), "reused, not reallocated, by a small batch");

    // Random bytes do not compress, so the result (and the memory holding it) is over RETAIN.
    byte[] huge = randomBatch(32, 5 << 20);
    byte[] encoded = codec.encodeSerialized(huge);
    assertTrue(encoded.length > Scratch.RETAIN, "result " + encoded.length);
    assertEquals(0, scratch.workspaceCapacity(), "the 5 MiB batch's workspace was not freed");
    assertArrayEquals(huge, codec.decodeSerialized(encoded));

    byte[] small = batch(33, 2, 500);
    assertArrayEquals(small, codec.decodeSerialized(codec.encodeSerialized(small)));
    assertTrue(scratch.workspaceCapacity() > 0, "the next encode made a new workspace");
  }

  @Test
  void endedThreadsWorkspacesAreFreed() throws Exception {
    byte[] b = batch(41, 2, 1000);
    // Each thread's workspace holder, kept here: it does not keep its thread's Scratch alive.
    List<Object> workspaces = Collections.synchronizedList(new ArrayList<>());
    for (int round = 0; round < 10; round++) {
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 20; t++) {
        threads.add(
            new Thread(
                () -> {
                  TpcCodec.defaultCodec().encodeSerialized(b);
                  Object ws = Internals.workspace();
                  assertTrue(Internals.workspaceAddress(ws) != 0, "no workspace after an encode");
                  workspaces.add(ws);
                }));
      }
      threads.forEach(Thread::start);
      for (Thread t : threads) {
        t.join();
      }
    }
    assertEquals(200, workspaces.size());
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (live(workspaces) > 0 && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(20);
    }
    assertEquals(0, live(workspaces), "of 200 ended threads' workspaces, these were not freed");
  }

  private static long live(List<Object> workspaces) {
    return workspaces.stream().filter(ws -> Internals.workspaceAddress(ws) != 0).count();
  }
}
