package io.github.temporalpayloadcodec;

import com.sun.jna.IntegerType;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.Structure.FieldOrder;

/**
 * The structs of temporal_payload_codec.h as JNA {@link Structure}s, so that JNA lays them out
 * (sizes, offsets, alignment) by the platform's C rules and the binding types no offset by hand.
 *
 * <p>The binding's calls do not pass these objects to C: JNA would copy every field in before the
 * call and out after it by reflection, which measured slower per call (BENCHMARKS.md, "Struct
 * layout"). {@link Scratch} keeps a {@link CallSlots} in its own native memory instead and reads it
 * through a direct ByteBuffer at the offsets these classes give. {@code StructLayoutTest} compares
 * them with a C compiler's {@code sizeof}/{@code offsetof} on the header.
 */
final class Structs {
  private Structs() {}

  /** {@code size_t}, at the platform's width. */
  public static final class SizeT extends IntegerType {
    private static final long serialVersionUID = 1L;

    public SizeT() {
      this(0);
    }

    public SizeT(long value) {
      super(Native.SIZE_T_SIZE, value, true);
    }
  }

  /** {@code tpc_buffer}: bytes owned by the library, released with {@code tpc_buffer_free}. */
  @FieldOrder({"data", "len"})
  public static class TpcBuffer extends Structure {
    public Pointer data;
    public SizeT len;

    int offsetOf(String field) {
      return fieldOffset(field);
    }
  }

  /** {@code tpc_slice}: bytes lent for one call (an encode result viewed in a workspace). */
  @FieldOrder({"data", "len"})
  public static class TpcSlice extends Structure {
    public Pointer data;
    public SizeT len;

    int offsetOf(String field) {
      return fieldOffset(field);
    }
  }

  /**
   * Not a struct of the header: the binding's own arrangement of the out-parameters of one call,
   * each passed to C by address: the error message, the built codec, the encode result's view and
   * decode's {@code out_len}.
   */
  @FieldOrder({"err", "codec", "view", "decodedLen"})
  public static class CallSlots extends Structure {
    public TpcBuffer err;
    public Pointer codec;
    public TpcSlice view;
    public SizeT decodedLen;

    int offsetOf(String field) {
      return fieldOffset(field);
    }
  }
}
