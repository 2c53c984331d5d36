using System.Net;

namespace Conveyor.Server.Tests;

public sealed class InteractionApiTests : IAsyncLifetime
{
    private ServerFixture _server = null!;

    public async Task InitializeAsync() => _server = await ServerFixture.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static async Task<long> AskAsync(HttpClient client, string topic, string? allowedRole = null)
    {
        var role = allowedRole is null ? "" : $$$""","allowedRole":"{{{allowedRole}}}" """;
        var response = await client.PostJsonAsync("/v1/jobs", $$$"""{"type":"test.ask","payload":{"topic":"{{{topic}}}"{{{role}}}}}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.JsonAsync()).GetProperty("id").GetInt64();
        await client.WaitForStateAsync(id, "awaiting_input");
        return id;
    }

    private static async Task<List<System.Text.Json.JsonElement>> InboxAsync(HttpClient client, string query = "?state=pending")
    {
        var response = await client.GetAsync("/v1/interactions" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await response.JsonAsync()).GetProperty("interactions").EnumerateArray()];
    }

    [Fact]
    public async Task The_submitter_sees_the_question_in_the_inbox_answers_it_and_the_job_finishes_with_the_answer()
    {
        using var ada = await _server.UserAsync("ada", "acme", "submitter");
        using var bob = await _server.UserAsync("bob", "acme", "submitter");
        using var eve = await _server.UserAsync("eve", "globex", "submitter");
        var jobId = await AskAsync(ada, "onboarding");
        using var stream = await SseReader.OpenAsync(ada, $"/v1/jobs/{jobId}/stream");

        var inbox = await InboxAsync(ada);
        var item = Assert.Single(inbox);
        var id = item.GetProperty("id").GetInt64();
        Assert.Equal(jobId, item.GetProperty("jobId").GetInt64());
        Assert.Equal("test.ask", item.GetProperty("jobType").GetString());
        Assert.Equal("clarify", item.GetProperty("key").GetString());
        Assert.Equal("pending", item.GetProperty("state").GetString());
        Assert.Equal("Clarify onboarding", item.GetProperty("prompt").GetProperty("title").GetString());
        Assert.Equal("choice", item.GetProperty("prompt").GetProperty("questions")[0].GetProperty("kind").GetString());
        Assert.True(item.GetProperty("canAnswer").GetBoolean());
        Assert.Equal("ada", item.GetProperty("user").GetString());
        Assert.Single(await InboxAsync(ada, $"?jobId={jobId}"));
        Assert.Empty(await InboxAsync(ada, "?state=answered"));

        // Another tenant: the question does not exist. The same tenant, not allowed: 403 on answering.
        Assert.Empty(await InboxAsync(eve));
        await (await eve.GetAsync($"/v1/interactions/{id}")).AssertProblemAsync(404);
        await (await eve.PostJsonAsync($"/v1/interactions/{id}/answer", """{"scope":"team","go":true}""")).AssertProblemAsync(404);
        Assert.Empty(await InboxAsync(bob));
        await (await bob.PostJsonAsync($"/v1/interactions/{id}/answer", """{"scope":"team","go":true}""")).AssertProblemAsync(403);

        // Bad answers name the field; nothing changes.
        await (await ada.PostJsonAsync($"/v1/interactions/{id}/answer", """{"scope":"nobody","go":true}""")).AssertProblemAsync(400, "answer.scope");
        await (await ada.PostJsonAsync($"/v1/interactions/{id}/answer", """{"scope":"team"}""")).AssertProblemAsync(400, "answer.go");
        await (await ada.PostJsonAsync($"/v1/interactions/{id}/answer", """{"scope":"team","go":true,"extra":1}""")).AssertProblemAsync(400, "answer.extra");
        await (await ada.PostJsonAsync($"/v1/interactions/{id}/answer", """["team"]""")).AssertProblemAsync(400, "answer");
        await (await ada.PostJsonAsync($"/v1/interactions/{id}/answer", """{"scope":""")).AssertProblemAsync(400);
        Assert.Equal("pending", (await (await ada.GetAsync($"/v1/interactions/{id}")).JsonAsync()).GetProperty("state").GetString());

        var answered = await ada.PostJsonAsync($"/v1/interactions/{id}/answer", """{"scope":"team","go":true,"notes":"be brief"}""");
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        var body = await answered.JsonAsync();
        Assert.Equal("answered", body.GetProperty("state").GetString());
        Assert.Equal("ada", body.GetProperty("answeredBy").GetString());
        Assert.Equal("team", body.GetProperty("answer").GetProperty("scope").GetString());
        Assert.False(body.GetProperty("canAnswer").GetBoolean());

        var job = await ada.WaitForStateAsync(jobId, "succeeded", "failed");
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.Equal("team", job.GetProperty("result").GetProperty("scope").GetString());
        Assert.True(job.GetProperty("result").GetProperty("go").GetBoolean());
        Assert.Equal("be brief", job.GetProperty("result").GetProperty("notes").GetString());

        var history = (await (await ada.GetAsync($"/v1/jobs/{jobId}/history")).JsonAsync()).GetProperty("events").EnumerateArray().ToList();
        Assert.Contains(history, e => e.GetProperty("kind").GetString() == "input_requested");
        var received = Assert.Single(history, e => e.GetProperty("kind").GetString() == "input_received");
        Assert.Equal("ada", received.GetProperty("actor").GetString());

        await (await ada.PostJsonAsync($"/v1/interactions/{id}/answer", """{"scope":"company","go":false}""")).AssertProblemAsync(409);
        Assert.Empty(await InboxAsync(ada));
        Assert.Equal(id, Assert.Single(await InboxAsync(ada, "?state=answered")).GetProperty("id").GetInt64());

        // The live stream carries the question and the answer, as history events do.
        var kinds = new List<string>();
        while (kinds.LastOrDefault() != "succeeded")
            kinds.Add((await stream.NextAsync()).Event);
        var asked = kinds.IndexOf("input_requested");
        Assert.True(asked >= 0, string.Join(", ", kinds));
        Assert.True(kinds.IndexOf("input_received") > asked, string.Join(", ", kinds));
    }

    [Fact]
    public async Task A_prompt_naming_a_role_reaches_that_roles_holders_in_the_tenant_and_no_longer_the_submitter()
    {
        using var ada = await _server.UserAsync("ada", "acme", "submitter");
        using var vic = await _server.UserAsync("vic", "acme", "viewer");
        using var val = await _server.UserAsync("val", "globex", "viewer");
        using var olga = await _server.UserAsync("olga", "acme", "operator");
        using var admin = _server.Admin();
        // Unrelated jobs of the tenant that the viewer may not see, to page through.
        var others = new List<long>();
        for (var i = 0; i < 3; i++)
            others.Add(await AskAsync(ada, $"private {i}"));
        var jobId = await AskAsync(ada, "review", allowedRole: "viewer");

        var mine = Assert.Single(await InboxAsync(vic));
        Assert.Equal(jobId, mine.GetProperty("jobId").GetInt64());
        Assert.True(mine.GetProperty("canAnswer").GetBoolean());
        Assert.Empty(await InboxAsync(val));
        Assert.Equal(4, (await InboxAsync(olga)).Count);
        Assert.Equal(4, (await InboxAsync(admin)).Count);

        var adas = await InboxAsync(ada);
        Assert.Equal(4, adas.Count);
        var id = mine.GetProperty("id").GetInt64();
        Assert.False(adas.Single(i => i.GetProperty("id").GetInt64() == id).GetProperty("canAnswer").GetBoolean());
        await (await ada.PostJsonAsync($"/v1/interactions/{id}/answer", """{"scope":"team","go":true}""")).AssertProblemAsync(403);
        await (await val.PostJsonAsync($"/v1/interactions/{id}/answer", """{"scope":"team","go":true}""")).AssertProblemAsync(404);
        await (await vic.GetAsync($"/v1/interactions/{await FirstInteractionAsync(ada, others[0])}")).AssertProblemAsync(404);

        // Paging an inbox one at a time visits each question once.
        var seen = new List<long>();
        string? cursor = null;
        do
        {
            var page = await (await ada.GetAsync($"/v1/interactions?state=pending&limit=1{(cursor is null ? "" : "&cursor=" + cursor)}")).JsonAsync();
            seen.AddRange(page.GetProperty("interactions").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(4, seen.Distinct().Count());
        Assert.Equal(4, seen.Count);

        Assert.Equal(HttpStatusCode.OK, (await vic.PostJsonAsync($"/v1/interactions/{id}/answer", """{"scope":"company","go":true}""")).StatusCode);
        var job = await ada.WaitForStateAsync(jobId, "succeeded", "failed");
        Assert.Equal("company", job.GetProperty("result").GetProperty("scope").GetString());
    }

    private static async Task<long> FirstInteractionAsync(HttpClient client, long jobId) =>
        Assert.Single(await InboxAsync(client, $"?jobId={jobId}")).GetProperty("id").GetInt64();

    [Fact]
    public async Task Cancelling_a_waiting_job_closes_its_question()
    {
        using var ada = await _server.UserAsync("ada", "acme", "submitter");
        var jobId = await AskAsync(ada, "cancel me");
        var id = await FirstInteractionAsync(ada, jobId);
        Assert.Equal(HttpStatusCode.OK, (await ada.PostAsync($"/v1/jobs/{jobId}/cancel", null)).StatusCode);
        Assert.Equal("cancelled", (await (await ada.GetAsync($"/v1/interactions/{id}")).JsonAsync()).GetProperty("state").GetString());
        await (await ada.PostJsonAsync($"/v1/interactions/{id}/answer", """{"scope":"team","go":true}""")).AssertProblemAsync(409);
        Assert.Single(await InboxAsync(ada, "?state=cancelled"));
    }

    [Theory]
    [InlineData("?state=waiting", "state")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?jobId=x", "jobId")]
    [InlineData("?cursor=nope", "cursor")]
    public async Task Bad_inbox_filters_name_the_parameter(string query, string field)
    {
        using var admin = _server.Admin();
        await (await admin.GetAsync("/v1/interactions" + query)).AssertProblemAsync(400, field);
        await (await admin.GetAsync("/v1/interactions/999999")).AssertProblemAsync(404);
        await (await admin.PostJsonAsync("/v1/interactions/999999/answer", "{}")).AssertProblemAsync(404);
    }
}
