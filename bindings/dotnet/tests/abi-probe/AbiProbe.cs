using System;
using System.Collections.Generic;
using TemporalPayloadCodec;

/// <summary>
/// The child process of AbiTests: calls every public entry point that loads the native
/// library and prints one line each, "NAME: ok" or "NAME: exception type: message". Exit 0 when
/// all succeeded, else 3.
/// </summary>
public static class AbiProbe
{
    public static int Main()
    {
        var entries = new List<KeyValuePair<string, Action>>
        {
            new KeyValuePair<string, Action>("Build", () => TpcCodec.CreateBuilder().Build().Dispose()),
            new KeyValuePair<string, Action>("Default", () => TpcCodec.Default.Encode(new byte[0])),
            new KeyValuePair<string, Action>("LibraryVersion", () => GC.KeepAlive(TpcCodec.LibraryVersion)),
            new KeyValuePair<string, Action>("Describe", () => TpcException.Describe(TpcStatus.UnknownKey)),
        };
        int failed = 0;
        foreach (var entry in entries)
        {
            try
            {
                entry.Value();
                Console.WriteLine(entry.Key + ": ok");
            }
            catch (Exception e)
            {
                failed++;
                Console.WriteLine(entry.Key + ": " + e.GetType().FullName + ": " + e.Message);
            }
        }

        return failed == 0 ? 0 : 3;
    }
}
