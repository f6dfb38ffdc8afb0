package io.github.temporalpayloadcodec;

import com.sun.jna.Native;

/**
 * The C functions that return a library-owned {@code tpc_buffer}, which the binding does not call
 * (it encodes into a workspace and decodes into its own memory). Tests use them as the reference
 * the binding's paths must agree with, and to pass what the public API never passes.
 */
final class OwnBufferLib {
  static {
    // Lib's class initializer loads the library and checks its ABI version first.
    Native.register(OwnBufferLib.class, Lib.LIBRARY);
  }

  private OwnBufferLib() {}

  static native int tpc_encode(long payloads, long len, long out, long err);

  static native int tpc_codec_encode(long codec, long payloads, long len, long out, long err);
}
