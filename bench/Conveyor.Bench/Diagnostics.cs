using System.Globalization;

namespace Conveyor.Bench;

/// <summary>With <c>--verbose</c>: what the engine did during a figure, on stderr (never mixed with the results).</summary>
internal static class Diagnostics
{
    public static bool Enabled { get; set; }

    public static void Report(string workload, int jobs, TimeSpan elapsed, TimeSpan cpu, Engine engine)
    {
        if (!Enabled)
            return;
        var c = engine.Completions;
        Write($"{workload}: {jobs} jobs in {elapsed.TotalMilliseconds:0.0} ms, process CPU {cpu.TotalMilliseconds:0} ms ({cpu.TotalMicroseconds / jobs:0.0} us/job); claims {c.ClaimCalls} (avg {Avg(c.Claimed, c.ClaimCalls)} jobs), " +
              $"completes {c.CompleteCalls} (avg {Avg(c.Applied, c.CompleteCalls)} jobs); gen0/1/2 GCs so far {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
    }

    public static void Latency(List<double> sortedMs)
    {
        if (!Enabled || sortedMs.Count == 0)
            return;
        double At(double q) => sortedMs[Math.Max(0, (int)Math.Ceiling(q * sortedMs.Count) - 1)];
        Write($"latency ms: min {sortedMs[0]:0.000} p10 {At(0.1):0.000} p50 {At(0.5):0.000} p90 {At(0.9):0.000} p99 {At(0.99):0.000} max {sortedMs[^1]:0.000}");
    }

    /// <summary>The project builds with invariant globalization, so interpolation formats numbers the same everywhere.</summary>
    public static void Write(string message)
    {
        if (Enabled)
            Console.Error.WriteLine(message);
    }

    private static string Avg(long total, long calls) => calls == 0 ? "-" : (total / (double)calls).ToString("0.0", CultureInfo.InvariantCulture);
}
