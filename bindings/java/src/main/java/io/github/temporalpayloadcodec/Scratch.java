package io.github.temporalpayloadcodec;

import com.google.protobuf.CodedOutputStream;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.temporal.api.common.v1.Payload;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Per-thread native memory for one call: the slots of the call's out-parameters ({@link
 * Structs.CallSlots}: the error {@code tpc_buffer}, a built codec pointer, the {@code tpc_slice} an
 * encode result is viewed through, decode's length), the serialized input, the thread's {@code
 * tpc_workspace} that encode writes into, and the output area decode writes into ({@code
 * tpc_codec_decode_into}).
 *
 * <p>The input is serialized straight into this native memory, so the library reads it in place: no
 * Java byte[] is made and JNA copies nothing in. Encode results land in the workspace, whose memory
 * the library keeps between calls, and decode results in the output area, for the same reason: a
 * fresh output per call would be handed back to the kernel by the allocator and faulted in again by
 * the next large call. Memory is reused by the thread's next call; above {@link #RETAIN} bytes
 * (input area or workspace) it is released after the call so one huge batch does not pin memory for
 * the thread's lifetime. The workspace of a thread that ends is freed by a Cleaner, as JNA frees
 * the {@link Memory}.
 */
final class Scratch {
  // The out-parameters' slots, laid out by JNA (Structs.CallSlots) and read at these offsets.
  private static final Structs.CallSlots SLOTS = new Structs.CallSlots();
  static final int ERR = SLOTS.offsetOf("err"); // tpc_buffer
  static final int CODEC = SLOTS.offsetOf("codec"); // tpc_codec *
  static final int VIEW = SLOTS.offsetOf("view"); // tpc_slice: the workspace's, never freed here
  static final int DECODED_LEN = SLOTS.offsetOf("decodedLen"); // tpc_codec_decode_into's out_len
  private static final Structs.TpcBuffer BUFFER = new Structs.TpcBuffer();
  private static final int BUFFER_DATA = BUFFER.offsetOf("data");
  private static final int BUFFER_LEN = BUFFER.offsetOf("len");
  private static final Structs.TpcSlice SLICE = new Structs.TpcSlice();
  private static final int SLICE_DATA = SLICE.offsetOf("data");
  private static final int SLICE_LEN = SLICE.offsetOf("len");
  private static final long HEADER = SLOTS.size();
  private static final long INITIAL = 64 * 1024;
  static final long RETAIN = 4L * 1024 * 1024;

  static {
    // Pointers and size_t are read as Java longs here, and passed as longs in Lib.
    if (Native.POINTER_SIZE != 8 || Native.SIZE_T_SIZE != 8) {
      throw new UnsatisfiedLinkError("this binding needs 64-bit pointers and size_t");
    }
  }

  private static final ThreadLocal<Scratch> CURRENT = ThreadLocal.withInitial(Scratch::new);

  private Memory memory;
  private long base;
  // The buffers and codec slot, read and written through a direct buffer: plain memory accesses
  // where Memory.getLong/setLong would each be a JNI call.
  private ByteBuffer header;
  private ByteBuffer input; // a view of the input area, recreated when the memory grows
  private final Workspace workspace = new Workspace();
  private Memory output; // decode's output area, allocated on the first decode

  private Scratch() {
    allocate(INITIAL);
    TpcCodec.CLEANER.register(this, workspace);
  }

  static Scratch get() {
    return CURRENT.get();
  }

  private void allocate(long inputCapacity) {
    memory = new Memory(HEADER + inputCapacity);
    base = Pointer.nativeValue(memory);
    header = memory.getByteBuffer(0, HEADER).order(ByteOrder.nativeOrder());
    input = null;
  }

  long address(long offset) {
    return base + offset;
  }

  /** Zeroes the slots before a call: outputs are written only on success. */
  void clear() {
    for (int i = 0; i < HEADER; i += Long.BYTES) {
      header.putLong(i, 0);
    }
  }

  /** Bytes decode may write into the output area (allocating it on first use). */
  long outputCapacity() {
    if (output == null) {
      allocateOutput(INITIAL);
    }
    return output.size();
  }

  long outputAddress() {
    return Pointer.nativeValue(output);
  }

  /** Grows the output area to hold at least size bytes. */
  void ensureOutput(long size) {
    long capacity = outputCapacity();
    if (size > capacity) {
      // Freed before allocating, so the two are never held at once; forgotten first, so that a
      // failed allocation leaves no freed area for the thread's next decode to hand to C.
      Memory old = output;
      output = null;
      old.close();
      allocateOutput(Math.max(size, Math.min(capacity * 2, RETAIN)));
    }
  }

  private void allocateOutput(long size) {
    output = new Memory(size);
    // The library writes into it as a Rust slice, which must be initialized memory.
    output.clear();
  }

  long decodedLength() {
    return header.getLong(DECODED_LEN);
  }

  /** Copies the decoded result out of the output area into a Java array. */
  byte[] takeDecoded() {
    return copy(Pointer.nativeValue(output), decodedLength());
  }

  /** This thread's tpc_workspace, created on first use. */
  long workspace() {
    return workspace.get();
  }

  /** Bytes of result memory this thread's workspace holds (0 when it has none). */
  long workspaceCapacity() {
    return Lib.tpc_workspace_capacity(workspace.address);
  }

  /** Bytes of input the memory holds now. */
  long inputCapacity() {
    return memory.size() - HEADER;
  }

  void ensureInput(long size) {
    long capacity = inputCapacity();
    if (size > capacity) {
      replaceMemory(Math.max(size, Math.min(capacity * 2, RETAIN)));
    }
  }

  /**
   * Allocates before freeing (the old memory is at most RETAIN bytes at the start of a call), so
   * that a failed allocation leaves the thread its old, live memory rather than freed memory behind
   * the header buffers.
   */
  private void replaceMemory(long inputCapacity) {
    Memory old = memory;
    allocate(inputCapacity);
    old.close();
  }

  /** Serializes payloads as a Payloads message into the input area; returns its length. */
  long writePayloads(List<Payload> payloads) {
    long size = 0;
    for (Payload p : payloads) {
      size += CodedOutputStream.computeMessageSize(1, p);
    }
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a batch of " + size + " bytes is over 2 GiB");
    }
    ensureInput(size);
    if (input == null) {
      input = memory.getByteBuffer(HEADER, inputCapacity());
    }
    input.clear();
    CodedOutputStream out = CodedOutputStream.newInstance(input);
    try {
      for (Payload p : payloads) {
        out.writeMessage(1, p);
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("serializing the payloads into native memory", e);
    }
    return size;
  }

  /** Copies already serialized Payloads into the input area. */
  long writeBytes(byte[] serialized) {
    ensureInput(serialized.length);
    memory.write(HEADER, serialized, 0, serialized.length);
    return serialized.length;
  }

  long inputAddress() {
    return base + HEADER;
  }

  /** Copies the encode result the workspace holds into a Java array (the workspace keeps it). */
  byte[] takeView() {
    return copy(header.getLong(VIEW + SLICE_DATA), header.getLong(VIEW + SLICE_LEN));
  }

  private static byte[] copy(long data, long len) {
    if (len > Integer.MAX_VALUE - 8) {
      throw new TpcException(
          Status.LIMIT_EXCEEDED.code(), "the result is " + len + " bytes, over a Java array");
    }
    byte[] out = new byte[(int) len];
    if (len > 0) {
      new Pointer(data).read(0, out, 0, out.length);
    }
    return out;
  }

  /** The exception for a failed call, with the library's message; frees the message. */
  TpcException takeError(int status) {
    long data = header.getLong(ERR + BUFFER_DATA);
    long len = header.getLong(ERR + BUFFER_LEN);
    try {
      String message = "";
      if (data != 0 && len > 0) {
        message = new String(new Pointer(data).getByteArray(0, (int) len), StandardCharsets.UTF_8);
      }
      return new TpcException(status, message);
    } finally {
      freeError();
    }
  }

  /** Frees the message of a failure the caller handles itself (zeroing the buffer). */
  void freeError() {
    Lib.tpc_buffer_free(base + ERR);
  }

  long codec() {
    return header.getLong(CODEC);
  }

  /**
   * Releases an input area grown past RETAIN, after the call that needed it; after an encode a
   * workspace grown past it too (the next encode creates a fresh one), after a decode such an
   * output area. Each call checks only what it can have grown.
   */
  void trim(boolean encoded) {
    if (inputCapacity() > RETAIN) {
      replaceMemory(INITIAL);
    }
    if (encoded && workspaceCapacity() > RETAIN) {
      workspace.free();
    }
    if (!encoded && output != null && output.size() > RETAIN) {
      output.close();
      output = null;
    }
  }

  /**
   * The tpc_workspace pointer, 0 until the first encode and after a trim. Also the Cleaner's action
   * once the Scratch is unreachable (its thread ended), so it must not refer to the Scratch.
   */
  private static final class Workspace implements Runnable {
    // Volatile: the Cleaner's thread frees whatever the owning thread stored last.
    private volatile long address;

    long get() {
      long ws = address;
      if (ws == 0) {
        ws = Lib.tpc_workspace_new();
        if (ws == 0) {
          throw new OutOfMemoryError("tpc_workspace_new returned NULL");
        }
        address = ws;
      }
      return ws;
    }

    void free() {
      long ws = address;
      if (ws != 0) {
        address = 0;
        Lib.tpc_workspace_free(ws);
      }
    }

    @Override
    public void run() {
      free();
    }
  }
}
