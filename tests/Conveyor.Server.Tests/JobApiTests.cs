using System.Net;
using System.Text.Json;

namespace Conveyor.Server.Tests;

public sealed class JobApiTests : IAsyncLifetime
{
    private ServerFixture _server = null!;

    public async Task InitializeAsync() => _server = await ServerFixture.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_submitted_job_runs_as_its_submitter_and_is_read_back_with_its_result_and_history()
    {
        using var ada = await _server.UserAsync("ada", "acme", "submitter");
        var response = await ada.PostJsonAsync("/v1/jobs", """{"type":"test.echo","payload":{"text":"hi"},"priority":"high","tags":["t1"]}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.JsonAsync();
        var id = created.GetProperty("id").GetInt64();
        Assert.Equal($"/v1/jobs/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("high", created.GetProperty("priority").GetString());
        Assert.Equal("ada", created.GetProperty("owner").GetProperty("user").GetString());

        var done = await ada.WaitForStateAsync(id, "succeeded");
        Assert.Equal("hi", done.GetProperty("result").GetProperty("echoed").GetString());
        Assert.Equal("ada", done.GetProperty("result").GetProperty("user").GetString());   // the handler saw the submitter
        Assert.Equal(JsonValueKind.String, done.GetProperty("startedAt").ValueKind);
        Assert.Equal(JsonValueKind.String, done.GetProperty("finishedAt").ValueKind);

        var history = await (await ada.GetAsync($"/v1/jobs/{id}/history")).JsonAsync();
        var kinds = history.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["enqueued", "started", "progress", "succeeded"], kinds);
    }

    [Fact]
    public async Task A_replayed_idempotency_key_answers_200_with_the_same_job_and_another_payload_answers_409()
    {
        using var ada = await _server.UserAsync("ada", "acme", "submitter");
        var first = await ada.PostJsonAsync("/v1/jobs", """{"type":"test.echo","payload":{"text":"once"}}""", idempotencyKey: "order-17");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var replay = await ada.PostJsonAsync("/v1/jobs", """{"type":"test.echo","payload":{"text":"once"}}""", idempotencyKey: "order-17");
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal((await first.JsonAsync()).GetProperty("id").GetInt64(), (await replay.JsonAsync()).GetProperty("id").GetInt64());
        var viaField = await ada.PostJsonAsync("/v1/jobs", """{"type":"test.echo","payload":{"text":"once"},"idempotencyKey":"order-17"}""");
        Assert.Equal(HttpStatusCode.OK, viaField.StatusCode);

        var conflict = await ada.PostJsonAsync("/v1/jobs", """{"type":"test.echo","payload":{"text":"twice"}}""", idempotencyKey: "order-17");
        await conflict.AssertProblemAsync(409, "idempotencyKey");
        var mismatch = await ada.PostJsonAsync("/v1/jobs", """{"type":"test.echo","payload":{"text":"x"},"idempotencyKey":"a"}""", idempotencyKey: "b");
        await mismatch.AssertProblemAsync(400, "idempotencyKey");
    }

    [Theory]
    [InlineData("""{"type":"test.echo","payload":{"text":"x"},"colour":"red"}""", "colour")]
    [InlineData("""{"type":"test.echo","payload":{"text":"x"},"maxAttempts":"three"}""", "maxAttempts")]
    [InlineData("""{"payload":{"text":"x"}}""", "type")]
    [InlineData("""{"type":"no.such.type","payload":{}}""", "type")]
    [InlineData("""{"type":"test.echo","payload":{"text":"x"},"priority":"urgent"}""", "priority")]
    [InlineData("""{"type":"test.echo","payload":{"text":"x"},"delaySeconds":-1}""", "delaySeconds")]
    [InlineData("""{"type":"test.echo","payload":{"text":"x"},"maxAttempts":0}""", "maxAttempts")]
    [InlineData("""{"type":"test.echo","payload":{"text":"x"},"queue":"nowhere"}""", "queue")]
    [InlineData("""{"type":"test.echo","payload":{"text":"x"}""", "$")]
    public async Task Bad_input_is_a_problem_naming_the_field_and_stores_nothing(string body, string field)
    {
        using var admin = _server.Admin();
        var response = await admin.PostJsonAsync("/v1/jobs", body);
        await response.AssertProblemAsync(400, field);
        var page = await (await admin.GetAsync("/v1/jobs")).JsonAsync();
        Assert.Empty(page.GetProperty("jobs").EnumerateArray());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_413_and_a_non_json_body_with_415()
    {
        await using var small = await ServerFixture.StartAsync("--Conveyor:Server:MaxRequestBodyBytes=2048");
        using var admin = small.Admin();
        var big = $$$"""{"type":"test.echo","payload":{"text":"{{{new string('x', 4096)}}}"}}""";
        // With "Expect: 100-continue" the client waits for the server's word before sending the body, as a client sending
        // large bodies should: the 413 comes back without the server having to read (or the client to finish writing)
        // what it will refuse, so the connection cannot be torn down under the answer.
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = new StringContent(big, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        await (await admin.SendAsync(request)).AssertProblemAsync(413, "$");
        var text = await admin.PostAsync("/v1/jobs", new StringContent("type=test.echo"));
        await text.AssertProblemAsync(415);
    }

    [Fact]
    public async Task A_batch_is_stored_all_or_none_and_names_the_bad_item()
    {
        using var admin = _server.Admin();
        var bad = await admin.PostJsonAsync("/v1/jobs/batch", """{"jobs":[{"type":"test.echo","payload":{"text":"a"}},{"type":"test.echo","payload":{"text":"b"},"maxAttempts":0}]}""");
        await bad.AssertProblemAsync(400, "jobs[1].maxAttempts");
        Assert.Empty((await (await admin.GetAsync("/v1/jobs")).JsonAsync()).GetProperty("jobs").EnumerateArray());

        var good = await admin.PostJsonAsync("/v1/jobs/batch", """{"jobs":[{"type":"test.echo","payload":{"text":"a"},"idempotencyKey":"k1"},{"type":"test.echo","payload":{"text":"b"}}]}""");
        Assert.Equal(HttpStatusCode.Created, good.StatusCode);
        var items = (await good.JsonAsync()).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.False(i.GetProperty("existing").GetBoolean()));
        var replay = await admin.PostJsonAsync("/v1/jobs/batch", """{"jobs":[{"type":"test.echo","payload":{"text":"a"},"idempotencyKey":"k1"}]}""");
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.True((await replay.JsonAsync()).GetProperty("items")[0].GetProperty("existing").GetBoolean());
    }

    [Fact]
    public async Task Listing_filters_by_state_type_and_owner_and_pages_with_a_cursor()
    {
        using var admin = _server.Admin();
        for (var i = 0; i < 5; i++)
            await admin.PostJsonAsync("/v1/jobs", $$$"""{"type":"test.echo","payload":{"text":"{{{i}}}"},"delaySeconds":3600}""");
        await admin.PostJsonAsync("/v1/jobs", """{"type":"test.doomed","payload":{"why":"no"},"delaySeconds":3600}""");

        var ids = new List<long>();
        string? cursor = null;
        do
        {
            var page = await (await admin.GetAsync($"/v1/jobs?type=test.echo&state=scheduled&limit=2{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}")).JsonAsync();
            ids.AddRange(page.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(5, ids.Count);
        Assert.Equal(ids.OrderDescending(), ids);
        Assert.Empty((await (await admin.GetAsync("/v1/jobs?owner=nobody")).JsonAsync()).GetProperty("jobs").EnumerateArray());
        Assert.Single((await (await admin.GetAsync("/v1/jobs?owner=admin&type=test.doomed")).JsonAsync()).GetProperty("jobs").EnumerateArray());
        await (await admin.GetAsync("/v1/jobs?state=sleeping")).AssertProblemAsync(400, "state");
        await (await admin.GetAsync("/v1/jobs?limit=0")).AssertProblemAsync(400, "limit");
        await (await admin.GetAsync("/v1/jobs?from=yesterday")).AssertProblemAsync(400, "from");
        await (await admin.GetAsync("/v1/jobs?cursor=forged")).AssertProblemAsync(400, "cursor");
    }

    [Fact]
    public async Task Cancel_stops_a_waiting_job_at_once_and_a_running_one_through_its_handler()
    {
        using var ada = await _server.UserAsync("ada", "acme", "submitter");
        var waiting = (await (await ada.PostJsonAsync("/v1/jobs", """{"type":"test.echo","payload":{"text":"later"},"delaySeconds":3600}""")).JsonAsync()).GetProperty("id").GetInt64();
        var cancelled = await ada.PostAsync($"/v1/jobs/{waiting}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("cancelled", (await cancelled.JsonAsync()).GetProperty("state").GetString());
        await (await ada.PostAsync($"/v1/jobs/{waiting}/cancel", null)).AssertProblemAsync(409);

        var running = (await (await ada.PostJsonAsync("/v1/jobs", """{"type":"test.hold","payload":{"gate":"g"}}""")).JsonAsync()).GetProperty("id").GetInt64();
        await ada.WaitForStateAsync(running, "running");
        var requested = await ada.PostAsync($"/v1/jobs/{running}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, requested.StatusCode);
        await ada.WaitForStateAsync(running, "cancelled");

        var history = await (await ada.GetAsync($"/v1/jobs/{running}/history")).JsonAsync();
        var request = history.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "cancel_requested");
        Assert.Equal("ada", request.GetProperty("actor").GetString());
    }

    [Fact]
    public async Task Dead_letters_are_listed_and_requeued_one_at_a_time_or_in_bulk_with_the_actor_recorded()
    {
        using var ops = await _server.UserAsync("olga", "acme", "operator");
        using var ada = await _server.UserAsync("ada", "acme", "submitter");
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
            ids.Add((await (await ada.PostJsonAsync("/v1/jobs", $$$"""{"type":"test.doomed","payload":{"why":"bad {{{i}}}"}}""")).JsonAsync()).GetProperty("id").GetInt64());
        foreach (var id in ids)
            await ada.WaitForStateAsync(id, "failed");
        var dlq = await (await ops.GetAsync("/v1/dlq")).JsonAsync();
        Assert.Equal(ids.OrderDescending(), dlq.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64()));

        using var admin = _server.Admin();
        await admin.PostAsync("/v1/queues/default/pause", null);   // requeued jobs stay pending instead of failing again at once
        var one = await ada.PostAsync($"/v1/jobs/{ids[0]}/requeue", null);
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        await (await ada.PostAsync($"/v1/jobs/{ids[0]}/requeue", null)).AssertProblemAsync(409);   // pending now, not dead-lettered

        var bulk = await ops.PostJsonAsync("/v1/dlq/requeue", """{"type":"test.doomed"}""");
        Assert.Equal(HttpStatusCode.OK, bulk.StatusCode);
        var requeued = (await bulk.JsonAsync()).GetProperty("requeued").EnumerateArray().Select(e => e.GetInt64()).Order().ToList();
        Assert.Subset(ids.Skip(1).ToHashSet(), requeued.ToHashSet());
        var history = await (await ops.GetAsync($"/v1/jobs/{ids[1]}/history")).JsonAsync();
        Assert.Contains(history.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "requeued" && e.GetProperty("actor").GetString() == "olga");
        await (await ops.PostJsonAsync("/v1/dlq/requeue", "{}")).AssertProblemAsync(400, "ids");
    }

    [Fact]
    public async Task Queues_show_their_counts_and_an_admin_pauses_and_resumes_them()
    {
        using var admin = _server.Admin();
        await (await admin.PostAsync("/v1/queues/default/pause", null)).Content.ReadAsStringAsync();
        var id = (await (await admin.PostJsonAsync("/v1/jobs", """{"type":"test.echo","payload":{"text":"q"}}""")).JsonAsync()).GetProperty("id").GetInt64();
        var queues = await (await admin.GetAsync("/v1/queues")).JsonAsync();
        var def = queues.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == "default");
        Assert.True(def.GetProperty("paused").GetBoolean());
        Assert.Equal("admin", def.GetProperty("pausedBy").GetString());
        Assert.Equal(1, def.GetProperty("pending").GetInt64());
        // The bound as this server is configured: null (present) when the queue is unbounded.
        var bounded = queues.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == "bounded");
        Assert.Equal(2, bounded.GetProperty("maxWaiting").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, def.GetProperty("maxWaiting").ValueKind);
        Assert.Equal(0, def.GetProperty("stuck").GetInt64());

        var resumed = await (await admin.PostAsync("/v1/queues/default/resume", null)).JsonAsync();
        Assert.False(resumed.GetProperty("paused").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, resumed.GetProperty("maxWaiting").ValueKind);
        await admin.WaitForStateAsync(id, "succeeded");
        await (await admin.PostAsync("/v1/queues/nowhere/pause", null)).AssertProblemAsync(404);
    }

    [Fact]
    public async Task Stats_count_by_state_and_type_and_measure_durations()
    {
        using var admin = _server.Admin();
        var ok = (await (await admin.PostJsonAsync("/v1/jobs", """{"type":"test.echo","payload":{"text":"s"}}""")).JsonAsync()).GetProperty("id").GetInt64();
        var bad = (await (await admin.PostJsonAsync("/v1/jobs", """{"type":"test.doomed","payload":{"why":"s"}}""")).JsonAsync()).GetProperty("id").GetInt64();
        await admin.WaitForStateAsync(ok, "succeeded");
        await admin.WaitForStateAsync(bad, "failed");
        var stats = await (await admin.GetAsync("/v1/stats")).JsonAsync();
        Assert.Equal(1, stats.GetProperty("states").GetProperty("succeeded").GetInt64());
        Assert.Equal(1, stats.GetProperty("states").GetProperty("failed").GetInt64());
        Assert.Equal(0, stats.GetProperty("stuck").GetInt64());
        Assert.Equal(1, stats.GetProperty("durations").GetProperty("count").GetInt64());
        Assert.Contains(stats.GetProperty("types").EnumerateArray(), t => t.GetProperty("type").GetString() == "test.doomed");
        await (await admin.GetAsync("/v1/stats?windowSeconds=-5")).AssertProblemAsync(400, "windowSeconds");
    }
}
