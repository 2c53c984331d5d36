using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Conveyor.Cli.Http;
using Conveyor.Cli.Output;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor enqueue &lt;type&gt;</c>: submits one job; with <c>--wait</c>, follows it to its end.</summary>
internal static class EnqueueCommand
{
    public static Command Create(CliContext cli)
    {
        var type = new Argument<string>("type") { Description = "The job type (its registered kind name)" };
        var payload = new Option<string?>("--payload", "-p") { Description = "The payload as JSON [default: {}]", HelpName = "json" };
        var payloadFile = new Option<FileInfo?>("--payload-file", "-f") { Description = "Read the payload's JSON from this file", HelpName = "path" };
        var priority = new Option<string?>("--priority") { Description = "critical, high, normal or low [default: the job type's]" };
        priority.AcceptOnlyFromAmong("critical", "high", "normal", "low");
        var queue = new Option<string?>("--queue", "-q") { Description = "The queue [default: routed by type]" };
        var delay = new Option<string?>("--delay") { Description = "Run after this long: seconds, or 10s, 5m, 1h, 2d", HelpName = "duration" };
        var runAt = new Option<DateTimeOffset?>("--run-at") { Description = "Run at this time (RFC 3339, e.g. 2026-11-23T08:00:00Z)", HelpName = "time" };
        var concurrencyKey = new Option<string?>("--concurrency-key") { Description = "Jobs sharing this key run one at a time", HelpName = "key" };
        var idempotencyKey = new Option<string?>("--idempotency-key") { Description = "Submitting the same key again returns the existing job", HelpName = "key" };
        var maxAttempts = new Option<int?>("--max-attempts") { Description = "At most this many attempts [default: the job type's]", HelpName = "n" };
        var tags = new Option<string[]>("--tag") { Description = "A tag; repeat for more", HelpName = "tag" };
        var wait = new Option<bool>("--wait", "-w") { Description = "Follow the job until it ends; exit 0 only if it succeeded" };
        var command = new Command("enqueue", "Submit a job")
        {
            type, payload, payloadFile, priority, queue, delay, runAt, concurrencyKey, idempotencyKey, maxAttempts, tags, wait,
        };
        command.SetAction(cli.Remote(async run =>
        {
            var body = new Dictionary<string, object?> { ["type"] = run.Value(type) };
            body["payload"] = ReadPayload(run.Result.GetValue(payload), run.Result.GetValue(payloadFile));
            Set(body, "priority", run.Result.GetValue(priority));
            Set(body, "queue", run.Result.GetValue(queue));
            if (run.Result.GetValue(delay) is { } d)
                body["delaySeconds"] = CommonArguments.ParseSeconds(d, "delay");
            Set(body, "runAt", run.Result.GetValue(runAt));
            Set(body, "concurrencyKey", run.Result.GetValue(concurrencyKey));
            Set(body, "idempotencyKey", run.Result.GetValue(idempotencyKey));
            Set(body, "maxAttempts", run.Result.GetValue(maxAttempts));
            if (run.Result.GetValue(tags) is { Length: > 0 } t)
                body["tags"] = t;

            var text = await run.Api.PostAsync("v1/jobs", body, null, run.CancellationToken);
            var job = ApiJson.Read<JobModel>(text);
            if (!run.Value(wait))
            {
                if (run.Json)
                    await run.PrintJsonAsync(text);
                else
                    await run.Out.WriteLineAsync(Submitted(job));
                return ExitCodes.Success;
            }
            if (!run.Json)
                await run.Out.WriteLineAsync(Submitted(job));
            var done = await JobFollower.FollowAsync(run.Api, job.Id, async (e, _) =>
            {
                if (!run.Json)
                    await run.Out.WriteLineAsync(JobCommands.EventLine(e));
            }, run.CancellationToken);
            if (!run.Json)
                return await CommonArguments.ReportEndAsync(run.Out, done);
            await run.PrintJsonAsync(await run.Api.GetAsync($"v1/jobs/{CommonArguments.Id(job.Id)}", $"job {CommonArguments.Id(job.Id)}", run.CancellationToken));
            return done.State == "succeeded" ? ExitCodes.Success : ExitCodes.Failure;
        }));
        return command;
    }

    private static string Submitted(JobModel job) =>
        $"job {CommonArguments.Id(job.Id)} enqueued: {job.Type} on queue {job.Queue}, {job.State}" +
        (job.State == "scheduled" ? $" until {Text.Time(job.RunAt)}" : "");

    private static void Set(Dictionary<string, object?> body, string name, object? value)
    {
        if (value is not null)
            body[name] = value;
    }

    /// <summary>The payload from --payload or --payload-file, checked to be JSON before anything is sent.</summary>
    internal static JsonElement ReadPayload(string? inline, FileInfo? file)
    {
        if (inline is not null && file is not null)
            throw CliException.Usage("give --payload or --payload-file, not both");
        string json, source;
        if (file is not null)
        {
            source = $"payload file '{file.FullName}'";
            try
            {
                json = File.ReadAllText(file.FullName);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw CliException.Usage($"{source}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : ApiErrors.Sentence(e.Message))}");
            }
        }
        else
        {
            source = "payload";
            json = inline ?? "{}";
        }
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" (line {(line + 1).ToString(CultureInfo.InvariantCulture)}, column {((e.BytePositionInLine ?? 0) + 1).ToString(CultureInfo.InvariantCulture)})" : "";
            throw CliException.Usage($"{source}: is not valid JSON{where}");
        }
    }
}
