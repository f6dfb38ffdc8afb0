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
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
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
  private static final int MAX_DECODE_RETRIES = 3;

  private final NativeCodec handle;
  private final String description;
  private final boolean shared; // the default codec: close() does nothing

  private TpcCodec(NativeCodec handle, String description, boolean shared) {
    this.handle = handle;
    this.description = description;
    this.shared = shared;
    CLEANER.register(this, handle);
  }

  /**
   * The default codec, built on first use (so that merely loading this class does not load the
   * library): a codec built with no options, whose defaults are the reference codec's.
   */
  private static final class Default {
    static final TpcCodec CODEC = new Builder().build(true);

    private Default() {}
  }

  /**
   * The reference codec of Temporal's documentation, byte for byte: snappy framing format of the
   * whole serialized payload, metadata exactly {@code encoding: binary/snappy}. Shared; closing it
   * does nothing. It is the codec {@code newBuilder().build()} gives, built once.
   */
  public static TpcCodec defaultCodec() {
    return Default.CODEC;
  }

  /**
   * A builder with the library's defaults (snappy framing, no keys, 64 MiB per payload and 256 MiB
   * per decode call).
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** The library version, e.g. {@code 0.2.0}. Loads the library on first use. */
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
    long codec = handle.acquire();
    int status;
    try {
      if (encode) {
        status =
            Lib.tpc_workspace_encode(
                scratch.workspace(), codec, in, len, scratch.address(Scratch.VIEW), err);
      } else {
        status = decodeInto(scratch, codec, in, len, err);
      }
    } finally {
      handle.release();
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
   * Decodes into the thread's output area with {@code tpc_codec_decode_into}, in the library's one
   * pattern: while the status is {@code TPC_ERR_BUFFER_TOO_SMALL}, grow the area to the size the
   * library wrote out and call again. The first call passes the area as the thread's last decode
   * left it rather than none, so a decode no larger than the last is one call. The library's
   * contract ends this after at most two retries (nested layers can hide the size from the
   * headers); past three, it is an internal error rather than a loop.
   */
  private static int decodeInto(Scratch scratch, long codec, long in, long len, long err) {
    long outLen = scratch.address(Scratch.DECODED_LEN);
    long cap = scratch.outputCapacity(); // allocates the area on the thread's first decode
    int status =
        Lib.tpc_codec_decode_into(codec, in, len, scratch.outputAddress(), cap, outLen, err);
    for (int retries = 0; status == Status.BUFFER_TOO_SMALL.code(); retries++) {
      // Like every failure, this one came with a message: free it before the next call.
      scratch.freeError();
      if (retries == MAX_DECODE_RETRIES) {
        throw new TpcException(
            Status.INTERNAL.code(),
            "tpc_codec_decode_into still reported TPC_ERR_BUFFER_TOO_SMALL after "
                + MAX_DECODE_RETRIES
                + " retries (its contract is at most two)");
      }
      scratch.ensureOutput(scratch.decodedLength());
      cap = scratch.outputCapacity();
      status = Lib.tpc_codec_decode_into(codec, in, len, scratch.outputAddress(), cap, outLen, err);
    }
    return status;
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
    if (!shared) {
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
    private byte[] encryptionKeyId; // UTF-8 of a String id, or the bytes given
    // In the order given, duplicates included: the library reports a duplicate id at build.
    private final List<byte[]> keyIds = new ArrayList<>();
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
     * Adds a 32-byte AES-256 key under an id (passed to the library as its UTF-8 bytes); decoding
     * picks keys by the id a payload names. Any number of keys may be added (key rotation: old ones
     * still decrypt old histories). Any string is an id, the empty one included: Temporal's Go
     * encryption sample writes {@code encryption-key-id: ""}.
     */
    public Builder addKey(String keyId, byte[] key) {
      return addKey(utf8(keyId), key);
    }

    /** {@link #addKey(String, byte[])} with the id as bytes, which need not be UTF-8. */
    public Builder addKey(byte[] keyId, byte[] key) {
      Objects.requireNonNull(keyId, "keyId");
      Objects.requireNonNull(key, "key");
      keyIds.add(keyId.clone());
      keys.add(key.clone());
      return this;
    }

    /**
     * Encrypts (AES-256-GCM) with the key of this id (its UTF-8 bytes); encryption is on exactly
     * when this was called, also with the empty id {@code ""}. The key may be added before or
     * after.
     */
    public Builder encryptionKeyId(String keyId) {
      return encryptionKeyId(utf8(keyId));
    }

    /** {@link #encryptionKeyId(String)} with the id as bytes, which need not be UTF-8. */
    public Builder encryptionKeyId(byte[] keyId) {
      this.encryptionKeyId = Objects.requireNonNull(keyId, "keyId").clone();
      return this;
    }

    /** Builds the codec; the builder may be built again. */
    public TpcCodec build() {
      return build(false);
    }

    private TpcCodec build(boolean shared) {
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
      // Taken first: from tpc_codec_builder_new to tpc_codec_build (which consumes the builder)
      // only native calls run, so no exception leaves a builder to free.
      Scratch scratch = Scratch.get();
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
        byte[] id = keyIds.get(i);
        byte[] key = keys.get(i);
        Lib.tpc_codec_builder_add_key(b, id, id.length, key, key.length);
      }
      if (encryptionKeyId != null) {
        Lib.tpc_codec_builder_set_encryption_key_id(b, encryptionKeyId, encryptionKeyId.length);
      }
      scratch.clear();
      int status =
          Lib.tpc_codec_build(b, scratch.address(Scratch.CODEC), scratch.address(Scratch.ERR));
      if (status != 0) {
        throw scratch.takeError(status);
      }
      return new TpcCodec(
          new NativeCodec(scratch.codec()), shared ? "TpcCodec{default}" : describe(), shared);
    }

    private String describe() {
      StringBuilder ids = new StringBuilder("[");
      for (byte[] id : keyIds) {
        ids.append(ids.length() > 1 ? ", " : "").append(showId(id));
      }
      return "TpcCodec{compression="
          + (compression == null ? Compression.SNAPPY : compression)
          + (onlyIfSmaller != null && onlyIfSmaller ? ", onlyIfSmaller" : "")
          + (zlibLevel == null ? "" : ", zlibLevel=" + zlibLevel)
          + (maxDecodedSize == null ? "" : ", maxDecodedSize=" + maxDecodedSize)
          + (maxTotalDecodedSize == null ? "" : ", maxTotalDecodedSize=" + maxTotalDecodedSize)
          + ", keyIds="
          + ids.append(']')
          + (encryptionKeyId == null ? "" : ", encryptionKeyId=" + showId(encryptionKeyId))
          + "}";
    }

    private static byte[] utf8(String keyId) {
      return Objects.requireNonNull(keyId, "keyId").getBytes(StandardCharsets.UTF_8);
    }

    /** An id as a quoted string (so the empty id shows as ""), or as hex when not UTF-8. */
    private static String showId(byte[] id) {
      try {
        return '"'
            + StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(id))
                .toString()
            + '"';
      } catch (CharacterCodingException e) {
        StringBuilder hex = new StringBuilder("0x");
        for (byte b : id) {
          hex.append(String.format("%02x", b & 0xff));
        }
        return hex.toString();
      }
    }
  }
}
