using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Conveyor.Cli.Http;
using Conveyor.Cli.Output;

namespace Conveyor.Cli.Commands;

/// <summary>Arguments and small pieces several commands share.</summary>
internal static class CommonArguments
{
    public static Argument<long> JobId(string description = "The job's id") => new("id")
    {
        Description = description,
        CustomParser = r => ParseJobIds(r).FirstOrDefault(),
    };

    /// <summary>Job ids: whole numbers from 1; anything else is a usage error naming the token.</summary>
    public static long[] ParseJobIds(ArgumentResult result)
    {
        var ids = new long[result.Tokens.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            var token = result.Tokens[i].Value;
            if (!long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]) || ids[i] < 1)
            {
                result.AddError($"id: '{token}' is not a job id (a whole number from 1)");
                return [];
            }
        }
        return ids;
    }

    public static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>A query string from the set values, escaped.</summary>
    public static string Query(params (string Name, object? Value)[] parameters)
    {
        var set = parameters.Where(p => p.Value is not null and not "").Select(p =>
            $"{p.Name}={Uri.EscapeDataString(Convert.ToString(p.Value, CultureInfo.InvariantCulture)!)}").ToList();
        return set.Count == 0 ? "" : "?" + string.Join('&', set);
    }

    /// <summary>How a followed job ended, as one line, and the exit code: 0 only when it succeeded.</summary>
    public static async Task<int> ReportEndAsync(TextWriter output, JobModel job)
    {
        var took = job.FinishedAt - (job.StartedAt ?? job.CreatedAt);
        var attempts = Text.Plural(job.Attempt, "attempt");
        var line = job.State switch
        {
            "succeeded" => $"job {Id(job.Id)} succeeded after {attempts} in {Text.Duration(took?.TotalSeconds)}",
            "failed" => $"job {Id(job.Id)} failed after {attempts}: {Text.OneLine(job.LastError ?? "no error recorded")}",
            _ => $"job {Id(job.Id)} was {job.State}",
        };
        await output.WriteLineAsync(line);
        return job.State == "succeeded" ? ExitCodes.Success : ExitCodes.Failure;
    }

    /// <summary>Seconds from "90", "1.5", "10s", "5m", "1h" or "2d".</summary>
    public static double ParseSeconds(string text, string option)
    {
        var t = text.Trim();
        var unit = t.Length > 0 && char.IsLetter(t[^1]) ? char.ToLowerInvariant(t[^1]) : 's';
        var number = t.Length > 0 && char.IsLetter(t[^1]) ? t[..^1] : t;
        var scale = unit switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86400, _ => 0 };
        if (scale == 0 || !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value < 0)
            throw CliException.Usage($"{option}: '{text}' is not a duration; use seconds or a number with s, m, h or d (90, 10s, 5m, 1h)");
        return value * scale;
    }
}
