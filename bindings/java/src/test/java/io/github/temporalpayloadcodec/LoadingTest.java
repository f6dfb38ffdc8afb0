package io.github.temporalpayloadcodec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the library comes from, and the ABI check, each in a fresh JVM where it matters. */
class LoadingTest {
  /** Run in a child JVM: prints the loaded file and versions, or the loading error. */
  public static final class Probe {
    public static void main(String[] args) {
      try {
        System.out.println("file=" + TpcCodec.libraryFile());
        System.out.println("abi=" + TpcCodec.abiVersion());
        System.out.println("version=" + TpcCodec.libraryVersion());
      } catch (Throwable t) {
        System.out.println("error=" + t);
      }
    }
  }

  private static String probe(String... jvmArgs) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
    cmd.addAll(List.of(jvmArgs));
    cmd.add(Probe.class.getName());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove("TPC_LIBRARY_PATH");
    pb.environment().remove("LD_LIBRARY_PATH");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe JVM hung");
    return out;
  }

  private static Path releaseLibrary() {
    String dir = System.getProperty("tpc.test.lib.dir");
    Path lib = Path.of(dir, "libtemporal_payload_codec.so").toAbsolutePath().normalize();
    assertTrue(Files.isRegularFile(lib), lib + " missing");
    return lib;
  }

  @Test
  void loadsTheCopyOnTheClasspathAndChecksItsAbi() throws Exception {
    assertEquals(Lib.ABI_VERSION, TpcCodec.abiVersion());
    String file = TpcCodec.libraryFile();
    assertTrue(
        file.endsWith("linux-x86-64" + File.separator + "libtemporal_payload_codec.so"), file);
    String cargo = Files.readString(releaseLibrary().resolve("../../../Cargo.toml").normalize());
    assertTrue(cargo.contains("version = \"" + TpcCodec.libraryVersion() + "\""), "version");
  }

  @Test
  void anExplicitPathOverrides() throws Exception {
    Path lib = releaseLibrary();
    String out = probe("-Dtpc.library.path=" + lib);
    assertTrue(out.contains("file=" + lib), out);
    assertTrue(out.contains("abi=" + Lib.ABI_VERSION), out);

    String missing = probe("-Dtpc.library.path=/nonexistent/libtpc.so");
    assertTrue(missing.contains("UnsatisfiedLinkError"), missing);
    assertTrue(missing.contains("/nonexistent/libtpc.so"), missing);
  }

  @Test
  void expectsAbiVersion2() {
    assertEquals(2, Lib.ABI_VERSION);
    assertEquals(2, TpcCodec.abiVersion());
  }

  /**
   * A library of ABI 1 (the previous release's) is refused through the normal loading path, with a
   * message naming both versions, before any call reaches it. The fake exports only
   * tpc_abi_version, so a binding that bound anything else first would fail differently.
   */
  @Test
  void aLibraryOfAnotherAbiIsRefused(@TempDir Path tmp) throws Exception {
    Path source = tmp.resolve("fake.c");
    Files.writeString(source, "unsigned int tpc_abi_version(void) { return 1; }\n");
    Path fake = tmp.resolve("libfake.so");
    Process cc =
        new ProcessBuilder("cc", "-shared", "-fPIC", "-o", fake.toString(), source.toString())
            .inheritIO()
            .start();
    assertEquals(0, cc.waitFor(), "cc failed");
    String out = probe("-Dtpc.library.path=" + fake);
    assertTrue(out.contains("UnsatisfiedLinkError"), out);
    assertTrue(out.contains("UnsatisfiedLinkError: " + fake), out);
    assertTrue(out.contains("implements ABI version 1, this binding needs ABI version 2"), out);
    assertTrue(!out.contains("abi="), "a call went through: " + out);
  }
}
