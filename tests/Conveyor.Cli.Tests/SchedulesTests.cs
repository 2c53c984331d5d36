namespace Conveyor.Cli.Tests;

public sealed class SchedulesTests(CliServer server) : IClassFixture<CliServer>
{
    [Fact]
    public async Task Schedules_add_ls_pause_resume_trigger_and_rm()
    {
        var added = (await server.RunAsync("schedules", "add", "cli-nightly", "30 2 * * *", "test.echo", "--payload", """{"text":"n"}""",
            "--tz", "Europe/Berlin", "--misfire", "fireEach", "--max-catch-up", "2", "--overlap", "skip")).AssertSuccess();
        Assert.StartsWith("schedule cli-nightly saved: '30 2 * * *' in Europe/Berlin enqueues test.echo; next tick ", added.Out);

        var table = (await server.RunAsync("schedules", "ls")).AssertSuccess();
        Assert.Equal(["SCHEDULE", "CRON", "ZONE", "TYPE", "NEXT", "LAST", "JOB", "SOURCE", "PAUSED"], table.OutLines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var row = Assert.Single(table.OutLines, l => l.StartsWith("cli-nightly ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["cli-nightly", "30", "2", "*", "*", "*", "Europe/Berlin", "test.echo"], row[..8]);
        Assert.Equal(["-", "api", "no"], row[^3..]);

        Assert.Equal("schedule cli-nightly paused", (await server.RunAsync("schedules", "pause", "cli-nightly")).AssertSuccess().Out.Trim());
        var json = (await server.RunAsync("schedules", "ls", "--json")).AssertSuccess().Json();
        var stored = json.GetProperty("schedules").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "cli-nightly");
        Assert.True(stored.GetProperty("paused").GetBoolean());
        Assert.Equal("fireEach", stored.GetProperty("misfire").GetString());
        Assert.Equal(2, stored.GetProperty("maxCatchUp").GetInt32());
        Assert.StartsWith("schedule cli-nightly resumed; next tick ", (await server.RunAsync("schedules", "resume", "cli-nightly")).AssertSuccess().Out);

        var triggered = (await server.RunAsync("schedules", "trigger", "cli-nightly")).AssertSuccess();
        Assert.Matches("^job [0-9]+ enqueued from schedule cli-nightly: test.echo on queue default, (pending|running|succeeded)", triggered.Out);
        var id = long.Parse(triggered.Out.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("cli-nightly", (await server.WaitForStateAsync(id, "succeeded")).GetProperty("schedule").GetString());

        Assert.Equal("schedule cli-nightly removed", (await server.RunAsync("schedules", "rm", "cli-nightly")).AssertSuccess().Out.Trim());
        (await server.RunAsync("schedules", "rm", "cli-nightly")).AssertError(ExitCodes.NotFound, "conveyor: schedule 'cli-nightly' was not found (404)");
        (await server.RunAsync("schedules", "trigger", "cli-nightly")).AssertError(ExitCodes.NotFound, "conveyor: schedule 'cli-nightly' was not found (404)");
    }

    [Fact]
    public async Task Schedules_add_reports_an_invalid_expression_zone_or_payload_in_one_line()
    {
        (await server.RunAsync("schedules", "add", "bad", "0 61 * * *", "test.echo", "--payload", """{"text":"x"}"""))
            .AssertError(ExitCodes.Usage, "conveyor: cron: '0 61 * * *' is not a valid cron expression");
        (await server.RunAsync("schedules", "add", "bad", "0 * * * *", "test.echo", "--payload", """{"text":"x"}""", "--tz", "Mars/Base"))
            .AssertError(ExitCodes.Usage, "conveyor: timeZone: 'Mars/Base' is not a known IANA time zone id");
        (await server.RunAsync("schedules", "add", "bad", "0 * * * *", "test.echo", "--payload", "{oops"))
            .AssertError(ExitCodes.Usage, "conveyor: payload: is not valid JSON");
        (await server.RunAsync("schedules", "add", "bad", "0 * * * *", "test.echo", "--misfire", "never")).AssertError(ExitCodes.Usage, "conveyor: ");
        var submitter = await server.KeyAsync("sam", null, "submitter");
        (await server.RunAsync(["schedules", "add", "bad", "0 * * * *", "test.echo", "--payload", """{"text":"x"}"""], submitter))
            .AssertError(ExitCodes.Unauthorized, "conveyor: not allowed: only operator and admin keys can change schedules (403)");
        (await server.RunAsync(["schedules", "ls"], submitter)).AssertSuccess();
    }
}
