using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Text;

namespace TemporalPayloadCodec
{
    /// <summary>The compression layer (TPC_COMPRESSION_* in the C header).</summary>
    public enum TpcCompression : uint
    {
        /// <summary>No compression layer.</summary>
        None = 0,

        /// <summary>binary/snappy, framing format: the reference codec (the default).</summary>
        Snappy = 1,

        /// <summary>binary/snappy, one raw block: the Go codec-server sample's dialect.</summary>
        SnappyRaw = 2,

        /// <summary>binary/zlib, as the Go and Java SDKs write it.</summary>
        Zlib = 3,
    }

    /// <summary>
    /// Options for a <see cref="TpcCodec"/>, mirroring the C builder and named as in every
    /// binding: <see cref="Compression"/>, <see cref="OnlyIfSmaller"/>, <see cref="ZlibLevel"/>,
    /// <see cref="MaxDecodedSize"/>, <see cref="MaxTotalDecodedSize"/>, <see cref="AddKey(string, byte[])"/>
    /// (the keys) and <see cref="EncryptionKeyId(string)"/>. Every option is optional; with none,
    /// <see cref="Build"/> gives the default codec (<see cref="TpcCodec.Default"/>). The library
    /// validates them in <see cref="Build"/>, which reports the first bad one. A builder is for
    /// one thread and one <see cref="Build"/>, like the C builder.
    /// </summary>
    public sealed class TpcCodecBuilder
    {
        private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, true);

        private readonly List<KeyValuePair<byte[], byte[]>> keys = new List<KeyValuePair<byte[], byte[]>>();
        private TpcCompression? compression;
        private bool? onlyIfSmaller;
        private uint? zlibLevel;
        private ulong? maxDecodedSize;
        private ulong? maxTotalDecodedSize;
        private byte[] encryptionKeyId;
        private bool built;

        internal TpcCodecBuilder()
        {
        }

        /// <summary>Option <c>compression</c>: the compression layer; default <see cref="TpcCompression.Snappy"/>.</summary>
        public TpcCodecBuilder Compression(TpcCompression compression)
        {
            this.compression = compression;
            return this;
        }

        /// <summary>
        /// Option <c>only_if_smaller</c>: true keeps a payload unwrapped unless compression makes
        /// it strictly smaller (the Go and Java zlib codecs' behaviour). Default false: always
        /// wrap, as the reference codec.
        /// </summary>
        public TpcCodecBuilder OnlyIfSmaller(bool on)
        {
            onlyIfSmaller = on;
            return this;
        }

        /// <summary>Option <c>zlib_level</c>: 0 to 9; default 6 (C zlib's default, as the SDKs).</summary>
        public TpcCodecBuilder ZlibLevel(int level)
        {
            if (level < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(level), level, "a zlib level is 0 to 9");
            }

            zlibLevel = (uint)level;
            return this;
        }

        /// <summary>
        /// Option <c>max_decoded_size</c>: the largest decoded payload, per layer, in bytes (at
        /// least 1); default 64 MiB.
        /// </summary>
        public TpcCodecBuilder MaxDecodedSize(long maxBytes)
        {
            if (maxBytes < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "a size cannot be negative");
            }

            maxDecodedSize = (ulong)maxBytes;
            return this;
        }

        /// <summary>
        /// Option <c>max_total_decoded_size</c>: the most bytes one <see cref="TpcCodec.Decode"/>
        /// call may produce, all payloads and all their layers counted (at least 1); default
        /// 256 MiB. Crossing it throws <see cref="TpcStatus.LimitExceeded"/> naming the payload at
        /// which the total crossed it.
        /// </summary>
        /// <remarks>
        /// <see cref="MaxDecodedSize"/> bounds each payload only: without this, a batch of many
        /// payloads each just under it would make one call decode gigabytes.
        /// </remarks>
        public TpcCodecBuilder MaxTotalDecodedSize(long maxBytes)
        {
            if (maxBytes < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "a size cannot be negative");
            }

            maxTotalDecodedSize = (ulong)maxBytes;
            return this;
        }

        /// <summary>
        /// Option <c>keys</c>: adds a 32-byte AES-256 key under <paramref name="keyId"/> (passed
        /// to the library as UTF-8; any string, the empty one included: Temporal's Go encryption
        /// sample writes <c>encryption-key-id: ""</c>). Decoding picks keys by the id a payload
        /// names, so old keys kept here still decrypt old histories. The key bytes are copied,
        /// and wiped from managed memory by <see cref="Build"/>.
        /// </summary>
        public TpcCodecBuilder AddKey(string keyId, byte[] key)
        {
            return AddKey(Utf8(keyId, nameof(keyId)), key);
        }

        /// <summary>
        /// <see cref="AddKey(string, byte[])"/> with the id as raw bytes (any bytes; empty is an
        /// id), for ids that are not UTF-8 text. Both arrays are copied.
        /// </summary>
        public TpcCodecBuilder AddKey(byte[] keyId, byte[] key)
        {
            if (keyId == null)
            {
                throw new ArgumentNullException(nameof(keyId));
            }

            if (key == null)
            {
                throw new ArgumentNullException(nameof(key));
            }

            keys.Add(new KeyValuePair<byte[], byte[]>((byte[])keyId.Clone(), (byte[])key.Clone()));
            return this;
        }

        /// <summary>
        /// Option <c>encryption_key_id</c>: encrypts (AES-256-GCM, after compression) with the key
        /// added under <paramref name="keyId"/> (UTF-8; the empty string is an id). Encryption is
        /// on exactly when this was called.
        /// </summary>
        public TpcCodecBuilder EncryptionKeyId(string keyId)
        {
            return EncryptionKeyId(Utf8(keyId, nameof(keyId)));
        }

        /// <summary><see cref="EncryptionKeyId(string)"/> with the id as raw bytes (copied).</summary>
        public TpcCodecBuilder EncryptionKeyId(byte[] keyId)
        {
            if (keyId == null)
            {
                throw new ArgumentNullException(nameof(keyId));
            }

            encryptionKeyId = (byte[])keyId.Clone();
            return this;
        }

        /// <summary>Deprecated name of <see cref="Compression"/>.</summary>
        [Obsolete("use Compression")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        public TpcCodecBuilder WithCompression(TpcCompression algorithm)
        {
            return Compression(algorithm);
        }

        /// <summary>Deprecated name of <see cref="OnlyIfSmaller"/>.</summary>
        [Obsolete("use OnlyIfSmaller")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        public TpcCodecBuilder WithOnlyIfSmaller(bool on)
        {
            return OnlyIfSmaller(on);
        }

        /// <summary>Deprecated name of <see cref="ZlibLevel"/>.</summary>
        [Obsolete("use ZlibLevel")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        public TpcCodecBuilder WithZlibLevel(int level)
        {
            return ZlibLevel(level);
        }

        /// <summary>Deprecated name of <see cref="MaxDecodedSize"/>.</summary>
        [Obsolete("use MaxDecodedSize")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        public TpcCodecBuilder WithMaxDecodedSize(long maxBytes)
        {
            return MaxDecodedSize(maxBytes);
        }

        /// <summary>Deprecated name of <see cref="MaxTotalDecodedSize"/>.</summary>
        [Obsolete("use MaxTotalDecodedSize")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        public TpcCodecBuilder WithMaxTotalDecodedSize(long maxBytes)
        {
            return MaxTotalDecodedSize(maxBytes);
        }

        /// <summary>Deprecated name of <see cref="EncryptionKeyId(string)"/>.</summary>
        [Obsolete("use EncryptionKeyId")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        public TpcCodecBuilder WithEncryptionKey(string keyId)
        {
            return EncryptionKeyId(keyId);
        }

        /// <summary>Builds the codec. A builder builds once; its key copies are wiped either way.</summary>
        /// <exception cref="TpcException">
        /// <see cref="TpcStatus.InvalidArgument"/>: the first bad option (unknown compression, zlib
        /// level over 9, zero max size or max total size, key not 32 bytes, duplicate key id,
        /// encryption key never added).
        /// </exception>
        /// <exception cref="DllNotFoundException">The native library cannot be loaded.</exception>
        /// <exception cref="InvalidOperationException">
        /// The builder was already built, or the native library has another ABI version.
        /// </exception>
        public TpcCodec Build()
        {
            return new TpcCodec(BuildHandle(), shared: false);
        }

        internal CodecHandle BuildHandle()
        {
            if (built)
            {
                throw new InvalidOperationException("this TpcCodecBuilder was already built; make a new one");
            }

            built = true;
            try
            {
                Native.EnsureCompatible();
            }
            catch
            {
                // The key copies are wiped also when the library is missing or refused.
                WipeKeys();
                throw;
            }

            return BuildNative();
        }

        // The P/Invoke calls live in their own method, compiled only once EnsureCompatible has
        // run: Mono resolves a method's P/Invoke targets when it compiles the method, and on
        // Mono EnsureCompatible first maps a package's runtimes/<rid>/native/ copy of the library.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private CodecHandle BuildNative()
        {
            IntPtr builder = IntPtr.Zero;
            var err = default(Native.TpcBuffer);
            try
            {
                builder = Native.tpc_codec_builder_new();
                if (builder == IntPtr.Zero)
                {
                    throw new TpcException(TpcStatus.Internal, "build", "tpc_codec_builder_new returned NULL");
                }

                // A failing setter poisons the builder and tpc_codec_build reports the first
                // failure with its message, so the setters' statuses need no check here.
                if (compression.HasValue)
                {
                    Native.tpc_codec_builder_set_compression(builder, (uint)compression.Value);
                }

                if (onlyIfSmaller.HasValue)
                {
                    Native.tpc_codec_builder_set_only_if_smaller(builder, onlyIfSmaller.Value ? 1u : 0u);
                }

                if (zlibLevel.HasValue)
                {
                    Native.tpc_codec_builder_set_zlib_level(builder, zlibLevel.Value);
                }

                if (maxDecodedSize.HasValue)
                {
                    Native.tpc_codec_builder_set_max_decoded_size(builder, SizeT(maxDecodedSize.Value));
                }

                if (maxTotalDecodedSize.HasValue)
                {
                    Native.tpc_codec_builder_set_max_total_decoded_size(builder, SizeT(maxTotalDecodedSize.Value));
                }

                foreach (var entry in keys)
                {
                    Native.tpc_codec_builder_add_key(
                        builder, entry.Key, Native.Len(entry.Key), entry.Value, Native.Len(entry.Value));
                }

                if (encryptionKeyId != null)
                {
                    Native.tpc_codec_builder_set_encryption_key_id(builder, encryptionKeyId, Native.Len(encryptionKeyId));
                }

                CodecHandle codec;
                IntPtr consumed = builder;
                builder = IntPtr.Zero; // tpc_codec_build consumes it, also on failure
                uint status = Native.tpc_codec_build(consumed, out codec, ref err);
                if (status != 0)
                {
                    codec?.Dispose();
                    throw new TpcException((TpcStatus)status, "build", Native.Message(err));
                }

                return codec;
            }
            finally
            {
                if (builder != IntPtr.Zero)
                {
                    Native.tpc_codec_builder_free(builder);
                }

                // Only a filled buffer: when the library is missing or refused, no native call
                // may follow (it would replace the exception that says why).
                if (err.Data != IntPtr.Zero)
                {
                    Native.tpc_buffer_free(ref err);
                }

                WipeKeys();
            }
        }

        private void WipeKeys()
        {
            foreach (var entry in keys)
            {
                Array.Clear(entry.Value, 0, entry.Value.Length);
            }

            keys.Clear();
        }

        private static UIntPtr SizeT(ulong value)
        {
            // size_t is 32 bits in a 32-bit process: clamp rather than wrap.
            return new UIntPtr(Math.Min(value, UIntPtr.Size == 4 ? uint.MaxValue : ulong.MaxValue));
        }

        private static byte[] Utf8(string keyId, string parameter)
        {
            if (keyId == null)
            {
                throw new ArgumentNullException(parameter);
            }

            // Strict: a string with an unpaired surrogate has no UTF-8 form, and silently
            // replacing it would name another key.
            return StrictUtf8.GetBytes(keyId);
        }
    }
}
