namespace Conveyor.Cli.Tests;

public sealed class QueuesAndStatsTests(CliServer server) : IClassFixture<CliServer>
{
    [Fact]
    public async Task Queues_ls_pause_and_resume()
    {
        var table = (await server.RunAsync("queues", "ls")).AssertSuccess();
        Assert.Equal(["QUEUE", "PENDING", "SCHEDULED", "RUNNING", "STUCK", "AWAITING", "FAILED", "OLDEST", "PENDING", "MAX", "WAITING", "PAUSED"],
            table.OutLines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(table.OutLines, l => l.StartsWith("gated ", StringComparison.Ordinal) && l.EndsWith("no", StringComparison.Ordinal));
        // An empty queue: every count 0, no oldest pending age; the bound where one is configured, "-" where none is.
        Assert.Equal(["bounded", "0", "0", "0", "0", "0", "0", "-", "5", "no"], Row(table, "bounded"));
        Assert.Equal(["dlq", "0", "0", "0", "0", "0", "0", "-", "-", "no"], Row(table, "dlq"));

        (await server.RunAsync("queues", "pause", "gated")).AssertSuccess();
        var id = await server.EnqueueAsync("test.echo", """{"text":"parked"}""", "--queue", "gated");
        var queues = (await server.RunAsync("queues", "ls", "--json")).AssertSuccess().Json();
        var gated = queues.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == "gated");
        Assert.True(gated.GetProperty("paused").GetBoolean());
        Assert.Equal("pending", (await server.WaitForStateAsync(id, "pending")).GetProperty("state").GetString());

        var resumed = (await server.RunAsync("queues", "resume", "gated")).AssertSuccess();
        Assert.StartsWith("queue gated resumed", resumed.Out);
        var watched = (await server.RunAsync("watch", id.ToString(System.Globalization.CultureInfo.InvariantCulture))).AssertSuccess();
        Assert.Contains("succeeded", watched.OutLines[^1]);

        (await server.RunAsync("queues", "pause", "nope")).AssertError(ExitCodes.NotFound, "conveyor: queue 'nope' was not found (404)");
    }

    private static string[] Row(CliResult table, string queue) =>
        table.OutLines.Single(l => l.StartsWith(queue + " ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task Stats_counts_by_type_and_state()
    {
        await server.EnqueueAsync("test.echo", """{"text":"count me"}""", "--wait");
        var table = (await server.RunAsync("stats")).AssertSuccess();
        Assert.Equal(["TYPE", "SCHEDULED", "PENDING", "RUNNING", "AWAITING", "INPUT", "SUCCEEDED", "FAILED", "CANCELLED", "RUNS", "MEAN", "P95"],
            table.OutLines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(table.OutLines, l => l.StartsWith("test.echo ", StringComparison.Ordinal));
        Assert.Contains(table.OutLines, l => l.StartsWith("all ", StringComparison.Ordinal));
        Assert.StartsWith("stuck (running past their lease): 0; run times over the last 1h00m", table.OutLines[^1]);

        var json = (await server.RunAsync("stats", "--window", "10m", "--json")).AssertSuccess().Json();
        Assert.Equal(600, json.GetProperty("windowSeconds").GetDouble());
        Assert.True(json.GetProperty("states").GetProperty("succeeded").GetInt64() >= 1);
    }

    [Fact]
    public async Task Queues_need_an_operator_or_admin_key()
    {
        var submitter = await server.KeyAsync("sam", "acme", "submitter");
        (await server.RunAsync(["queues", "ls"], submitter)).AssertError(ExitCodes.Unauthorized, "conveyor: not allowed: queues are visible to operator and admin keys (403)");
        (await server.RunAsync(["stats"], submitter)).AssertSuccess();
    }

    [Fact]
    public async Task Limits_ls_shows_each_limit_with_its_running_and_waiting_jobs()
    {
        var first = await server.EnqueueAsync("test.hold", """{"gate":"one"}""", "--queue", "throttled");
        var second = await server.EnqueueAsync("test.hold", """{"gate":"two"}""", "--queue", "throttled");
        await server.WaitForStateAsync(first, "running");

        var table = (await server.RunAsync("limits", "ls")).AssertSuccess();

        Assert.Equal(["LIMIT", "GOVERNS", "MAX", "RUNNING", "RATE", "PARTITION", "KEY", "RUNNING", "WAITING", "STARTS"],
            table.OutLines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["one-at-a-time", "queue", "throttled", "1", "-", "none", "-", "1", "1", "0"], table.OutLines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var json = (await server.RunAsync("limits", "ls", "--json")).AssertSuccess().Json();
        var limit = Assert.Single(json.GetProperty("limits").EnumerateArray());
        Assert.Equal(("one-at-a-time", "throttled", 1L), (limit.GetProperty("name").GetString(), limit.GetProperty("queue").GetString(), limit.GetProperty("waiting").GetInt64()));
        Assert.Equal("pending", (await server.WaitForStateAsync(second, "pending")).GetProperty("state").GetString());
    }
}
