// Hand-written stand-ins for the few Temporalio and Google.Protobuf names the adapter uses
// (the packages cannot be downloaded here). test.sh compiles the adapter against them, which
// checks its syntax and its use of these names and signatures; the behaviour below is a
// minimal serialization (MiniProto) so a round trip through the adapter can run. This says
// nothing about the real packages beyond the signatures copied from them:
// Temporalio.Converters.IPayloadCodec (Task<IReadOnlyCollection<Payload>> EncodeAsync/DecodeAsync
// of IReadOnlyCollection<Payload>), Payloads.Payloads_ (a RepeatedField), Payloads.Parser,
// and Google.Protobuf's ToByteArray extension.
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using TemporalPayloadCodec.Examples;

namespace Google.Protobuf
{
    public interface IMessage
    {
        byte[] Serialize();
    }

    public static class MessageExtensions
    {
        public static byte[] ToByteArray(this IMessage message)
        {
            return message.Serialize();
        }
    }

    public sealed class MessageParser<T>
    {
        private readonly System.Func<byte[], T> parse;

        public MessageParser(System.Func<byte[], T> parse)
        {
            this.parse = parse;
        }

        public T ParseFrom(byte[] data)
        {
            return parse(data);
        }
    }

    namespace Collections
    {
        public sealed class RepeatedField<T> : List<T>
        {
        }
    }
}

namespace Temporalio.Api.Common.V1
{
    public sealed class Payload
    {
        public byte[] Raw;
    }

    public sealed class Payloads : Google.Protobuf.IMessage
    {
        public static readonly Google.Protobuf.MessageParser<Payloads> Parser = new Google.Protobuf.MessageParser<Payloads>(bytes =>
        {
            var result = new Payloads();
            result.Payloads_.AddRange(MiniProto.SplitPayloads(bytes).Select(raw => new Payload { Raw = raw }));
            return result;
        });

        public Google.Protobuf.Collections.RepeatedField<Payload> Payloads_ { get; } = new Google.Protobuf.Collections.RepeatedField<Payload>();

        public byte[] Serialize()
        {
            return MiniProto.WritePayloads(Payloads_.Select(p => p.Raw));
        }
    }
}

namespace Temporalio.Converters
{
    using Temporalio.Api.Common.V1;

    public interface IPayloadCodec
    {
        Task<IReadOnlyCollection<Payload>> EncodeAsync(IReadOnlyCollection<Payload> payloads);

        Task<IReadOnlyCollection<Payload>> DecodeAsync(IReadOnlyCollection<Payload> payloads);
    }
}
