import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * A side measurement for BENCHMARKS.md, not part of the binding: the bare cost of one call of
 * tpc_abi_version() through JNA direct mapping and through the FFM API (Java 22+), in one process
 * and one harness. Run with a Java 22+ source launcher:
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp JNA_JAR bench/ffm/FfmCrossing.java LIB.so
 * </pre>
 */
public class FfmCrossing {
  /** JNA direct mapping, as the binding binds it. */
  static final class Jna {
    static native int tpc_abi_version();
  }

  public static void main(String[] args) throws Throwable {
    String lib = Path.of(args[0]).toAbsolutePath().toString();
    Native.register(Jna.class, NativeLibrary.getInstance(lib));
    MethodHandle ffm =
        Linker.nativeLinker()
            .downcallHandle(
                SymbolLookup.libraryLookup(Path.of(lib), Arena.global())
                    .find("tpc_abi_version")
                    .orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
    int calls = 20_000_000;
    for (int round = 0; round < 5; round++) {
      long sum = 0;
      long t0 = System.nanoTime();
      for (int i = 0; i < calls; i++) {
        sum += Jna.tpc_abi_version();
      }
      long t1 = System.nanoTime();
      for (int i = 0; i < calls; i++) {
        sum += (int) ffm.invokeExact();
      }
      long t2 = System.nanoTime();
      if (sum != 2L * calls) {
        throw new IllegalStateException("unexpected ABI version");
      }
      System.out.printf(
          "round %d: JNA direct %.1f ns/call, FFM %.1f ns/call%n",
          round, (t1 - t0) / (double) calls, (t2 - t1) / (double) calls);
    }
  }
}
