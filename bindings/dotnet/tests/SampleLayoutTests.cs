using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;

namespace TemporalPayloadCodec.Tests
{
    /// <summary>
    /// The .NET encryption sample's payloads (key id "test-key-id"). Mono has no AesGcm, so
    /// the fixture is made at test time by tests/dotnet_sample.py with Python's
    /// `cryptography` (OpenSSL), a standard AES-GCM that shares no code with the library.
    /// </summary>
    public static class SampleLayoutTests
    {
        private static readonly byte[] SampleKey = Encoding.ASCII.GetBytes("test-key-test-key-test-key-test!");

        private static string[] Fixture(string name)
        {
            foreach (string line in File.ReadAllLines(Fixtures.Env("TPC_DOTNET_SAMPLE")))
            {
                string[] fields = line.Split('\t');
                if (fields[0] == name)
                {
                    return fields;
                }
            }

            throw new Exception("no case " + name + " in " + Fixtures.Env("TPC_DOTNET_SAMPLE"));
        }

        private static TpcCodec SampleCodec()
        {
            return TpcCodec.CreateBuilder().Compression(TpcCompression.None)
                .AddKey("test-key-id", SampleKey).EncryptionKeyId("test-key-id").Build();
        }

        /// <summary>
        /// nonce || ciphertext || tag (what the current sample writes) under binary/encrypted and
        /// encryption-key-id test-key-id.
        /// </summary>
        [Test]
        public static void DecodesTheSampleLayout()
        {
            using (var codec = SampleCodec())
            {
                foreach (string name in new[] { "nonce-ciphertext-tag", "mixed" })
                {
                    string[] c = Fixture(name);
                    Assert.Bytes(Convert.FromBase64String(c[1]), codec.Decode(Convert.FromBase64String(c[2])), name);
                }
            }

            // A default-configured codec (snappy, plus the sample key) reads it just the same.
            using (var codec = TpcCodec.CreateBuilder().AddKey("test-key-id", SampleKey).Build())
            {
                string[] c = Fixture("nonce-ciphertext-tag");
                Assert.Bytes(Convert.FromBase64String(c[1]), codec.Decode(Convert.FromBase64String(c[2])), "snappy codec with the key");
            }

            var e = Assert.Status(TpcStatus.UnknownKey, () => TpcCodec.CreateBuilder().AddKey("other", SampleKey).Build()
                .Decode(Convert.FromBase64String(Fixture("nonce-ciphertext-tag")[2])), "without test-key-id");
            Assert.True(e.Detail.Contains("test-key-id"), "message names the key id: " + e.Detail);
        }

        /// <summary>
        /// Copies of the .NET sample older than samples-dotnet 5e0bbe7 (2024-10-07) wrote
        /// nonce || tag || ciphertext; the current sample writes nonce || ciphertext || tag. The
        /// library tries the tag-first layout when the standard tag position does not verify, so
        /// histories written by the old copies decode too.
        /// </summary>
        [Test]
        public static void DecodesTheTagFirstLayoutOfOlderSampleCopies()
        {
            using (var codec = SampleCodec())
            {
                string[] c = Fixture("nonce-tag-ciphertext");
                Assert.Bytes(Convert.FromBase64String(c[1]), codec.Decode(Convert.FromBase64String(c[2])), "nonce || tag || ciphertext");
            }

            using (var codec = TpcCodec.CreateBuilder().AddKey("test-key-id", Encoding.ASCII.GetBytes("another-key-another-key-another!")).Build())
            {
                Assert.Status(TpcStatus.DecryptFailed, () => codec.Decode(Convert.FromBase64String(Fixture("nonce-tag-ciphertext")[2])), "tag-first layout, wrong key");
            }
        }

        /// <summary>What this codec encrypts, the standard AES-GCM (Python cryptography) opens.</summary>
        [Test]
        public static void PythonCryptographyOpensOurOutput()
        {
            byte[] batch = Fixtures.Batch(
                Fixtures.Payload("json/plain", "{\"greeting\":\"hello\"}"),
                Fixtures.Payload("binary/null", new byte[0]),
                Fixtures.Payload("binary/plain", Fixtures.Random(5000, 3)));
            byte[] encoded;
            using (var codec = SampleCodec())
            {
                encoded = codec.Encode(batch);
            }

            var start = new ProcessStartInfo(Fixtures.Env("TPC_PYTHON"))
            {
                Arguments = "\"" + Fixtures.Env("TPC_SAMPLE_SCRIPT") + "\" open " +
                    BitConverter.ToString(SampleKey).Replace("-", string.Empty),
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
            };
            using (var python = Process.Start(start))
            {
                var output = new MemoryStream();
                var reader = python.StandardOutput.BaseStream.CopyToAsync(output);
                python.StandardInput.BaseStream.Write(encoded, 0, encoded.Length);
                python.StandardInput.Close();
                reader.Wait();
                python.WaitForExit();
                Assert.Equal(0, python.ExitCode, "python exit code");
                Assert.Bytes(batch, output.ToArray(), "what Python decrypted");
            }
        }
    }
}
