package io.github.temporalpayloadcodec.bench;

import io.github.temporalpayloadcodec.TpcCodec;
import io.temporal.api.common.v1.Payload;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** What crossing into the library costs per call, with no work on the other side. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CrossingBench {
  private static final byte[] EMPTY = new byte[0];
  private final List<Payload> none = List.of();

  /** One JNA direct-mapped call of tpc_abi_version(): the bare crossing. */
  @Benchmark
  public int abiVersion() {
    return TpcCodec.abiVersion();
  }

  /** encode of an empty Payloads as bytes: scratch setup, one call, result copy, buffer free. */
  @Benchmark
  public byte[] encodeEmptySerialized() {
    return TpcCodec.defaultCodec().encodeSerialized(EMPTY);
  }

  /** The same through the PayloadCodec API (protobuf serialize and parse of nothing). */
  @Benchmark
  public List<Payload> encodeEmptyList() {
    return TpcCodec.defaultCodec().encode(none);
  }
}
