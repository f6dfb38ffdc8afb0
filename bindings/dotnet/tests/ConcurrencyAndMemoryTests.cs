using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace TemporalPayloadCodec.Tests
{
    public static class ConcurrencyTests
    {
        /// <summary>16 threads share one codec (and Default), each with its own payloads.</summary>
        [Test]
        public static void SixteenThreadsShareOneCodec()
        {
            const int threads = 16, rounds = 300;
            var errors = new List<Exception>();
            using (var codec = TpcCodec.CreateBuilder().Compression(TpcCompression.Zlib)
                .AddKey("a", Fixtures.KeyA).EncryptionKeyId("a").Build())
            using (var start = new Barrier(threads))
            {
                var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
                {
                    try
                    {
                        start.SignalAndWait();
                        for (int i = 0; i < rounds; i++)
                        {
                            byte[] batch = Fixtures.Batch(
                                Fixtures.Payload("json/plain", "{\"thread\":" + t + ",\"round\":" + i + "}"),
                                Fixtures.Payload("binary/plain", Fixtures.Random(100 + (i * 37 % 3000), (t * 1000) + i)));
                            var c = i % 2 == 0 ? codec : TpcCodec.Default;
                            byte[] back = c.Decode(c.Encode(batch));
                            Assert.Bytes(batch, back, "thread " + t + " round " + i);
                        }
                    }
                    catch (Exception e)
                    {
                        lock (errors)
                        {
                            errors.Add(e);
                        }
                    }
                })).ToList();
                workers.ForEach(w => w.Start());
                workers.ForEach(w => w.Join());
            }

            Assert.True(errors.Count == 0, errors.Count + " threads failed; first: " + errors.FirstOrDefault());
        }

        /// <summary>
        /// Disposing while other threads call: every call either completes or throws
        /// ObjectDisposedException (the SafeHandle keeps the native codec alive for calls in
        /// flight); nothing crashes and nothing else is thrown.
        /// </summary>
        [Test]
        public static void DisposeWhileInUse()
        {
            var codec = TpcCodec.CreateBuilder().AddKey("a", Fixtures.KeyA).EncryptionKeyId("a").Build();
            byte[] batch = Fixtures.Batch(Fixtures.Payload("json/plain", new string('d', 20000)));
            int completed = 0;
            var unexpected = new List<Exception>();
            var disposedSeen = new int[8];
            var workers = Enumerable.Range(0, 8).Select(t => new Thread(() =>
            {
                try
                {
                    while (true)
                    {
                        codec.Decode(codec.Encode(batch));
                        Interlocked.Increment(ref completed);
                    }
                }
                catch (ObjectDisposedException)
                {
                    disposedSeen[t] = 1;
                }
                catch (Exception e)
                {
                    lock (unexpected)
                    {
                        unexpected.Add(e);
                    }
                }
            })).ToList();
            workers.ForEach(w => w.Start());
            while (Volatile.Read(ref completed) < 50)
            {
                Thread.Sleep(1);
            }

            codec.Dispose();
            workers.ForEach(w => w.Join());
            Assert.True(unexpected.Count == 0, "unexpected: " + unexpected.FirstOrDefault());
            Assert.Equal(8, disposedSeen.Sum(), "threads that saw ObjectDisposedException");
        }
    }

    public static class MemoryTests
    {
        [StructLayout(LayoutKind.Sequential)]
        private struct MallInfo2
        {
            public UIntPtr Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
        }

        // glibc 2.33+: the malloc heap's bytes in use, where the library's buffers and codecs
        // live (the Rust library uses the system allocator).
        [DllImport("libc.so.6", EntryPoint = "mallinfo2", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        private static extern MallInfo2 Mallinfo2();

        private static long NativeHeapInUse()
        {
            var m = Mallinfo2();
            return (long)m.Uordblks.ToUInt64() + (long)m.Hblkhd.ToUInt64();
        }

        private static long Rss()
        {
            foreach (string line in File.ReadAllLines("/proc/self/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
                }
            }

            throw new Exception("no VmRSS in /proc/self/status");
        }

        private static void Settle()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }

        private struct Snapshot
        {
            public long Native, Rss, Managed;
        }

        private static Snapshot Take()
        {
            Settle();
            return new Snapshot { Native = NativeHeapInUse(), Rss = Rss(), Managed = GC.GetTotalMemory(true) };
        }

        private static void Steady(string what, Snapshot before, Snapshot after, long nativeSlack, long rssSlack)
        {
            string numbers = what + ": native heap " + before.Native + " -> " + after.Native + " B, RSS " + before.Rss +
                " -> " + after.Rss + " B, managed " + before.Managed + " -> " + after.Managed + " B";
            Console.WriteLine("     " + numbers);
            Assert.True(after.Native - before.Native < nativeSlack, numbers + " (native growth over " + nativeSlack + ")");
            Assert.True(after.Rss - before.Rss < rssSlack, numbers + " (RSS growth over " + rssSlack + ")");
        }

        /// <summary>
        /// 100,000 calls (encode, decode, and failing decodes, whose error buffers must be
        /// freed too): the native heap and RSS stay where they were. A leaked 1 KiB output
        /// per call would be about 100 MB; a leaked error message, several MB.
        /// </summary>
        [Test]
        public static void HundredThousandCallsSteadyMemory()
        {
            byte[] batch = Fixtures.Batch(
                Fixtures.Payload("json/plain", "{\"customer\":\"Ada\",\"items\":[\"tea\",\"cards\"]}"),
                Fixtures.Payload("binary/plain", Fixtures.Random(1000, 7)));
            byte[] corrupt = Fixtures.Batch(Fixtures.Payload("binary/snappy", "not snappy"));
            using (var codec = TpcCodec.CreateBuilder().AddKey("a", Fixtures.KeyA).EncryptionKeyId("a").Build())
            {
                Action<int> run = n =>
                {
                    for (int i = 0; i < n; i++)
                    {
                        var c = i % 2 == 0 ? codec : TpcCodec.Default;
                        switch (i % 4)
                        {
                            case 0:
                            case 1:
                                c.Encode(batch);
                                break;
                            case 2:
                                c.Decode(codec.Encode(batch));
                                break;
                            default:
                                try
                                {
                                    c.Decode(corrupt);
                                    throw new Exception("corrupt input decoded");
                                }
                                catch (TpcException e)
                                {
                                    Assert.Equal(TpcStatus.CorruptPayload, e.Status, "status");
                                }

                                break;
                        }
                    }
                };
                run(10000); // warm up: JIT, GC heap sizes, malloc arenas
                var before = Take();
                run(100000);
                var after = Take();
                Steady("100,000 calls", before, after, 1 << 20, 16 << 20);
            }
        }

        /// <summary>Codecs built and disposed, or dropped for the finalizer: their native memory returns.</summary>
        [Test]
        public static void CodecHandlesReleased()
        {
            Action<int, bool> churn = (n, dispose) =>
            {
                for (int i = 0; i < n; i++)
                {
                    var codec = TpcCodec.CreateBuilder().Compression(TpcCompression.Zlib)
                        .AddKey("a", Fixtures.KeyA).AddKey("b", Fixtures.KeyB).EncryptionKeyId("a").Build();
                    if (dispose)
                    {
                        codec.Dispose();
                    }
                }
            };
            churn(1000, true);
            var before = Take();
            churn(20000, true);
            var afterDisposed = Take();
            Steady("20,000 codecs disposed", before, afterDisposed, 1 << 20, 16 << 20);
            churn(20000, false); // released by the SafeHandle finalizer in Settle()
            var afterDropped = Take();
            // Only the native heap is checked here: Mono's GC heap grows with 20,000
            // finalizable objects and keeps the pages, which shows in RSS but is not ours.
            Steady("20,000 codecs left to the finalizer", before, afterDropped, 1 << 20, long.MaxValue);
        }
    }
}
