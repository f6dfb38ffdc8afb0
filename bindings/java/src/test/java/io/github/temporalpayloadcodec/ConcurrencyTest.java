package io.github.temporalpayloadcodec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.temporal.api.common.v1.Payload;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** One codec shared by 32 threads, each checking its own results. */
class ConcurrencyTest {
  @Test
  void thirtyTwoThreadsShareOneCodec() throws Exception {
    int threads = 32;
    int rounds = 300;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (TpcCodec codec =
        TpcCodec.newBuilder()
            .compression(Compression.ZLIB)
            .addKey("k", Fixtures.key(5))
            .encryptionKeyId("k")
            .build()) {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  int checked = 0;
                  for (int r = 0; r < rounds; r++) {
                    // Sizes differ per thread and round (scratch growth: MemoryTest).
                    List<Payload> batch =
                        List.of(
                            Fixtures.order(id * 100_000 + r, 100 + (r * 97 + id * 31) % 20_000),
                            Fixtures.json("\"thread " + id + " round " + r + "\""));
                    List<Payload> encoded = codec.encode(batch);
                    assertEquals("binary/encrypted", Fixtures.encoding(encoded.get(0)));
                    assertEquals(batch, codec.decode(encoded));
                    checked++;
                  }
                  return checked;
                }));
      }
      start.countDown();
      int total = 0;
      for (Future<Integer> f : results) {
        total += f.get();
      }
      assertEquals(threads * rounds, total);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void closeWhileOtherThreadsCallIsSafe() throws Exception {
    // Calls racing close() either finish normally or see IllegalStateException: never a crash.
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 50; round++) {
        TpcCodec codec = TpcCodec.newBuilder().build();
        List<Future<?>> calls = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          calls.add(
              pool.submit(
                  () -> {
                    try {
                      for (int i = 0; i < 50; i++) {
                        codec.decode(codec.encode(List.of(Fixtures.order(i, 2000))));
                      }
                    } catch (IllegalStateException closed) {
                      assertEquals("this TpcCodec is closed", closed.getMessage());
                    }
                  }));
        }
        Thread.sleep(1);
        codec.close();
        for (Future<?> f : calls) {
          f.get();
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
