using System.CommandLine;
using Conveyor.Cli.Http;
using Conveyor.Cli.Output;

namespace Conveyor.Cli.Commands;

/// <summary><c>queues ls</c>, <c>queues pause</c> and <c>queues resume</c>.</summary>
internal static class QueuesCommands
{
    public static Command Create(CliContext cli) =>
        new("queues", "Queues: their counts, and pausing them") { List(cli), SetPaused(cli, "pause", true), SetPaused(cli, "resume", false) };

    private static Command List(CliContext cli)
    {
        var command = new Command("ls", "List queues with their counts (operator and admin keys)");
        command.SetAction(cli.Remote(async run =>
        {
            var text = await run.Api.GetAsync("v1/queues", null, run.CancellationToken);
            if (run.Json)
            {
                await run.PrintJsonAsync(text);
                return ExitCodes.Success;
            }
            var table = new Table("QUEUE", "PENDING", "SCHEDULED", "RUNNING", "STUCK", "AWAITING", "FAILED", "OLDEST PENDING", "MAX WAITING", "PAUSED")
                .AlignRight("PENDING", "SCHEDULED", "RUNNING", "STUCK", "AWAITING", "FAILED", "OLDEST PENDING", "MAX WAITING");
            foreach (var q in ApiJson.Read<QueueListModel>(text).Queues)
            {
                table.Add(q.Name, q.Pending, q.Scheduled, q.Running, q.Stuck, q.AwaitingInput, q.Failed, Text.Duration(q.OldestPendingAgeSeconds),
                    q.MaxWaiting?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-", q.Paused ? "yes" : "no");
            }
            table.WriteTo(run.Out);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command SetPaused(CliContext cli, string verb, bool paused)
    {
        var name = new Argument<string>("name") { Description = "The queue" };
        var command = new Command(verb, paused ? "Pause a queue: it still accepts jobs, none is started (admin keys)" : "Resume a paused queue (admin keys)") { name };
        command.SetAction(cli.Remote(async run =>
        {
            var queue = run.Value(name);
            var text = await run.Api.PostAsync($"v1/queues/{Uri.EscapeDataString(queue)}/{verb}", null, $"queue '{queue}'", run.CancellationToken);
            if (run.Json)
                await run.PrintJsonAsync(text);
            else
                await run.Out.WriteLineAsync($"queue {queue} {(paused ? "paused" : "resumed")} ({Text.Plural(ApiJson.Read<QueueModel>(text).Pending, "job")} pending)");
            return ExitCodes.Success;
        }));
        return command;
    }
}
