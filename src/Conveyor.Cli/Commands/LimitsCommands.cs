using System.Globalization;
using System.CommandLine;
using Conveyor.Cli.Http;
using Conveyor.Cli.Output;

namespace Conveyor.Cli.Commands;

/// <summary><c>limits ls</c>: the configured limits (cluster-wide throttles) and their keys.</summary>
internal static class LimitsCommands
{
    public static Command Create(CliContext cli) =>
        new("limits", "Limits (cluster-wide throttles): what they allow and what waits on them") { List(cli) };

    private static Command List(CliContext cli)
    {
        var command = new Command("ls", "List limits with each key's running and waiting jobs and starts in the rate window");
        command.SetAction(cli.Remote(async run =>
        {
            var text = await run.Api.GetAsync("v1/limits", null, run.CancellationToken);
            if (run.Json)
            {
                await run.PrintJsonAsync(text);
                return ExitCodes.Success;
            }
            var table = new Table("LIMIT", "GOVERNS", "MAX RUNNING", "RATE", "PARTITION", "KEY", "RUNNING", "WAITING", "STARTS")
                .AlignRight("MAX RUNNING", "RUNNING", "WAITING", "STARTS");
            foreach (var l in ApiJson.Read<LimitListModel>(text).Limits)
            {
                var governs = l.Type is not null ? $"type {l.Type}" : $"queue {l.Queue}";
                var max = l.MaxRunning?.ToString(CultureInfo.InvariantCulture) ?? Text.None;
                var rate = l.RateCount is { } count ? $"{count.ToString(CultureInfo.InvariantCulture)}/{Text.Duration(l.RatePeriodSeconds)}" : Text.None;
                var partition = l.PayloadProperty is { } property ? $"payload.{property}" : l.Partition;
                if (l.Keys.Count == 0)
                    table.Add(l.Name, governs, max, rate, partition, Text.None, 0, 0, 0);
                foreach (var k in l.Keys)
                    table.Add(l.Name, governs, max, rate, partition, k.Partition ?? Text.None, k.Running, k.Waiting, k.StartsInWindow);
            }
            table.WriteTo(run.Out);
            return ExitCodes.Success;
        }));
        return command;
    }
}
