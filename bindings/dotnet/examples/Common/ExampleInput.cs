using System.IO;

/// <summary>What both examples read: a Payloads file or stdin, and a key in hex.</summary>
internal static class ExampleInput
{
    /// <summary>The bytes of the file at <paramref name="path"/>, or of stdin for "-".</summary>
    internal static byte[] Read(string path)
    {
        if (path != "-")
        {
            return File.ReadAllBytes(path);
        }

        var buffer = new MemoryStream();
        using (Stream stdin = System.Console.OpenStandardInput())
        {
            stdin.CopyTo(buffer);
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// The key of TPC_KEY_HEX (null when unset) and its id, TPC_KEY_ID (default demo-key). An
    /// empty variable counts as unset, as in every language's tool. False when TPC_KEY_HEX is
    /// set but not 64 hex digits, after saying so on stderr; the tools then exit with status 2.
    /// </summary>
    internal static bool TryKeyFromEnvironment(out string keyId, out byte[] key)
    {
        keyId = System.Environment.GetEnvironmentVariable("TPC_KEY_ID");
        if (string.IsNullOrEmpty(keyId))
        {
            keyId = "demo-key";
        }

        string hex = System.Environment.GetEnvironmentVariable("TPC_KEY_HEX");
        key = string.IsNullOrEmpty(hex) ? null : ParseKey(hex);
        if (key == null && !string.IsNullOrEmpty(hex))
        {
            System.Console.Error.WriteLine("TPC_KEY_HEX must be 64 hex digits (a 32-byte AES-256 key)");
            return false;
        }

        return true;
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
