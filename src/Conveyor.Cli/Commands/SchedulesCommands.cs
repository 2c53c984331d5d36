using System.CommandLine;
using Conveyor.Cli.Http;
using Conveyor.Cli.Output;

namespace Conveyor.Cli.Commands;

/// <summary><c>schedules ls|add|pause|resume|rm|trigger</c>: recurring schedules.</summary>
internal static class SchedulesCommands
{
    public static Command Create(CliContext cli) =>
        new("schedules", "Recurring schedules: cron expressions that enqueue a job at every tick")
        {
            List(cli), Add(cli), SetPaused(cli, "pause", true), SetPaused(cli, "resume", false), Remove(cli), Trigger(cli),
        };

    private static Command List(CliContext cli)
    {
        var command = new Command("ls", "List schedules with their next tick");
        command.SetAction(cli.Remote(async run =>
        {
            var text = await run.Api.GetAsync("v1/schedules", null, run.CancellationToken);
            if (run.Json)
            {
                await run.PrintJsonAsync(text);
                return ExitCodes.Success;
            }
            var table = new Table("SCHEDULE", "CRON", "ZONE", "TYPE", "NEXT", "LAST JOB", "SOURCE", "PAUSED");
            foreach (var s in ApiJson.Read<ScheduleListModel>(text).Schedules)
            {
                table.Add(s.Name, s.Cron, s.TimeZone, s.Type, s.Paused ? "-" : Text.Time(s.NextFireAt),
                    s.LastJobId is { } id ? CommonArguments.Id(id) : "-", s.Source, s.Paused ? $"yes ({s.PausedBy ?? "?"})" : "no");
            }
            table.WriteTo(run.Out);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Add(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "The schedule's name (adding an existing name replaces it)" };
        var cron = new Argument<string>("cron") { Description = "Five fields (minute hour day month weekday), or six with seconds first; quote it" };
        var type = new Argument<string>("type") { Description = "The job type each tick enqueues" };
        var payload = new Option<string?>("--payload", "-p") { Description = "The payload as JSON [default: {}]", HelpName = "json" };
        var payloadFile = new Option<FileInfo?>("--payload-file", "-f") { Description = "Read the payload's JSON from this file", HelpName = "path" };
        var zone = new Option<string?>("--time-zone", "--tz") { Description = "The IANA time zone of the expression [default: UTC]", HelpName = "zone" };
        var queue = new Option<string?>("--queue", "-q") { Description = "The queue [default: routed by type]" };
        var priority = new Option<string?>("--priority") { Description = "critical, high, normal or low [default: the job type's]" };
        priority.AcceptOnlyFromAmong("critical", "high", "normal", "low");
        var misfire = new Option<string?>("--misfire") { Description = "After downtime: skip, fireOnce or fireEach [default: fireOnce]" };
        misfire.AcceptOnlyFromAmong("skip", "fireOnce", "fireEach");
        var maxCatchUp = new Option<int?>("--max-catch-up") { Description = "With fireEach, the most missed ticks that fire [default: 10]", HelpName = "n" };
        var overlap = new Option<string?>("--overlap") { Description = "While the previous job runs: allow, skip or queue [default: allow]" };
        overlap.AcceptOnlyFromAmong("allow", "skip", "queue");
        var command = new Command("add", "Add or replace a schedule (operator and admin keys)")
        {
            name, cron, type, payload, payloadFile, zone, queue, priority, misfire, maxCatchUp, overlap,
        };
        command.SetAction(cli.Remote(async run =>
        {
            var body = new Dictionary<string, object?>
            {
                ["name"] = run.Value(name),
                ["cron"] = run.Value(cron),
                ["type"] = run.Value(type),
                ["payload"] = EnqueueCommand.ReadPayload(run.Result.GetValue(payload), run.Result.GetValue(payloadFile)),
            };
            void Set(string field, object? value)
            {
                if (value is not null)
                    body[field] = value;
            }
            Set("timeZone", run.Result.GetValue(zone));
            Set("queue", run.Result.GetValue(queue));
            Set("priority", run.Result.GetValue(priority));
            Set("misfire", run.Result.GetValue(misfire));
            Set("maxCatchUp", run.Result.GetValue(maxCatchUp));
            Set("overlap", run.Result.GetValue(overlap));
            var text = await run.Api.PostAsync("v1/schedules", body, null, run.CancellationToken);
            if (run.Json)
            {
                await run.PrintJsonAsync(text);
                return ExitCodes.Success;
            }
            var s = ApiJson.Read<ScheduleModel>(text);
            await run.Out.WriteLineAsync($"schedule {s.Name} saved: '{s.Cron}' in {s.TimeZone} enqueues {s.Type}; next tick {Text.Time(s.NextFireAt)}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command SetPaused(CliContext cli, string verb, bool paused)
    {
        var name = new Argument<string>("name") { Description = "The schedule" };
        var command = new Command(verb, paused
            ? "Pause a schedule: no tick fires until it is resumed (operator and admin keys)"
            : "Resume a schedule from its next tick; ticks that fell in the pause do not fire (operator and admin keys)") { name };
        command.SetAction(cli.Remote(async run =>
        {
            var schedule = run.Value(name);
            var text = await run.Api.PostAsync($"v1/schedules/{Uri.EscapeDataString(schedule)}/{verb}", null, $"schedule '{schedule}'", run.CancellationToken);
            if (run.Json)
                await run.PrintJsonAsync(text);
            else
                await run.Out.WriteLineAsync(paused ? $"schedule {schedule} paused" : $"schedule {schedule} resumed; next tick {Text.Time(ApiJson.Read<ScheduleModel>(text).NextFireAt)}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Remove(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "The schedule" };
        var command = new Command("rm", "Remove a schedule; one defined in code returns when a process defining it starts (operator and admin keys)") { name };
        command.SetAction(cli.Remote(async run =>
        {
            var schedule = run.Value(name);
            await run.Api.DeleteAsync($"v1/schedules/{Uri.EscapeDataString(schedule)}", $"schedule '{schedule}'", run.CancellationToken);
            if (run.Json)
                await run.PrintJsonAsync("""{"removed":true}""");
            else
                await run.Out.WriteLineAsync($"schedule {schedule} removed");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Trigger(CliContext cli)
    {
        var name = new Argument<string>("name") { Description = "The schedule" };
        var command = new Command("trigger", "Enqueue one job of the schedule now, without moving its next tick (operator and admin keys)") { name };
        command.SetAction(cli.Remote(async run =>
        {
            var schedule = run.Value(name);
            var text = await run.Api.PostAsync($"v1/schedules/{Uri.EscapeDataString(schedule)}/trigger", null, $"schedule '{schedule}'", run.CancellationToken);
            if (run.Json)
            {
                await run.PrintJsonAsync(text);
                return ExitCodes.Success;
            }
            var job = ApiJson.Read<JobModel>(text);
            await run.Out.WriteLineAsync($"job {CommonArguments.Id(job.Id)} enqueued from schedule {schedule}: {job.Type} on queue {job.Queue}, {job.State}");
            return ExitCodes.Success;
        }));
        return command;
    }
}
