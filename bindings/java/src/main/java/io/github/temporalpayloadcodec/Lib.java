package io.github.temporalpayloadcodec;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.File;
import java.io.IOException;

/**
 * The C ABI of libtemporal_payload_codec, bound by JNA direct mapping (static native methods, about
 * as fast as hand-written JNI).
 *
 * <p>Loading order: an explicit file ({@code -Dtpc.library.path} or {@code TPC_LIBRARY_PATH});
 * else, when {@code jna.library.path} is set, JNA's own search (that property first); else the copy
 * bundled in the jar under JNA's platform folder; else JNA's search of the system paths.
 *
 * <p>Pointer arguments on the hot path are declared as {@code long} addresses (this binding ships
 * for 64-bit platforms only, where {@code size_t} and pointers are 64 bits): that spares JNA a
 * {@link Pointer} object per argument.
 */
final class Lib {
  /** The ABI this binding was written against: {@code TPC_ABI_VERSION} of the header. */
  static final int ABI_VERSION = 2;

  static final String LIBRARY_NAME = "temporal_payload_codec";

  static final NativeLibrary LIBRARY;

  static {
    LIBRARY = load();
    checkAbi(LIBRARY);
    Native.register(Lib.class, LIBRARY);
  }

  private Lib() {}

  private static NativeLibrary load() {
    String explicit = System.getProperty("tpc.library.path");
    if (explicit == null || explicit.isEmpty()) {
      explicit = System.getenv("TPC_LIBRARY_PATH");
    }
    if (explicit != null && !explicit.isEmpty()) {
      File file = new File(explicit);
      if (!file.isFile()) {
        throw new UnsatisfiedLinkError(
            "tpc.library.path / TPC_LIBRARY_PATH names " + explicit + ", which is not a file");
      }
      return NativeLibrary.getInstance(file.getAbsolutePath());
    }
    String jnaPath = System.getProperty("jna.library.path");
    if (jnaPath == null || jnaPath.isEmpty()) {
      // Prefer the copy in our jar over whatever an unrelated install put on the system path:
      // the bundled one is the build this binding was tested with.
      ClassLoader loader = Lib.class.getClassLoader();
      String resource = Platform.RESOURCE_PREFIX + "/" + System.mapLibraryName(LIBRARY_NAME);
      if (loader != null && loader.getResource(resource) != null) {
        try {
          File file = Native.extractFromResourcePath(LIBRARY_NAME, loader);
          return NativeLibrary.getInstance(file.getAbsolutePath());
        } catch (IOException e) {
          UnsatisfiedLinkError error =
              new UnsatisfiedLinkError("cannot extract " + resource + " from the jar: " + e);
          error.initCause(e);
          throw error;
        }
      }
    }
    return NativeLibrary.getInstance(LIBRARY_NAME);
  }

  /**
   * Refuses a library of another ABI before any other function is bound: calling one with the wrong
   * signatures would be undefined behaviour, not an exception.
   */
  private static void checkAbi(NativeLibrary library) {
    Function abi;
    try {
      abi = library.getFunction("tpc_abi_version");
    } catch (UnsatisfiedLinkError e) {
      throw new UnsatisfiedLinkError(
          library.getFile() + " has no tpc_abi_version: not libtemporal_payload_codec?");
    }
    int found = abi.invokeInt(new Object[0]);
    if (found != ABI_VERSION) {
      throw new UnsatisfiedLinkError(
          library.getFile()
              + " implements ABI version "
              + found
              + ", this binding needs ABI version "
              + ABI_VERSION
              + ": use the library built from the same release as the jar");
    }
  }

  // size_t is long; uint32_t is int; tpc_status is uint32_t (all values fit in an int).
  // Only the functions this binding calls are bound: the simple tier (tpc_encode/tpc_decode, the
  // library's default codec) is not, as the binding's default codec is a codec built with no
  // options, so that every call goes through one path.

  /**
   * Encodes with codec into memory ws keeps: out is a tpc_slice viewing the workspace's memory,
   * never passed to tpc_buffer_free. Note the order: the workspace first, then the codec.
   */
  static native int tpc_workspace_encode(
      long ws, long codec, long payloads, long len, long out, long err);

  /**
   * dst: cap writable, initialized bytes; outLen: a size_t slot for the decoded length, or on
   * TPC_ERR_BUFFER_TOO_SMALL the size needed (err is filled then too, and must be freed).
   */
  static native int tpc_codec_decode_into(
      long codec, long payloads, long len, long dst, long cap, long outLen, long err);

  static native long tpc_workspace_new();

  static native void tpc_workspace_free(long ws);

  static native long tpc_workspace_capacity(long ws);

  static native Pointer tpc_codec_builder_new();

  static native int tpc_codec_builder_set_max_decoded_size(Pointer b, long maxBytes);

  static native int tpc_codec_builder_set_max_total_decoded_size(Pointer b, long maxBytes);

  static native int tpc_codec_builder_set_compression(Pointer b, int algorithm);

  static native int tpc_codec_builder_set_only_if_smaller(Pointer b, int on);

  static native int tpc_codec_builder_set_zlib_level(Pointer b, int level);

  /** keyId: keyIdLen bytes (the empty id is an id); key: keyLen bytes. Both are copied. */
  static native int tpc_codec_builder_add_key(
      Pointer b, byte[] keyId, long keyIdLen, byte[] key, long keyLen);

  /** keyId: keyIdLen bytes, the empty id included; encryption is on exactly when called. */
  static native int tpc_codec_builder_set_encryption_key_id(Pointer b, byte[] keyId, long keyIdLen);

  /** out: where the codec pointer is written; err: a tpc_buffer. */
  static native int tpc_codec_build(Pointer b, long out, long err);

  static native void tpc_codec_free(long codec);

  static native void tpc_buffer_free(long buffer);

  static native Pointer tpc_version();

  static native int tpc_abi_version();
}
