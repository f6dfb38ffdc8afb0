package io.github.temporalpayloadcodec.examples;

import io.github.temporalpayloadcodec.Compression;
import io.github.temporalpayloadcodec.TpcCodec;
import io.github.temporalpayloadcodec.TpcException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The payload tool of the cross-language matrix: {@code PayloadTool encode|decode FILE|-} reads a
 * serialized Payloads and writes the serialized result to stdout.
 *
 * <p>Environment: TPC_COMPRESSION = none | snappy (default) | snappy-raw | zlib; TPC_KEY_HEX = 64
 * hex digits, with TPC_KEY_ID (default demo-key): hold that key and encrypt with it. Exit 0 on
 * success, 2 on usage errors, 3 on a codec error (one stderr line: {@code TpcException: STATUS
 * (code): message}).
 */
public final class PayloadTool {
  private PayloadTool() {}

  /** A usage error: exit 2. */
  private static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    try {
      if (args.length != 2 || !(args[0].equals("encode") || args[0].equals("decode"))) {
        throw new UsageException("usage: payload-tool encode|decode FILE|-");
      }
      byte[] input = read(args[1]);
      byte[] output;
      try (TpcCodec codec = codec()) {
        output =
            args[0].equals("encode")
                ? codec.encodeSerialized(input)
                : codec.decodeSerialized(input);
      }
      OutputStream out = new FileOutputStream(FileDescriptor.out);
      out.write(output);
      out.flush();
      return 0;
    } catch (UsageException e) {
      System.err.println(e.getMessage());
      return 2;
    } catch (TpcException e) {
      System.err.println("TpcException: " + e.getMessage());
      return 3;
    } catch (IOException e) {
      System.err.println("writing stdout: " + e);
      return 2;
    }
  }

  private static byte[] read(String path) throws UsageException {
    try {
      return path.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(path));
    } catch (NoSuchFileException e) {
      throw new UsageException(path + ": no such file");
    } catch (IOException e) {
      throw new UsageException(path + ": " + e);
    }
  }

  private static TpcCodec codec() throws UsageException {
    TpcCodec.Builder builder = TpcCodec.newBuilder();
    String compression = System.getenv("TPC_COMPRESSION");
    if (compression != null && !compression.isEmpty()) {
      switch (compression) {
        case "none" -> builder.compression(Compression.NONE);
        case "snappy" -> builder.compression(Compression.SNAPPY);
        case "snappy-raw" -> builder.compression(Compression.SNAPPY_RAW);
        case "zlib" -> builder.compression(Compression.ZLIB);
        default ->
            throw new UsageException(
                "TPC_COMPRESSION must be none, snappy, snappy-raw or zlib, not " + compression);
      }
    }
    String keyHex = System.getenv("TPC_KEY_HEX");
    if (keyHex != null && !keyHex.isEmpty()) {
      byte[] key;
      try {
        key = Demo.parseKey(keyHex);
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage());
      }
      String id = Demo.env(System.getenv(), "TPC_KEY_ID", "demo-key");
      builder.addKey(id, key).encryptionKeyId(id);
    }
    return builder.build();
  }
}
