using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using TemporalPayloadCodec.Examples;
using Temporalio.Api.Common.V1;
using Temporalio.Converters;

namespace TemporalPayloadCodec.Tests
{
    /// <summary>Runs the adapter against the stubs: the batching, count and order, and failures in the task.</summary>
    public static class AdapterCheck
    {
        public static int Main()
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
            Console.WriteLine("adapter against stubs: round trip of 5 payloads and a faulted task: ok");
            return 0;
        }

        private static byte[] Json(string text)
        {
            return MiniProto.WritePayload(
                new[] { new KeyValuePair<string, byte[]>("encoding", Encoding.UTF8.GetBytes("json/plain")) },
                Encoding.UTF8.GetBytes(text));
        }
    }
}
