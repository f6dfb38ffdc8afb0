package io.github.temporalpayloadcodec;

import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the leak tests read of the binding's private state, by reflection, so that the product keeps
 * no counters for them: whether a codec's native handle was freed, and a thread's workspace pointer
 * (0 once freed). The handles and workspaces refer to nothing that keeps their owner alive, so a
 * test may hold them while waiting for the Cleaner.
 */
final class Internals {
  private Internals() {}

  private static Object field(Object owner, String name) {
    try {
      Field f = owner.getClass().getDeclaredField(name);
      f.setAccessible(true);
      return f.get(owner);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("the test reads " + owner.getClass() + "." + name, e);
    }
  }

  /** The codec's native handle (TpcCodec.NativeCodec). */
  static Object handle(TpcCodec codec) {
    return field(codec, "handle");
  }

  /** Whether a handle of {@link #handle} has freed its native codec. */
  static boolean freed(Object handle) {
    return ((AtomicBoolean) field(handle, "freed")).get();
  }

  /** The calling thread's workspace holder (Scratch.Workspace). */
  static Object workspace() {
    return field(Scratch.get(), "workspace");
  }

  /** The tpc_workspace pointer a holder of {@link #workspace} holds: 0 when none or freed. */
  static long workspaceAddress(Object workspace) {
    return (Long) field(workspace, "address");
  }
}
