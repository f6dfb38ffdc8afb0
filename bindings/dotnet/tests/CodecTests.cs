using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Web.Script.Serialization;
using TemporalPayloadCodec.Examples;

namespace TemporalPayloadCodec.Tests
{
    /// <summary>Payload shapes and codecs shared by the tests.</summary>
    internal static class Fixtures
    {
        internal static readonly byte[] KeyA = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        internal static readonly byte[] KeyB = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();

        internal static byte[] Hex(string hex)
        {
            return Enumerable.Range(0, hex.Length / 2).Select(i => Convert.ToByte(hex.Substring(2 * i, 2), 16)).ToArray();
        }

        internal static string Env(string name)
        {
            string value = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(value))
            {
                throw new Exception(name + " is not set: run the tests through bindings/dotnet/test.sh");
            }

            return value;
        }

        internal static KeyValuePair<string, byte[]> Meta(string key, string value)
        {
            return new KeyValuePair<string, byte[]>(key, Encoding.UTF8.GetBytes(value));
        }

        internal static byte[] Payload(string encoding, byte[] data)
        {
            return MiniProto.WritePayload(new[] { Meta("encoding", encoding) }, data);
        }

        internal static byte[] Payload(string encoding, string data)
        {
            return Payload(encoding, Encoding.UTF8.GetBytes(data));
        }

        internal static byte[] Batch(params byte[][] payloads)
        {
            return MiniProto.WritePayloads(payloads);
        }

        internal static byte[] Concat(params byte[][] parts)
        {
            var s = new MemoryStream();
            foreach (var p in parts)
            {
                s.Write(p, 0, p.Length);
            }

            return s.ToArray();
        }

        /// <summary>Deterministic pseudo-random bytes (incompressible).</summary>
        internal static byte[] Random(int n, int seed)
        {
            var bytes = new byte[n];
            new Random(seed).NextBytes(bytes);
            return bytes;
        }

        /// <summary>Many payload shapes, each a serialized Payloads.</summary>
        internal static IEnumerable<KeyValuePair<string, byte[]>> Shapes()
        {
            var shapes = new List<KeyValuePair<string, byte[]>>();
            Action<string, byte[]> add = (n, b) => shapes.Add(new KeyValuePair<string, byte[]>(n, b));
            add("empty list", new byte[0]);
            add("one empty payload", Batch(new byte[0]));
            add("binary/null", Batch(Payload("binary/null", new byte[0])));
            add("json", Batch(Payload("json/plain", "{\"hello\":\"world\"}")));
            add("unicode metadata and data", Batch(MiniProto.WritePayload(
                new[] { Meta("encoding", "json/plain"), Meta("note", "d\u00e9j\u00e0 vu \u2713 \U0001F680") },
                Encoding.UTF8.GetBytes("\"\u65e5\u672c\u8a9e\""))));
            add("many metadata entries", Batch(MiniProto.WritePayload(
                Enumerable.Range(0, 50).Select(i => Meta("key-" + i, new string('v', i))), Encoding.UTF8.GetBytes("x"))));
            add("metadata only, no data", Batch(MiniProto.WritePayload(new[] { Meta("encoding", "json/plain") }, null)));
            add("data only, no metadata", Batch(MiniProto.WritePayload(new KeyValuePair<string, byte[]>[0], Encoding.UTF8.GetBytes("raw"))));
            // external_payloads (field 3, ExternalPayloadDetails{size_bytes=1}) and an unknown
            // field 15 (varint) must survive byte for byte.
            var external = Concat(Payload("json/plain", "\"big\""), new byte[] { 0x1a, 0x03, 0x08, 0xe8, 0x07 });
            add("external_payloads field 3", Batch(external));
            add("unknown field 15", Batch(Concat(Payload("json/plain", "1"), new byte[] { 0x78, 0x2a })));
            add("incompressible 64 KiB", Batch(Payload("binary/plain", Random(65536, 1))));
            add("compressible 1 MiB", Batch(Payload("json/plain", Encoding.ASCII.GetBytes(
                string.Concat(Enumerable.Repeat("{\"id\":12345,\"name\":\"order\"},", (1 << 20) / 28))))));
            add("one byte data", Batch(Payload("binary/plain", new byte[] { 0 })));
            var sizes = new[] { 0, 1, 2, 15, 16, 17, 255, 256, 4095, 4096, 65535, 65536, 65537 };
            add("sizes around boundaries", Batch(sizes.Select(n => Payload("binary/plain", Random(n, n))).ToArray()));
            add("1000 small payloads", Batch(Enumerable.Range(0, 1000).Select(i => Payload("json/plain", i.ToString())).ToArray()));
            add("already snappy-looking label", Batch(Payload("binary/plain", "binary/snappy")));
            return shapes;
        }

        /// <summary>Every codec configuration the tests round-trip through.</summary>
        internal static IEnumerable<KeyValuePair<string, Func<TpcCodec>>> Codecs()
        {
            return new Dictionary<string, Func<TpcCodec>>
            {
                { "default", () => TpcCodec.Default },
                { "none", () => TpcCodec.CreateBuilder().Compression(TpcCompression.None).Build() },
                { "snappy", () => TpcCodec.CreateBuilder().Compression(TpcCompression.Snappy).Build() },
                { "snappy-raw", () => TpcCodec.CreateBuilder().Compression(TpcCompression.SnappyRaw).Build() },
                { "zlib", () => TpcCodec.CreateBuilder().Compression(TpcCompression.Zlib).Build() },
                { "zlib level 9 only-if-smaller", () => TpcCodec.CreateBuilder().Compression(TpcCompression.Zlib).ZlibLevel(9).OnlyIfSmaller(true).Build() },
                { "snappy + AES-GCM", () => TpcCodec.CreateBuilder().AddKey("a", KeyA).EncryptionKeyId("a").Build() },
                { "zlib + AES-GCM, two keys", () => TpcCodec.CreateBuilder().Compression(TpcCompression.Zlib).AddKey("old", KeyB).AddKey("a", KeyA).EncryptionKeyId("a").Build() },
                { "AES-GCM only", () => TpcCodec.CreateBuilder().Compression(TpcCompression.None).AddKey("a", KeyA).EncryptionKeyId("a").Build() },
            };
        }

        internal static List<string> Encodings(byte[] payloads)
        {
            return MiniProto.SplitPayloads(payloads).Select(p => MiniProto.ParsePayload(p).Encoding).ToList();
        }
    }

    public static class VectorTests
    {
        [Test]
        public static void VersionAndAbi()
        {
            Assert.Equal("0.2.0", TpcCodec.LibraryVersion, "library version");
            Assert.Equal(2u, TpcCodec.AbiVersion, "ABI version");
            Assert.Equal(2u, RawAbi.tpc_abi_version(), "the loaded library's ABI version");
        }

        /// <summary>
        /// tests/vectors/go-sample-encryption.json: the bytes Temporal's Go encryption sample
        /// writes, with <c>encryption-key-id: ""</c>. A codec holding the file's key under the
        /// empty id decodes each case to exactly the plain bytes.
        /// </summary>
        [Test]
        public static void GoSampleEncryptionUnderTheEmptyKeyId()
        {
            var json = (Dictionary<string, object>)new JavaScriptSerializer { MaxJsonLength = int.MaxValue }
                .DeserializeObject(File.ReadAllText(Fixtures.Env("TPC_GO_SAMPLE_VECTORS")));
            string keyId = (string)json["key_id"];
            Assert.Equal(string.Empty, keyId, "the file's key id");
            byte[] key = Fixtures.Hex((string)json["key_hex"]);
            var cases = ((object[])json["cases"]).Cast<Dictionary<string, object>>().ToList();
            Assert.Equal(
                "codec-server-zlib-then-encrypted,worker-encrypted",
                string.Join(",", cases.Select(c => (string)c["name"])),
                "the file's cases");
            using (var codec = TpcCodec.CreateBuilder().AddKey(keyId, key).Build())
            using (var bytesId = TpcCodec.CreateBuilder().AddKey(new byte[0], key).Build())
            using (var other = TpcCodec.CreateBuilder().AddKey("k", key).Build())
            {
                foreach (var c in cases)
                {
                    string name = (string)c["name"];
                    byte[] plain = Convert.FromBase64String((string)c["plain"]);
                    byte[] encoded = Convert.FromBase64String((string)c["encoded"]);
                    Assert.True(Fixtures.Encodings(encoded).All(enc => enc == "binary/encrypted"), name + ": every payload is binary/encrypted");
                    Assert.Bytes(plain, codec.Decode(encoded), name + ": decoded with the key under \"\"");
                    Assert.Bytes(plain, bytesId.Decode(encoded), name + ": decoded with the key under the empty byte id");
                    var e = Assert.Status(TpcStatus.UnknownKey, () => other.Decode(encoded), name + ": a codec without the empty id");
                    Assert.True(e.Detail.Contains("\"\""), name + ": the message shows the empty id: " + e.Detail);
                }
            }
        }
    }

    public static class KeyIdTests
    {
        private static readonly byte[] Batch = Fixtures.Batch(
            Fixtures.Payload("json/plain", "{\"order\":42}"),
            Fixtures.Payload("binary/plain", Fixtures.Random(3000, 11)));

        private static byte[] KeyIdOf(byte[] encodedPayload)
        {
            return MiniProto.ParsePayload(encodedPayload).Metadata.Single(m => m.Key == "encryption-key-id").Value;
        }

        /// <summary>EncryptionKeyId("") turns encryption on, writes an empty id, and round-trips.</summary>
        [Test]
        public static void EmptyEncryptionKeyIdRoundTrips()
        {
            byte[] encoded;
            using (var codec = TpcCodec.CreateBuilder().AddKey(string.Empty, Fixtures.KeyA).EncryptionKeyId(string.Empty).Build())
            {
                encoded = codec.Encode(Batch);
                Assert.Bytes(Batch, codec.Decode(encoded), "decode(encode(x)) under the empty id");
            }

            foreach (byte[] payload in MiniProto.SplitPayloads(encoded))
            {
                Assert.Equal("binary/encrypted", MiniProto.ParsePayload(payload).Encoding, "encoding");
                Assert.Equal(0, KeyIdOf(payload).Length, "encryption-key-id is present and empty");
            }

            // Another codec holding the key under the empty byte id reads it; one holding the
            // same key under another id does not, and one with the wrong key fails to decrypt.
            using (var reader = TpcCodec.CreateBuilder().AddKey("old", Fixtures.KeyB).AddKey(new byte[0], Fixtures.KeyA).Build())
            using (var otherId = TpcCodec.CreateBuilder().AddKey("x", Fixtures.KeyA).Build())
            using (var wrongKey = TpcCodec.CreateBuilder().AddKey(string.Empty, Fixtures.KeyB).Build())
            {
                Assert.Bytes(Batch, reader.Decode(encoded), "a codec with the key under the empty byte id");
                Assert.Status(TpcStatus.UnknownKey, () => otherId.Decode(encoded), "a codec without the empty id");
                Assert.Status(TpcStatus.DecryptFailed, () => wrongKey.Decode(encoded), "the empty id with another key");
            }

            // The byte overloads name the same id.
            using (var bytes = TpcCodec.CreateBuilder().AddKey(new byte[0], Fixtures.KeyA).EncryptionKeyId(new byte[0]).Build())
            using (var strings = TpcCodec.CreateBuilder().AddKey(string.Empty, Fixtures.KeyA).Build())
            {
                Assert.Bytes(Batch, strings.Decode(bytes.Encode(Batch)), "bytes-overload encode, string-id decode");
            }
        }

        /// <summary>
        /// Ids travel as pointer and length: non-ASCII text is sent as UTF-8, a NUL inside an id
        /// is kept (a C string would cut "a\0b" to "a"), and byte ids need not be UTF-8.
        /// </summary>
        [Test]
        public static void KeyIdsAreBytes()
        {
            using (var codec = TpcCodec.CreateBuilder().AddKey("cl\u00e9-\u2713", Fixtures.KeyA).EncryptionKeyId("cl\u00e9-\u2713").Build())
            {
                byte[] id = KeyIdOf(MiniProto.SplitPayloads(codec.Encode(Batch))[0]);
                Assert.Bytes(Encoding.UTF8.GetBytes("cl\u00e9-\u2713"), id, "the id as UTF-8");
            }

            byte[] withNul;
            using (var codec = TpcCodec.CreateBuilder().AddKey("a\0b", Fixtures.KeyA).EncryptionKeyId("a\0b").Build())
            {
                withNul = codec.Encode(Batch);
                Assert.Bytes(new byte[] { (byte)'a', 0, (byte)'b' }, KeyIdOf(MiniProto.SplitPayloads(withNul)[0]), "the id with its NUL");
            }

            using (var justA = TpcCodec.CreateBuilder().AddKey("a", Fixtures.KeyA).Build())
            {
                Assert.Status(TpcStatus.UnknownKey, () => justA.Decode(withNul), "\"a\" is not \"a\\0b\"");
            }

            byte[] binaryId = { 0xff, 0x00, 0xfe };
            using (var codec = TpcCodec.CreateBuilder().AddKey(binaryId, Fixtures.KeyA).EncryptionKeyId(binaryId).Build())
            {
                byte[] encoded = codec.Encode(Batch);
                Assert.Bytes(binaryId, KeyIdOf(MiniProto.SplitPayloads(encoded)[0]), "a non-UTF-8 id");
                Assert.Bytes(Batch, codec.Decode(encoded), "round trip under a non-UTF-8 id");
            }
        }
    }

    public static class DefaultCodecTests
    {
        /// <summary>
        /// Default is a codec built with no options (ABI 2 has no "NULL means default"): the same
        /// bytes as CreateBuilder().Build(), one shared instance, and Dispose leaves it usable.
        /// </summary>
        [Test]
        public static void DefaultIsACodecBuiltWithNoOptions()
        {
            Assert.True(ReferenceEquals(TpcCodec.Default, TpcCodec.Default), "one shared instance");
            byte[] batch = Fixtures.Batch(Fixtures.Payload("json/plain", new string('m', 2000)), Fixtures.Payload("binary/null", new byte[0]));
            using (var built = TpcCodec.CreateBuilder().Build())
            {
                Assert.Bytes(built.Encode(batch), TpcCodec.Default.Encode(batch), "Default vs a codec built with no options");
            }

            TpcCodec.Default.Dispose();
            Assert.Bytes(batch, TpcCodec.Default.Decode(TpcCodec.Default.Encode(batch)), "Default after Dispose");
        }

        /// <summary>The ABI 1 builder names still work, marked [Obsolete], and set the same options.</summary>
        [Test]
        public static void DeprecatedOptionNamesForward()
        {
            byte[] tinyAndBig = Fixtures.Batch(Fixtures.Payload("json/plain", "1"), Fixtures.Payload("json/plain", new string('z', 5000)));
            byte[] big = Fixtures.Batch(Fixtures.Payload("json/plain", new string('y', 2000)));
#pragma warning disable 618
            using (var old = TpcCodec.CreateBuilder().WithCompression(TpcCompression.Zlib).WithOnlyIfSmaller(true).WithZlibLevel(9).Build())
            using (var oldSmall = TpcCodec.CreateBuilder().WithMaxDecodedSize(1000).Build())
            using (var oldTotal = TpcCodec.CreateBuilder().WithMaxTotalDecodedSize(3000).Build())
            using (var oldKeyed = TpcCodec.CreateBuilder().AddKey("k", Fixtures.KeyA).WithEncryptionKey("k").Build())
#pragma warning restore 618
            using (var current = TpcCodec.CreateBuilder().Compression(TpcCompression.Zlib).OnlyIfSmaller(true).ZlibLevel(9).Build())
            {
                Assert.Bytes(current.Encode(tinyAndBig), old.Encode(tinyAndBig), "WithCompression/WithOnlyIfSmaller/WithZlibLevel");
                Assert.Equal("json/plain,binary/zlib", string.Join(",", Fixtures.Encodings(old.Encode(tinyAndBig))), "only-if-smaller in effect");
                Assert.Status(TpcStatus.LimitExceeded, () => oldSmall.Decode(TpcCodec.Default.Encode(big)), "WithMaxDecodedSize");
                Assert.Status(TpcStatus.LimitExceeded, () => oldTotal.Decode(TpcCodec.Default.Encode(tinyAndBig)), "WithMaxTotalDecodedSize");
                Assert.Equal("binary/encrypted", Fixtures.Encodings(oldKeyed.Encode(big)).Single(), "WithEncryptionKey");
            }
        }
    }

    public static class RoundTripTests
    {
        [Test]
        public static void EveryShapeThroughEveryCodec()
        {
            foreach (var codecCase in Fixtures.Codecs())
            {
                using (var codec = codecCase.Value())
                {
                    foreach (var shape in Fixtures.Shapes())
                    {
                        string what = codecCase.Key + " / " + shape.Key;
                        byte[] encoded = codec.Encode(shape.Value);
                        Assert.Equal(
                            MiniProto.SplitPayloads(shape.Value).Count,
                            MiniProto.SplitPayloads(encoded).Count,
                            what + ": payload count");
                        Assert.Bytes(shape.Value, codec.Decode(encoded), what + ": decode(encode(x))");
                        // Decoding what is not encoded passes it through untouched.
                        Assert.Bytes(shape.Value, codec.Decode(shape.Value), what + ": decode of plain input");
                    }
                }
            }
        }

        [Test]
        public static void WrapperEncodings()
        {
            byte[] batch = Fixtures.Batch(Fixtures.Payload("json/plain", new string('a', 1000)));
            Func<TpcCodecBuilder, string> encodingOf = b =>
            {
                using (var c = b.Build())
                {
                    return Fixtures.Encodings(c.Encode(batch)).Single();
                }
            };
            Assert.Equal("binary/snappy", Fixtures.Encodings(TpcCodec.Default.Encode(batch)).Single(), "default");
            Assert.Equal("binary/snappy", encodingOf(TpcCodec.CreateBuilder().Compression(TpcCompression.SnappyRaw)), "snappy-raw");
            Assert.Equal("binary/zlib", encodingOf(TpcCodec.CreateBuilder().Compression(TpcCompression.Zlib)), "zlib");
            Assert.Equal("binary/encrypted", encodingOf(TpcCodec.CreateBuilder().AddKey("a", Fixtures.KeyA).EncryptionKeyId("a")), "encrypted");
            // The raw block dialect differs from the framing format under the same label.
            using (var raw = TpcCodec.CreateBuilder().Compression(TpcCompression.SnappyRaw).Build())
            {
                Assert.True(!raw.Encode(batch).SequenceEqual(TpcCodec.Default.Encode(batch)), "snappy-raw differs from framing");
            }

            var encrypted = MiniProto.ParsePayload(MiniProto.SplitPayloads(
                TpcCodec.CreateBuilder().AddKey("key-2026", Fixtures.KeyA).EncryptionKeyId("key-2026").Build().Encode(batch))[0]);
            Assert.Equal("key-2026", Encoding.UTF8.GetString(encrypted.Metadata.Single(m => m.Key == "encryption-key-id").Value), "key id metadata");
        }

        [Test]
        public static void OnlyIfSmallerAndZlibLevel()
        {
            byte[] tiny = Fixtures.Batch(Fixtures.Payload("json/plain", "1"));
            byte[] big = Fixtures.Batch(Fixtures.Payload("json/plain", new string('z', 5000)));
            using (var skip = TpcCodec.CreateBuilder().Compression(TpcCompression.Zlib).OnlyIfSmaller(true).Build())
            using (var always = TpcCodec.CreateBuilder().Compression(TpcCompression.Zlib).Build())
            {
                Assert.Bytes(tiny, skip.Encode(tiny), "only-if-smaller keeps a payload zlib does not shrink");
                Assert.Equal("binary/zlib", Fixtures.Encodings(always.Encode(tiny)).Single(), "always wraps by default");
                Assert.Equal("binary/zlib", Fixtures.Encodings(skip.Encode(big)).Single(), "only-if-smaller still wraps what shrinks");
            }

            byte[] text = Fixtures.Batch(Fixtures.Payload("json/plain", string.Concat(Enumerable.Range(0, 3000).Select(i => (i * 7919 % 1000).ToString()))));
            using (var stored = TpcCodec.CreateBuilder().Compression(TpcCompression.Zlib).ZlibLevel(0).Build())
            using (var best = TpcCodec.CreateBuilder().Compression(TpcCompression.Zlib).ZlibLevel(9).Build())
            {
                byte[] a = stored.Encode(text), b = best.Encode(text);
                Assert.True(a.Length > b.Length, "level 0 (" + a.Length + " B) is larger than level 9 (" + b.Length + " B)");
                Assert.Bytes(text, best.Decode(a), "a level 9 codec decodes level 0 output");
            }
        }

        [Test]
        public static void KeyRotationAndDecodeWhateverTheConfiguration()
        {
            byte[] batch = Fixtures.Batch(Fixtures.Payload("json/plain", "\"secret order\""));
            byte[] oldEncoded;
            using (var old = TpcCodec.CreateBuilder().Compression(TpcCompression.Zlib).AddKey("2025", Fixtures.KeyB).EncryptionKeyId("2025").Build())
            {
                oldEncoded = old.Encode(batch);
            }

            using (var rotated = TpcCodec.CreateBuilder().AddKey("2026", Fixtures.KeyA).AddKey("2025", Fixtures.KeyB).EncryptionKeyId("2026").Build())
            {
                Assert.Bytes(batch, rotated.Decode(oldEncoded), "the new codec decodes the old key's zlib+AES payloads");
                var fresh = MiniProto.ParsePayload(MiniProto.SplitPayloads(rotated.Encode(batch))[0]);
                Assert.Equal("2026", Encoding.UTF8.GetString(fresh.Metadata.Single(m => m.Key == "encryption-key-id").Value), "encrypts with the named key");
            }

            // A codec without keys passes encrypted payloads through (it cannot read them).
            Assert.Bytes(oldEncoded, TpcCodec.Default.Decode(oldEncoded), "no keys: encrypted passes through");
        }

        [Test]
        public static void CallerArraysAreNotModified()
        {
            byte[] batch = Fixtures.Batch(Fixtures.Payload("json/plain", new string('q', 300)));
            byte[] copy = (byte[])batch.Clone();
            byte[] encoded = TpcCodec.Default.Encode(batch);
            byte[] encodedCopy = (byte[])encoded.Clone();
            TpcCodec.Default.Decode(encoded);
            Assert.Bytes(copy, batch, "input of Encode");
            Assert.Bytes(encodedCopy, encoded, "input of Decode");

            byte[] key = (byte[])Fixtures.KeyA.Clone();
            var builder = TpcCodec.CreateBuilder().AddKey("k", key).EncryptionKeyId("k");
            Array.Clear(key, 0, key.Length); // the builder copied the key when it was added
            using (var codec = builder.Build())
            using (var check = TpcCodec.CreateBuilder().AddKey("k", Fixtures.KeyA).Build())
            {
                Assert.Bytes(batch, check.Decode(codec.Encode(batch)), "the key as added, not as later changed");
            }
        }
    }
}
