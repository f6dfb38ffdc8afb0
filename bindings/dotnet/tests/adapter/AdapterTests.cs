using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Google.Protobuf;
using TemporalPayloadCodec.Examples;
using Temporalio.Api.Common.V1;
using Temporalio.Converters;

namespace TemporalPayloadCodec.Tests
{
    /// <summary>
    /// The Temporalio adapter (src/TemporalPayloadCodec.Temporalio) against the stubs of
    /// tests/stubs: batching, count and order, failures in the task, and the conformance suite
    /// through <see cref="IPayloadCodec"/>. A separate runner (AdapterTests.exe), since the
    /// stubs stand in for the SDK's assemblies.
    /// </summary>
    public static class AdapterTests
    {
        [Test]
        public static void RoundTripAndFaultedTask()
        {
            IPayloadCodec codec = new TpcPayloadCodec();
            var plain = Enumerable.Range(0, 5).Select(i => new Payload { Raw = Json(i.ToString()) }).ToList();
            var encoded = codec.EncodeAsync(plain).Result;
            Assert.Equal(5, encoded.Count, "encoded count");
            Assert.True(encoded.All(p => MiniProto.ParsePayload(p.Raw).Encoding == "binary/snappy"), "every payload wrapped");
            var decoded = codec.DecodeAsync(encoded).Result.ToList();
            for (int i = 0; i < 5; i++)
            {
                Assert.True(plain[i].Raw.SequenceEqual(decoded[i].Raw), "payload " + i + " round trip");
            }

            var task = codec.DecodeAsync(new[] { new Payload { Raw = MiniProto.WritePayload(new[] { new KeyValuePair<string, byte[]>("encoding", Encoding.UTF8.GetBytes("binary/snappy")) }, Encoding.UTF8.GetBytes("garbage")) } });
            Assert.True(task.IsFaulted && task.Exception.InnerException is TpcException, "a codec error faults the task");
        }

        /// <summary>
        /// Every case whose input a list of <see cref="Payload"/> objects can hold, through
        /// <c>new TpcPayloadCodec(codec)</c>: the input parsed into payloads, EncodeAsync or
        /// DecodeAsync, the result serialized back and checked as the byte API's is.
        /// </summary>
        /// <remarks>
        /// Not expressible here, by construction: an input that is not a well-formed Payloads
        /// (the suite's malformed-Payloads cases). A list of payload objects always serializes to
        /// a well-formed one, so the adapter can never hand the library such bytes; the test
        /// checks that every case left out is one of those and says how many.
        /// </remarks>
        [Test]
        public static void ConformanceThroughTheAdapter()
        {
            var cases = Conformance.Cases();
            var expressible = cases.Where(Expressible).ToList();
            var left = cases.Except(expressible).ToList();
            foreach (var c in left)
            {
                Assert.Equal("TPC_ERR_MALFORMED_INPUT", c.ExpectedStatus, c.Name + ": left out of the adapter run, but its input is not a malformed Payloads case");
            }

            Console.WriteLine("     conformance: " + left.Count + " malformed-Payloads cases have no payload-object form: " + string.Join("; ", left.Select(c => c.Name)));
            Conformance.Run("the Temporalio adapter (stubs)", expressible, c => Conformance.Builder(c, keyIdsAsBytes: false).Build(), (codec, encode, input) => Call(new TpcPayloadCodec(codec), encode, input));
        }

        /// <summary>The default-codec cases through <c>new TpcPayloadCodec()</c> (over TpcCodec.Default).</summary>
        [Test]
        public static void DefaultCodecCasesThroughTheParameterlessAdapter()
        {
            var cases = Conformance.Cases().Where(c => c.DefaultCodec && Expressible(c)).ToList();
            Assert.True(cases.Count >= 10, "the suite has default-codec cases: " + cases.Count);
            var adapter = new TpcPayloadCodec();
            Conformance.Run("new TpcPayloadCodec()", cases, c => TpcCodec.Default, (codec, encode, input) => Call(adapter, encode, input));
        }

        /// <summary>What an SDK user's data converter does: payload objects in, payload objects out.</summary>
        private static byte[] Call(IPayloadCodec codec, bool encode, byte[] input)
        {
            var payloads = Payloads.Parser.ParseFrom(input).Payloads_;
            var task = encode ? codec.EncodeAsync(payloads) : codec.DecodeAsync(payloads);
            if (task.IsFaulted)
            {
                // The library's error, as an awaiting caller would see it.
                throw task.Exception.InnerException;
            }

            var result = new Payloads();
            result.Payloads_.AddRange(task.Result);
            return result.ToByteArray();
        }

        /// <summary>The input parses into payloads that serialize back to exactly it.</summary>
        private static bool Expressible(ConformanceCase c)
        {
            try
            {
                var result = new Payloads();
                result.Payloads_.AddRange(Payloads.Parser.ParseFrom(c.Input).Payloads_);
                return result.ToByteArray().SequenceEqual(c.Input);
            }
            catch (FormatException)
            {
                return false;
            }
        }

        private static byte[] Json(string text)
        {
            return MiniProto.WritePayload(
                new[] { new KeyValuePair<string, byte[]>("encoding", Encoding.UTF8.GetBytes("json/plain")) },
                Encoding.UTF8.GetBytes(text));
        }
    }
}
