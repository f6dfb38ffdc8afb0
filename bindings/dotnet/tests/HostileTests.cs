using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Web.Script.Serialization;
using TemporalPayloadCodec.Examples;

namespace TemporalPayloadCodec.Tests
{
    /// <summary>
    /// The hostile batches of tests/hostile/make_hostile.py (snappy headers claiming gigabytes,
    /// zlib payloads inflating to 3 GiB in all), which test.sh writes into TPC_HOSTILE_DIR: each
    /// fails with a <see cref="TpcException"/>, and this very process then still encodes and
    /// decodes. test.sh runs the runner inside 4 GiB of address space: without a limit, a
    /// reservation sized from a lie may be granted by the host's overcommit (18.75 GiB for
    /// framed-claims on a 23 GB machine) and the defect pass unseen; inside it, it fails as on a
    /// small host, and a library that aborts on it takes the whole runner down.
    /// </summary>
    public static class HostileTests
    {
        private const long AddressSpace = 4L << 30;

        private sealed class Batch
        {
            internal string Name;
            internal byte[] Bytes;
            internal string Status;
            internal string Fragment;
        }

        [Test]
        public static void RunsInsideFourGibOfAddressSpace()
        {
            // The premise of the test below: without the limit, passing says nothing about a
            // small host.
            string line = File.ReadAllLines("/proc/self/limits").First(l => l.StartsWith("Max address space", StringComparison.Ordinal));
            string soft = line.Substring("Max address space".Length).Trim().Split(' ')[0];
            Assert.Equal(AddressSpace.ToString(), soft, "soft address-space limit (" + line + ")");
        }

        [Test]
        public static void HostileBatchesFailThenTheProcessStillWorks()
        {
            var failures = new List<string>();
            using (var keyed = Keyed(TpcCompression.Zlib))
            using (var sealer = Keyed(TpcCompression.None))
            {
                foreach (var batch in Manifest())
                {
                    Expect(batch, TpcCodec.Default, "Default", batch.Bytes, failures);
                    Expect(batch, keyed, "a zlib codec with a key", batch.Bytes, failures);

                    // Every payload sealed in binary/encrypted: the lie is seen only once the
                    // outer layer is peeled. The fragments still hold, since encryption adds a
                    // few bytes to each payload's share of the call's total.
                    byte[] sealedBatch = sealer.Encode(batch.Bytes);
                    string outer = MiniProto.ParsePayload(MiniProto.SplitPayloads(sealedBatch)[0]).Encoding;
                    Assert.Equal("binary/encrypted", outer, batch.Name + " sealed");
                    Expect(batch, keyed, "a zlib codec with a key, sealed", sealedBatch, failures);
                }

                // Every combination is tried and reported, not just up to the first that fails.
                Assert.True(failures.Count == 0, failures.Count + " hostile decodes went wrong:\n  " + string.Join("\n  ", failures));

                // The same process, after all of that: a normal batch, with one large payload so
                // that a large result is allocated again.
                var payloads = Enumerable.Range(0, 20)
                    .Select(i => Fixtures.Payload("json/plain", "\"" + new string((char)('a' + i), 200 + (i * 1000)) + "\""))
                    .Concat(new[] { Fixtures.Payload("binary/plain", Orders(8 << 20)) });
                byte[] plain = Fixtures.Batch(payloads.ToArray());
                foreach (var codec in new[] { TpcCodec.Default, keyed })
                {
                    byte[] encoded = codec.Encode(plain);
                    string wrapper = MiniProto.ParsePayload(MiniProto.SplitPayloads(encoded)[20]).Encoding;
                    Assert.Equal(codec == keyed ? "binary/encrypted" : "binary/snappy", wrapper, "encoding after the hostile batches");
                    Assert.Bytes(plain, codec.Decode(encoded), "round trip after the hostile batches");
                }
            }
        }

        private static TpcCodec Keyed(TpcCompression compression)
        {
            return TpcCodec.CreateBuilder()
                .Compression(compression)
                .AddKey("hostile", Fixtures.KeyA)
                .EncryptionKeyId("hostile")
                .Build();
        }

        private static void Expect(Batch batch, TpcCodec codec, string codecName, byte[] input, List<string> failures)
        {
            string what = batch.Name + " through " + codecName;
            try
            {
                codec.Decode(input);
                failures.Add(what + ": decoded, expected " + batch.Status);
            }
            catch (TpcException e)
            {
                if (e.StatusName != batch.Status || !e.Detail.Contains(batch.Fragment))
                {
                    failures.Add(what + ": expected " + batch.Status + " with '" + batch.Fragment + "', got " + e.Message);
                }
            }
            catch (Exception e)
            {
                failures.Add(what + ": expected a TpcException, got " + e.GetType().Name + ": " + e.Message);
            }
        }

        private static List<Batch> Manifest()
        {
            string dir = Fixtures.Env("TPC_HOSTILE_DIR");
            var entries = (object[])new JavaScriptSerializer().DeserializeObject(File.ReadAllText(Path.Combine(dir, "manifest.json")));
            var batches = entries.Cast<Dictionary<string, object>>().Select(e => new Batch
            {
                Name = (string)e["name"],
                Bytes = File.ReadAllBytes(Path.Combine(dir, (string)e["file"])),
                Status = (string)e["status"],
                Fragment = (string)e["message_contains"],
            }).ToList();

            // The three the issue names: a manifest that lost one must not pass on fewer.
            Assert.Equal("claims,framed-claims,zlib-3gib", string.Join(",", batches.Select(b => b.Name)), "manifest");
            return batches;
        }

        /// <summary>About <paramref name="size"/> bytes of compressible JSON-like text.</summary>
        private static byte[] Orders(int size)
        {
            var text = new StringBuilder();
            for (int i = 0; text.Length < size; i++)
            {
                text.Append("{\"sku\":\"SKU-").Append(i).Append("\",\"qty\":3},");
            }

            return Encoding.UTF8.GetBytes(text.ToString());
        }
    }
}
