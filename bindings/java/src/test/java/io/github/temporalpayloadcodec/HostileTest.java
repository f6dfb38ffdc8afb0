package io.github.temporalpayloadcodec;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.temporal.api.common.v1.Payload;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile batches of {@code tests/hostile/make_hostile.py} (snappy headers claiming gigabytes,
 * zlib payloads inflating to 3 GiB in all) fail with a {@link TpcException}, and the JVM lives on
 * to encode and decode a normal batch.
 *
 * <p>Runs alone, in surefire's {@code hostile} execution (see the pom), in a JVM started by {@code
 * src/test/jvm-4gib/bin/java} inside 4 GiB of address space: without a limit, a reservation sized
 * from a lie may be granted by the host's overcommit (18.75 GiB for framed-claims on a 23 GB
 * machine) and the defect pass unseen; inside it, it fails as on a small container.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileTest {
  private static final long ADDRESS_SPACE = 4L << 30;

  @TempDir static Path dir;

  /** One batch of the generator's manifest. */
  record Batch(String name, byte[] bytes, Status status, String fragment) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static List<Batch> batches;
  private static TpcCodec keyed;

  @BeforeAll
  static void generate() throws Exception {
    String script = System.getenv("TPC_HOSTILE_SCRIPT");
    if (script == null) {
      throw new IllegalStateException("TPC_HOSTILE_SCRIPT is not set (the pom sets it)");
    }
    Process p =
        new ProcessBuilder("python3", script, dir.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "make_hostile.py hung");
    assertEquals(0, p.exitValue(), "make_hostile.py failed: " + out);

    batches = new ArrayList<>();
    for (JsonNode b : new ObjectMapper().readTree(dir.resolve("manifest.json").toFile())) {
      String status = b.get("status").asText();
      batches.add(
          new Batch(
              b.get("name").asText(),
              Files.readAllBytes(dir.resolve(b.get("file").asText())),
              Status.valueOf(status.substring("TPC_ERR_".length())),
              b.get("message_contains").asText()));
    }
    // The three the issue names; a manifest that lost one must not make this pass on fewer.
    assertEquals(
        List.of("claims", "framed-claims", "zlib-3gib"),
        batches.stream().map(Batch::name).toList(),
        "manifest");
    keyed =
        TpcCodec.newBuilder()
            .compression(Compression.ZLIB)
            .addKey("hostile", Fixtures.key(7))
            .encryptionKeyId("hostile")
            .build();
  }

  @AfterAll
  static void closeCodec() {
    if (keyed != null) {
      keyed.close();
    }
  }

  /** The premise: without the limit, a passing run says nothing about a small host. */
  @Test
  @Order(1)
  void runsInsideFourGibOfAddressSpace() throws Exception {
    String limit =
        Files.readAllLines(Path.of("/proc/self/limits")).stream()
            .filter(l -> l.startsWith("Max address space"))
            .findFirst()
            .orElseThrow();
    // "Max address space  <soft>  <hard>  bytes": the soft limit is what malloc and mmap meet.
    assertEquals(String.valueOf(ADDRESS_SPACE), limit.split("\\s{2,}")[1].trim(), limit);
  }

  @Test
  @Order(2)
  void hostileBatchesFailWithTheirStatus() throws Exception {
    List<Executable> checks = new ArrayList<>();
    for (Batch b : batches) {
      List<Payload> parsed = Fixtures.parse(b.bytes);
      for (TpcCodec codec : List.of(TpcCodec.defaultCodec(), keyed)) {
        // Both public decode paths; each goes through the thread's output area and its retry.
        checks.add(
            () -> expect(b, codec, "decodeSerialized", () -> codec.decodeSerialized(b.bytes)));
        checks.add(() -> expect(b, codec, "decode", () -> codec.decode(parsed)));
      }
      // The same batch with every payload sealed in binary/encrypted: the lie is only seen once
      // the outer layer is peeled, so the size reported from the headers cannot warn the binding.
      // The fragments hold: encryption adds a few bytes to each payload's share of the total.
      List<Payload> sealed = sealed(parsed);
      checks.add(() -> expect(b, keyed, "decode(sealed)", () -> keyed.decode(sealed)));
    }
    // Every combination is tried and reported, not just up to the first that fails.
    assertAll(checks);
  }

  private static List<Payload> sealed(List<Payload> payloads) {
    try (TpcCodec sealer =
        TpcCodec.newBuilder()
            .compression(Compression.NONE)
            .addKey("hostile", Fixtures.key(7))
            .encryptionKeyId("hostile")
            .build()) {
      List<Payload> out = sealer.encode(payloads);
      assertEquals("binary/encrypted", Fixtures.encoding(out.get(0)));
      return out;
    }
  }

  private static void expect(Batch b, TpcCodec codec, String path, Executable call) {
    String what = b + " through " + codec + "." + path;
    TpcException e = assertThrows(TpcException.class, call, what);
    assertEquals(b.status, e.getStatus(), what + ": " + e.getMessage());
    assertTrue(e.getDetail().contains(b.fragment), what + ": " + e.getDetail());
  }

  /** After all of that, the same JVM still encodes and decodes. */
  @Test
  @Order(3)
  void theProcessLivesOn() {
    List<Payload> batch = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      batch.add(Fixtures.order(i, 200 + i * 1000));
    }
    // One large payload too: the output area grows again for it after the failed calls.
    batch.add(Fixtures.order(99, 8 << 20));
    byte[] plain = Fixtures.serialize(batch);
    for (TpcCodec codec : List.of(TpcCodec.defaultCodec(), keyed)) {
      assertArrayEquals(plain, codec.decodeSerialized(codec.encodeSerialized(plain)), codec + "");
      List<Payload> encoded = codec.encode(batch);
      String wrapper = codec == keyed ? "binary/encrypted" : "binary/snappy";
      assertEquals(wrapper, Fixtures.encoding(encoded.get(20)), codec + ": encoding");
      assertEquals(batch, codec.decode(encoded), codec + ": decode(encode(batch))");
    }
  }
}
