using System.CommandLine;
using Conveyor.Cli.Http;
using Conveyor.Cli.Output;
using static Conveyor.Cli.Commands.CommonArguments;

namespace Conveyor.Cli.Commands;

/// <summary><c>status</c>, <c>ls</c>, <c>cancel</c> and <c>retry</c>: one job or a list of them.</summary>
internal static class JobCommands
{
    public static IEnumerable<Command> Create(CliContext cli) => [Status(cli), List(cli), Cancel(cli), Retry(cli)];

    /// <summary>One history event as a line: time, kind, attempt, message.</summary>
    public static string EventLine(EventModel e) =>
        $"  {e.At.ToUniversalTime():HH:mm:ss.fff}  {e.Kind,-16} attempt {e.Attempt}  {Text.Cut(Text.OneLine(e.Message ?? ""), 100)}".TrimEnd();

    private static Command Status(CliContext cli)
    {
        var id = JobId();
        var command = new Command("status", "Show a job and its history") { id };
        command.SetAction(cli.Remote(async run =>
        {
            var jobId = Id(run.Value(id));
            var jobText = await run.Api.GetAsync($"v1/jobs/{jobId}", $"job {jobId}", run.CancellationToken);
            var historyText = await run.Api.GetAsync($"v1/jobs/{jobId}/history", $"job {jobId}", run.CancellationToken);
            if (run.Json)
            {
                await run.PrintJsonAsync($"{{\"job\":{jobText.Trim()},\"history\":{historyText.Trim()}}}");
                return ExitCodes.Success;
            }
            var job = ApiJson.Read<JobModel>(jobText);
            var fields = new List<(string, string)>
            {
                ("job", Id(job.Id)), ("type", job.Type), ("queue", job.Queue), ("state", job.State + (job.CancelRequested && !job.IsFinished ? " (cancel requested)" : "")),
                ("priority", job.Priority), ("attempt", $"{job.Attempt} of {job.MaxAttempts}"), ("progress", Text.Progress(job.Progress)),
                ("owner", Owner(job.Owner)), ("tags", job.Tags is { Count: > 0 } tags ? string.Join(", ", tags) : Text.None),
                ("concurrency key", job.ConcurrencyKey ?? Text.None), ("idempotency key", job.IdempotencyKey ?? Text.None),
                ("created", Text.Time(job.CreatedAt)), ("run at", Text.Time(job.RunAt)), ("started", Text.Time(job.StartedAt)), ("finished", Text.Time(job.FinishedAt)),
                ("payload", Text.Cut(job.Payload.GetRawText(), 200)),
            };
            if (job.Result is { } result)
                fields.Add(("result", Text.Cut(result.GetRawText(), 200)));
            foreach (var artifact in job.Artifacts ?? [])
                fields.Add(("artifact", $"{artifact.Name}: {artifact.Location}{(artifact.ContentType is { } type ? $" ({type})" : "")}"));
            if (job.LastError is { } error)
                fields.Add(("last error", Text.OneLine(error)));
            var width = fields.Max(f => f.Item1.Length);
            foreach (var (name, value) in fields)
                await run.Out.WriteLineAsync($"{(name + ":").PadRight(width + 1)}  {value}");
            var history = ApiJson.Read<EventPageModel>(historyText);
            await run.Out.WriteLineAsync();
            await run.Out.WriteLineAsync("history:");
            foreach (var e in history.Events)
                await run.Out.WriteLineAsync(EventLine(e));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        var state = new Option<string?>("--state", "-s") { Description = "Only these states, comma-separated: scheduled, pending, running, awaiting_input, succeeded, failed, cancelled" };
        var type = new Option<string?>("--type", "-t") { Description = "Only this job type" };
        var queue = new Option<string?>("--queue", "-q") { Description = "Only this queue" };
        var owner = new Option<string?>("--owner") { Description = "Only jobs submitted by this user" };
        var tenant = new Option<string?>("--tenant") { Description = "Only this tenant's jobs (admin keys)" };
        var limit = new Option<int?>("--limit", "-n") { Description = "At most this many jobs, 1 to 1000 [default: 100]" };
        var cursor = new Option<string?>("--cursor") { Description = "Continue after the previous page (its next cursor)" };
        var command = new Command("ls", "List jobs, newest first") { state, type, queue, owner, tenant, limit, cursor };
        command.SetAction(cli.Remote(async run =>
        {
            var text = await run.Api.GetAsync("v1/jobs" + Query(
                ("state", run.Result.GetValue(state)), ("type", run.Result.GetValue(type)), ("queue", run.Result.GetValue(queue)),
                ("owner", run.Result.GetValue(owner)), ("tenant", run.Result.GetValue(tenant)), ("limit", run.Result.GetValue(limit)),
                ("cursor", run.Result.GetValue(cursor))), null, run.CancellationToken);
            if (run.Json)
            {
                await run.PrintJsonAsync(text);
                return ExitCodes.Success;
            }
            await WriteJobsAsync(run.Out, ApiJson.Read<JobPageModel>(text), "ls");
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>A page of jobs as a table, then how to get the next page.</summary>
    public static async Task WriteJobsAsync(TextWriter output, JobPageModel page, string command, bool showError = false)
    {
        if (page.Jobs.Count == 0)
        {
            await output.WriteLineAsync("no jobs");
            return;
        }
        var table = showError
            ? new Table("ID", "TYPE", "QUEUE", "ATTEMPTS", "FAILED", "LAST ERROR").AlignRight("ID", "ATTEMPTS")
            : new Table("ID", "TYPE", "QUEUE", "STATE", "PRIORITY", "ATTEMPT", "PROGRESS", "CREATED").AlignRight("ID", "ATTEMPT");
        foreach (var j in page.Jobs)
        {
            if (showError)
                table.Add(j.Id, j.Type, j.Queue, j.Attempt, j.FinishedAt, j.LastError);
            else
                table.Add(j.Id, j.Type, j.Queue, j.State, j.Priority, $"{j.Attempt}/{j.MaxAttempts}", Text.Progress(j.Progress), j.CreatedAt);
        }
        table.WriteTo(output);
        if (page.NextCursor is { } next)
            await output.WriteLineAsync($"more: conveyor {command} --cursor {next}");
    }

    private static Command Cancel(CliContext cli)
    {
        var id = JobId("The job to cancel");
        var command = new Command("cancel", "Cancel a waiting job, or ask a running one to stop") { id };
        command.SetAction(cli.Remote(async run =>
        {
            var jobId = Id(run.Value(id));
            var text = await run.Api.PostAsync($"v1/jobs/{jobId}/cancel", null, $"job {jobId}", run.CancellationToken);
            if (run.Json)
                await run.PrintJsonAsync(text);
            else
                await run.Out.WriteLineAsync(ApiJson.Read<JobModel>(text) is { State: "cancelled" }
                    ? $"job {jobId} cancelled"
                    : $"job {jobId} is running; it was asked to stop and will end as cancelled when its handler stops");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Retry(CliContext cli)
    {
        var id = JobId("The dead-lettered (failed) job to requeue");
        var command = new Command("retry", "Requeue a job from the dead-letter queue") { id };
        command.SetAction(cli.Remote(async run =>
        {
            var jobId = Id(run.Value(id));
            var text = await run.Api.PostAsync($"v1/jobs/{jobId}/requeue", null, $"job {jobId}", run.CancellationToken);
            if (run.Json)
                await run.PrintJsonAsync(text);
            else
                await run.Out.WriteLineAsync($"job {jobId} requeued on queue {ApiJson.Read<JobModel>(text).Queue}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static string Owner(OwnerModel? owner) => owner is null ? Text.None
        : $"{owner.User ?? Text.None}{(owner.Tenant is { } t ? $" (tenant {t})" : "")}{(owner.Roles is { Count: > 0 } r ? $", roles {string.Join(", ", r)}" : "")}";
}
