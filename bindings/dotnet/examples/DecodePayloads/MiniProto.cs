using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace TemporalPayloadCodec.Examples
{
    /// <summary>
    /// Just enough protobuf to read and write temporal.api.common.v1.Payloads without the
    /// Google.Protobuf package (not available where these examples are built): the binding
    /// itself works on serialized bytes, so only the examples and tests need this.
    /// </summary>
    public static class MiniProto
    {
        /// <summary>One Payload: metadata entries in wire order, data, and its exact bytes.</summary>
        public sealed class Payload
        {
            public List<KeyValuePair<string, byte[]>> Metadata = new List<KeyValuePair<string, byte[]>>();
            public byte[] Data = new byte[0];
            public byte[] Raw;

            public string Encoding
            {
                get
                {
                    foreach (var entry in Metadata)
                    {
                        if (entry.Key == "encoding")
                        {
                            return System.Text.Encoding.UTF8.GetString(entry.Value);
                        }
                    }

                    return null;
                }
            }
        }

        /// <summary>Splits a serialized Payloads into the serialized bytes of each Payload.</summary>
        public static List<byte[]> SplitPayloads(byte[] payloads)
        {
            var result = new List<byte[]>();
            int pos = 0;
            while (pos < payloads.Length)
            {
                ulong key = ReadVarint(payloads, ref pos);
                if (key == ((1 << 3) | 2))
                {
                    result.Add(ReadBytes(payloads, ref pos));
                }
                else
                {
                    Skip(payloads, ref pos, (int)(key & 7));
                }
            }

            return result;
        }

        /// <summary>Parses one serialized Payload (fields 1 and 2; other fields are skipped).</summary>
        public static Payload ParsePayload(byte[] bytes)
        {
            var payload = new Payload { Raw = bytes };
            int pos = 0;
            while (pos < bytes.Length)
            {
                ulong key = ReadVarint(bytes, ref pos);
                if (key == ((1 << 3) | 2))
                {
                    byte[] entry = ReadBytes(bytes, ref pos);
                    string name = string.Empty;
                    byte[] value = new byte[0];
                    int p = 0;
                    while (p < entry.Length)
                    {
                        ulong k = ReadVarint(entry, ref p);
                        if (k == ((1 << 3) | 2))
                        {
                            name = System.Text.Encoding.UTF8.GetString(ReadBytes(entry, ref p));
                        }
                        else if (k == ((2 << 3) | 2))
                        {
                            value = ReadBytes(entry, ref p);
                        }
                        else
                        {
                            Skip(entry, ref p, (int)(k & 7));
                        }
                    }

                    payload.Metadata.Add(new KeyValuePair<string, byte[]>(name, value));
                }
                else if (key == ((2 << 3) | 2))
                {
                    payload.Data = ReadBytes(bytes, ref pos);
                }
                else
                {
                    Skip(bytes, ref pos, (int)(key & 7));
                }
            }

            return payload;
        }

        /// <summary>Serializes a Payload: metadata entries in the given order, then data.</summary>
        public static byte[] WritePayload(IEnumerable<KeyValuePair<string, byte[]>> metadata, byte[] data)
        {
            var s = new MemoryStream();
            foreach (var entry in metadata)
            {
                var e = new MemoryStream();
                WriteField(e, 1, System.Text.Encoding.UTF8.GetBytes(entry.Key));
                WriteField(e, 2, entry.Value);
                WriteField(s, 1, e.ToArray());
            }

            if (data != null && data.Length > 0)
            {
                WriteField(s, 2, data);
            }

            return s.ToArray();
        }

        /// <summary>Serializes a Payloads from the serialized bytes of each Payload.</summary>
        public static byte[] WritePayloads(IEnumerable<byte[]> payloads)
        {
            var s = new MemoryStream();
            foreach (var p in payloads)
            {
                WriteField(s, 1, p);
            }

            return s.ToArray();
        }

        /// <summary>Writes a length-delimited field.</summary>
        public static void WriteField(Stream s, int field, byte[] bytes)
        {
            WriteVarint(s, (ulong)((field << 3) | 2));
            WriteVarint(s, (ulong)bytes.Length);
            s.Write(bytes, 0, bytes.Length);
        }

        public static void WriteVarint(Stream s, ulong v)
        {
            while (v >= 0x80)
            {
                s.WriteByte((byte)(v | 0x80));
                v >>= 7;
            }

            s.WriteByte((byte)v);
        }

        private static ulong ReadVarint(byte[] b, ref int pos)
        {
            ulong v = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (pos >= b.Length)
                {
                    throw new FormatException("truncated varint at offset " + pos);
                }

                byte x = b[pos++];
                v |= (ulong)(x & 0x7f) << shift;
                if ((x & 0x80) == 0)
                {
                    return v;
                }
            }

            throw new FormatException("varint longer than 10 bytes at offset " + pos);
        }

        private static byte[] ReadBytes(byte[] b, ref int pos)
        {
            ulong n = ReadVarint(b, ref pos);
            if (n > (ulong)(b.Length - pos))
            {
                throw new FormatException("field of " + n + " bytes runs past the end at offset " + pos);
            }

            var result = new byte[n];
            Buffer.BlockCopy(b, pos, result, 0, (int)n);
            pos += (int)n;
            return result;
        }

        private static void Skip(byte[] b, ref int pos, int wireType)
        {
            switch (wireType)
            {
                case 0: ReadVarint(b, ref pos); break;
                case 1: pos += 8; break;
                case 2: ReadBytes(b, ref pos); break;
                case 5: pos += 4; break;
                default: throw new FormatException("unsupported wire type " + wireType + " at offset " + pos);
            }

            if (pos > b.Length)
            {
                throw new FormatException("field runs past the end");
            }
        }

        /// <summary>The payload's data as text when it is valid UTF-8 without control bytes, else null.</summary>
        public static string AsText(byte[] data)
        {
            try
            {
                string text = new UTF8Encoding(false, true).GetString(data);
                foreach (char c in text)
                {
                    if (char.IsControl(c) && c != '\n' && c != '\t' && c != '\r')
                    {
                        return null;
                    }
                }

                return text;
            }
            catch (DecoderFallbackException)
            {
                return null;
            }
        }
    }
}
