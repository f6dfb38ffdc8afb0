package io.github.temporalpayloadcodec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The conformance suite every binding runs (tests/conformance/cases.json; its README there), run
 * through both public paths of this binding, which must agree with the core and so with each other:
 *
 * <ul>
 *   <li>the bytes API, {@code encodeSerialized}/{@code decodeSerialized}: the serialized Payloads
 *       are copied into native memory as they are;
 *   <li>the Payload API, the SDK's {@code PayloadCodec} {@code encode}/{@code decode} on {@code
 *       List<Payload>}: the input is parsed by protobuf-java, the binding serializes the list
 *       straight into native memory and parses the result with aliasing, and the output is compared
 *       after serializing it again.
 * </ul>
 *
 * <p>Each case builds its codec with {@link TpcCodec#newBuilder()} from the case's options, in the
 * one vocabulary, and fails on an option it does not know. A case whose input protobuf-java cannot
 * parse cannot reach the Payload API at all: such a case must expect {@code
 * TPC_ERR_MALFORMED_INPUT} at the call, and through the Payload API it checks that protobuf-java
 * refuses the input (the same verdict, before the codec); its test name says so.
 */
class ConformanceTest {
  private static final int AT_LEAST = 40;

  record Case(String name, JsonNode codec, boolean encode, byte[] input, JsonNode expect) {}

  /** One public path: encodes or decodes serialized Payloads through the binding's API. */
  private interface Api {
    byte[] call(TpcCodec codec, boolean encode, byte[] payloads) throws IOException;
  }

  private static final Api BYTES =
      (codec, encode, payloads) ->
          encode ? codec.encodeSerialized(payloads) : codec.decodeSerialized(payloads);

  private static final Api PAYLOADS =
      (codec, encode, payloads) -> {
        List<Payload> in = Payloads.parseFrom(payloads).getPayloadsList();
        List<Payload> out = encode ? codec.encode(in) : codec.decode(in);
        return Payloads.newBuilder().addAllPayloads(out).build().toByteArray();
      };

  static List<Case> cases() throws IOException {
    String path = System.getenv("TPC_CONFORMANCE");
    if (path == null) {
      throw new IllegalStateException("TPC_CONFORMANCE is not set (the pom sets it)");
    }
    File file = new File(path);
    if (!file.isFile()) {
      throw new IllegalStateException("the conformance suite is missing: " + path);
    }
    Base64.Decoder b64 = Base64.getDecoder();
    List<Case> cases = new ArrayList<>();
    for (JsonNode c : new ObjectMapper().readTree(file).get("cases")) {
      String op = c.get("op").asText();
      if (!op.equals("encode") && !op.equals("decode")) {
        throw new IllegalStateException(c.get("name") + ": unknown op " + op);
      }
      cases.add(
          new Case(
              c.get("name").asText(),
              c.get("codec"),
              op.equals("encode"),
              b64.decode(c.get("input").asText()),
              c.get("expect")));
    }
    if (cases.size() < AT_LEAST) {
      throw new IllegalStateException(
          path + " has " + cases.size() + " cases, fewer than " + AT_LEAST);
    }
    return cases;
  }

  @TestFactory
  Stream<DynamicContainer> conformance() throws IOException {
    List<Case> cases = cases();
    return Stream.of(
        DynamicContainer.dynamicContainer(
            "bytes API",
            cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> run(c, BYTES)))),
        DynamicContainer.dynamicContainer(
            "Payload API",
            cases.stream()
                .map(
                    c ->
                        parses(c.input())
                            ? DynamicTest.dynamicTest(c.name(), () -> run(c, PAYLOADS))
                            : DynamicTest.dynamicTest(
                                c.name() + " (refused by protobuf-java before the codec)",
                                () -> unparseable(c)))));
  }

  private static boolean parses(byte[] payloads) {
    try {
      Payloads.parseFrom(payloads);
      return true;
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
  }

  /** A case the Payload API cannot be given: its input must be one the core calls malformed. */
  private static void unparseable(Case c) {
    JsonNode error = c.expect().get("error");
    assertTrue(
        error != null
            && error.get("status").asText().equals(Status.MALFORMED_INPUT.cName())
            && error.get("at").asText().equals("call"),
        c.name() + ": protobuf-java cannot parse the input, but the case expects " + c.expect());
  }

  private static void run(Case c, Api api) throws IOException {
    JsonNode error = c.expect().get("error");
    TpcCodec codec;
    try {
      codec = build(c.codec());
    } catch (TpcException e) {
      if (error == null) {
        throw new AssertionError(c.name() + ": building the codec failed", e);
      }
      checkError(c, error, "build", e);
      return;
    }
    try (TpcCodec built = codec) {
      byte[] out;
      try {
        out = api.call(built, c.encode(), c.input());
      } catch (TpcException e) {
        if (error == null) {
          throw new AssertionError(c.name() + ": the call failed", e);
        }
        checkError(c, error, "call", e);
        return;
      }
      if (error != null) {
        fail(c.name() + ": succeeded, expected " + error);
      }
      JsonNode output = c.expect().get("output");
      if (output != null) {
        assertArrayEquals(Base64.getDecoder().decode(output.asText()), out, c.name());
      } else if (c.expect().path("roundtrip").asBoolean(false)) {
        assertFalse(
            c.input().length > 0 && Arrays.equals(c.input(), out),
            c.name() + ": encode changed nothing");
        assertArrayEquals(c.input(), api.call(built, false, out), c.name() + ": round trip");
      } else {
        fail(c.name() + ": unknown expectation " + c.expect());
      }
    }
  }

  private static void checkError(Case c, JsonNode error, String stage, TpcException e) {
    String status = error.get("status").asText();
    assertEquals(error.get("at").asText(), stage, c.name() + ": failed at " + stage + ": " + e);
    assertEquals(status, e.getStatus().cName(), c.name() + ": " + e.getMessage());
    assertTrue(
        e.getMessage().startsWith(status + " (" + e.getCode() + "): "),
        c.name() + ": " + e.getMessage());
    String fragment = error.get("message_contains").asText();
    assertTrue(
        e.getDetail().contains(fragment),
        c.name() + ": " + e.getDetail() + " lacks \"" + fragment + "\"");
  }

  /** A codec from the case's options, in the one vocabulary; an unknown option fails the test. */
  private static TpcCodec build(JsonNode options) {
    TpcCodec.Builder b = TpcCodec.newBuilder();
    for (Iterator<Map.Entry<String, JsonNode>> it = options.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> option = it.next();
      JsonNode v = option.getValue();
      switch (option.getKey()) {
        case "compression" -> b.compression(compression(v.asText()));
        case "only_if_smaller" -> b.onlyIfSmaller(bool(v));
        case "zlib_level" -> b.zlibLevel(Math.toIntExact(integer(v)));
        case "max_decoded_size" -> b.maxDecodedSize(integer(v));
        case "max_total_decoded_size" -> b.maxTotalDecodedSize(integer(v));
        case "keys" -> {
          for (JsonNode k : v) {
            b.addKey(k.get("id").asText(), HexFormat.of().parseHex(k.get("key").asText()));
          }
        }
        case "encryption_key_id" -> b.encryptionKeyId(v.asText());
        default -> throw new AssertionError("unknown option " + option.getKey());
      }
    }
    return b.build();
  }

  private static Compression compression(String name) {
    return switch (name) {
      case "none" -> Compression.NONE;
      case "snappy" -> Compression.SNAPPY;
      case "snappy-raw" -> Compression.SNAPPY_RAW;
      case "zlib" -> Compression.ZLIB;
      default -> throw new AssertionError("unknown compression " + name);
    };
  }

  private static boolean bool(JsonNode v) {
    assertTrue(v.isBoolean(), "not a boolean: " + v);
    return v.asBoolean();
  }

  private static long integer(JsonNode v) {
    assertTrue(v.canConvertToLong() && v.isIntegralNumber(), "not an integer: " + v);
    return v.asLong();
  }
}
