package io.github.temporalpayloadcodec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.temporal.api.common.v1.Payload;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * No native leak: 100,000 encode and 100,000 decode calls leave the process RSS flat (the heap is
 * fixed and pre-touched by the surefire argLine, so RSS growth would be native memory), and built
 * codecs are all freed, by close() or by the Cleaner. Encode reuses the thread's workspace
 * (WorkspaceTest checks its bytes, trimming and freeing). On the Java heap, a call's result is
 * copied once.
 */
class MemoryTest {
  private static long rssKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }

  @Test
  void hundredThousandCallsKeepMemoryFlat() throws Exception {
    List<Payload> batch = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      batch.add(Fixtures.order(i, 1024));
    }
    try (TpcCodec codec =
        TpcCodec.newBuilder().addKey("k", Fixtures.key(1)).encryptionKeyId("k").build()) {
      List<Payload> encoded = codec.encode(batch);
      for (int i = 0; i < 20_000; i++) { // warm up: JIT, malloc arenas, scratch memory
        codec.decode(codec.encode(batch));
      }
      System.gc();
      long before = rssKib();
      for (int i = 0; i < 100_000; i++) {
        codec.encode(batch);
        codec.decode(encoded);
      }
      // Error paths too, of both directions: their message buffers must be freed as well.
      for (int i = 0; i < 20_000; i++) {
        try {
          codec.decodeSerialized(new byte[] {0x0a, 0x05, 0x12});
        } catch (TpcException expected) {
          // expected
        }
        try {
          codec.encodeSerialized(new byte[] {0x0a, 0x05, 0x12});
        } catch (TpcException expected) {
          // expected
        }
      }
      System.gc();
      long grown = rssKib() - before;
      // Leaking one output per call would be over 800 MiB; allow allocator noise only.
      assertTrue(grown < 48 * 1024, "RSS grew by " + grown + " KiB over 240,000 calls");
      assertEquals(batch, codec.decode(encoded));
    }
  }

  /** Java heap bytes this thread allocates while running the call. */
  private static long allocatedBy(Runnable call) {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(id);
    call.run();
    return threads.getThreadAllocatedBytes(id) - before;
  }

  @Test
  void resultsAreCopiedIntoTheJavaHeapOnce() {
    // The library's result is copied into one Java array and the payloads are parsed as views of
    // it: a second copy per payload (protobuf's default parse) would double these figures.
    TpcCodec codec = TpcCodec.defaultCodec();
    List<Payload> batch = List.of(Fixtures.order(1, 1 << 20));
    List<Payload> encoded = codec.encode(batch);
    for (int i = 0; i < 50; i++) { // warm up: JIT, scratch memory
      codec.decode(codec.encode(batch));
    }
    long decoded = batch.get(0).getSerializedSize();
    long compressed = encoded.get(0).getSerializedSize();
    long decode = allocatedBy(() -> codec.decode(encoded));
    assertTrue(decode < decoded * 1.25, decode + " bytes allocated to decode " + decoded);
    long encode = allocatedBy(() -> codec.encode(batch));
    assertTrue(encode < compressed * 1.25, encode + " bytes allocated to encode " + compressed);
  }

  @Test
  void scratchGrowsForLargeBatchesAndIsTrimmedAfter() {
    // The other tests' batches all fit the thread's initial 64 KiB scratch: here a 200 KB batch
    // makes it grow (and keep the growth), a 5 MiB one (over RETAIN) is released after its call.
    Scratch scratch = Scratch.get();
    TpcCodec codec = TpcCodec.defaultCodec();
    List<Payload> medium = List.of(Fixtures.order(1, 200_000));
    assertEquals(medium, codec.decode(codec.encode(medium)));
    long grown = scratch.inputCapacity();
    assertTrue(grown >= 200_000 && grown <= Scratch.RETAIN, "capacity " + grown);
    // Decode's output area grew to the decoded batch (past its initial 64 KiB) and stays.
    long output = scratch.outputCapacity();
    assertTrue(output >= 200_000 && output <= Scratch.RETAIN, "output area " + output);

    List<Payload> huge = List.of(Fixtures.order(2, 5 << 20), Fixtures.json("\"after\""));
    assertEquals(huge, codec.decode(codec.encode(huge)));
    assertTrue(scratch.inputCapacity() <= Scratch.RETAIN, "kept " + scratch.inputCapacity());
    assertTrue(scratch.outputCapacity() <= Scratch.RETAIN, "kept " + scratch.outputCapacity());
    byte[] serialized = Fixtures.serialize(huge);
    assertArrayEquals(serialized, codec.decodeSerialized(codec.encodeSerialized(serialized)));
    assertTrue(scratch.inputCapacity() <= Scratch.RETAIN, "kept " + scratch.inputCapacity());

    List<Payload> small = List.of(Fixtures.json("1"));
    assertEquals(small, codec.decode(codec.encode(small)));
  }

  @Test
  void aFailedGrowthLeavesTheThreadsMemoryUsable() {
    // A size no malloc grants: the growth fails as one sized from a hostile claim did (JNA's
    // OutOfMemoryError). The thread must keep live memory, not freed memory its next call would
    // hand to C (that next decode used to fail with TPC_ERR_NULL_ARGUMENT, and an input area
    // would have been written after free).
    Scratch scratch = Scratch.get();
    TpcCodec codec = TpcCodec.defaultCodec();
    List<Payload> batch = List.of(Fixtures.order(3, 100_000));
    List<Payload> encoded = codec.encode(batch);
    assertEquals(batch, codec.decode(encoded));
    assertThrows(OutOfMemoryError.class, () -> scratch.ensureOutput(1L << 60));
    assertThrows(OutOfMemoryError.class, () -> scratch.ensureInput(1L << 60));
    assertTrue(scratch.inputCapacity() > 0 && scratch.outputCapacity() > 0);
    assertEquals(batch, codec.decode(encoded));
    assertEquals(batch, codec.decode(codec.encode(batch)));
  }

  @Test
  void everyBuiltCodecIsFreed() throws Exception {
    for (int i = 0; i < 10_000; i++) {
      Object handle;
      try (TpcCodec codec =
          TpcCodec.newBuilder().addKey("k", Fixtures.key(i)).encryptionKeyId("k").build()) {
        codec.encode(List.of(Fixtures.json("1")));
        handle = Internals.handle(codec);
        assertFalse(Internals.freed(handle));
      }
      assertTrue(Internals.freed(handle), "close() freed codec " + i);
    }

    // The Cleaner safety net: codecs dropped without close() are freed once collected. Their
    // handles, kept here, do not keep the codecs reachable.
    List<Object> handles = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      TpcCodec dropped = TpcCodec.newBuilder().build();
      dropped.encode(List.of(Fixtures.json("1")));
      handles.add(Internals.handle(dropped));
    }
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!handles.stream().allMatch(Internals::freed) && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(20);
    }
    long left = handles.stream().filter(h -> !Internals.freed(h)).count();
    assertEquals(0, left, "dropped codecs the Cleaner did not free");
  }
}
