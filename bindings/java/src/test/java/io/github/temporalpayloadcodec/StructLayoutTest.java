package io.github.temporalpayloadcodec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Native;
import io.github.temporalpayloadcodec.Structs.CallSlots;
import io.github.temporalpayloadcodec.Structs.TpcBuffer;
import io.github.temporalpayloadcodec.Structs.TpcSlice;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layout JNA gives the binding's structs ({@link Structs}), which Scratch reads at raw offsets,
 * is the one a C compiler gives the header's: sizeof and offsetof from a program compiled against
 * include/temporal_payload_codec.h, with CallSlots declared in C from the header's types.
 */
class StructLayoutTest {
  private static final String PROGRAM =
      """
      #include <stddef.h>
      #include <stdio.h>
      #include "temporal_payload_codec.h"

      typedef struct {
        tpc_buffer err;
        tpc_codec *codec;
        tpc_slice view;
        size_t decodedLen;
      } CallSlots;

      #define SIZE(t) printf(#t " %zu\\n", sizeof(t))
      #define OFFSET(t, f) printf(#t "." #f " %zu\\n", offsetof(t, f))

      int main(void) {
        SIZE(tpc_buffer);
        OFFSET(tpc_buffer, data);
        OFFSET(tpc_buffer, len);
        SIZE(tpc_slice);
        OFFSET(tpc_slice, data);
        OFFSET(tpc_slice, len);
        SIZE(CallSlots);
        OFFSET(CallSlots, err);
        OFFSET(CallSlots, codec);
        OFFSET(CallSlots, view);
        OFFSET(CallSlots, decodedLen);
        SIZE(size_t);
        SIZE(void *);
        return 0;
      }
      """;

  private static Map<String, Long> compiled(Path tmp) throws Exception {
    String include = System.getenv("TPC_INCLUDE_DIR");
    if (include == null) {
      throw new IllegalStateException("TPC_INCLUDE_DIR is not set (the pom sets it)");
    }
    assertTrue(Files.isRegularFile(Path.of(include, "temporal_payload_codec.h")), include);
    Path source = tmp.resolve("layout.c");
    Path binary = tmp.resolve("layout");
    Files.writeString(source, PROGRAM);
    Process cc =
        new ProcessBuilder(
                "cc",
                "-std=c11",
                "-Wall",
                "-Werror",
                "-I",
                include,
                "-o",
                binary.toString(),
                source.toString())
            .inheritIO()
            .start();
    assertEquals(0, cc.waitFor(), "cc failed");
    Process run = new ProcessBuilder(binary.toString()).redirectErrorStream(true).start();
    String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(run.waitFor(30, TimeUnit.SECONDS), "layout program hung");
    assertEquals(0, run.exitValue(), out);
    Map<String, Long> values = new TreeMap<>();
    for (String line : out.strip().split("\n")) {
      int space = line.lastIndexOf(' ');
      values.put(line.substring(0, space), Long.parseLong(line.substring(space + 1)));
    }
    return values;
  }

  private static Map<String, Long> jna() {
    TpcBuffer buffer = new TpcBuffer();
    TpcSlice slice = new TpcSlice();
    CallSlots slots = new CallSlots();
    Map<String, Long> values = new TreeMap<>();
    values.put("tpc_buffer", (long) buffer.size());
    values.put("tpc_buffer.data", (long) buffer.offsetOf("data"));
    values.put("tpc_buffer.len", (long) buffer.offsetOf("len"));
    values.put("tpc_slice", (long) slice.size());
    values.put("tpc_slice.data", (long) slice.offsetOf("data"));
    values.put("tpc_slice.len", (long) slice.offsetOf("len"));
    values.put("CallSlots", (long) slots.size());
    for (String field : new String[] {"err", "codec", "view", "decodedLen"}) {
      values.put("CallSlots." + field, (long) slots.offsetOf(field));
    }
    values.put("size_t", (long) Native.SIZE_T_SIZE);
    values.put("void *", (long) Native.POINTER_SIZE);
    return values;
  }

  @Test
  void jnaLaysTheStructsOutAsTheHeader(@TempDir Path tmp) throws Exception {
    Map<String, Long> c = compiled(tmp);
    assertEquals(13, c.size(), c.toString());
    assertEquals(c, jna());
    // Scratch's slots are CallSlots' offsets (and it reads pointers and size_t as longs).
    assertEquals(c.get("CallSlots.err"), (long) Scratch.ERR);
    assertEquals(c.get("CallSlots.codec"), (long) Scratch.CODEC);
    assertEquals(c.get("CallSlots.view"), (long) Scratch.VIEW);
    assertEquals(c.get("CallSlots.decodedLen"), (long) Scratch.DECODED_LEN);
    assertEquals(8L, c.get("size_t"));
    assertEquals(8L, c.get("void *"));
  }
}
