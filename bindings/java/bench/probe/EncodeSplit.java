package io.github.temporalpayloadcodec;

import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A side measurement for BENCHMARKS.md, not part of the binding: where one {@code encode} of a
 * shared batch spends its time, step by step as TpcCodec runs it (serialize into the thread's
 * native scratch, the library call into the workspace, the copy of the result into a Java array).
 * It sits in the binding's package to reach those steps. Each of 30 rounds times 50 calls of every
 * step in turn; the best round of each step is shown. From bindings/java, after bench.sh has built
 * bench/target/benchmarks.jar:
 *
 * <pre>
 * javac -cp bench/target/benchmarks.jar -d /tmp/probe bench/probe/EncodeSplit.java
 * java -cp /tmp/probe:bench/target/benchmarks.jar -Djna.library.path=../../target/release \
 *   io.github.temporalpayloadcodec.EncodeSplit BATCH_FILE
 * </pre>
 *
 * BATCH_FILE is one of the serialized batches `cargo run --release --example bench_data -- DIR`
 * writes.
 */
public final class EncodeSplit {
  private EncodeSplit() {}

  /** Best time per call of each step, in µs, over rounds that run every step in turn. */
  private static double[] bestMicros(Runnable... steps) {
    long[] best = new long[steps.length];
    Arrays.fill(best, Long.MAX_VALUE);
    for (int round = 0; round < 30; round++) {
      for (int s = 0; s < steps.length; s++) {
        long start = System.nanoTime();
        for (int i = 0; i < 50; i++) {
          steps[s].run();
        }
        best[s] = Math.min(best[s], (System.nanoTime() - start) / 50);
      }
    }
    double[] micros = new double[steps.length];
    for (int s = 0; s < steps.length; s++) {
      micros[s] = best[s] / 1000.0;
    }
    return micros;
  }

  public static void main(String[] args) throws Exception {
    List<Payload> batch =
        Payloads.parseFrom(Files.readAllBytes(Path.of(args[0]))).getPayloadsList();
    TpcCodec codec = TpcCodec.defaultCodec();
    for (int i = 0; i < 2000; i++) { // warm up: JIT, scratch memory, the workspace
      codec.encode(batch);
    }
    Scratch scratch = Scratch.get();
    long workspace = scratch.workspace();
    // A native codec built with no options, as the default codec is (its pointer is private).
    scratch.clear();
    int built =
        Lib.tpc_codec_build(
            Lib.tpc_codec_builder_new(),
            scratch.address(Scratch.CODEC),
            scratch.address(Scratch.ERR));
    if (built != 0) {
      throw scratch.takeError(built);
    }
    long codecAddress = scratch.codec(); // never freed: the probe exits
    long len = scratch.writePayloads(batch);
    Runnable call =
        () -> {
          scratch.clear();
          int status =
              Lib.tpc_workspace_encode(
                  workspace,
                  codecAddress,
                  scratch.inputAddress(),
                  len,
                  scratch.address(Scratch.VIEW),
                  scratch.address(Scratch.ERR));
          if (status != 0) {
            throw scratch.takeError(status);
          }
        };
    double[] t =
        bestMicros(
            () -> codec.encode(batch), () -> scratch.writePayloads(batch), call, scratch::takeView);
    double whole = t[0];
    double serialize = t[1];
    double library = t[2];
    double copyOut = t[3];
    System.out.printf("| step | µs |%n|---|---|%n");
    System.out.printf("| whole encode(List<Payload>) | %.1f |%n", whole);
    System.out.printf("| serialize into native scratch | %.1f |%n", serialize);
    System.out.printf("| library call (tpc_workspace_encode) | %.1f |%n", library);
    System.out.printf("| copy of the result into a Java array | %.1f |%n", copyOut);
    System.out.printf(
        "| the rest (parse, bookkeeping) | %.1f |%n", whole - serialize - library - copyOut);
  }
}
