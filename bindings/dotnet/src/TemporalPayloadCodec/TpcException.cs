using System;
using System.Runtime.CompilerServices;

namespace TemporalPayloadCodec
{
    /// <summary>The library's status codes (TPC_OK and TPC_ERR_* in the C header).</summary>
    public enum TpcStatus : uint
    {
        /// <summary>TPC_OK: success (never carried by an exception).</summary>
        Ok = 0,

        /// <summary>TPC_ERR_NULL_ARGUMENT: a required pointer was NULL; a bug in the binding.</summary>
        NullArgument = 1,

        /// <summary>TPC_ERR_INVALID_ARGUMENT: bad option, key length, duplicate key id, encryption key never added.</summary>
        InvalidArgument = 2,

        /// <summary>TPC_ERR_MALFORMED_INPUT: the input is not a valid Payloads, or a Payload in it is malformed.</summary>
        MalformedInput = 3,

        /// <summary>TPC_ERR_CORRUPT_PAYLOAD: an encoded payload's data does not decode.</summary>
        CorruptPayload = 4,

        /// <summary>
        /// TPC_ERR_LIMIT_EXCEEDED: a decoded payload would exceed the maximum, a decode call its
        /// maximum total, or layers nest too deeply.
        /// </summary>
        LimitExceeded = 5,

        /// <summary>TPC_ERR_UNKNOWN_KEY: an encrypted payload names a key id the codec does not hold.</summary>
        UnknownKey = 6,

        /// <summary>TPC_ERR_DECRYPT_FAILED: wrong key, tampered payload, or an unsupported cipher.</summary>
        DecryptFailed = 7,

        /// <summary>
        /// TPC_ERR_BUFFER_TOO_SMALL: a caller's buffer was too small for tpc_codec_decode_into
        /// (which this binding does not call, so it never throws it).
        /// </summary>
        BufferTooSmall = 8,

        /// <summary>TPC_ERR_INTERNAL: a caught panic or an OS failure in the library; please report it.</summary>
        Internal = 255,
    }

    /// <summary>
    /// A call into the library failed. <see cref="Status"/> says why; <see cref="Detail"/> is
    /// the library's message, which names the payload index and the fault (key ids, never key
    /// bytes or payload data).
    /// </summary>
    public sealed class TpcException : Exception
    {
        internal TpcException(TpcStatus status, string operation, string detail)
            : base(operation + ": " + NameOf(status) + " (" + (uint)status + "): " + detail)
        {
            Status = status;
            Operation = operation;
            Detail = detail;
        }

        /// <summary>The status the library returned.</summary>
        public TpcStatus Status { get; }

        /// <summary>The header's name of <see cref="Status"/>, e.g. <c>TPC_ERR_UNKNOWN_KEY</c>.</summary>
        public string StatusName
        {
            get { return NameOf(Status); }
        }

        /// <summary>What was being done: <c>encode</c>, <c>decode</c> or <c>build</c>.</summary>
        public string Operation { get; }

        /// <summary>The library's message alone, without status or operation.</summary>
        public string Detail { get; }

        /// <summary>The library's short description of a status (tpc_status_str), e.g. "unknown key".</summary>
        public static string Describe(TpcStatus status)
        {
            Native.EnsureCompatible();
            return NativeDescribe(status);
        }

        // Compiled after EnsureCompatible ran (see TpcCodecBuilder.BuildNative).
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static string NativeDescribe(TpcStatus status)
        {
            return Native.StaticString(Native.tpc_status_str((uint)status));
        }

        /// <summary>The header's constant name of a status; a code newer than this binding gets a numbered name.</summary>
        internal static string NameOf(TpcStatus status)
        {
            switch (status)
            {
                case TpcStatus.Ok: return "TPC_OK";
                case TpcStatus.NullArgument: return "TPC_ERR_NULL_ARGUMENT";
                case TpcStatus.InvalidArgument: return "TPC_ERR_INVALID_ARGUMENT";
                case TpcStatus.MalformedInput: return "TPC_ERR_MALFORMED_INPUT";
                case TpcStatus.CorruptPayload: return "TPC_ERR_CORRUPT_PAYLOAD";
                case TpcStatus.LimitExceeded: return "TPC_ERR_LIMIT_EXCEEDED";
                case TpcStatus.UnknownKey: return "TPC_ERR_UNKNOWN_KEY";
                case TpcStatus.DecryptFailed: return "TPC_ERR_DECRYPT_FAILED";
                case TpcStatus.BufferTooSmall: return "TPC_ERR_BUFFER_TOO_SMALL";
                case TpcStatus.Internal: return "TPC_ERR_INTERNAL";
                default: return "TPC_STATUS_" + (uint)status;
            }
        }
    }
}
