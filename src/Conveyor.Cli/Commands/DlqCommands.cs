using System.CommandLine;
using Conveyor.Cli.Http;
using static Conveyor.Cli.Commands.CommonArguments;

namespace Conveyor.Cli.Commands;

/// <summary><c>dlq ls</c> and <c>dlq retry</c>: the dead-letter queue (failed jobs).</summary>
internal static class DlqCommands
{
    private const int MaxIdsPerRequest = 1000;

    public static Command Create(CliContext cli) => new("dlq", "The dead-letter queue: jobs that failed for good") { List(cli), Retry(cli) };

    private static Command List(CliContext cli)
    {
        var type = new Option<string?>("--type", "-t") { Description = "Only this job type" };
        var queue = new Option<string?>("--queue", "-q") { Description = "Only this queue" };
        var limit = new Option<int?>("--limit", "-n") { Description = "At most this many jobs, 1 to 1000 [default: 100]" };
        var cursor = new Option<string?>("--cursor") { Description = "Continue after the previous page (its next cursor)" };
        var command = new Command("ls", "List dead-lettered jobs, newest first") { type, queue, limit, cursor };
        command.SetAction(cli.Remote(async run =>
        {
            var text = await run.Api.GetAsync("v1/dlq" + Query(("type", run.Result.GetValue(type)), ("queue", run.Result.GetValue(queue)),
                ("limit", run.Result.GetValue(limit)), ("cursor", run.Result.GetValue(cursor))), null, run.CancellationToken);
            if (run.Json)
                await run.PrintJsonAsync(text);
            else
                await JobCommands.WriteJobsAsync(run.Out, ApiJson.Read<JobPageModel>(text), "dlq ls", showError: true);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Retry(CliContext cli)
    {
        var ids = new Argument<long[]>("id") { Description = "The dead-lettered jobs to requeue", Arity = ArgumentArity.ZeroOrMore, CustomParser = ParseJobIds };
        var all = new Option<bool>("--all") { Description = "Requeue every dead-lettered job (of --queue and --type, when given)" };
        var type = new Option<string?>("--type", "-t") { Description = "With --all: only this job type" };
        var queue = new Option<string?>("--queue", "-q") { Description = "With --all: only this queue" };
        var command = new Command("retry", "Requeue dead-lettered jobs by id, or all of them") { ids, all, type, queue };
        command.SetAction(cli.Remote(async run =>
        {
            var given = run.Result.GetValue(ids) ?? [];
            var everything = run.Value(all);
            if (given.Length > 0 == everything)
                throw CliException.Usage("give job ids or --all, not both and not neither");
            if (!everything && (run.Result.GetValue(type) is not null || run.Result.GetValue(queue) is not null))
                throw CliException.Usage("--queue and --type go with --all");
            var targets = everything ? await DeadLetterIdsAsync(run, run.Result.GetValue(queue), run.Result.GetValue(type)) : given.Distinct().ToList();
            List<long> requeued = [], skipped = [];
            foreach (var chunk in targets.Chunk(MaxIdsPerRequest))
            {
                var text = await run.Api.PostAsync("v1/dlq/requeue", new { ids = chunk }, null, run.CancellationToken);
                if (run.Json)
                    await run.PrintJsonAsync(text);
                var answer = ApiJson.Read<RequeueManyModel>(text);
                requeued.AddRange(answer.Requeued);
                skipped.AddRange(answer.Skipped);
            }
            if (run.Json && targets.Count == 0)
                await run.PrintJsonAsync("{\"requeued\":[],\"skipped\":[]}");
            if (!run.Json && (requeued.Count > 0 || skipped.Count == 0 || everything))
                await run.Out.WriteLineAsync(requeued.Count == 0 ? "requeued no jobs" : $"requeued {Output.Text.Plural(requeued.Count, "job")}: {string.Join(", ", requeued)}");
            if (skipped.Count == 0 || everything)
                return ExitCodes.Success;   // with --all a job that left the queue meanwhile is no error
            throw new CliException(ExitCodes.Failure,
                $"{Output.Text.Plural(skipped.Count, "job")} not requeued ({string.Join(", ", skipped)}): not found, not visible to this key, or not dead-lettered");
        }));
        return command;
    }

    /// <summary>Every dead-lettered job's id the key sees, page by page.</summary>
    private static async Task<List<long>> DeadLetterIdsAsync(Invocation run, string? queue, string? type)
    {
        var found = new List<long>();
        string? cursor = null;
        do
        {
            var page = ApiJson.Read<JobPageModel>(await run.Api.GetAsync("v1/dlq" + Query(("queue", queue), ("type", type), ("limit", 1000), ("cursor", cursor)), null, run.CancellationToken));
            found.AddRange(page.Jobs.Select(j => j.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return found;
    }
}
