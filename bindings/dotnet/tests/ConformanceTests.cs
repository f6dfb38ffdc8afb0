using System.Linq;

namespace TemporalPayloadCodec.Tests
{
    /// <summary>
    /// tests/conformance/cases.json through every public path of the byte API that must agree
    /// with the core (tests/adapter runs it through the Temporalio adapter too). Every case of
    /// the file runs through the first two; none is skipped.
    /// </summary>
    public static class ConformanceTests
    {
        /// <summary>Builder with string key ids, <see cref="TpcCodec.Encode"/> / <see cref="TpcCodec.Decode"/>.</summary>
        [Test]
        public static void EveryCaseThroughTheByteApi()
        {
            var cases = Conformance.Cases();
            int ran = Conformance.Run("the byte API", cases, c => Conformance.Builder(c, keyIdsAsBytes: false).Build(), Call);
            Assert.Equal(cases.Count, ran, "cases run");
        }

        /// <summary>The same with key ids as UTF-8 bytes through the <c>byte[]</c> overloads.</summary>
        [Test]
        public static void EveryCaseWithByteKeyIds()
        {
            var cases = Conformance.Cases();
            int ran = Conformance.Run("the byte API, byte[] key ids", cases, c => Conformance.Builder(c, keyIdsAsBytes: true).Build(), Call);
            Assert.Equal(cases.Count, ran, "cases run");
        }

        /// <summary>Every case with the default codec (<c>{}</c>) through <see cref="TpcCodec.Default"/>.</summary>
        [Test]
        public static void DefaultCodecCasesThroughDefault()
        {
            var cases = Conformance.Cases().Where(c => c.DefaultCodec).ToList();
            Assert.True(cases.Count >= 10, "the suite has default-codec cases: " + cases.Count);
            Conformance.Run("TpcCodec.Default", cases, c => TpcCodec.Default, Call);
        }

        private static byte[] Call(TpcCodec codec, bool encode, byte[] input)
        {
            return encode ? codec.Encode(input) : codec.Decode(input);
        }
    }
}
