package io.github.temporalpayloadcodec;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import com.sun.jna.Pointer;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.payload.codec.PayloadCodec;
import io.temporal.payload.codec.PayloadCodecException;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Temporal {@link PayloadCodec} backed by libtemporal_payload_codec: the same bytes as the Go,
 * .NET, Python and C users of the library.
 *
 * <pre>{@code
 * DataConverter converter =
 *     new CodecDataConverter(
 *         DefaultDataConverter.newDefaultInstance(), List.of(TpcCodec.defaultCodec()));
 * }</pre>
 *
 * <p>{@link #defaultCodec()} is the reference snappy codec. {@link #newBuilder()} configures
 * compression, AES-256-GCM keys and limits. Encode compresses, then encrypts; decode peels every
 * layer the library knows ({@code binary/encrypted} when the codec holds keys, {@code binary/zlib},
 * {@code binary/snappy} in both dialects) and passes anything else through.
 *
 * <p>Thread-safe: any number of threads may encode and decode with one codec at once. Close a built
 * codec when done: that frees the native codec and wipes its keys. {@link #close()} waits for
 * nothing: calls in flight finish, the last one frees the codec, and later calls throw {@link
 * IllegalStateException}. A codec never closed is freed by a {@link Cleaner} once unreachable, a
 * safety net only.
 *
 * <p>Failures are {@link TpcException}s (a {@link PayloadCodecException}) with the library's status
 * and message.
 */
public final class TpcCodec implements PayloadCodec, AutoCloseable {
  static final Cleaner CLEANER = Cleaner.create(); // also frees the threads' workspaces
  private static final AtomicInteger LIVE = new AtomicInteger();
  private static final TpcCodec DEFAULT = new TpcCodec(null, "TpcCodec{default}");

  private final NativeCodec handle; // null for the default codec, which needs no handle
  private final String description;

  private TpcCodec(NativeCodec handle, String description) {
    this.handle = handle;
    this.description = description;
    if (handle != null) {
      CLEANER.register(this, handle);
    }
  }

  /**
   * The reference codec of Temporal's documentation, byte for byte: snappy framing format of the
   * whole serialized payload, metadata exactly {@code encoding: binary/snappy}. Shared; closing it
   * does nothing.
   */
  public static TpcCodec defaultCodec() {
    return DEFAULT;
  }

  /**
   * A builder with the library's defaults (snappy framing, no keys, 64 MiB per payload and 256 MiB
   * per decode call).
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** The library version, e.g. {@code 0.1.0}. Loads the library on first use. */
  public static String libraryVersion() {
    return Lib.tpc_version().getString(0, StandardCharsets.UTF_8.name());
  }

  /** The ABI version of the loaded library (equal to this binding's, or loading failed). */
  public static int abiVersion() {
    return Lib.tpc_abi_version();
  }

  /** The file the library was loaded from (the extracted jar copy, or an override). */
  public static String libraryFile() {
    return String.valueOf(Lib.LIBRARY.getFile());
  }

  /** Native codecs built and not yet freed, in this process: for leak checks. */
  static int liveNativeCodecs() {
    return LIVE.get();
  }

  @Override
  public List<Payload> encode(List<Payload> payloads) {
    return parse(call(true, payloads, null));
  }

  @Override
  public List<Payload> decode(List<Payload> payloads) {
    return parse(call(false, payloads, null));
  }

  /**
   * Encodes a serialized {@code temporal.api.common.v1.Payloads} and returns the serialized result.
   * Each payload's bytes are carried verbatim (no re-serialization in Java): for tools and codec
   * servers that hold Payloads as bytes.
   */
  public byte[] encodeSerialized(byte[] payloads) {
    return call(true, null, Objects.requireNonNull(payloads, "payloads"));
  }

  /** Decodes a serialized Payloads; see {@link #encodeSerialized(byte[])}. */
  public byte[] decodeSerialized(byte[] payloads) {
    return call(false, null, Objects.requireNonNull(payloads, "payloads"));
  }

  private byte[] call(boolean encode, List<Payload> payloads, byte[] serialized) {
    Scratch scratch = Scratch.get();
    long len =
        serialized != null
            ? scratch.writeBytes(serialized)
            : scratch.writePayloads(Objects.requireNonNull(payloads, "payloads"));
    long in = scratch.inputAddress();
    long err = scratch.address(Scratch.ERR);
    scratch.clear();
    long codec = handle == null ? 0 : handle.acquire();
    int status;
    try {
      if (encode) {
        long ws = scratch.workspace();
        long view = scratch.address(Scratch.VIEW);
        status =
            handle == null
                ? Lib.tpc_encode_with(ws, in, len, view, err)
                : Lib.tpc_codec_encode_with(codec, ws, in, len, view, err);
      } else {
        status = decodeInto(scratch, codec, in, len, err);
      }
    } finally {
      if (handle != null) {
        handle.release();
      }
      // Keeps this codec (and so its Cleaner) from being collected while C still uses it.
      Reference.reachabilityFence(this);
    }
    try {
      if (status != 0) {
        throw scratch.takeError(status);
      }
      return encode ? scratch.takeView() : scratch.takeDecoded();
    } finally {
      scratch.trim(encode);
    }
  }

  /**
   * Decodes into the thread's output area with {@code tpc_codec_decode_into}: usually one call, as
   * the area is reused; when it is too small the library reports the size to grow to (at most two
   * retries by its contract: nested layers can hide the size from the headers).
   */
  private int decodeInto(Scratch scratch, long codec, long in, long len, long err) {
    long outLen = scratch.address(Scratch.DECODED_LEN);
    for (int attempt = 0; attempt < 4; attempt++) {
      long cap = scratch.outputCapacity();
      long dst = scratch.outputAddress();
      int status =
          handle == null
              ? Lib.tpc_decode_into(in, len, dst, cap, outLen, err)
              : Lib.tpc_codec_decode_into(codec, in, len, dst, cap, outLen, err);
      if (status != 0 || scratch.decodedLength() <= cap) {
        return status;
      }
      scratch.ensureOutput(scratch.decodedLength());
    }
    throw new TpcException(Status.INTERNAL.code(), "the decoded size did not settle");
  }

  private static List<Payload> parse(byte[] serialized) {
    // Aliasing: every payload's data is a view of this one array, not a copy of its own. Protobuf
    // aliases only an input it knows is immutable, which CodedInputStream.newInstance(byte[]) is
    // not; a ByteString's own input is. Nothing writes to the array after this (we made it).
    CodedInputStream in = UnsafeByteOperations.unsafeWrap(serialized).newCodedInput();
    in.enableAliasing(true);
    try {
      return Payloads.parseFrom(in).getPayloadsList();
    } catch (IOException e) {
      throw new PayloadCodecException("the library returned bytes that are not a Payloads", e);
    }
  }

  /**
   * Frees the native codec and wipes its keys once calls in flight are done; later calls throw
   * {@link IllegalStateException}. Closing twice, or closing {@link #defaultCodec()}, does nothing.
   */
  @Override
  public void close() {
    if (handle != null) {
      handle.close();
    }
  }

  /** The configuration, without key bytes. */
  @Override
  public String toString() {
    return description;
  }

  /**
   * The native codec pointer and its life: a count of calls in flight plus a closed bit, so that
   * whichever of {@code close()} and the last call comes second frees it, exactly once. Also the
   * Cleaner's action, which must not refer to the TpcCodec.
   */
  private static final class NativeCodec implements Runnable {
    private static final long CLOSED = 1L << 62;

    private final long address;
    private final AtomicLong state = new AtomicLong();
    private final AtomicBoolean freed = new AtomicBoolean();

    NativeCodec(long address) {
      this.address = address;
      LIVE.incrementAndGet();
    }

    long acquire() {
      while (true) {
        long s = state.get();
        if ((s & CLOSED) != 0) {
          throw new IllegalStateException("this TpcCodec is closed");
        }
        if (state.compareAndSet(s, s + 1)) {
          return address;
        }
      }
    }

    void release() {
      if (state.decrementAndGet() == CLOSED) {
        free();
      }
    }

    void close() {
      if (state.getAndUpdate(s -> s | CLOSED) == 0) {
        free();
      }
    }

    /** The Cleaner's action: the codec is unreachable, so no call is in flight. */
    @Override
    public void run() {
      free();
    }

    private void free() {
      if (freed.compareAndSet(false, true)) {
        Lib.tpc_codec_free(address);
        LIVE.decrementAndGet();
      }
    }
  }

  /**
   * Options for a codec, mirroring the C builder. Every setter returns this builder; {@link
   * #build()} checks everything and throws a {@link TpcException} with status {@link
   * Status#INVALID_ARGUMENT} naming the first bad option. The builder keeps copies of the keys
   * given to it: drop it once built.
   */
  public static final class Builder {
    private Compression compression;
    private Boolean onlyIfSmaller;
    private Integer zlibLevel;
    private Long maxDecodedSize;
    private Long maxTotalDecodedSize;
    private String encryptionKeyId;
    // In the order given, duplicates included: the library reports a duplicate id at build.
    private final List<String> keyIds = new ArrayList<>();
    private final List<byte[]> keys = new ArrayList<>();

    private Builder() {}

    /** The compression layer to write (default {@link Compression#SNAPPY}). */
    public Builder compression(Compression compression) {
      this.compression = Objects.requireNonNull(compression, "compression");
      return this;
    }

    /**
     * When true, a payload that compression does not make strictly smaller is kept unwrapped (the
     * Go and Java SDK zlib codecs' behaviour). Default false: always wrap, as the reference.
     */
    public Builder onlyIfSmaller(boolean onlyIfSmaller) {
      this.onlyIfSmaller = onlyIfSmaller;
      return this;
    }

    /** The zlib level, 0 to 9 (default 6, as the SDKs). */
    public Builder zlibLevel(int level) {
      this.zlibLevel = level;
      return this;
    }

    /** The largest decoded payload, per layer, in bytes (default 64 MiB; at least 1). */
    public Builder maxDecodedSize(long bytes) {
      this.maxDecodedSize = bytes;
      return this;
    }

    /**
     * The most bytes one decode call may produce, all payloads and all their layers counted
     * (default 256 MiB; at least 1). Crossing it fails the call with {@link Status#LIMIT_EXCEEDED},
     * naming the payload at which the total crossed it. The per-payload {@link
     * #maxDecodedSize(long)} alone lets a batch of many payloads, each just under it, make one call
     * decode gigabytes.
     */
    public Builder maxTotalDecodedSize(long bytes) {
      this.maxTotalDecodedSize = bytes;
      return this;
    }

    /**
     * Adds a 32-byte AES-256 key under an id; decoding picks keys by the id a payload names. Any
     * number of keys may be added (key rotation: old ones still decrypt old histories).
     */
    public Builder addKey(String keyId, byte[] key) {
      Objects.requireNonNull(keyId, "keyId");
      Objects.requireNonNull(key, "key");
      keyIds.add(keyId);
      keys.add(key.clone());
      return this;
    }

    /** Encrypts (AES-256-GCM) with the key of this id; encryption is on exactly when set. */
    public Builder encryptionKeyId(String keyId) {
      this.encryptionKeyId = Objects.requireNonNull(keyId, "keyId");
      return this;
    }

    /** Builds the codec; the builder may be built again. */
    public TpcCodec build() {
      // size_t would read a negative number as a huge limit: refuse it here.
      if (maxDecodedSize != null && maxDecodedSize < 1) {
        throw new TpcException(
            Status.INVALID_ARGUMENT.code(),
            "max decoded size must be at least 1, got " + maxDecodedSize);
      }
      if (maxTotalDecodedSize != null && maxTotalDecodedSize < 1) {
        throw new TpcException(
            Status.INVALID_ARGUMENT.code(),
            "max total decoded size must be at least 1, got " + maxTotalDecodedSize);
      }
      List<byte[]> ids = new ArrayList<>();
      for (String id : keyIds) {
        ids.add(cString(id));
      }
      byte[] encryptionId = encryptionKeyId == null ? null : cString(encryptionKeyId);

      Pointer b = Lib.tpc_codec_builder_new();
      if (b == null) {
        throw new OutOfMemoryError("tpc_codec_builder_new returned NULL");
      }
      // A setter that fails poisons the builder and tpc_codec_build reports the first error
      // with a message, so the setters' statuses need no checks of their own.
      if (compression != null) {
        Lib.tpc_codec_builder_set_compression(b, compression.code());
      }
      if (onlyIfSmaller != null) {
        Lib.tpc_codec_builder_set_only_if_smaller(b, onlyIfSmaller ? 1 : 0);
      }
      if (zlibLevel != null) {
        Lib.tpc_codec_builder_set_zlib_level(b, zlibLevel);
      }
      if (maxDecodedSize != null) {
        Lib.tpc_codec_builder_set_max_decoded_size(b, maxDecodedSize);
      }
      if (maxTotalDecodedSize != null) {
        Lib.tpc_codec_builder_set_max_total_decoded_size(b, maxTotalDecodedSize);
      }
      for (int i = 0; i < keys.size(); i++) {
        Lib.tpc_codec_builder_add_key(b, ids.get(i), keys.get(i), keys.get(i).length);
      }
      if (encryptionId != null) {
        Lib.tpc_codec_builder_set_encryption_key(b, encryptionId);
      }
      Scratch scratch = Scratch.get();
      scratch.clear();
      int status =
          Lib.tpc_codec_build(b, scratch.address(Scratch.CODEC), scratch.address(Scratch.ERR));
      if (status != 0) {
        throw scratch.takeError(status);
      }
      return new TpcCodec(new NativeCodec(scratch.codec()), describe());
    }

    private String describe() {
      return "TpcCodec{compression="
          + (compression == null ? Compression.SNAPPY : compression)
          + (onlyIfSmaller != null && onlyIfSmaller ? ", onlyIfSmaller" : "")
          + (zlibLevel == null ? "" : ", zlibLevel=" + zlibLevel)
          + (maxDecodedSize == null ? "" : ", maxDecodedSize=" + maxDecodedSize)
          + (maxTotalDecodedSize == null ? "" : ", maxTotalDecodedSize=" + maxTotalDecodedSize)
          + ", keyIds="
          + keyIds
          + (encryptionKeyId == null ? "" : ", encryptionKeyId=" + encryptionKeyId)
          + "}";
    }

    /** A NUL-terminated UTF-8 copy; an id containing NUL would be silently cut short in C. */
    private static byte[] cString(String id) {
      if (id.indexOf('\0') >= 0) {
        throw new TpcException(
            Status.INVALID_ARGUMENT.code(), "key id " + id.replace("\0", "\\0") + " contains NUL");
      }
      byte[] utf8 = id.getBytes(StandardCharsets.UTF_8);
      byte[] z = new byte[utf8.length + 1];
      System.arraycopy(utf8, 0, z, 0, utf8.length);
      return z;
    }
  }
}
