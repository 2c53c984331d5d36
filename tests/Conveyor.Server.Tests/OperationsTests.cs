using System.Diagnostics;
using System.Net;

namespace Conveyor.Server.Tests;

public sealed class OperationsTests : IAsyncLifetime
{
    private ServerFixture _server = null!;

    public async Task InitializeAsync() => _server = await ServerFixture.StartAsync("--Conveyor:Server:GaugeRefreshInterval=00:00:00.200");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_openapi_document_describes_every_v1_endpoint()
    {
        using var admin = _server.Admin();
        var response = await admin.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var paths = (await response.JsonAsync()).GetProperty("paths");
        string[] expected = ["/v1/jobs", "/v1/jobs/batch", "/v1/jobs/{id}", "/v1/jobs/{id}/history", "/v1/jobs/{id}/cancel", "/v1/jobs/{id}/requeue",
            "/v1/jobs/{id}/stream", "/v1/dlq", "/v1/dlq/requeue", "/v1/queues", "/v1/queues/{name}/pause", "/v1/queues/{name}/resume",
            "/v1/stats", "/v1/limits", "/v1/events", "/v1/stream", "/v1/keys", "/v1/keys/{id}", "/v1/interactions", "/v1/interactions/{id}",
            "/v1/interactions/{id}/answer", "/v1/schedules", "/v1/schedules/{name}", "/v1/schedules/{name}/pause",
            "/v1/schedules/{name}/resume", "/v1/schedules/{name}/trigger"];
        foreach (var path in expected)
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
    }

    [Fact]
    public async Task Metrics_are_valid_prometheus_text_with_the_job_counters_and_queue_gauges()
    {
        using var admin = _server.Admin();
        var id = (await (await admin.PostJsonAsync("/v1/jobs", """{"type":"test.echo","payload":{"text":"m"}}""")).JsonAsync()).GetProperty("id").GetInt64();
        await admin.WaitForStateAsync(id, "succeeded");
        string text;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            // The gauges come from a snapshot refreshed every 200 ms; wait until a scrape shows the queue.
            do
            {
                var response = await admin.GetAsync("/metrics", timeout.Token);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                text = await response.Content.ReadAsStringAsync(timeout.Token);
            }
            while (!text.Contains("conveyor_queue_depth", StringComparison.Ordinal) && !timeout.IsCancellationRequested && await Delay(timeout.Token));
        }
        Assert.Contains("conveyor_queue_depth", text);
        Assert.Contains("conveyor_queue_stuck", text);
        // The bound, under the name the alert rules use, for the bounded queue only (MaxWaiting 2 in the fixture). Other
        // servers of this test process export theirs through the same meter name, all from the same fixture.
        var bounds = text.Split('\n').Where(l => l.StartsWith("conveyor_queue_max_waiting{", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(bounds);
        Assert.All(bounds, b => Assert.Matches("queue=\"bounded\".* 2( [0-9]+)?$", b));
        Assert.Contains("conveyor_jobs_succeeded", text);
        Assert.Contains("conveyor_job_duration_seconds_bucket", text);

        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, text);
        var check = Process.Start(new ProcessStartInfo("promtool", ["check", "metrics"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        await check.StandardInput.WriteAsync(text);
        check.StandardInput.Close();
        var errors = await check.StandardError.ReadToEndAsync() + await check.StandardOutput.ReadToEndAsync();
        await check.WaitForExitAsync();
        Assert.True(check.ExitCode == 0, $"promtool check metrics failed:\n{errors}\n--- scraped ---\n{text}");
        File.Delete(file);
    }

    private static async Task<bool> Delay(CancellationToken cancellationToken)
    {
        await Task.Delay(100, cancellationToken);
        return true;
    }
}
