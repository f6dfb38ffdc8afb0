package io.github.temporalpayloadcodec;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.github.temporalpayloadcodec.Structs.TpcBuffer;

/**
 * C functions the binding does not call, bound for tests: the own-buffer encodes (the binding
 * encodes into a workspace and decodes into its own memory), used as the reference the binding's
 * paths must agree with and to pass what the public API never passes, and the status strings.
 * Buffers go through JNA's {@link TpcBuffer} mapping, which reads them back after each call.
 */
final class TestLib {
  static {
    // Lib's class initializer loads the library and checks its ABI version first.
    Native.register(TestLib.class, Lib.LIBRARY);
  }

  private TestLib() {}

  static native int tpc_encode(long payloads, long len, TpcBuffer out, TpcBuffer err);

  static native int tpc_codec_encode(
      long codec, long payloads, long len, TpcBuffer out, TpcBuffer err);

  static native void tpc_buffer_free(TpcBuffer buffer);

  static native Pointer tpc_status_str(int status);

  /** A buffer's bytes, then the buffer freed (zeroed by the library). */
  static byte[] take(TpcBuffer buffer) {
    long len = buffer.len.longValue();
    byte[] bytes = len == 0 ? new byte[0] : buffer.data.getByteArray(0, (int) len);
    tpc_buffer_free(buffer);
    return bytes;
  }

  /**
   * A native codec built through the C builder with these options (the TpcCodec's own pointer is
   * private): free it with {@code Lib.tpc_codec_free}.
   */
  static long buildCodec(Compression compression, boolean onlyIfSmaller) {
    Scratch s = Scratch.get();
    Pointer b = Lib.tpc_codec_builder_new();
    Lib.tpc_codec_builder_set_compression(b, compression.code());
    Lib.tpc_codec_builder_set_only_if_smaller(b, onlyIfSmaller ? 1 : 0);
    s.clear();
    int status = Lib.tpc_codec_build(b, s.address(Scratch.CODEC), s.address(Scratch.ERR));
    if (status != 0) {
      throw s.takeError(status);
    }
    return s.codec();
  }
}
