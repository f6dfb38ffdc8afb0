using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;

namespace TemporalPayloadCodec.Tests
{
    /// <summary>Marks a public static parameterless method as a test.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class TestAttribute : Attribute
    {
    }

    /// <summary>
    /// A minimal test runner (no NuGet here, so no NUnit/xUnit): runs every [Test] method of
    /// this assembly, or those whose name contains an argument, prints one line per test and
    /// closes with "N passed, N failed"; exits 1 when anything failed or nothing ran.
    /// </summary>
    public static class TestRunner
    {
        public static int Main(string[] args)
        {
            var tests = typeof(TestRunner).Assembly.GetTypes()
                .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
                .Where(m => m.GetCustomAttributes(typeof(TestAttribute), false).Length > 0)
                .Where(m => args.Length == 0 || args.Any(a => (m.DeclaringType.Name + "." + m.Name).Contains(a)))
                .OrderBy(m => m.DeclaringType.Name + "." + m.Name, StringComparer.Ordinal)
                .ToList();
            int passed = 0, failed = 0;
            foreach (var test in tests)
            {
                string name = test.DeclaringType.Name + "." + test.Name;
                var watch = Stopwatch.StartNew();
                try
                {
                    test.Invoke(null, null);
                    passed++;
                    Console.WriteLine("PASS " + name + " (" + watch.ElapsedMilliseconds + " ms)");
                }
                catch (TargetInvocationException e)
                {
                    failed++;
                    Console.WriteLine("FAIL " + name + " (" + watch.ElapsedMilliseconds + " ms)");
                    Console.WriteLine("     " + e.InnerException.ToString().Replace("\n", "\n     "));
                }
            }

            Console.WriteLine();
            Console.WriteLine(passed + " passed, " + failed + " failed");
            return failed == 0 && passed > 0 ? 0 : 1;
        }
    }

    /// <summary>Assertions that say what differed.</summary>
    public static class Assert
    {
        public static void True(bool condition, string message)
        {
            if (!condition)
            {
                throw new Exception("assertion failed: " + message);
            }
        }

        public static void Equal<T>(T expected, T actual, string what)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
            {
                throw new Exception(what + ": expected <" + expected + ">, got <" + actual + ">");
            }
        }

        public static void Bytes(byte[] expected, byte[] actual, string what)
        {
            if (expected.Length != actual.Length)
            {
                throw new Exception(what + ": expected " + expected.Length + " bytes, got " + actual.Length);
            }

            for (int i = 0; i < expected.Length; i++)
            {
                if (expected[i] != actual[i])
                {
                    throw new Exception(what + ": first difference at byte " + i + " of " + expected.Length);
                }
            }
        }

        public static T Throws<T>(Action action, string what)
            where T : Exception
        {
            try
            {
                action();
            }
            catch (T e)
            {
                return e;
            }
            catch (Exception e)
            {
                throw new Exception(what + ": expected " + typeof(T).Name + ", got " + e.GetType().Name + ": " + e.Message, e);
            }

            throw new Exception(what + ": expected " + typeof(T).Name + ", nothing was thrown");
        }

        /// <summary>Expects a TpcException with <paramref name="status"/> and returns it.</summary>
        public static TpcException Status(TpcStatus status, Action action, string what)
        {
            var e = Throws<TpcException>(action, what);
            if (e.Status != status)
            {
                throw new Exception(what + ": expected " + status + ", got " + e.Status + ": " + e.Message, e);
            }

            return e;
        }
    }
}
