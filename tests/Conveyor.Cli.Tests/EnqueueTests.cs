namespace Conveyor.Cli.Tests;

public sealed class EnqueueTests(CliServer server) : IClassFixture<CliServer>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("conveyor-cli-payload-").FullName;

    [Fact]
    public async Task Inline_payload_with_wait_follows_the_job_and_exits_zero_on_success()
    {
        var result = await server.RunAsync("enqueue", "test.echo", "--payload", """{"text":"hi"}""", "--priority", "high", "--tag", "a", "--tag", "b", "--wait");
        result.AssertSuccess();
        // The answer reads the job back after storing it; a worker in the same server may have claimed (or finished) it by then.
        Assert.Matches(@"^job \d+ enqueued: test\.echo on queue default, (pending|running|succeeded)$", result.OutLines[0]);
        Assert.Contains(result.OutLines, l => l.Contains("started", StringComparison.Ordinal));
        Assert.Matches(@"^job \d+ succeeded after 1 attempt in ", result.OutLines[^1]);

        var id = long.Parse(result.OutLines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var job = (await server.RunAsync("status", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json")).AssertSuccess().Json().GetProperty("job");
        Assert.Equal("high", job.GetProperty("priority").GetString());
        Assert.Equal(["a", "b"], job.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("hi", job.GetProperty("result").GetProperty("echoed").GetString());
    }

    [Fact]
    public async Task Payload_file_with_wait_exits_one_when_the_job_fails()
    {
        var file = Path.Combine(_directory, "doomed.json");
        await File.WriteAllTextAsync(file, """{ "why": "no such invoice" }""");
        var result = await server.RunAsync("enqueue", "test.doomed", "--payload-file", file, "--wait");
        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal("", result.Error);
        Assert.Matches(@"^job \d+ failed after 1 attempt: no such invoice$", result.OutLines[^1]);
    }

    [Fact]
    public async Task Wait_with_json_prints_only_the_finished_job()
    {
        var result = await server.RunAsync("enqueue", "test.echo", "--payload", """{"text":"j"}""", "--wait", "--json");
        result.AssertSuccess();
        Assert.Equal("succeeded", result.Json().GetProperty("state").GetString());
    }

    [Fact]
    public async Task Options_reach_the_server()
    {
        var json = (await server.RunAsync("enqueue", "test.echo", "--payload", """{"text":"later"}""", "--delay", "1h", "--queue", "gated",
            "--concurrency-key", "ck", "--idempotency-key", "idem-1", "--max-attempts", "7", "--json")).AssertSuccess().Json();
        Assert.Equal("scheduled", json.GetProperty("state").GetString());
        Assert.Equal("gated", json.GetProperty("queue").GetString());
        Assert.Equal("ck", json.GetProperty("concurrencyKey").GetString());
        Assert.Equal(7, json.GetProperty("maxAttempts").GetInt32());
        var delay = json.GetProperty("runAt").GetDateTimeOffset() - json.GetProperty("createdAt").GetDateTimeOffset();
        Assert.InRange(delay.TotalMinutes, 59, 61);

        // The same idempotency key returns the same job.
        var again = (await server.RunAsync("enqueue", "test.echo", "--payload", """{"text":"later"}""", "--delay", "1h", "--queue", "gated",
            "--concurrency-key", "ck", "--idempotency-key", "idem-1", "--max-attempts", "7", "--json")).AssertSuccess().Json();
        Assert.Equal(json.GetProperty("id").GetInt64(), again.GetProperty("id").GetInt64());

        var at = (await server.RunAsync("enqueue", "test.echo", "--payload", """{"text":"at"}""", "--run-at", "2099-01-02T03:04:05Z", "--json")).AssertSuccess().Json();
        Assert.Equal(new DateTimeOffset(2099, 1, 2, 3, 4, 5, TimeSpan.Zero), at.GetProperty("runAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Bad_payloads_are_usage_errors_before_anything_is_sent()
    {
        (await server.RunAsync("enqueue", "test.echo", "--payload", "{text:"))
            .AssertError(ExitCodes.Usage, "conveyor: payload: is not valid JSON");
        var bad = Path.Combine(_directory, "bad.json");
        await File.WriteAllTextAsync(bad, "{\n  \"text\": \"unterminated\n}");
        (await server.RunAsync("enqueue", "test.echo", "--payload-file", bad))
            .AssertError(ExitCodes.Usage, $"conveyor: payload file '{bad}': is not valid JSON (line 2");
        (await server.RunAsync("enqueue", "test.echo", "--payload-file", Path.Combine(_directory, "missing.json")))
            .AssertError(ExitCodes.Usage, $"conveyor: payload file '{Path.Combine(_directory, "missing.json")}': no such file");
        (await server.RunAsync("enqueue", "test.echo", "--payload", "{}", "--payload-file", bad))
            .AssertError(ExitCodes.Usage, "conveyor: give --payload or --payload-file, not both");
        (await server.RunAsync("enqueue", "test.echo", "--delay", "soon"))
            .AssertError(ExitCodes.Usage, "conveyor: delay: 'soon' is not a duration");
    }

    [Fact]
    public async Task The_servers_validation_is_a_usage_error_naming_the_field()
    {
        (await server.RunAsync("enqueue", "no.such.type"))
            .AssertError(ExitCodes.Usage, "conveyor: type: unknown job type 'no.such.type' (400)");
        (await server.RunAsync("enqueue", "test.echo", "--queue", "nope"))
            .AssertError(ExitCodes.Usage, "conveyor: queue: ");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
