package io.github.temporalpayloadcodec;

import io.temporal.payload.codec.PayloadCodecException;

/**
 * A failure reported by the library: a {@link Status} and the library's message, which names the
 * payload index and the fault (key ids, never key bytes or payload data).
 *
 * <p>It is a {@link PayloadCodecException}, the exception the Temporal SDK expects from a codec: a
 * decode failure in a worker fails the workflow task (retried, visible in the UI) rather than the
 * workflow.
 */
public class TpcException extends PayloadCodecException {
  private static final long serialVersionUID = 1L;

  private final int code;
  private final String detail;

  /**
   * An exception for a C status code and the library's message.
   *
   * @param code the {@code tpc_status} returned by the library
   * @param detail the library's message (may be empty)
   */
  public TpcException(int code, String detail) {
    super(Status.fromCode(code).cName() + " (" + code + "): " + detail);
    this.code = code;
    this.detail = detail;
  }

  /** The status; {@link Status#UNKNOWN} when the library returned a code this binding lacks. */
  public Status getStatus() {
    return Status.fromCode(code);
  }

  /** The raw C status code. */
  public int getCode() {
    return code;
  }

  /** The library's message without the status prefix. */
  public String getDetail() {
    return detail;
  }
}
