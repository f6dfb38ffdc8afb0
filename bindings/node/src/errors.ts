// Errors: one class per library status, all under TpcError, as the other bindings have.

/**
 * A call into the codec library failed. `status` is the library's status code (`TPC_ERR_*`),
 * `statusName` its name, and `message` the library's explanation, which names the payload
 * index and the fault but never key bytes or payload data.
 */
export class TpcError extends Error {
  static readonly STATUS: number = 255;
  static readonly STATUS_NAME: string = 'TPC_ERR_INTERNAL';

  readonly status: number;
  readonly statusName: string;

  constructor(message: string, status?: number, statusName?: string) {
    super(message);
    const cls = new.target;
    this.name = cls.name;
    this.status = status ?? cls.STATUS;
    this.statusName = statusName ?? cls.STATUS_NAME;
  }
}

/** A required pointer was NULL: a bug in this binding, please report it. */
export class NullArgumentError extends TpcError {
  static override readonly STATUS = 1;
  static override readonly STATUS_NAME = 'TPC_ERR_NULL_ARGUMENT';
}

/**
 * A bad option: unknown compression, key not 32 bytes, duplicate key id, an encryption key id
 * that was never added, a size or level out of range.
 */
export class InvalidArgumentError extends TpcError {
  static override readonly STATUS = 2;
  static override readonly STATUS_NAME = 'TPC_ERR_INVALID_ARGUMENT';
}

/** The input is not a valid serialized Payloads, or a Payload in it is malformed. */
export class MalformedInputError extends TpcError {
  static override readonly STATUS = 3;
  static override readonly STATUS_NAME = 'TPC_ERR_MALFORMED_INPUT';
}

/** An encoded payload does not decode: bad stream, CRC mismatch, inner bytes not a Payload. */
export class CorruptPayloadError extends TpcError {
  static override readonly STATUS = 4;
  static override readonly STATUS_NAME = 'TPC_ERR_CORRUPT_PAYLOAD';
}

/** A decoded payload or batch would exceed its limit, or layers nest too deeply. */
export class LimitExceededError extends TpcError {
  static override readonly STATUS = 5;
  static override readonly STATUS_NAME = 'TPC_ERR_LIMIT_EXCEEDED';
}

/** An encrypted payload names a key id the codec does not hold (the message names it). */
export class UnknownKeyError extends TpcError {
  static override readonly STATUS = 6;
  static override readonly STATUS_NAME = 'TPC_ERR_UNKNOWN_KEY';
}

/** Authenticated decryption failed: wrong key, tampered payload, or unsupported cipher. */
export class DecryptFailedError extends TpcError {
  static override readonly STATUS = 7;
  static override readonly STATUS_NAME = 'TPC_ERR_DECRYPT_FAILED';
}

/**
 * A caller's buffer was too small (`TPC_ERR_BUFFER_TOO_SMALL`). The binding's own decode into
 * a Buffer answers it by growing the Buffer to the size the library asks for, so callers do not
 * meet it; it exists so that the status table is complete.
 */
export class BufferTooSmallError extends TpcError {
  static override readonly STATUS = 8;
  static override readonly STATUS_NAME = 'TPC_ERR_BUFFER_TOO_SMALL';
}

/** A caught panic or an operating-system failure inside the library: please report it. */
export class InternalError extends TpcError {
  static override readonly STATUS = 255;
  static override readonly STATUS_NAME = 'TPC_ERR_INTERNAL';
}

/** The codec was used after `close()`. */
export class CodecClosedError extends Error {
  constructor(message = 'the codec was closed') {
    super(message);
    this.name = 'CodecClosedError';
  }
}

const BY_STATUS: ReadonlyMap<number, typeof TpcError> = new Map(
  [
    NullArgumentError,
    InvalidArgumentError,
    MalformedInputError,
    CorruptPayloadError,
    LimitExceededError,
    UnknownKeyError,
    DecryptFailedError,
    BufferTooSmallError,
    InternalError,
  ].map((cls) => [cls.STATUS, cls]),
);

/**
 * The error for a status the library returned. A code this binding does not know (from a
 * newer library) gives a plain TpcError named by the library's description.
 */
export function errorFor(status: number, message: string, description: string): TpcError {
  const cls = BY_STATUS.get(status);
  if (cls === undefined) {
    return new TpcError(`${description}: ${message}`, status, 'TPC_ERR_UNKNOWN_STATUS');
  }
  return new cls(message, status);
}
