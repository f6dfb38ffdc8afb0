package io.github.temporalpayloadcodec;

/** The compression layer a codec writes ({@code TPC_COMPRESSION_*}). */
public enum Compression {
  /** No compression layer. */
  NONE(0),
  /** {@code binary/snappy}, framing format: the reference codec (the default). */
  SNAPPY(1),
  /** {@code binary/snappy}, one raw block: the Go codec-server sample's dialect. */
  SNAPPY_RAW(2),
  /** {@code binary/zlib}, as the Go and Java SDKs write it. */
  ZLIB(3);

  private final int code;

  Compression(int code) {
    this.code = code;
  }

  /** The C constant's value. */
  public int code() {
    return code;
  }
}
