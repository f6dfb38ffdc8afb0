using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;

namespace TemporalPayloadCodec.Tests
{
    /// <summary>
    /// The binding refuses a library of another ABI version. The library this process loaded is
    /// the real one (and the check's result is cached), so each case runs tests/abi-probe
    /// (AbiProbe.exe, built beside this runner) in a child process that finds a fake library,
    /// compiled here with gcc, through the binding's normal loading paths: LD_LIBRARY_PATH, and
    /// a Mono dllmap beside TemporalPayloadCodec.dll. The fake exports only tpc_abi_version, so
    /// any other native call before the check would fail with EntryPointNotFoundException.
    /// </summary>
    public static class AbiTests
    {
        [Test]
        public static void RefusesALibraryOfAnotherAbiVersion()
        {
            string work = Path.Combine(Path.GetTempPath(), "tpc-abi-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(work);
            try
            {
                string probe = Path.Combine(Path.GetDirectoryName(Assembly.GetExecutingAssembly().Location), "AbiProbe.exe");
                Assert.True(File.Exists(probe), probe + " exists (test.sh builds it)");
                string realLibDir = Fixtures.Env("LD_LIBRARY_PATH");

                // Control: the same probe against the real library succeeds, so the refusals
                // below are about the version and nothing else.
                var control = Run(probe, new Dictionary<string, string> { { "LD_LIBRARY_PATH", realLibDir } });
                Assert.Equal(0, control.Key, "probe with the real library: " + control.Value);
                Assert.Equal(4, control.Value.Split('\n').Count(l => l.EndsWith(": ok", StringComparison.Ordinal)), "entry points ok: " + control.Value);

                foreach (uint version in new uint[] { 1, 3 })
                {
                    string dir = Path.Combine(work, "abi" + version);
                    Directory.CreateDirectory(dir);
                    string lib = FakeLibrary(dir, version);

                    // LD_LIBRARY_PATH: the fake alone on the path.
                    var viaPath = Run(probe, new Dictionary<string, string> { { "LD_LIBRARY_PATH", dir } });
                    ExpectRefusal(viaPath, version, "fake ABI " + version + " through LD_LIBRARY_PATH");

                    // dllmap: a copy of the probe whose TemporalPayloadCodec.dll.config maps the
                    // library to the fake, while LD_LIBRARY_PATH still holds the real one.
                    string app = Path.Combine(dir, "app");
                    Directory.CreateDirectory(app);
                    string binding = Path.Combine(Path.GetDirectoryName(probe), "TemporalPayloadCodec.dll");
                    File.Copy(probe, Path.Combine(app, "AbiProbe.exe"));
                    File.Copy(binding, Path.Combine(app, "TemporalPayloadCodec.dll"));
                    File.WriteAllText(
                        Path.Combine(app, "TemporalPayloadCodec.dll.config"),
                        "<configuration>\n  <dllmap dll=\"temporal_payload_codec\" target=\"" + lib + "\" />\n</configuration>\n");
                    var viaDllmap = Run(Path.Combine(app, "AbiProbe.exe"), new Dictionary<string, string> { { "LD_LIBRARY_PATH", realLibDir } });
                    ExpectRefusal(viaDllmap, version, "fake ABI " + version + " through a dllmap");
                }
            }
            finally
            {
                Directory.Delete(work, true);
            }
        }

        private static void ExpectRefusal(KeyValuePair<int, string> result, uint version, string what)
        {
            Assert.Equal(3, result.Key, what + ": exit status (output: " + result.Value + ")");
            var lines = result.Value.Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(4, lines.Length, what + ": one line per entry point: " + result.Value);
            foreach (string line in lines)
            {
                // Both versions are named: the library's and the binding's.
                Assert.True(
                    line.Contains(": System.InvalidOperationException: ") &&
                    line.Contains("implements C ABI version " + version + ",") &&
                    line.Contains("expects ABI version " + TpcCodec.AbiVersion),
                    what + ": " + line);
            }
        }

        /// <summary>A shared library exporting only tpc_abi_version, returning <paramref name="version"/>.</summary>
        private static string FakeLibrary(string dir, uint version)
        {
            string source = Path.Combine(dir, "fake.c");
            string lib = Path.Combine(dir, "libtemporal_payload_codec.so");
            File.WriteAllText(source, "unsigned int tpc_abi_version(void) { return " + version + "u; }\n");
            var gcc = Run("gcc", "-shared -fPIC -o \"" + lib + "\" \"" + source + "\"", null);
            Assert.Equal(0, gcc.Key, "gcc: " + gcc.Value);
            return lib;
        }

        private static KeyValuePair<int, string> Run(string exe, Dictionary<string, string> env)
        {
            return Run("mono", "--debug \"" + exe + "\"", env);
        }

        private static KeyValuePair<int, string> Run(string file, string arguments, Dictionary<string, string> env)
        {
            var start = new ProcessStartInfo(file, arguments)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            if (env != null)
            {
                foreach (var e in env)
                {
                    start.EnvironmentVariables[e.Key] = e.Value;
                }
            }

            using (var process = Process.Start(start))
            {
                var stderr = process.StandardError.ReadToEndAsync();
                string stdout = process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                return new KeyValuePair<int, string>(process.ExitCode, stdout + stderr.Result);
            }
        }
    }
}
