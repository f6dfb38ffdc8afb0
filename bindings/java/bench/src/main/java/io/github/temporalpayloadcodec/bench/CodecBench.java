package io.github.temporalpayloadcodec.bench;

import io.github.temporalpayloadcodec.TpcCodec;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.payload.codec.PayloadCodec;
import io.temporal.payload.codec.ZlibPayloadCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Encode and decode of the core benchmark's batches (one serialized Payloads each, written by
 * {@code cargo run --release --example bench_data -- DIR}; DIR given as -Dtpc.bench.dir) with three
 * PayloadCodecs: this library ({@code tpc}, the default codec), the SDK's {@code ZlibPayloadCodec}
 * ({@code sdk-zlib}) and the same snappy framing through snappy-java ({@code snappy-java}). Decode
 * times each codec decoding its own encoding.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CodecBench {
  @Param({"batch-100x200.bin", "batch-16x4096.bin", "batch-4x65536.bin", "batch-1x1048576.bin"})
  public String batch;

  @Param({"tpc", "sdk-zlib", "snappy-java"})
  public String codec;

  private PayloadCodec impl;
  private List<Payload> plain;
  private List<Payload> encoded;

  static List<Payload> load(String name) throws IOException {
    String dir = System.getProperty("tpc.bench.dir");
    if (dir == null) {
      throw new IllegalStateException("set -Dtpc.bench.dir to the bench_data output directory");
    }
    return Payloads.parseFrom(Files.readAllBytes(Path.of(dir, name))).getPayloadsList();
  }

  static PayloadCodec codec(String name) {
    switch (name) {
      case "tpc":
        return TpcCodec.defaultCodec();
      case "sdk-zlib":
        return new ZlibPayloadCodec();
      case "snappy-java":
        return new SnappyJavaCodec();
      default:
        throw new IllegalArgumentException("unknown codec " + name);
    }
  }

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    plain = load(batch);
    impl = codec(codec);
    encoded = impl.encode(plain);
    check(plain.equals(impl.decode(encoded)), codec + " does not round-trip " + batch);
    // The snappy-java codec must write the very format we do: each reads the other's output.
    TpcCodec tpc = TpcCodec.defaultCodec();
    SnappyJavaCodec xerial = new SnappyJavaCodec();
    check(plain.equals(tpc.decode(xerial.encode(plain))), "tpc cannot read snappy-java");
    check(plain.equals(xerial.decode(tpc.encode(plain))), "snappy-java cannot read tpc");
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException(what);
    }
  }

  @Benchmark
  public List<Payload> encode() {
    return impl.encode(plain);
  }

  @Benchmark
  public List<Payload> decode() {
    return impl.decode(encoded);
  }
}
