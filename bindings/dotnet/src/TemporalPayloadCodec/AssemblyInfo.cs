using System.Runtime.CompilerServices;

// The tests call the raw P/Invoke declarations to reach statuses the safe API never produces
// (TPC_ERR_NULL_ARGUMENT).
[assembly: InternalsVisibleTo("TemporalPayloadCodec.Tests")]
