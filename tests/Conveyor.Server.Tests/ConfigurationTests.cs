using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Tests;

/// <summary>The standalone server's worker settings bound from configuration (<c>Conveyor:*</c>), and their checks at start-up.</summary>
public sealed class ConfigurationTests
{
    [Fact]
    public async Task The_configured_lease_duration_is_the_lease_a_claimed_job_gets()
    {
        await using var server = await ServerFixture.StartAsync("--Conveyor:LeaseDuration=00:07:00", "--Conveyor:HeartbeatInterval=00:02:00");
        using var admin = server.Admin();
        var id = (await (await admin.PostJsonAsync("/v1/jobs", """{"type":"test.hold","payload":{"gate":"lease"}}""")).JsonAsync()).GetProperty("id").GetInt64();
        var job = await admin.WaitForStateAsync(id, "running");

        // The lease is counted from the claim (the attempt's start): 7 minutes, not the default 30 seconds.
        var lease = job.GetProperty("leaseExpiresAt").GetDateTimeOffset() - job.GetProperty("startedAt").GetDateTimeOffset();
        Assert.InRange(lease, TimeSpan.FromMinutes(6.5), TimeSpan.FromMinutes(7.5));
        (await admin.PostAsync($"/v1/jobs/{id}/cancel", null)).EnsureSuccessStatusCode();
        await admin.WaitForStateAsync(id, "cancelled");
    }

    [Fact]
    public async Task Every_worker_setting_and_retention_age_binds_by_its_name()
    {
        await using var server = await ServerFixture.StartAsync(
            "--Conveyor:WorkerId=node-7", "--Conveyor:PollInterval=00:00:00.250", "--Conveyor:ReaperInterval=00:00:02",
            "--Conveyor:ShutdownTimeout=00:00:45", "--Conveyor:MaxClaimBatch=17", "--Conveyor:MaxPayloadBytes=2048",
            "--Conveyor:InteractionSweepInterval=00:00:03", "--Conveyor:Retention:SucceededFor=02:00:00",
            "--Conveyor:Retention:CancelledFor=forever", "--Conveyor:Retention:FailedFor=30.00:00:00",
            "--Conveyor:Retention:Interval=00:05:00", "--Conveyor:Retention:BatchSize=250",
            "--Conveyor:RunScheduler=false", "--Conveyor:SchedulerPollInterval=00:00:04", "--Conveyor:ScheduleMisfireThreshold=00:10:00",
            "--Conveyor:Queues:reports:Concurrency=3", "--Conveyor:Queues:reports:Prefetch=0", "--Conveyor:Queues:reports:MaxWaiting=40",
            "--Conveyor:Queues:reports:ClaimLoops=3");
        var o = server.Service<IOptions<ConveyorOptions>>().Value;
        Assert.Equal("node-7", o.WorkerId);
        Assert.True(o.RunWorkers);
        Assert.Equal(TimeSpan.FromMilliseconds(250), o.PollInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), o.ReaperInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), o.InteractionSweepInterval);
        Assert.Equal(17, o.MaxClaimBatch);
        Assert.Equal(2048, o.MaxPayloadBytes);
        Assert.Equal(TimeSpan.FromHours(2), o.Retention.SucceededFor);
        Assert.Null(o.Retention.CancelledFor);
        Assert.Equal(TimeSpan.FromDays(30), o.Retention.FailedFor);
        Assert.Equal(TimeSpan.FromMinutes(5), o.Retention.Interval);
        Assert.Equal(250, o.Retention.BatchSize);
        Assert.False(o.RunScheduler);
        Assert.Equal(TimeSpan.FromSeconds(4), o.SchedulerPollInterval);
        Assert.Equal(TimeSpan.FromMinutes(10), o.ScheduleMisfireThreshold);
        var reports = o.Queues["reports"];
        Assert.Equal((3, 0, 40, 3), (reports.Concurrency, reports.Prefetch, reports.MaxWaiting, reports.ClaimLoops));
        // The host waits for the longer drain, with the 10 s the release after it needs.
        Assert.Equal(TimeSpan.FromSeconds(55), server.Service<IOptions<Microsoft.Extensions.Hosting.HostOptions>>().Value.ShutdownTimeout);

        // The bound payload size is the one enforced.
        using var admin = server.Admin();
        var big = new string('x', 4096);
        await (await admin.PostJsonAsync("/v1/jobs", $$$"""{"type":"test.echo","payload":{"text":"{{{big}}}"}}""")).AssertProblemAsync(400, "payload");
    }

    [Fact]
    public async Task Run_workers_false_makes_an_api_only_node_whose_jobs_wait_for_a_worker_node()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"conveyor-server-{Guid.NewGuid():N}");
        try
        {
            // Both nodes share the file and both are up while jobs arrive through the API-only one. On SQLite the
            // store's ready signal is in-process, so a worker of the submitting node would be woken first and take
            // most of them; every job started by the other node shows this one claims nothing.
            await using var apiOnly = await ServerFixture.StartAsync(["--Conveyor:RunWorkers=false", "--Conveyor:WorkerId=api-node"], bootstrapKey: true, directory);
            Assert.False(apiOnly.Service<IOptions<ConveyorOptions>>().Value.RunWorkers);
            await using var worker = await ServerFixture.StartAsync(["--Conveyor:WorkerId=worker-node", "--Conveyor:PollInterval=00:00:00.050"], bootstrapKey: false, directory);
            using var admin = apiOnly.Admin();
            var ids = new List<long>();
            for (var i = 0; i < 20; i++)
                ids.Add((await (await admin.PostJsonAsync("/v1/jobs", System.Text.Json.JsonSerializer.Serialize(new { type = "test.echo", payload = new { text = $"job {i}" } }))).JsonAsync()).GetProperty("id").GetInt64());

            foreach (var id in ids)
            {
                await admin.WaitForStateAsync(id, "succeeded");
                var history = (await (await admin.GetAsync($"/v1/jobs/{id}/history")).JsonAsync()).GetProperty("events").EnumerateArray();
                var started = Assert.Single(history, e => e.GetProperty("kind").GetString() == "started");
                Assert.Equal("worker-node", started.GetProperty("actor").GetString());
            }
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A file still closing; the temp directory is the OS's to clean.
            }
        }
    }

    [Fact]
    public async Task Bad_values_fail_the_start_with_every_problem_naming_its_key()
    {
        var directory = Directory.CreateTempSubdirectory("conveyor-server-bad-").FullName;
        await using var app = ConveyorServerHost.Build(
        [
            "--urls=http://127.0.0.1:0",
            $"--Conveyor:Store=sqlite:{Path.Combine(directory, "conveyor.db")}",
            "--Logging:LogLevel:Default=Warning",
            "--Conveyor:LeaseDuration=soon",
            "--Conveyor:PollInterval=30",
            "--Conveyor:MaxClaimBatch=lots",
            "--Conveyor:RunWorkers=maybe",
            "--Conveyor:Retention:FailedFor=1 week",
            "--Conveyor:Queues:reports:MaxWaiting=many",
            "--Conveyor:ReaperInterval=-00:00:01",
        ]);
        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(() => app.StartAsync());
        var message = error.Message;
        Assert.Contains("Conveyor:LeaseDuration: 'soon' is not a duration", message, StringComparison.Ordinal);
        Assert.Contains("Conveyor:PollInterval: '30' is not a duration", message, StringComparison.Ordinal);
        Assert.Contains("Conveyor:MaxClaimBatch: 'lots' is not a whole number", message, StringComparison.Ordinal);
        Assert.Contains("Conveyor:RunWorkers: 'maybe' is not true or false", message, StringComparison.Ordinal);
        Assert.Contains("Conveyor:Retention:FailedFor: '1 week' is not a duration", message, StringComparison.Ordinal);
        Assert.Contains("Conveyor:Queues:reports:MaxWaiting: 'many' is not a whole number", message, StringComparison.Ordinal);
        // Values that parse but break a rule are named by the options' own validation.
        Assert.Contains("ReaperInterval: must be greater than zero", message, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task A_heartbeat_not_shorter_than_the_lease_fails_the_start()
    {
        var directory = Directory.CreateTempSubdirectory("conveyor-server-bad-").FullName;
        await using var app = ConveyorServerHost.Build(
        [
            "--urls=http://127.0.0.1:0", $"--Conveyor:Store=sqlite:{Path.Combine(directory, "conveyor.db")}", "--Logging:LogLevel:Default=Warning",
            "--Conveyor:LeaseDuration=00:00:20", "--Conveyor:HeartbeatInterval=00:00:20",
        ]);
        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("LeaseDuration: must exceed HeartbeatInterval", error.Message, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Requests_are_not_logged_by_default_and_configuration_can_turn_them_back_on()
    {
        await using var quiet = ConveyorServerHost.Build(["--Conveyor:Store=sqlite::memory:"]);
        var loggers = quiet.Services.GetRequiredService<ILoggerFactory>();
        Assert.False(loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Warning));
        Assert.True(loggers.CreateLogger("Conveyor.Server.Queues").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Microsoft.Hosting.Lifetime").IsEnabled(LogLevel.Information));

        await using var verbose = ConveyorServerHost.Build(["--Conveyor:Store=sqlite::memory:", "--Logging:LogLevel:Microsoft.AspNetCore=Information"]);
        Assert.True(verbose.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Information));
    }
}
