using System.Globalization;

namespace Conveyor.Cli.Tests;

public sealed class JobCommandsTests(CliServer server) : IClassFixture<CliServer>
{
    private static string S(long id) => id.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Status_shows_the_job_and_its_history()
    {
        var id = await server.EnqueueAsync("test.phases", """{"gate":null}""", "--tag", "status");
        await server.WaitForStateAsync(id, "succeeded");

        var status = (await server.RunAsync("status", S(id))).AssertSuccess();
        Assert.Contains($"job:", status.Out);
        Assert.Matches(@"(?m)^type:\s+test\.phases$", status.Out);
        Assert.Matches(@"(?m)^state:\s+succeeded$", status.Out);
        Assert.Matches(@"(?m)^progress:\s+80% · load · writing output$", status.Out);
        Assert.Matches(@"(?m)^result:\s+\{""rows"":5\}$", status.Out);
        var history = status.OutLines.SkipWhile(l => l != "history:").Skip(1).Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries)[1].Trim()).ToList();
        Assert.Equal(["enqueued", "started", "progress", "progress", "progress", "succeeded"], history);

        var json = (await server.RunAsync("status", S(id), "--json")).AssertSuccess().Json();
        Assert.Equal(id, json.GetProperty("job").GetProperty("id").GetInt64());
        Assert.Equal(6, json.GetProperty("history").GetProperty("events").GetArrayLength());
    }

    [Fact]
    public async Task Ls_filters_and_pages_and_its_json_parses()
    {
        var tag = Guid.NewGuid().ToString("N");
        var echo = await server.EnqueueAsync("test.echo", """{"text":"one"}""", "--wait");
        var doomed = await server.EnqueueAsync("test.doomed", """{"why":"x"}""", "--queue", "dlq");
        await server.WaitForStateAsync(doomed, "failed");
        var scheduled = await server.EnqueueAsync("test.echo", """{"text":"later"}""", "--delay", "1h", "--tag", tag);

        var table = (await server.RunAsync("ls", "--type", "test.echo", "--state", "succeeded")).AssertSuccess();
        Assert.Equal(["ID", "TYPE", "QUEUE", "STATE", "PRIORITY", "ATTEMPT", "PROGRESS", "CREATED"], table.OutLines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(table.OutLines, l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0] == S(echo));
        Assert.DoesNotContain(table.OutLines, l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0] == S(doomed));

        var failed = (await server.RunAsync("ls", "--state", "failed", "--queue", "dlq", "--json")).AssertSuccess().Json();
        Assert.Contains(failed.GetProperty("jobs").EnumerateArray(), j => j.GetProperty("id").GetInt64() == doomed);
        Assert.All(failed.GetProperty("jobs").EnumerateArray(), j => Assert.Equal("failed", j.GetProperty("state").GetString()));

        var mine = (await server.RunAsync("ls", "--state", "scheduled,pending", "--owner", "admin", "--json")).AssertSuccess().Json();
        Assert.Contains(mine.GetProperty("jobs").EnumerateArray(), j => j.GetProperty("id").GetInt64() == scheduled);

        // Paging: one job per page, the next page through the cursor the table prints.
        var first = (await server.RunAsync("ls", "--limit", "1")).AssertSuccess();
        Assert.Equal(2, first.OutLines.Length - 1);
        var more = first.OutLines[^1];
        Assert.StartsWith("more: conveyor ls --cursor ", more);
        var second = (await server.RunAsync("ls", "--limit", "1", "--cursor", more.Split(' ')[^1], "--json")).AssertSuccess().Json();
        Assert.Single(second.GetProperty("jobs").EnumerateArray());

        (await server.RunAsync("ls", "--state", "sleeping")).AssertError(ExitCodes.Usage, "conveyor: state: 'sleeping' is not a state");
        (await server.RunAsync("ls", "--tenant", "nobody")).AssertSuccess();
    }

    [Fact]
    public async Task Cancel_a_waiting_job_and_a_running_one()
    {
        var waiting = await server.EnqueueAsync("test.echo", """{"text":"never"}""", "--delay", "1h");
        var cancelled = (await server.RunAsync("cancel", S(waiting))).AssertSuccess();
        Assert.Equal($"job {S(waiting)} cancelled", cancelled.Out.Trim());
        (await server.RunAsync("cancel", S(waiting))).AssertError(ExitCodes.Failure, $"conveyor: job {S(waiting)} is cancelled; only waiting or running jobs can be cancelled (409)");

        var gate = Guid.NewGuid().ToString("N");
        var running = await server.EnqueueAsync("test.hold", $$"""{"gate":"{{gate}}"}""");
        await server.WaitForStateAsync(running, "running");
        var asked = (await server.RunAsync("cancel", S(running))).AssertSuccess();
        // The handler may stop before the server re-reads the job for its answer: then the CLI already says cancelled.
        Assert.Contains(asked.Out.Trim(), (string[])[$"job {S(running)} is running; it was asked to stop and will end as cancelled when its handler stops", $"job {S(running)} cancelled"]);
        var watched = await server.RunAsync("watch", S(running));
        Assert.Equal(ExitCodes.Failure, watched.ExitCode);
        Assert.Equal($"job {S(running)} was cancelled", watched.OutLines[^1]);
    }

    [Fact]
    public async Task Retry_requeues_a_dead_letter_and_refuses_other_jobs()
    {
        var doomed = await server.EnqueueAsync("test.doomed", """{"why":"again"}""", "--queue", "dlq");
        await server.WaitForStateAsync(doomed, "failed");
        var retried = (await server.RunAsync("retry", S(doomed))).AssertSuccess();
        Assert.Equal($"job {S(doomed)} requeued on queue dlq", retried.Out.Trim());
        await server.WaitForStateAsync(doomed, "failed");   // it fails again, for good
        var history = (await server.RunAsync("status", S(doomed))).AssertSuccess();
        Assert.Contains(history.OutLines, l => l.Contains("requeued", StringComparison.Ordinal));

        var fine = await server.EnqueueAsync("test.echo", """{"text":"ok"}""", "--wait");
        (await server.RunAsync("retry", S(fine))).AssertError(ExitCodes.Failure, $"conveyor: job {S(fine)} is succeeded; only failed jobs can be requeued (409)");
        (await server.RunAsync("retry", "987654")).AssertError(ExitCodes.NotFound, "conveyor: job 987654 was not found (404)");
    }
}
