namespace Conveyor.Server.Tests;

public sealed class StreamTests : IAsyncLifetime
{
    private ServerFixture _server = null!;

    public async Task InitializeAsync() => _server = await ServerFixture.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task<long> SubmitAsync(HttpClient client, string text) =>
        (await (await client.PostJsonAsync("/v1/jobs", $$$"""{"type":"test.echo","payload":{"text":"{{{text}}}"}}""")).JsonAsync()).GetProperty("id").GetInt64();

    [Fact]
    public async Task A_job_stream_replays_its_history_then_follows_it_to_the_end()
    {
        using var ada = await _server.UserAsync("ada", "acme", "submitter");
        var id = await SubmitAsync(ada, "one");
        using var stream = await SseReader.OpenAsync(ada, $"/v1/jobs/{id}/stream");
        var kinds = new List<string>();
        while (kinds.LastOrDefault() != "succeeded")
        {
            var e = await stream.NextAsync();
            Assert.Equal(id, e.Data.GetProperty("jobId").GetInt64());
            Assert.Equal(e.Id, e.Data.GetProperty("id").GetInt64());
            kinds.Add(e.Event);
        }
        Assert.Equal(["enqueued", "started", "progress", "succeeded"], kinds);
    }

    [Fact]
    public async Task The_stream_shows_only_what_the_key_may_see_and_a_resumed_connection_loses_and_repeats_nothing()
    {
        using var ada = await _server.UserAsync("ada", "acme", "submitter");
        using var eve = await _server.UserAsync("eve", "globex", "submitter");
        var received = new List<SseEvent>();
        long lastId;
        using (var first = await SseReader.OpenAsync(ada, "/v1/stream"))
        {
            var a1 = await SubmitAsync(ada, "a1");
            await SubmitAsync(eve, "e1");
            await ada.WaitForStateAsync(a1, "succeeded");
            // Read a few of a1's events, then drop the connection mid-way.
            received.Add(await first.NextAsync());
            received.Add(await first.NextAsync());
            lastId = received[^1].Id;
        }
        // While disconnected, more happens.
        var a2 = await SubmitAsync(ada, "a2");
        await SubmitAsync(eve, "e2");
        await ada.WaitForStateAsync(a2, "succeeded");
        using (var resumed = await SseReader.OpenAsync(ada, "/v1/stream", lastEventId: lastId))
        {
            var a3 = await SubmitAsync(ada, "a3");
            while (!(received.Count > 0 && received[^1].Data.GetProperty("jobId").GetInt64() == a3 && received[^1].Event == "succeeded"))
                received.Add(await resumed.NextAsync());
        }

        // Exactly the events of ada's jobs, each once, in order: the same as the polling endpoint returns.
        var ids = received.Select(e => e.Id).ToList();
        Assert.Equal(ids.Distinct().Order(), ids);
        var polled = await (await ada.GetAsync("/v1/events?limit=1000")).JsonAsync();
        var expected = polled.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(expected, ids);
        Assert.Equal(12, ids.Count);   // three jobs × enqueued, started, progress, succeeded
    }

    [Fact]
    public async Task A_bad_last_event_id_is_a_problem()
    {
        using var admin = _server.Admin();
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/stream");
        request.Headers.Add("Last-Event-ID", "yesterday");
        await (await admin.SendAsync(request)).AssertProblemAsync(400, "Last-Event-ID");
    }

    [Fact]
    public async Task Polling_pages_through_the_events_a_key_may_see()
    {
        using var ada = await _server.UserAsync("ada", "acme", "submitter");
        using var eve = await _server.UserAsync("eve", "globex", "submitter");
        var a = await SubmitAsync(ada, "a");
        var e = await SubmitAsync(eve, "e");
        await ada.WaitForStateAsync(a, "succeeded");
        await eve.WaitForStateAsync(e, "succeeded");
        var seen = new List<long>();
        long after = 0;
        while (true)
        {
            var page = await (await ada.GetAsync($"/v1/events?after={after}&limit=3")).JsonAsync();
            var events = page.GetProperty("events").EnumerateArray().ToList();
            Assert.All(events, ev => Assert.Equal(a, ev.GetProperty("jobId").GetInt64()));
            seen.AddRange(events.Select(ev => ev.GetProperty("id").GetInt64()));
            after = page.GetProperty("lastEventId").GetInt64();
            if (events.Count < 3)
                break;
        }
        Assert.Equal(4, seen.Count);
        await (await ada.GetAsync("/v1/events?after=-1")).AssertProblemAsync(400, "after");
    }
}
