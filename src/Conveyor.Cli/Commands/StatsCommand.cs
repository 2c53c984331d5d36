using System.CommandLine;
using Conveyor.Cli.Http;
using Conveyor.Cli.Output;
using static Conveyor.Cli.Commands.CommonArguments;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor stats</c>: counts by state and type, run times and stuck jobs.</summary>
internal static class StatsCommand
{
    private static readonly string[] States = ["scheduled", "pending", "running", "awaiting_input", "succeeded", "failed", "cancelled"];

    public static Command Create(CliContext cli)
    {
        var window = new Option<string?>("--window") { Description = "Run times over this last stretch: seconds, or 10m, 1h, 1d [default: 1h]", HelpName = "duration" };
        var tenant = new Option<string?>("--tenant") { Description = "Only this tenant (admin keys; others see their own)" };
        var command = new Command("stats", "Job counts by state and type, run times (mean, p95) and stuck jobs") { window, tenant };
        command.SetAction(cli.Remote(async run =>
        {
            var seconds = run.Result.GetValue(window) is { } w ? ParseSeconds(w, "window") : (double?)null;
            var text = await run.Api.GetAsync("v1/stats" + Query(("windowSeconds", seconds), ("tenant", run.Result.GetValue(tenant))), null, run.CancellationToken);
            if (run.Json)
            {
                await run.PrintJsonAsync(text);
                return ExitCodes.Success;
            }
            var stats = ApiJson.Read<StatsModel>(text);
            var table = new Table(["TYPE", .. States.Select(s => s.ToUpperInvariant().Replace('_', ' ')), "RUNS", "MEAN", "P95"])
                .AlignRight([.. States.Select(s => s.ToUpperInvariant().Replace('_', ' ')), "RUNS", "MEAN", "P95"]);
            foreach (var t in stats.Types.OrderBy(t => t.Type, StringComparer.Ordinal))
                table.Add([t.Type, .. Counts(t.States), t.Durations.Count, Text.Duration(t.Durations.AverageSeconds), Text.Duration(t.Durations.P95Seconds)]);
            table.Add(["all", .. Counts(stats.States), stats.Durations.Count, Text.Duration(stats.Durations.AverageSeconds), Text.Duration(stats.Durations.P95Seconds)]);
            table.WriteTo(run.Out);
            await run.Out.WriteLineAsync($"stuck (running past their lease): {stats.Stuck}; run times over the last {Text.Duration(stats.WindowSeconds)}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static IEnumerable<object?> Counts(IReadOnlyDictionary<string, long> states) =>
        States.Select(s => (object?)(states.TryGetValue(s, out var n) ? n : 0L));
}
