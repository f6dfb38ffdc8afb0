using System;
using System.IO;
using System.Runtime.InteropServices;

namespace TemporalPayloadCodec
{
    /// <summary>
    /// Finds the native library a NuGet package ships in <c>runtimes/&lt;rid&gt;/native/</c> when the
    /// runtime does not. .NET (Core) needs nothing: the host reads the app's deps.json and loads
    /// the package's native asset from there (or, after <c>dotnet publish -r</c>, from beside the
    /// app). Mono ignores runtimes/: on Mono, before the first P/Invoke, this looks for
    /// <c>runtimes/linux-x64/native/libtemporal_payload_codec.so</c> (or linux-arm64, after the
    /// running process's architecture) beside this assembly, beside the application, and two
    /// folders up (the package's own layout, lib/&lt;tfm&gt;/ next to runtimes/), and maps the
    /// library name to the first one found with a global Mono dllmap. A dllmap in
    /// TemporalPayloadCodec.dll.config still wins (Mono reads an assembly's own map first); when
    /// no such file exists nothing changes (a copy beside the assembly, LD_LIBRARY_PATH).
    /// </summary>
    internal static class NativeLibraryProbe
    {
        private const string FileName = "libtemporal_payload_codec.so";

        private static readonly object Gate = new object();
        private static bool done;

        /// <summary>The file the dllmap points to, or null when none was set.</summary>
        internal static string MappedPath { get; private set; }

        /// <summary>Runs the probe once per process; cheap afterwards. Never throws.</summary>
        internal static void Prepare()
        {
            lock (Gate)
            {
                if (done)
                {
                    return;
                }

                done = true;
                try
                {
                    if (Type.GetType("Mono.Runtime") == null)
                    {
                        return;
                    }

                    string path = Find();
                    if (path != null)
                    {
                        // NULL image: the global map, consulted after the assembly's own.
                        mono_dllmap_insert(IntPtr.Zero, Native.Library, null, path, null);
                        MappedPath = path;
                    }
                }
                catch (Exception)
                {
                    // A Mono without the embedding API exported (or an unreadable folder):
                    // the runtime's own search stays in place, and its error names the fixes.
                }
            }
        }

        /// <summary>The runtime identifier of the running process's architecture, or null.</summary>
        internal static string RuntimeIdentifier()
        {
            // e_machine of the running executable (the ELF header's bytes 18-19, little-endian):
            // no API in every target framework tells x86-64 from aarch64.
            var header = new byte[20];
            using (var exe = File.OpenRead("/proc/self/exe"))
            {
                if (exe.Read(header, 0, header.Length) != header.Length || header[0] != 0x7f || header[1] != (byte)'E')
                {
                    return null;
                }
            }

            switch (header[18] | (header[19] << 8))
            {
                case 62:
                    return "linux-x64";
                case 183:
                    return "linux-arm64";
                default:
                    return null;
            }
        }

        private static string Find()
        {
            string rid = RuntimeIdentifier();
            if (rid == null)
            {
                return null;
            }

            string relative = Path.Combine("runtimes", rid, "native", FileName);
            string assemblyDir = Path.GetDirectoryName(typeof(NativeLibraryProbe).Assembly.Location);
            string[] bases =
            {
                assemblyDir,
                AppDomain.CurrentDomain.BaseDirectory,
                string.IsNullOrEmpty(assemblyDir) ? null : Path.Combine(assemblyDir, "..", ".."),
            };
            foreach (string dir in bases)
            {
                if (string.IsNullOrEmpty(dir))
                {
                    continue;
                }

                string candidate = Path.GetFullPath(Path.Combine(dir, relative));
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            return null;
        }

        // Mono's embedding API (mono/metadata/mono-config.h), exported by the runtime itself.
        [DllImport("__Internal", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        private static extern void mono_dllmap_insert(IntPtr assembly, string dll, string func, string tdll, string tfunc);
    }
}
