using System.Globalization;
using Conveyor.Cli.Http;

namespace Conveyor.Cli.Output;

/// <summary>How the CLI writes values: times in UTC, durations in short units, missing values as a dash.</summary>
internal static class Text
{
    public const string None = "-";

    public static string Cell(object? value) => value switch
    {
        null => None,
        string s => s.Length == 0 ? None : OneLine(s),
        DateTimeOffset t => Time(t),
        double d => d.ToString("0.##", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => OneLine(value.ToString() ?? None),
    };

    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : None;

    public static string Duration(double? seconds) => seconds switch
    {
        null => None,
        < 1 => $"{Math.Round(seconds.Value * 1000).ToString(CultureInfo.InvariantCulture)} ms",
        < 60 => $"{seconds.Value.ToString("0.#", CultureInfo.InvariantCulture)} s",
        < 3600 => $"{Math.Floor(seconds.Value / 60).ToString(CultureInfo.InvariantCulture)}m{(seconds.Value % 60).ToString("00", CultureInfo.InvariantCulture)}s",
        _ => $"{Math.Floor(seconds.Value / 3600).ToString(CultureInfo.InvariantCulture)}h{Math.Floor(seconds.Value % 3600 / 60).ToString("00", CultureInfo.InvariantCulture)}m",
    };

    public static string Progress(ProgressModel? progress)
    {
        if (progress is null)
            return None;
        var parts = new[] { progress.Percent is { } p ? $"{p.ToString("0.#", CultureInfo.InvariantCulture)}%" : null, progress.Phase, progress.Message };
        return string.Join(" · ", parts.Where(s => !string.IsNullOrEmpty(s)));
    }

    public static string Plural(long count, string noun) => count == 1 ? $"1 {noun}" : $"{count.ToString(CultureInfo.InvariantCulture)} {noun}s";

    public static string OneLine(string text) => text.ReplaceLineEndings(" ");

    public static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
