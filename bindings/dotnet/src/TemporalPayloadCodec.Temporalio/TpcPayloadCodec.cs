using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Converters;

namespace TemporalPayloadCodec
{
    /// <summary>
    /// A Temporalio <see cref="IPayloadCodec"/> over a <see cref="TpcCodec"/>: the payload list
    /// is serialized as one <see cref="Payloads"/> message, passed through the library in one
    /// call, and parsed back (same count, same order, new instances).
    /// </summary>
    /// <example>
    /// <code>
    /// var converter = DataConverter.Default with { PayloadCodec = new TpcPayloadCodec() };
    /// var client = await TemporalClient.ConnectAsync(new("localhost:7233") { DataConverter = converter });
    /// </code>
    /// </example>
    public sealed class TpcPayloadCodec : IPayloadCodec
    {
        /// <summary>The reference snappy codec (<see cref="TpcCodec.Default"/>).</summary>
        public TpcPayloadCodec()
            : this(TpcCodec.Default)
        {
        }

        /// <summary>A codec built with <see cref="TpcCodec.CreateBuilder"/>; the caller keeps ownership.</summary>
        public TpcPayloadCodec(TpcCodec codec)
        {
            Codec = codec ?? throw new ArgumentNullException(nameof(codec));
        }

        /// <summary>The codec every call goes through.</summary>
        public TpcCodec Codec { get; }

        /// <inheritdoc />
        public Task<IReadOnlyCollection<Payload>> EncodeAsync(IReadOnlyCollection<Payload> payloads)
        {
            return Run(payloads, Codec.Encode);
        }

        /// <inheritdoc />
        public Task<IReadOnlyCollection<Payload>> DecodeAsync(IReadOnlyCollection<Payload> payloads)
        {
            return Run(payloads, Codec.Decode);
        }

        // The work is CPU-bound and short, so it runs on the caller's thread; failures travel
        // in the returned task, as an async method's would.
        private static Task<IReadOnlyCollection<Payload>> Run(
            IReadOnlyCollection<Payload> payloads, Func<byte[], byte[]> call)
        {
            try
            {
                var batch = new Payloads();
                batch.Payloads_.AddRange(payloads);
                var result = Payloads.Parser.ParseFrom(call(batch.ToByteArray()));
                return Task.FromResult<IReadOnlyCollection<Payload>>(result.Payloads_);
            }
            catch (Exception e)
            {
                return Task.FromException<IReadOnlyCollection<Payload>>(e);
            }
        }
    }
}
