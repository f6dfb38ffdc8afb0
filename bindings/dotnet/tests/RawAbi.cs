using System;
using System.Runtime.InteropServices;

namespace TemporalPayloadCodec.Tests
{
    /// <summary>
    /// The few C functions the tests call directly, declared here rather than in the binding:
    /// the binding never passes a NULL codec (its SafeHandle cannot be null), so reaching
    /// TPC_ERR_NULL_ARGUMENT needs a declaration with the codec as a raw pointer.
    /// </summary>
    internal static class RawAbi
    {
        private const string Library = "temporal_payload_codec";

        /// <summary>tpc_buffer, mapped by the marshaller as the binding maps it.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct Buffer
        {
            internal IntPtr Data;
            internal UIntPtr Len;
        }

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint tpc_codec_encode(IntPtr codec, byte[] payloads, UIntPtr len, ref Buffer output, ref Buffer err);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void tpc_buffer_free(ref Buffer buffer);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint tpc_abi_version();

        /// <summary>The UTF-8 text of a buffer the library filled.</summary>
        internal static string Text(Buffer b)
        {
            var bytes = new byte[(int)b.Len.ToUInt64()];
            if (bytes.Length > 0)
            {
                Marshal.Copy(b.Data, bytes, 0, bytes.Length);
            }

            return System.Text.Encoding.UTF8.GetString(bytes);
        }
    }
}
