package io.github.temporalpayloadcodec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.temporal.api.common.v1.Payload;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The layout of Temporal's Java encryption sample (CryptCodec), rebuilt here with javax.crypto:
 * AES/GCM/NoPadding, a 12-byte random nonce before the ciphertext and tag, metadata {@code
 * encryption-cipher} and {@code encryption-key-id}, and the key = the UTF-8 bytes of its 32-char
 * id.
 */
class JavaSampleEncryptionTest {
  private static final String KEY_ID = "test-key-test-key-test-key-test!";
  private static final byte[] KEY = KEY_ID.getBytes(StandardCharsets.UTF_8);

  private static Payload sampleEncrypt(Payload inner) throws Exception {
    byte[] nonce = new byte[12];
    new SecureRandom().nextBytes(nonce);
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(
        Cipher.ENCRYPT_MODE, new SecretKeySpec(KEY, "AES"), new GCMParameterSpec(128, nonce));
    byte[] sealed = cipher.doFinal(inner.toByteArray());
    byte[] data = ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array();
    return Payload.newBuilder()
        .putMetadata("encoding", ByteString.copyFromUtf8("binary/encrypted"))
        .putMetadata("encryption-cipher", ByteString.copyFromUtf8("AES/GCM/NoPadding"))
        .putMetadata("encryption-key-id", ByteString.copyFromUtf8(KEY_ID))
        .setData(ByteString.copyFrom(data))
        .build();
  }

  private static byte[] sampleDecrypt(Payload p) throws Exception {
    byte[] data = p.getData().toByteArray();
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(
        Cipher.DECRYPT_MODE,
        new SecretKeySpec(KEY, "AES"),
        new GCMParameterSpec(128, Arrays.copyOfRange(data, 0, 12)));
    return cipher.doFinal(data, 12, data.length - 12);
  }

  @Test
  void decryptsTheJavaSampleLayout() throws Exception {
    assertEquals(32, KEY.length);
    List<Payload> plain =
        List.of(Fixtures.json("{\"hello\":\"java sample\"}"), Fixtures.order(3, 4000));
    List<Payload> sealed = List.of(sampleEncrypt(plain.get(0)), sampleEncrypt(plain.get(1)));
    try (TpcCodec codec = TpcCodec.newBuilder().addKey(KEY_ID, KEY).build()) {
      assertEquals(plain, codec.decode(sealed));
    }
  }

  @Test
  void theSampleDecryptsWhatWeWrite() throws Exception {
    Payload plain = Fixtures.order(4, 3000);
    try (TpcCodec codec =
        TpcCodec.newBuilder()
            .compression(Compression.NONE)
            .addKey(KEY_ID, KEY)
            .encryptionKeyId(KEY_ID)
            .build()) {
      Payload ours = codec.encode(List.of(plain)).get(0);
      assertEquals(KEY_ID, ours.getMetadataOrThrow("encryption-key-id").toStringUtf8());
      assertArrayEquals(plain.toByteArray(), sampleDecrypt(ours));
    }
  }

  @Test
  void anotherCipherNameIsRefused() throws Exception {
    Payload sealed =
        sampleEncrypt(Fixtures.json("1")).toBuilder()
            .putMetadata("encryption-cipher", ByteString.copyFromUtf8("AES/CBC/PKCS5Padding"))
            .build();
    try (TpcCodec codec = TpcCodec.newBuilder().addKey(KEY_ID, KEY).build()) {
      TpcException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              TpcException.class, () -> codec.decode(List.of(sealed)));
      assertEquals(Status.DECRYPT_FAILED, e.getStatus());
    }
  }
}
