using System.Net;

namespace Conveyor.Server.Tests;

public sealed class ScheduleApiTests : IAsyncLifetime
{
    private const string Hourly = """{"name":"hourly","cron":"0 * * * *","timeZone":"Europe/Berlin","type":"test.echo","payload":{"text":"h"},"misfire":"fireEach","maxCatchUp":3,"overlap":"skip","priority":"high"}""";

    private ServerFixture _server = null!;

    public async Task InitializeAsync() => _server = await ServerFixture.StartAsync([], bootstrapKey: true,
        configure: o => o.AddRecurring("from-code", "0 0 2 * * *", "test.echo", new Echo("c")));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_operator_adds_replaces_pauses_resumes_and_removes_a_schedule_and_any_key_reads_it()
    {
        using var ops = await _server.UserAsync("olga", null, "operator");
        using var viewer = await _server.UserAsync("vic", null, "viewer");

        var created = await ops.PostJsonAsync("/v1/schedules", Hourly);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/v1/schedules/hourly", created.Headers.Location?.OriginalString);
        var schedule = await created.JsonAsync();
        Assert.Equal("0 * * * *", schedule.GetProperty("cron").GetString());
        Assert.Equal("Europe/Berlin", schedule.GetProperty("timeZone").GetString());
        Assert.Equal("test.echo", schedule.GetProperty("type").GetString());
        Assert.Equal("h", schedule.GetProperty("payload").GetProperty("text").GetString());
        Assert.Equal("fireEach", schedule.GetProperty("misfire").GetString());
        Assert.Equal("skip", schedule.GetProperty("overlap").GetString());
        Assert.Equal("high", schedule.GetProperty("priority").GetString());
        Assert.Equal("api", schedule.GetProperty("source").GetString());
        Assert.False(schedule.GetProperty("paused").GetBoolean());
        Assert.Equal(0, schedule.GetProperty("nextFireAt").GetDateTimeOffset().Minute);

        var replaced = await ops.PostJsonAsync("/v1/schedules", Hourly.Replace("\"h\"", "\"h2\"", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);

        var names = (await (await viewer.GetAsync("/v1/schedules")).JsonAsync()).GetProperty("schedules").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Equal(["from-code", "hourly"], names);
        var fromCode = await (await viewer.GetAsync("/v1/schedules/from-code")).JsonAsync();
        Assert.Equal("code", fromCode.GetProperty("source").GetString());

        var paused = await (await ops.PostAsync("/v1/schedules/hourly/pause", null)).JsonAsync();
        Assert.True(paused.GetProperty("paused").GetBoolean());
        Assert.Equal("olga", paused.GetProperty("pausedBy").GetString());
        var resumed = await (await ops.PostAsync("/v1/schedules/hourly/resume", null)).JsonAsync();
        Assert.False(resumed.GetProperty("paused").GetBoolean());

        Assert.Equal(HttpStatusCode.NoContent, (await ops.DeleteAsync("/v1/schedules/hourly")).StatusCode);
        await (await viewer.GetAsync("/v1/schedules/hourly")).AssertProblemAsync(404);
        await (await ops.DeleteAsync("/v1/schedules/hourly")).AssertProblemAsync(404);
        await (await ops.PostAsync("/v1/schedules/hourly/pause", null)).AssertProblemAsync(404);
    }

    [Fact]
    public async Task A_trigger_enqueues_a_job_linked_to_its_schedule_that_runs_with_its_history()
    {
        using var admin = _server.Admin();
        var before = await (await admin.GetAsync("/v1/schedules/from-code")).JsonAsync();

        var triggered = await admin.PostAsync("/v1/schedules/from-code/trigger", null);

        Assert.Equal(HttpStatusCode.Created, triggered.StatusCode);
        var job = await triggered.JsonAsync();
        var id = job.GetProperty("id").GetInt64();
        Assert.Equal($"/v1/jobs/{id}", triggered.Headers.Location?.OriginalString);
        Assert.Equal("from-code", job.GetProperty("schedule").GetString());
        await admin.WaitForStateAsync(id, "succeeded");
        var history = await (await admin.GetAsync($"/v1/jobs/{id}/history")).JsonAsync();
        Assert.Contains("from schedule 'from-code'", history.GetProperty("events")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        var after = await (await admin.GetAsync("/v1/schedules/from-code")).JsonAsync();
        Assert.Equal(before.GetProperty("nextFireAt").GetDateTimeOffset(), after.GetProperty("nextFireAt").GetDateTimeOffset());
        Assert.Equal(id, after.GetProperty("lastJobId").GetInt64());
        await (await admin.PostAsync("/v1/schedules/nope/trigger", null)).AssertProblemAsync(404);
    }

    [Theory]
    [InlineData("""{"name":"x","cron":"0 61 * * *","type":"test.echo","payload":{"text":"x"}}""", "cron")]
    [InlineData("""{"name":"x","cron":"* * * *","type":"test.echo","payload":{"text":"x"}}""", "cron")]
    [InlineData("""{"name":"x","cron":"0 * * * *","timeZone":"Mars/Base","type":"test.echo","payload":{"text":"x"}}""", "timeZone")]
    [InlineData("""{"name":"x","cron":"0 * * * *","type":"test.nope","payload":{}}""", "type")]
    [InlineData("""{"name":"x","cron":"0 * * * *","type":"test.echo","payload":[1]}""", "payload")]
    [InlineData("""{"name":"x","cron":"0 * * * *","type":"test.echo"}""", "payload")]
    [InlineData("""{"name":"x","cron":"0 * * * *","type":"test.echo","payload":{"text":"x"},"misfire":"sometimes"}""", "misfire")]
    [InlineData("""{"name":"x","cron":"0 * * * *","type":"test.echo","payload":{"text":"x"},"overlap":"1"}""", "overlap")]
    [InlineData("""{"name":"x","cron":"0 * * * *","type":"test.echo","payload":{"text":"x"},"maxCatchUp":0}""", "maxCatchUp")]
    [InlineData("""{"name":"x y","cron":"0 * * * *","type":"test.echo","payload":{"text":"x"}}""", "name")]
    [InlineData("""{"name":"x","cron":"0 * * * *","type":"test.echo","payload":{"text":"x"},"every":"day"}""", "every")]
    [InlineData("""{"cron":"0 * * * *","type":"test.echo","payload":{"text":"x"}}""", "name")]
    public async Task An_invalid_schedule_is_a_problem_naming_the_field(string body, string field)
    {
        using var admin = _server.Admin();
        await (await admin.PostJsonAsync("/v1/schedules", body)).AssertProblemAsync(400, field);
    }

    [Fact]
    public async Task Submitters_and_viewers_cannot_change_schedules()
    {
        using var submitter = await _server.UserAsync("sam", null, "submitter");
        await (await submitter.PostJsonAsync("/v1/schedules", Hourly)).AssertProblemAsync(403);
        await (await submitter.PostAsync("/v1/schedules/from-code/pause", null)).AssertProblemAsync(403);
        await (await submitter.PostAsync("/v1/schedules/from-code/resume", null)).AssertProblemAsync(403);
        await (await submitter.PostAsync("/v1/schedules/from-code/trigger", null)).AssertProblemAsync(403);
        await (await submitter.DeleteAsync("/v1/schedules/from-code")).AssertProblemAsync(403);
        Assert.Equal(HttpStatusCode.OK, (await submitter.GetAsync("/v1/schedules/from-code")).StatusCode);
    }
}
