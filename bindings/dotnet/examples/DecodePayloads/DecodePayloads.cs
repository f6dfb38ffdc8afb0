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
            input = ExampleInput.Read(args.Length == 0 ? "-" : args[0]);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        TpcCodec codec = TpcCodec.Default;
        try
        {
            string keyId;
            byte[] key;
            if (!ExampleInput.TryKeyFromEnvironment(out keyId, out key))
            {
                return 2;
            }

            if (key != null)
            {
                codec = TpcCodec.CreateBuilder().AddKey(keyId, key).Build();
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
}
