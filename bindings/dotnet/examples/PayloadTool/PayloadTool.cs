using System;
using System.IO;
using TemporalPayloadCodec;

/// <summary>
/// The payload tool of the cross-language decode matrix:
///
///   mono PayloadTool.exe encode|decode FILE|-
///
/// reads a serialized Payloads from FILE (or stdin for "-") and writes the encoded or decoded
/// serialized Payloads to stdout. Environment: TPC_COMPRESSION = none | snappy (default) |
/// snappy-raw | zlib; TPC_KEY_HEX = 64 hex digits, a 32-byte key held under TPC_KEY_ID
/// (default demo-key) and used to encrypt. Exit status: 0 success, 2 usage error, 3 codec error
/// with one stderr line "TpcException: STATUS_NAME (code): message".
/// </summary>
public static class PayloadTool
{
    public static int Main(string[] args)
    {
        if (args.Length != 2 || (args[0] != "encode" && args[0] != "decode"))
        {
            Console.Error.WriteLine("usage: PayloadTool.exe encode|decode FILE|-");
            return 2;
        }

        byte[] input;
        try
        {
            input = ExampleInput.Read(args[1]);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine(args[1] + ": " + e.Message);
            return 2;
        }
        catch (UnauthorizedAccessException e)
        {
            Console.Error.WriteLine(args[1] + ": " + e.Message);
            return 2;
        }

        var builder = TpcCodec.CreateBuilder();
        string compression = Environment.GetEnvironmentVariable("TPC_COMPRESSION");
        if (compression != null)
        {
            // An unknown name reaches the library as an unknown algorithm, and Build reports
            // it as TPC_ERR_INVALID_ARGUMENT with the library's message (as the C tool does).
            builder.Compression(ParseCompression(compression));
        }

        string keyId;
        byte[] key;
        if (!ExampleInput.TryKeyFromEnvironment(out keyId, out key))
        {
            return 2;
        }

        if (key != null)
        {
            builder.AddKey(keyId, key).EncryptionKeyId(keyId);
            Array.Clear(key, 0, key.Length);
        }

        try
        {
            using (TpcCodec codec = builder.Build())
            {
                byte[] output = args[0] == "encode" ? codec.Encode(input) : codec.Decode(input);
                using (Stream stdout = Console.OpenStandardOutput())
                {
                    stdout.Write(output, 0, output.Length);
                }
            }

            return 0;
        }
        catch (TpcException e)
        {
            Console.Error.WriteLine(nameof(TpcException) + ": " + e.StatusName + " (" + (uint)e.Status + "): " + e.Detail);
            return 3;
        }
    }

    private static TpcCompression ParseCompression(string name)
    {
        switch (name)
        {
            case "none": return TpcCompression.None;
            case "snappy": return TpcCompression.Snappy;
            case "snappy-raw": return TpcCompression.SnappyRaw;
            case "zlib": return TpcCompression.Zlib;
            default: return (TpcCompression)99;
        }
    }
}
