using System;
using System.Runtime.InteropServices;

namespace TemporalPayloadCodec
{
    /// <summary>
    /// The C ABI of include/temporal_payload_codec.h, one declaration per function.
    /// Byte arrays are passed as <c>byte[]</c>: arrays of a blittable type are pinned for the
    /// duration of the call and passed by address, without a copy.
    /// </summary>
    internal static class Native
    {
        /// <summary>
        /// The file name without prefix or suffix: the runtime tries libtemporal_payload_codec.so
        /// (Linux), .dylib (macOS) and temporal_payload_codec.dll (Windows).
        /// </summary>
        internal const string Library = "temporal_payload_codec";

        /// <summary>The header's TPC_ABI_VERSION this binding was written against.</summary>
        internal const uint AbiVersion = 2;

        /// <summary>tpc_buffer: bytes owned by the library, released with tpc_buffer_free.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct TpcBuffer
        {
            internal IntPtr Data;
            internal UIntPtr Len;
        }

        // The explicit tier: every call goes through a built codec (TpcCodec.Default is one
        // built with no options). The simple tier (tpc_encode/tpc_decode) and the advanced tier
        // (tpc_codec_decode_into, tpc_workspace_*, tpc_codec_encode_gather) are not used.

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint tpc_codec_encode(
            CodecHandle codec, byte[] payloads, UIntPtr len, ref TpcBuffer output, ref TpcBuffer err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint tpc_codec_decode(
            CodecHandle codec, byte[] payloads, UIntPtr len, ref TpcBuffer output, ref TpcBuffer err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr tpc_codec_builder_new();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint tpc_codec_builder_set_max_decoded_size(IntPtr builder, UIntPtr maxBytes);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint tpc_codec_builder_set_max_total_decoded_size(IntPtr builder, UIntPtr maxBytes);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint tpc_codec_builder_set_compression(IntPtr builder, uint compression);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint tpc_codec_builder_set_only_if_smaller(IntPtr builder, uint on);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint tpc_codec_builder_set_zlib_level(IntPtr builder, uint level);

        // Key ids are bytes with a length (the empty id is an id); no NUL terminator.
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint tpc_codec_builder_add_key(
            IntPtr builder, byte[] keyId, UIntPtr keyIdLen, byte[] key, UIntPtr keyLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint tpc_codec_builder_set_encryption_key_id(IntPtr builder, byte[] keyId, UIntPtr keyIdLen);

        /// <summary>
        /// Always consumes <paramref name="builder"/>. The codec comes back as a SafeHandle
        /// straight from the marshaller, so no exception can fall between the native call and
        /// the handle's ownership.
        /// </summary>
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint tpc_codec_build(IntPtr builder, out CodecHandle codec, ref TpcBuffer err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void tpc_codec_builder_free(IntPtr builder);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void tpc_codec_free(IntPtr codec);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void tpc_buffer_free(ref TpcBuffer buffer);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr tpc_status_str(uint status);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr tpc_version();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint tpc_abi_version();

        // Set once the loaded library's ABI version was found equal to ours. Volatile so a
        // thread that sees true also sees that the check completed.
        private static volatile bool abiChecked;

        /// <summary>
        /// Loads the library and compares its ABI version with <see cref="AbiVersion"/> on first
        /// use; calling a library with another ABI would be undefined behaviour, so nothing else
        /// is called before this succeeds. Cheap after the first success (one volatile read).
        /// </summary>
        internal static void EnsureCompatible()
        {
            if (abiChecked)
            {
                return;
            }

            // On Mono, a package's runtimes/<rid>/native/ copy is mapped before the first lookup.
            NativeLibraryProbe.Prepare();
            uint actual;
            try
            {
                actual = AbiVersionOfLoadedLibrary();
            }
            catch (DllNotFoundException e)
            {
                string mapped = NativeLibraryProbe.MappedPath == null ? string.Empty : " from " + NativeLibraryProbe.MappedPath;
                throw new DllNotFoundException(
                    "cannot load the native library '" + Library + "' (libtemporal_payload_codec.so on Linux)" + mapped + ": " +
                    "reference the TemporalPayloadCodec package (runtimes/linux-x64|linux-arm64/native/), " +
                    "put its directory on LD_LIBRARY_PATH, copy it next to the application, or map it with a " +
                    "Mono dllmap; see bindings/dotnet/README.md",
                    e);
            }
            catch (EntryPointNotFoundException e)
            {
                throw new InvalidOperationException(
                    "the loaded '" + Library + "' library has no tpc_abi_version: it is not temporal-payload-codec " +
                    "or predates ABI versioning",
                    e);
            }

            if (actual != AbiVersion)
            {
                throw new InvalidOperationException(
                    "the loaded '" + Library + "' library implements C ABI version " + actual +
                    ", but this binding expects ABI version " + AbiVersion +
                    ": use the library and the binding of the same release (libtemporal_payload_codec.so." + AbiVersion + ")");
            }

            abiChecked = true;
        }

        // Its own method, so the runtime resolves the library when this runs (after the probe
        // above), not when EnsureCompatible is compiled.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static uint AbiVersionOfLoadedLibrary()
        {
            return tpc_abi_version();
        }

        /// <summary>The length of a byte array as a size_t.</summary>
        internal static UIntPtr Len(byte[] bytes)
        {
            return new UIntPtr((uint)bytes.Length);
        }

        /// <summary>Reads a static NUL-terminated ASCII string the library returns.</summary>
        internal static string StaticString(IntPtr p)
        {
            return p == IntPtr.Zero ? string.Empty : Marshal.PtrToStringAnsi(p);
        }

        /// <summary>
        /// Copies a library-owned buffer into one managed array. The caller frees the buffer
        /// (in a finally block) right after.
        /// </summary>
        internal static byte[] Copy(TpcBuffer buffer, string operation)
        {
            ulong len = buffer.Len.ToUInt64();
            if (len == 0)
            {
                return new byte[0];
            }

            if (len > int.MaxValue)
            {
                throw new TpcException(
                    TpcStatus.LimitExceeded,
                    operation,
                    "the result is " + len + " bytes, more than a .NET byte array holds");
            }

            var bytes = new byte[(int)len];
            Marshal.Copy(buffer.Data, bytes, 0, (int)len);
            return bytes;
        }

        /// <summary>The UTF-8 message of a failed call, or an empty string.</summary>
        internal static string Message(TpcBuffer err)
        {
            ulong len = err.Len.ToUInt64();
            if (err.Data == IntPtr.Zero || len == 0)
            {
                return string.Empty;
            }

            // Messages are short (a payload index and a fault); a cap keeps a bug from
            // allocating without bound.
            int n = (int)Math.Min(len, 64 * 1024);
            var bytes = new byte[n];
            Marshal.Copy(err.Data, bytes, 0, n);
            return System.Text.Encoding.UTF8.GetString(bytes);
        }
    }

    /// <summary>Owns one tpc_codec; releasing it calls tpc_codec_free, which wipes the keys.</summary>
    internal sealed class CodecHandle : SafeHandle
    {
        // The marshaller creates the instance for `out CodecHandle`, so a public
        // parameterless constructor is required.
        public CodecHandle()
            : base(IntPtr.Zero, ownsHandle: true)
        {
        }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        protected override bool ReleaseHandle()
        {
            Native.tpc_codec_free(handle);
            return true;
        }
    }
}
