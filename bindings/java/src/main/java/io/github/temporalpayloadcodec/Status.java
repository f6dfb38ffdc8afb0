package io.github.temporalpayloadcodec;

/** A failure status of the C library ({@code TPC_ERR_*} of temporal_payload_codec.h). */
public enum Status {
  /** A required pointer was NULL: a bug in this binding, please report it. */
  NULL_ARGUMENT(1),
  /** Bad option, key not 32 bytes, duplicate key id, encryption key never added. */
  INVALID_ARGUMENT(2),
  /** The input is not a valid serialized Payloads, or a payload in it is malformed. */
  MALFORMED_INPUT(3),
  /** An encoded payload does not decode: bad stream, CRC mismatch, bad inner payload. */
  CORRUPT_PAYLOAD(4),
  /**
   * A decoded payload would exceed the maximum decoded size, a decode call its maximum total, or
   * layers nest too deeply.
   */
  LIMIT_EXCEEDED(5),
  /** An encrypted payload names a key id the codec does not hold. */
  UNKNOWN_KEY(6),
  /** Authenticated decryption failed: wrong key, tampered payload, or unsupported cipher. */
  DECRYPT_FAILED(7),
  /**
   * The caller's buffer was too small for a decode's result ({@code tpc_codec_decode_into}). The
   * binding grows its buffer and retries, so this reaches users only through a library bug.
   */
  BUFFER_TOO_SMALL(8),
  /** A caught panic or an operating-system failure in the library: please report it. */
  INTERNAL(255),
  /** A code this binding does not know (a newer library); {@link TpcException#getCode()}. */
  UNKNOWN(-1);

  private final int code;

  Status(int code) {
    this.code = code;
  }

  /** The C status code, or -1 for {@link #UNKNOWN}. */
  public int code() {
    return code;
  }

  /** The C constant's name, e.g. {@code TPC_ERR_UNKNOWN_KEY}. */
  public String cName() {
    return this == UNKNOWN ? "TPC_ERR_UNKNOWN_STATUS" : "TPC_ERR_" + name();
  }

  /** The status for a C code; {@link #UNKNOWN} for codes this binding does not know. */
  public static Status fromCode(int code) {
    for (Status s : values()) {
      if (s.code == code) {
        return s;
      }
    }
    return UNKNOWN;
  }
}
