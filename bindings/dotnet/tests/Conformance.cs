using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Web.Script.Serialization;

namespace TemporalPayloadCodec.Tests
{
    /// <summary>One case of tests/conformance/cases.json (see tests/conformance/README.md).</summary>
    internal sealed class ConformanceCase
    {
        internal string Name;
        internal bool Encode;
        internal Dictionary<string, object> Options;
        internal byte[] Input;
        internal Dictionary<string, object> Expect;

        /// <summary>The codec is <c>{}</c>: the default codec.</summary>
        internal bool DefaultCodec
        {
            get { return Options.Count == 0; }
        }

        /// <summary>The expected error's status name, or null when the case expects success.</summary>
        internal string ExpectedStatus
        {
            get
            {
                object error;
                return Expect.TryGetValue("error", out error) ? (string)((Dictionary<string, object>)error)["status"] : null;
            }
        }
    }

    /// <summary>
    /// The conformance suite every binding runs (tests/conformance/cases.json, whose path test.sh
    /// passes in TPC_CONFORMANCE): each case's codec is built from its options through the
    /// public builder, its input goes through one public path of the binding, and the result is
    /// checked as tests/conformance.rs checks it. The test runner and the adapter's runner
    /// (tests/adapter) both use it, each with its own paths.
    /// </summary>
    internal static class Conformance
    {
        internal const int MinimumCases = 40;

        private static readonly string[] KnownOptions =
        {
            "compression", "only_if_smaller", "zlib_level", "max_decoded_size", "max_total_decoded_size", "keys", "encryption_key_id",
        };

        /// <summary>Every case of the file; fails when the file is missing or has fewer than 40.</summary>
        internal static List<ConformanceCase> Cases()
        {
            string path = Environment.GetEnvironmentVariable("TPC_CONFORMANCE");
            if (string.IsNullOrEmpty(path))
            {
                throw new Exception("TPC_CONFORMANCE is not set: run the tests through bindings/dotnet/test.sh");
            }

            if (!File.Exists(path))
            {
                throw new Exception("the conformance suite is missing: " + path);
            }

            var doc = (Dictionary<string, object>)new JavaScriptSerializer { MaxJsonLength = int.MaxValue }
                .DeserializeObject(File.ReadAllText(path));
            var cases = ((object[])doc["cases"]).Cast<Dictionary<string, object>>().Select(c =>
            {
                string op = (string)c["op"];
                if (op != "encode" && op != "decode")
                {
                    throw new Exception((string)c["name"] + ": unknown op " + op);
                }

                return new ConformanceCase
                {
                    Name = (string)c["name"],
                    Encode = op == "encode",
                    Options = (Dictionary<string, object>)c["codec"],
                    Input = Convert.FromBase64String((string)c["input"]),
                    Expect = (Dictionary<string, object>)c["expect"],
                };
            }).ToList();
            if (cases.Count < MinimumCases)
            {
                throw new Exception(path + " has " + cases.Count + " cases, fewer than " + MinimumCases);
            }

            return cases;
        }

        /// <summary>
        /// A builder set from the case's options in the one vocabulary. Key ids go through the
        /// string overloads, or with <paramref name="keyIdsAsBytes"/> as their UTF-8 bytes through
        /// the byte[] overloads. An option this binding does not know fails the test, so an option
        /// added to the suite cannot be skipped silently.
        /// </summary>
        internal static TpcCodecBuilder Builder(ConformanceCase c, bool keyIdsAsBytes)
        {
            var b = TpcCodec.CreateBuilder();
            foreach (string option in c.Options.Keys)
            {
                if (!KnownOptions.Contains(option))
                {
                    throw new Exception(c.Name + ": option " + option + " is not mapped to the builder");
                }
            }

            object value;
            if (c.Options.TryGetValue("compression", out value))
            {
                b.Compression(Compression((string)value));
            }

            if (c.Options.TryGetValue("only_if_smaller", out value))
            {
                b.OnlyIfSmaller((bool)value);
            }

            if (c.Options.TryGetValue("zlib_level", out value))
            {
                b.ZlibLevel(Convert.ToInt32(value));
            }

            if (c.Options.TryGetValue("max_decoded_size", out value))
            {
                b.MaxDecodedSize(Convert.ToInt64(value));
            }

            if (c.Options.TryGetValue("max_total_decoded_size", out value))
            {
                b.MaxTotalDecodedSize(Convert.ToInt64(value));
            }

            if (c.Options.TryGetValue("keys", out value))
            {
                foreach (Dictionary<string, object> k in (object[])value)
                {
                    string id = (string)k["id"];
                    byte[] key = Hex((string)k["key"]);
                    if (keyIdsAsBytes)
                    {
                        b.AddKey(Encoding.UTF8.GetBytes(id), key);
                    }
                    else
                    {
                        b.AddKey(id, key);
                    }
                }
            }

            if (c.Options.TryGetValue("encryption_key_id", out value))
            {
                if (keyIdsAsBytes)
                {
                    b.EncryptionKeyId(Encoding.UTF8.GetBytes((string)value));
                }
                else
                {
                    b.EncryptionKeyId((string)value);
                }
            }

            return b;
        }

        /// <summary>
        /// Runs <paramref name="cases"/>: <paramref name="build"/> makes the case's codec (a
        /// <see cref="TpcException"/> there is a failure at "build"), <paramref name="call"/>
        /// encodes or decodes with it (one there is a failure at "call"). Collects every case's
        /// failure and throws them together; returns the number of cases run.
        /// </summary>
        internal static int Run(
            string path,
            IEnumerable<ConformanceCase> cases,
            Func<ConformanceCase, TpcCodec> build,
            Func<TpcCodec, bool, byte[], byte[]> call)
        {
            var failures = new List<string>();
            int ran = 0;
            foreach (var c in cases)
            {
                ran++;
                try
                {
                    string failure = RunOne(c, build, call);
                    if (failure != null)
                    {
                        failures.Add(c.Name + ": " + failure);
                    }
                }
                catch (Exception e)
                {
                    failures.Add(c.Name + ": " + e.GetType().Name + ": " + e.Message);
                }
            }

            if (failures.Count > 0)
            {
                throw new Exception(failures.Count + " of " + ran + " conformance cases failed through " + path + ":\n" + string.Join("\n", failures));
            }

            Console.WriteLine("     conformance: " + ran + " cases through " + path);
            return ran;
        }

        private static string RunOne(ConformanceCase c, Func<ConformanceCase, TpcCodec> build, Func<TpcCodec, bool, byte[], byte[]> call)
        {
            TpcCodec codec;
            try
            {
                codec = build(c);
            }
            catch (TpcException e)
            {
                return Failed(c, "build", e);
            }

            // Dispose does nothing on TpcCodec.Default.
            using (codec)
            {
                byte[] output;
                try
                {
                    output = call(codec, c.Encode, c.Input);
                }
                catch (TpcException e)
                {
                    return Failed(c, "call", e);
                }

                if (c.Expect.ContainsKey("error"))
                {
                    return "succeeded, expected " + c.ExpectedStatus;
                }

                object want;
                if (c.Expect.TryGetValue("output", out want))
                {
                    return output.SequenceEqual(Convert.FromBase64String((string)want)) ? null : "not the expected bytes";
                }

                if (!c.Expect.TryGetValue("roundtrip", out want) || !(want is bool) || !(bool)want)
                {
                    return "unknown expectation";
                }

                if (output.SequenceEqual(c.Input) && c.Input.Length > 0)
                {
                    return "encode changed nothing";
                }

                byte[] back;
                try
                {
                    back = call(codec, false, output);
                }
                catch (TpcException e)
                {
                    return "decoding the result failed: " + e.Message;
                }

                return back.SequenceEqual(c.Input) ? null : "decode(encode(x)) != x";
            }
        }

        /// <summary>Checks a failure against the expected error: stage, status, message, operation.</summary>
        private static string Failed(ConformanceCase c, string stage, TpcException e)
        {
            object expected;
            if (!c.Expect.TryGetValue("error", out expected))
            {
                return "failed at " + stage + ": " + e.Message;
            }

            var error = (Dictionary<string, object>)expected;
            if ((string)error["at"] != stage)
            {
                return "failed at " + stage + ", expected at " + error["at"] + ": " + e.Message;
            }

            if (e.StatusName != (string)error["status"])
            {
                return "expected " + error["status"] + ", got " + e.Message;
            }

            string fragment = (string)error["message_contains"];
            if (!e.Detail.Contains(fragment))
            {
                return "the message lacks '" + fragment + "': " + e.Message;
            }

            string operation = stage == "build" ? "build" : c.Encode ? "encode" : "decode";
            return e.Operation == operation ? null : "operation " + e.Operation + ", expected " + operation;
        }

        private static byte[] Hex(string hex)
        {
            return Enumerable.Range(0, hex.Length / 2).Select(i => Convert.ToByte(hex.Substring(2 * i, 2), 16)).ToArray();
        }

        private static TpcCompression Compression(string name)
        {
            switch (name)
            {
                case "none": return TpcCompression.None;
                case "snappy": return TpcCompression.Snappy;
                case "snappy-raw": return TpcCompression.SnappyRaw;
                case "zlib": return TpcCompression.Zlib;
                default: throw new Exception("unknown compression " + name + " in cases.json");
            }
        }
    }
}
