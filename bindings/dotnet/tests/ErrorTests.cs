using System;
using System.Linq;
using System.Reflection;
using System.Text;
using TemporalPayloadCodec.Examples;

namespace TemporalPayloadCodec.Tests
{
    public static class ErrorTests
    {
        private static readonly byte[] Batch = Fixtures.Batch(
            Fixtures.Payload("json/plain", "\"" + new string('r', 4000) + "\""));

        [Test]
        public static void InvalidArgumentFromBuild()
        {
            Func<TpcCodecBuilder, TpcException> build = b => Assert.Status(TpcStatus.InvalidArgument, () => b.Build(), "build");
            var e = build(TpcCodec.CreateBuilder().Compression((TpcCompression)99));
            Assert.True(e.Detail.Contains("99"), "message names the bad algorithm: " + e.Detail);
            build(TpcCodec.CreateBuilder().ZlibLevel(10));
            build(TpcCodec.CreateBuilder().MaxDecodedSize(0));
            e = build(TpcCodec.CreateBuilder().MaxTotalDecodedSize(0));
            Assert.True(e.Detail.Contains("max total decoded size"), "message names the option: " + e.Detail);
            e = build(TpcCodec.CreateBuilder().AddKey("short", new byte[31]));
            Assert.True(e.Detail.Contains("32"), "message names the key length: " + e.Detail);
            build(TpcCodec.CreateBuilder().AddKey("dup", Fixtures.KeyA).AddKey("dup", Fixtures.KeyB));
            // The empty id is an id like any other: added twice, it is a duplicate too; named
            // for encryption without a key under it, the build fails.
            build(TpcCodec.CreateBuilder().AddKey(string.Empty, Fixtures.KeyA).AddKey(new byte[0], Fixtures.KeyB));
            build(TpcCodec.CreateBuilder().AddKey("a", Fixtures.KeyA).EncryptionKeyId(string.Empty));
            e = build(TpcCodec.CreateBuilder().AddKey("a", Fixtures.KeyA).EncryptionKeyId("never-added"));
            Assert.True(e.Detail.Contains("never-added"), "message names the missing key id: " + e.Detail);
            // The first failure wins, as the C builder promises.
            e = build(TpcCodec.CreateBuilder().Compression((TpcCompression)42).ZlibLevel(77));
            Assert.True(e.Detail.Contains("42") && !e.Detail.Contains("77"), "first error reported: " + e.Detail);
            Assert.Equal("build", e.Operation, "operation");
            Assert.Equal("TPC_ERR_INVALID_ARGUMENT", e.StatusName, "status name");
            Assert.True(e.Message.StartsWith("build: TPC_ERR_INVALID_ARGUMENT (2): ", StringComparison.Ordinal), "message: " + e.Message);
        }

        [Test]
        public static void ManagedArgumentChecks()
        {
            Assert.Throws<ArgumentNullException>(() => TpcCodec.Default.Encode(null), "Encode(null)");
            Assert.Throws<ArgumentNullException>(() => TpcCodec.Default.Decode(null), "Decode(null)");
            Assert.Throws<ArgumentNullException>(() => TpcCodec.CreateBuilder().AddKey((string)null, Fixtures.KeyA), "null key id");
            Assert.Throws<ArgumentNullException>(() => TpcCodec.CreateBuilder().AddKey((byte[])null, Fixtures.KeyA), "null key id bytes");
            Assert.Throws<ArgumentNullException>(() => TpcCodec.CreateBuilder().AddKey("k", null), "null key");
            Assert.Throws<ArgumentNullException>(() => TpcCodec.CreateBuilder().EncryptionKeyId((string)null), "null encryption key id");
            Assert.Throws<ArgumentNullException>(() => TpcCodec.CreateBuilder().EncryptionKeyId((byte[])null), "null encryption key id bytes");
            // A lone surrogate has no UTF-8 form: refused rather than replaced by U+FFFD.
            Assert.Throws<ArgumentException>(() => TpcCodec.CreateBuilder().AddKey("a\ud800", Fixtures.KeyA), "unpaired surrogate in key id");
            Assert.Throws<ArgumentException>(() => TpcCodec.CreateBuilder().EncryptionKeyId("\udc00"), "unpaired surrogate in encryption key id");
            Assert.Throws<ArgumentOutOfRangeException>(() => TpcCodec.CreateBuilder().ZlibLevel(-1), "negative level");
            Assert.Throws<ArgumentOutOfRangeException>(() => TpcCodec.CreateBuilder().MaxDecodedSize(-1), "negative size");
            Assert.Throws<ArgumentOutOfRangeException>(() => TpcCodec.CreateBuilder().MaxTotalDecodedSize(-1), "negative total");
            Assert.Throws<ArgumentOutOfRangeException>(() => TpcCodec.CreateBuilder().MaxTotalDecodedSize(long.MinValue), "negative total");
            var builder = TpcCodec.CreateBuilder();
            builder.Build().Dispose();
            Assert.Throws<InvalidOperationException>(() => builder.Build(), "a builder builds once");
        }

        [Test]
        public static void MalformedInput()
        {
            // A truncated Payloads is a conformance case; these are other forms.
            Assert.Status(TpcStatus.MalformedInput, () => TpcCodec.Default.Encode(new byte[] { 0xff, 0xff, 0xff }), "garbage on encode");
            // A well-framed Payloads whose payload claims a 9-byte metadata entry in 2 bytes.
            var e = Assert.Status(TpcStatus.MalformedInput, () => TpcCodec.Default.Encode(Fixtures.Batch(new byte[] { 0x0a, 0x09 })), "malformed payload inside");
            Assert.True(e.Detail.Contains("payload 0"), "message names the payload: " + e.Detail);
        }

        [Test]
        public static void CorruptPayload()
        {
            Assert.Status(TpcStatus.CorruptPayload, () => TpcCodec.Default.Decode(Fixtures.Batch(Fixtures.Payload("binary/snappy", "not snappy at all"))), "garbage snappy");
            Assert.Status(TpcStatus.CorruptPayload, () => TpcCodec.Default.Decode(Fixtures.Batch(Fixtures.Payload("binary/zlib", "not zlib"))), "garbage zlib");

            // Flip one byte of the compressed data: the framing format's CRC catches it.
            byte[] encoded = TpcCodec.Default.Encode(Batch);
            encoded[encoded.Length - 10] ^= 0x01;
            var e = Assert.Status(TpcStatus.CorruptPayload, () => TpcCodec.Default.Decode(encoded), "flipped byte");
            Assert.True(e.Detail.Contains("payload 0"), "message names the payload: " + e.Detail);
        }

        [Test]
        public static void LimitExceeded()
        {
            byte[] encoded = TpcCodec.Default.Encode(Batch);
            using (var small = TpcCodec.CreateBuilder().MaxDecodedSize(1000).Build())
            {
                Assert.Status(TpcStatus.LimitExceeded, () => small.Decode(encoded), "4 KiB payload, 1000 byte limit");
            }

            // Nine nested snappy layers: more than the 8 the library peels.
            byte[] nested = Batch;
            for (int i = 0; i < 9; i++)
            {
                nested = TpcCodec.Default.Encode(nested);
            }

            Assert.Status(TpcStatus.LimitExceeded, () => TpcCodec.Default.Decode(nested), "9 nested layers");
        }

        [Test]
        public static void MaxTotalDecodedSizeCountsTheWholeCall()
        {
            // Each payload decodes to about 600 bytes: alone under the 1000-byte limit, with the
            // first over it. The limit is per call, so the message names the payload where the
            // total crossed it.
            byte[] first = TpcCodec.Default.Encode(Fixtures.Batch(Fixtures.Payload("json/plain", "\"" + new string('a', 600) + "\"")));
            byte[] second = TpcCodec.Default.Encode(Fixtures.Batch(Fixtures.Payload("json/plain", "\"" + new string('b', 600) + "\"")));
            byte[] both = Fixtures.Concat(first, second);
            using (var tight = TpcCodec.CreateBuilder().MaxTotalDecodedSize(1000).Build())
            {
                tight.Decode(first);
                tight.Decode(second);
                var e = Assert.Status(TpcStatus.LimitExceeded, () => tight.Decode(both), "two payloads over a 1000-byte total");
                Assert.True(e.Detail.StartsWith("payload 1:", StringComparison.Ordinal), "message names the second payload: " + e.Detail);
            }

            // The default total, 256 MiB, lets the same batch through.
            Assert.Equal(2, MiniProto.SplitPayloads(TpcCodec.Default.Decode(both)).Count, "payloads decoded by Default");
        }

        [Test]
        public static void UnknownKeyAndDecryptFailed()
        {
            byte[] encoded;
            using (var a = TpcCodec.CreateBuilder().AddKey("key-a", Fixtures.KeyA).EncryptionKeyId("key-a").Build())
            {
                encoded = a.Encode(Batch);
            }

            using (var b = TpcCodec.CreateBuilder().AddKey("key-b", Fixtures.KeyB).Build())
            {
                var e = Assert.Status(TpcStatus.UnknownKey, () => b.Decode(encoded), "codec without key-a");
                Assert.True(e.Detail.Contains("key-a"), "message names the key id: " + e.Detail);
                Assert.Equal("TPC_ERR_UNKNOWN_KEY", e.StatusName, "status name");
            }

            using (var wrong = TpcCodec.CreateBuilder().AddKey("key-a", Fixtures.KeyB).Build())
            {
                var e = Assert.Status(TpcStatus.DecryptFailed, () => wrong.Decode(encoded), "same id, other key bytes");
                string keyHex = BitConverter.ToString(Fixtures.KeyB).Replace("-", string.Empty);
                Assert.True(!e.Message.ToUpperInvariant().Contains(keyHex.Substring(0, 16)), "no key bytes in the message");
            }

            using (var right = TpcCodec.CreateBuilder().AddKey("key-a", Fixtures.KeyA).Build())
            {
                byte[] tampered = (byte[])encoded.Clone();
                tampered[tampered.Length - 1] ^= 0x80; // the last byte is part of the GCM tag
                Assert.Status(TpcStatus.DecryptFailed, () => right.Decode(tampered), "tampered tag");
                Assert.Bytes(Batch, right.Decode(encoded), "the right key still decodes the untouched batch");
            }
        }

        [Test]
        public static void NullArgumentThroughTheRawAbi()
        {
            // The safe API never passes NULL; a raw declaration of the tests' own shows the
            // status and that the library sends a message with it. In ABI 2 a NULL codec is not
            // the default codec but TPC_ERR_NULL_ARGUMENT.
            var output = default(RawAbi.Buffer);
            var err = default(RawAbi.Buffer);
            uint status = RawAbi.tpc_codec_encode(IntPtr.Zero, Batch, new UIntPtr((uint)Batch.Length), ref output, ref err);
            try
            {
                Assert.Equal((uint)TpcStatus.NullArgument, status, "NULL codec");
                Assert.True(output.Data == IntPtr.Zero && output.Len == UIntPtr.Zero, "no output on failure");
                Assert.True(RawAbi.Text(err).Length > 0, "the library sent a message");
            }
            finally
            {
                RawAbi.tpc_buffer_free(ref output);
                RawAbi.tpc_buffer_free(ref err);
            }
        }

        [Test]
        public static void StatusNamesMatchTheLibrary()
        {
            // Every status of the enum is one the library knows (its description is not the
            // fallback for unknown codes), and the names follow the header. StatusName reads the
            // internal table, reached here by reflection for the statuses no public call makes
            // (the conformance suite checks the others' names through real failures).
            var nameOf = (Func<TpcStatus, string>)Delegate.CreateDelegate(
                typeof(Func<TpcStatus, string>),
                typeof(TpcException).GetMethod("NameOf", BindingFlags.NonPublic | BindingFlags.Static));
            string unknown = TpcException.Describe((TpcStatus)200);
            foreach (TpcStatus s in Enum.GetValues(typeof(TpcStatus)))
            {
                Assert.True(TpcException.Describe(s) != unknown, s + " is known to the library");
                string expected = "TPC_" + (s == TpcStatus.Ok ? "OK" : "ERR_" + string.Concat(
                    s.ToString().Select((ch, i) => i > 0 && char.IsUpper(ch) ? "_" + ch : ch.ToString())).ToUpperInvariant());
                Assert.Equal(expected, nameOf(s), "name of " + s);
            }

            Assert.Equal("TPC_STATUS_200", nameOf((TpcStatus)200), "name of a code newer than the binding");
        }

        [Test]
        public static void DisposedCodec()
        {
            var codec = TpcCodec.CreateBuilder().AddKey("a", Fixtures.KeyA).EncryptionKeyId("a").Build();
            byte[] encoded = codec.Encode(Batch);
            codec.Dispose();
            codec.Dispose(); // harmless
            Assert.Throws<ObjectDisposedException>(() => codec.Encode(Batch), "Encode after Dispose");
            Assert.Throws<ObjectDisposedException>(() => codec.Decode(encoded), "Decode after Dispose");
            TpcCodec.Default.Dispose(); // does nothing
            Assert.Bytes(Batch, TpcCodec.Default.Decode(TpcCodec.Default.Encode(Batch)), "Default after Dispose");
        }
    }
}
