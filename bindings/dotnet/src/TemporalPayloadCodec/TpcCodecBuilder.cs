using System;
using System.Collections.Generic;

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
    /// Options for a <see cref="TpcCodec"/>, mirroring the C builder. Every option is optional;
    /// the library validates them in <see cref="Build"/>, which reports the first bad one.
    /// A builder is for one thread and one <see cref="Build"/>, like the C builder.
    /// </summary>
    public sealed class TpcCodecBuilder
    {
        private readonly List<KeyValuePair<string, byte[]>> keys = new List<KeyValuePair<string, byte[]>>();
        private TpcCompression? compression;
        private bool? onlyIfSmaller;
        private uint? zlibLevel;
        private ulong? maxDecodedSize;
        private ulong? maxTotalDecodedSize;
        private string encryptionKeyId;
        private bool built;

        internal TpcCodecBuilder()
        {
        }

        /// <summary>The compression layer; default <see cref="TpcCompression.Snappy"/>.</summary>
        public TpcCodecBuilder WithCompression(TpcCompression algorithm)
        {
            compression = algorithm;
            return this;
        }

        /// <summary>
        /// True keeps a payload unwrapped unless compression makes it strictly smaller (the Go
        /// and Java zlib codecs' behaviour). Default false: always wrap, as the reference codec.
        /// </summary>
        public TpcCodecBuilder WithOnlyIfSmaller(bool on)
        {
            onlyIfSmaller = on;
            return this;
        }

        /// <summary>The zlib level, 0 to 9; default 6 (C zlib's default, as the SDKs).</summary>
        public TpcCodecBuilder WithZlibLevel(int level)
        {
            if (level < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(level), level, "a zlib level is 0 to 9");
            }

            zlibLevel = (uint)level;
            return this;
        }

        /// <summary>The largest decoded payload, per layer, in bytes (at least 1); default 64 MiB.</summary>
        public TpcCodecBuilder WithMaxDecodedSize(long maxBytes)
        {
            if (maxBytes < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "a size cannot be negative");
            }

            maxDecodedSize = (ulong)maxBytes;
            return this;
        }

        /// <summary>
        /// The most bytes one <see cref="TpcCodec.Decode"/> call may produce, all payloads and all
        /// their layers counted (at least 1); default 256 MiB. Crossing it throws
        /// <see cref="TpcStatus.LimitExceeded"/> naming the payload at which the total crossed it.
        /// </summary>
        /// <remarks>
        /// <see cref="WithMaxDecodedSize"/> bounds each payload only: without this, a batch of
        /// many payloads each just under it would make one call decode gigabytes.
        /// </remarks>
        public TpcCodecBuilder WithMaxTotalDecodedSize(long maxBytes)
        {
            if (maxBytes < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "a size cannot be negative");
            }

            maxTotalDecodedSize = (ulong)maxBytes;
            return this;
        }

        /// <summary>
        /// Adds a 32-byte AES-256 key under <paramref name="keyId"/>. Decoding picks keys by the id
        /// a payload names, so old keys kept here still decrypt old histories. The key bytes are
        /// copied, and wiped from managed memory by <see cref="Build"/>.
        /// </summary>
        public TpcCodecBuilder AddKey(string keyId, byte[] key)
        {
            CheckKeyId(keyId);
            if (key == null)
            {
                throw new ArgumentNullException(nameof(key));
            }

            keys.Add(new KeyValuePair<string, byte[]>(keyId, (byte[])key.Clone()));
            return this;
        }

        /// <summary>
        /// Encrypts (AES-256-GCM, after compression) with the key added under
        /// <paramref name="keyId"/>; encryption is on exactly when a key is named.
        /// </summary>
        public TpcCodecBuilder WithEncryptionKey(string keyId)
        {
            CheckKeyId(keyId);
            encryptionKeyId = keyId;
            return this;
        }

        /// <summary>Builds the codec. A builder builds once; its key copies are wiped either way.</summary>
        /// <exception cref="TpcException">
        /// <see cref="TpcStatus.InvalidArgument"/>: the first bad option (unknown compression, zlib
        /// level over 9, zero max size or max total size, key not 32 bytes, empty or duplicate key
        /// id, encryption key never added).
        /// </exception>
        public TpcCodec Build()
        {
            if (built)
            {
                throw new InvalidOperationException("this TpcCodecBuilder was already built; make a new one");
            }

            built = true;
            Native.EnsureCompatible();
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
                        builder, Native.CString(entry.Key), entry.Value, new UIntPtr((uint)entry.Value.Length));
                }

                if (encryptionKeyId != null)
                {
                    Native.tpc_codec_builder_set_encryption_key(builder, Native.CString(encryptionKeyId));
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

                return new TpcCodec(codec);
            }
            finally
            {
                if (builder != IntPtr.Zero)
                {
                    Native.tpc_codec_builder_free(builder);
                }

                Native.tpc_buffer_free(ref err);
                foreach (var entry in keys)
                {
                    Array.Clear(entry.Value, 0, entry.Value.Length);
                }

                keys.Clear();
            }
        }

        private static UIntPtr SizeT(ulong value)
        {
            // size_t is 32 bits in a 32-bit process: clamp rather than wrap.
            return new UIntPtr(Math.Min(value, UIntPtr.Size == 4 ? uint.MaxValue : ulong.MaxValue));
        }

        private static void CheckKeyId(string keyId)
        {
            if (keyId == null)
            {
                throw new ArgumentNullException(nameof(keyId));
            }

            // The C API takes a NUL-terminated string: an embedded NUL would silently cut the id.
            if (keyId.IndexOf('\0') >= 0)
            {
                throw new ArgumentException("a key id cannot contain a NUL character", nameof(keyId));
            }
        }
    }
}
