using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Conveyor.Bench;

/// <summary>
/// One figure: a workload's throughput (with its raw limit) or its latency percentiles. <see cref="Processes"/> is
/// the number of worker processes the harness launched for it, null when the engine ran inside the harness.
/// </summary>
internal sealed record BenchResult(
    string Store,
    string Workload,
    int Jobs,
    int? Workers,
    double Seconds,
    double? PerSec,
    double? LimitPerSec,
    double? P50Ms,
    double? P99Ms,
    int? Processes = null)
{
    public double? Ratio => PerSec is { } p && LimitPerSec is { } l && l > 0 ? p / l : null;

    public static BenchResult Throughput(string store, string workload, int jobs, int? workers, double seconds, double? limitSeconds) =>
        new(store, workload, jobs, workers, seconds, jobs / seconds, limitSeconds is { } l ? jobs / l : null, null, null);

    /// <summary>One JSON object on one line with exactly the agreed fields, nulls included.</summary>
    public string ToJsonLine()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("store", Store);
            w.WriteString("workload", Workload);
            w.WriteNumber("jobs", Jobs);
            Number(w, "workers", Workers, 0);
            Number(w, "processes", Processes, 0);
            w.WriteNumber("seconds", Math.Round(Seconds, 4));
            // Small rates (idle_qps's queries per second) keep two decimals; job rates are whole numbers.
            Number(w, "per_sec", PerSec, PerSec < 100 ? 2 : 0);
            Number(w, "limit_per_sec", LimitPerSec, 0);
            Number(w, "ratio", Ratio, 3);
            Number(w, "p50_ms", P50Ms, 3);
            Number(w, "p99_ms", P99Ms, 3);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Number(Utf8JsonWriter w, string name, double? value, int decimals)
    {
        if (value is { } v)
            w.WriteNumber(name, Math.Round(v, decimals));
        else
            w.WriteNull(name);
    }

    public static string Table(IReadOnlyList<BenchResult> results)
    {
        string[] header = ["store", "workload", "jobs", "workers", "processes", "seconds", "per_sec", "limit_per_sec", "ratio", "p50_ms", "p99_ms"];
        var rows = results.Select(r => new[]
        {
            r.Store, r.Workload, Format(r.Jobs, "0"), Format(r.Workers, "0"), Format(r.Processes, "0"), Format(r.Seconds, "0.000"),
            Format(r.PerSec, "#,0"), Format(r.LimitPerSec, "#,0"), Format(r.Ratio, "0.00"), Format(r.P50Ms, "0.000"), Format(r.P99Ms, "0.000"),
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        Line(header);
        text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
            Line(row);
        return text.ToString();

        void Line(string[] cells) =>
            text.AppendLine(string.Join("  ", cells.Select((c, i) => i < 2 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd());
    }

    private static string Format(double? value, string format) =>
        value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
}
