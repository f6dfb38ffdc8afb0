package io.github.temporalpayloadcodec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Shared test data: the repository's vectors and payload builders. */
final class Fixtures {
  private Fixtures() {}

  /** One case of tests/vectors/reference-snappy.json (a copy of the shared vectors). */
  record Vector(String name, byte[] plain, byte[] encoded, byte[] rawBlock) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<Vector> vectors() throws IOException {
    String path = System.getenv("TPC_VECTORS");
    if (path == null) {
      throw new IllegalStateException("TPC_VECTORS is not set (the pom sets it for surefire)");
    }
    JsonNode root = new ObjectMapper().readTree(new File(path));
    Base64.Decoder b64 = Base64.getDecoder();
    List<Vector> out = new ArrayList<>();
    for (JsonNode c : root.get("cases")) {
      out.add(
          new Vector(
              c.get("name").asText(),
              b64.decode(c.get("plain").asText()),
              b64.decode(c.get("encoded").asText()),
              b64.decode(c.get("raw_block").asText())));
    }
    if (out.isEmpty()) {
      throw new IllegalStateException(path + " has no cases");
    }
    return out;
  }

  static Payload json(String text) {
    return Payload.newBuilder()
        .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
        .setData(ByteString.copyFromUtf8(text))
        .build();
  }

  /** A compressible JSON payload of about {@code size} bytes, distinct per seed. */
  static Payload order(int seed, int size) {
    StringBuilder sb = new StringBuilder("{\"seed\":").append(seed).append(",\"items\":[");
    int i = 0;
    while (sb.length() < size) {
      sb.append("{\"sku\":\"SKU-").append(seed).append('-').append(i++).append("\",\"qty\":3},");
    }
    sb.append("{}]}");
    return json(sb.toString());
  }

  static List<Payload> parse(byte[] serialized) throws IOException {
    return Payloads.parseFrom(serialized).getPayloadsList();
  }

  static byte[] serialize(List<Payload> payloads) {
    return Payloads.newBuilder().addAllPayloads(payloads).build().toByteArray();
  }

  static String encoding(Payload p) {
    return p.getMetadataOrDefault("encoding", ByteString.EMPTY).toString(StandardCharsets.UTF_8);
  }

  static byte[] key(int fill) {
    byte[] key = new byte[32];
    for (int i = 0; i < key.length; i++) {
      key[i] = (byte) (fill + i);
    }
    return key;
  }
}
