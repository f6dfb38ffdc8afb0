using System;
using System.Runtime.CompilerServices;

namespace TemporalPayloadCodec
{
    /// <summary>
    /// A configured codec over serialized <c>temporal.api.common.v1.Payloads</c> bytes: the
    /// output has the same number of payloads, in the same order. Thread-safe: any number of
    /// threads may call <see cref="Encode"/> and <see cref="Decode"/> on one instance at once.
    /// </summary>
    /// <remarks>
    /// Build one with <see cref="CreateBuilder"/>, or use <see cref="Default"/>. Dispose it to
    /// release the native codec and wipe its keys; a call still running keeps the native codec
    /// alive until it returns (SafeHandle reference counting), later calls throw
    /// <see cref="ObjectDisposedException"/>. A codec never disposed is released by its
    /// SafeHandle's finalizer.
    /// </remarks>
    public sealed class TpcCodec : IDisposable
    {
        private static readonly object DefaultLock = new object();
        private static volatile TpcCodec defaultCodec;

        private readonly CodecHandle handle;

        // True for Default only: shared by the whole process, so Dispose leaves it alone.
        private readonly bool shared;

        internal TpcCodec(CodecHandle handle, bool shared)
        {
            this.handle = handle;
            this.shared = shared;
        }

        /// <summary>
        /// A codec built with no options (<c>CreateBuilder().Build()</c>): the reference codec of
        /// Temporal's documentation, byte for byte: snappy framing format of each whole serialized
        /// payload, metadata exactly <c>{"encoding": "binary/snappy"}</c>. Built on first use and
        /// shared by the process; disposing it does nothing.
        /// </summary>
        /// <exception cref="DllNotFoundException">The native library cannot be loaded.</exception>
        /// <exception cref="InvalidOperationException">The native library has another ABI version.</exception>
        public static TpcCodec Default
        {
            get
            {
                // Built lazily (not in a static initializer) so that a missing or mismatched
                // library surfaces as its own exception, not a TypeInitializationException, and
                // a later call may try again.
                TpcCodec codec = defaultCodec;
                if (codec != null)
                {
                    return codec;
                }

                lock (DefaultLock)
                {
                    if (defaultCodec == null)
                    {
                        defaultCodec = new TpcCodec(new TpcCodecBuilder().BuildHandle(), shared: true);
                    }

                    return defaultCodec;
                }
            }
        }

        /// <summary>The native library's version, e.g. "0.2.0".</summary>
        public static string LibraryVersion
        {
            get
            {
                Native.EnsureCompatible();
                return NativeVersion();
            }
        }

        // Compiled after EnsureCompatible ran (see TpcCodecBuilder.BuildNative).
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static string NativeVersion()
        {
            return Native.StaticString(Native.tpc_version());
        }

        /// <summary>The ABI version this binding requires (the header's TPC_ABI_VERSION).</summary>
        public static uint AbiVersion
        {
            get { return Native.AbiVersion; }
        }

        /// <summary>
        /// A builder with the library's defaults (snappy framing, no keys, 64 MiB per payload and
        /// 256 MiB per decode call).
        /// </summary>
        public static TpcCodecBuilder CreateBuilder()
        {
            return new TpcCodecBuilder();
        }

        /// <summary>Compresses, then encrypts (as configured) each payload of a serialized Payloads.</summary>
        /// <exception cref="TpcException">The input is malformed, or the library failed.</exception>
        public byte[] Encode(byte[] payloads)
        {
            return Call(payloads, encode: true);
        }

        /// <summary>
        /// Peels every layer the library knows from each payload (binary/encrypted when the codec
        /// holds keys, binary/zlib, binary/snappy in both dialects); other payloads pass through.
        /// </summary>
        /// <exception cref="TpcException">Malformed or corrupt input, an unknown key, failed decryption, a limit.</exception>
        public byte[] Decode(byte[] payloads)
        {
            return Call(payloads, encode: false);
        }

        /// <summary>
        /// Releases the native codec and wipes its keys. Harmless to call twice; does nothing on
        /// <see cref="Default"/>.
        /// </summary>
        public void Dispose()
        {
            if (!shared)
            {
                handle.Dispose();
            }
        }

        private byte[] Call(byte[] payloads, bool encode)
        {
            if (payloads == null)
            {
                throw new ArgumentNullException(nameof(payloads));
            }

            if (handle.IsClosed)
            {
                throw new ObjectDisposedException(nameof(TpcCodec));
            }

            // A codec exists only once Build checked the library's ABI version.
            var output = default(Native.TpcBuffer);
            var err = default(Native.TpcBuffer);
            try
            {
                var len = new UIntPtr((uint)payloads.Length);
                // Passing the SafeHandle (not its IntPtr) makes the marshaller hold a reference
                // for the call, so a concurrent Dispose cannot free the codec under us.
                uint status = encode
                    ? Native.tpc_codec_encode(handle, payloads, len, ref output, ref err)
                    : Native.tpc_codec_decode(handle, payloads, len, ref output, ref err);

                string operation = encode ? "encode" : "decode";
                if (status != 0)
                {
                    throw new TpcException((TpcStatus)status, operation, Native.Message(err));
                }

                return Native.Copy(output, operation);
            }
            finally
            {
                // One copy into managed memory above, then the native bytes go at once.
                // tpc_buffer_free tolerates zeroed buffers, so both are always freed.
                Native.tpc_buffer_free(ref output);
                Native.tpc_buffer_free(ref err);
            }
        }
    }
}
