using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using TemporalPayloadCodec;

/// <summary>
/// Per-call time of TpcCodec.Default.Encode/Decode on the core benchmark's batches:
///
///   mono Bench.exe DIR SECONDS
///
/// prints "op batch microseconds-per-call" lines. Decode times decoding the batch's own
/// encoding. bench_c.c measures the same calls from C; bench.sh puts them side by side.
/// </summary>
public static class Bench
{
    public static int Main(string[] args)
    {
        if (args.Length != 2)
        {
            Console.Error.WriteLine("usage: Bench.exe DIR SECONDS");
            return 2;
        }

        double seconds = double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        foreach (string path in Directory.GetFiles(args[0], "batch-*.bin").OrderBy(p => new FileInfo(p).Length))
        {
            string name = Path.GetFileNameWithoutExtension(path).Substring("batch-".Length);
            byte[] plain = File.ReadAllBytes(path);
            byte[] encoded = TpcCodec.Default.Encode(plain);
            if (!TpcCodec.Default.Decode(encoded).SequenceEqual(plain))
            {
                Console.Error.WriteLine(name + ": round trip changed the batch");
                return 1;
            }

            Console.WriteLine("encode " + name + " " + Time(() => TpcCodec.Default.Encode(plain), seconds).ToString("F2"));
            Console.WriteLine("decode " + name + " " + Time(() => TpcCodec.Default.Decode(encoded), seconds).ToString("F2"));
        }

        return 0;
    }

    /// <summary>Microseconds per call, over as many calls as fit in the time (after a warm-up).</summary>
    private static double Time(Func<byte[]> call, double seconds)
    {
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < seconds / 5)
        {
            call();
        }

        long calls = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed.TotalSeconds < seconds)
        {
            for (int i = 0; i < 16; i++)
            {
                call();
            }

            calls += 16;
        }

        return watch.Elapsed.TotalMilliseconds * 1000 / calls;
    }
}
