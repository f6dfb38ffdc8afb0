package io.github.temporalpayloadcodec.examples;

import io.github.temporalpayloadcodec.TpcCodec;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.converter.CodecDataConverter;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * What the worker and starter share, per the cross-language demo contract: TEMPORAL_ADDRESS
 * (default 127.0.0.1:7233), TEMPORAL_NAMESPACE (default "default"), TPC_KEY_HEX (when set: snappy
 * then AES-256-GCM with that key under TPC_KEY_ID, default demo-key; else snappy only).
 */
public final class Demo {
  public static final String ACTIVITY_QUEUE = "tpc-java";
  public static final String WORKFLOW_QUEUE = "tpc-go";
  public static final String WORKFLOW_TYPE = "CrossLanguageWorkflow";

  private Demo() {}

  static String env(Map<String, String> env, String name, String fallback) {
    String v = env.get(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  /** The codec the environment asks for; the caller closes it. */
  public static TpcCodec codec(Map<String, String> env) {
    String keyHex = env.get("TPC_KEY_HEX");
    TpcCodec.Builder builder = TpcCodec.newBuilder();
    if (keyHex != null && !keyHex.isEmpty()) {
      String id = env(env, "TPC_KEY_ID", "demo-key");
      builder.addKey(id, parseKey(keyHex)).encryptionKeyId(id);
    }
    return builder.build();
  }

  /** TPC_KEY_HEX to a 32-byte key; IllegalArgumentException unless it is 64 hex digits. */
  static byte[] parseKey(String keyHex) {
    byte[] key;
    try {
      key = HexFormat.of().parseHex(keyHex);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("TPC_KEY_HEX must be hexadecimal", e);
    }
    if (key.length != 32) {
      throw new IllegalArgumentException(
          "TPC_KEY_HEX must be 64 hex digits (a 32-byte AES-256 key)");
    }
    return key;
  }

  public static DataConverter converter(TpcCodec codec) {
    return new CodecDataConverter(DefaultDataConverter.newDefaultInstance(), List.of(codec));
  }

  /** A client whose every payload goes through the codec. */
  public static WorkflowClient client(Map<String, String> env, TpcCodec codec) {
    WorkflowServiceStubs service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder()
                .setTarget(env(env, "TEMPORAL_ADDRESS", "127.0.0.1:7233"))
                .build());
    return WorkflowClient.newInstance(
        service,
        WorkflowClientOptions.newBuilder()
            .setNamespace(env(env, "TEMPORAL_NAMESPACE", "default"))
            .setDataConverter(converter(codec))
            .build());
  }
}
