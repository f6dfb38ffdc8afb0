using System;
using System.IO;
using TemporalPayloadCodec;
using TemporalPayloadCodec.Examples;

/// <summary>
/// Decodes a serialized Payloads (a file, or stdin for "-" or no argument) with the default
/// codec and prints one line per payload: encoding=... data=&lt;UTF-8 text, or base64&gt;.
/// TPC_KEY_HEX (64 hex digits) with TPC_KEY_ID (default demo-key) adds a decryption key.
/// Exit status: 0 success, 2 usage, 3 codec error.
/// </summary>
public static class DecodePayloads
{
    public static int Main(string[] args)
    {
        if (args.Length > 1)
        {
            Console.Error.WriteLine("usage: DecodePayloads.exe [FILE|-]");
            return 2;
        }

        byte[] input;
        try
        {
            input = ReadInput(args.Length == 0 ? "-" : args[0]);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        TpcCodec codec = TpcCodec.Default;
        try
        {
            string keyHex = Environment.GetEnvironmentVariable("TPC_KEY_HEX");
            if (!string.IsNullOrEmpty(keyHex))
            {
                byte[] key = ParseKey(keyHex);
                if (key == null)
                {
                    Console.Error.WriteLine("TPC_KEY_HEX must be 64 hex digits (a 32-byte AES-256 key)");
                    return 2;
                }

                codec = TpcCodec.CreateBuilder()
                    .AddKey(Environment.GetEnvironmentVariable("TPC_KEY_ID") ?? "demo-key", key)
                    .Build();
                Array.Clear(key, 0, key.Length);
            }

            byte[] decoded = codec.Decode(input);
            int index = 0;
            foreach (byte[] raw in MiniProto.SplitPayloads(decoded))
            {
                var payload = MiniProto.ParsePayload(raw);
                string text = MiniProto.AsText(payload.Data);
                Console.WriteLine(
                    "payload " + index++ + ": encoding=" + (payload.Encoding ?? "(none)") + " data=" +
                    (text ?? "base64:" + Convert.ToBase64String(payload.Data)));
            }

            return 0;
        }
        catch (TpcException e)
        {
            Console.Error.WriteLine(nameof(TpcException) + ": " + e.StatusName + " (" + (uint)e.Status + "): " + e.Detail);
            return 3;
        }
        finally
        {
            codec.Dispose();
        }
    }

    internal static byte[] ReadInput(string path)
    {
        if (path == "-")
        {
            var buffer = new MemoryStream();
            using (Stream stdin = Console.OpenStandardInput())
            {
                stdin.CopyTo(buffer);
            }

            return buffer.ToArray();
        }

        return File.ReadAllBytes(path);
    }

    /// <summary>64 hex digits to 32 bytes, or null when the text is not that.</summary>
    internal static byte[] ParseKey(string hex)
    {
        if (hex.Length != 64)
        {
            return null;
        }

        var key = new byte[32];
        for (int i = 0; i < 32; i++)
        {
            int hi = HexDigit(hex[2 * i]);
            int lo = HexDigit(hex[(2 * i) + 1]);
            if (hi < 0 || lo < 0)
            {
                return null;
            }

            key[i] = (byte)((hi << 4) | lo);
        }

        return key;
    }

    private static int HexDigit(char c)
    {
        if (c >= '0' && c <= '9')
        {
            return c - '0';
        }

        c = char.ToLowerInvariant(c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    }
}
