using System.Net;

namespace Conveyor.Server.Tests;

public sealed class PermissionTests : IAsyncLifetime
{
    private ServerFixture _server = null!;

    public async Task InitializeAsync() => _server = await ServerFixture.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<long> SubmitAsync(HttpClient client, string json = """{"type":"test.echo","payload":{"text":"p"},"delaySeconds":3600}""") =>
        (await (await client.PostJsonAsync("/v1/jobs", json)).JsonAsync()).GetProperty("id").GetInt64();

    [Theory]
    [InlineData("GET", "/v1/jobs")]
    [InlineData("POST", "/v1/jobs")]
    [InlineData("POST", "/v1/jobs/batch")]
    [InlineData("GET", "/v1/jobs/1")]
    [InlineData("GET", "/v1/jobs/1/history")]
    [InlineData("POST", "/v1/jobs/1/cancel")]
    [InlineData("POST", "/v1/jobs/1/requeue")]
    [InlineData("GET", "/v1/jobs/1/stream")]
    [InlineData("GET", "/v1/dlq")]
    [InlineData("POST", "/v1/dlq/requeue")]
    [InlineData("GET", "/v1/queues")]
    [InlineData("POST", "/v1/queues/default/pause")]
    [InlineData("POST", "/v1/queues/default/resume")]
    [InlineData("GET", "/v1/stats")]
    [InlineData("GET", "/v1/events")]
    [InlineData("GET", "/v1/stream")]
    [InlineData("GET", "/v1/interactions")]
    [InlineData("GET", "/v1/interactions/1")]
    [InlineData("POST", "/v1/interactions/1/answer")]
    [InlineData("GET", "/v1/keys")]
    [InlineData("POST", "/v1/keys")]
    [InlineData("DELETE", "/v1/keys/abc")]
    [InlineData("GET", "/v1/no-such-thing")]
    [InlineData("GET", "/metrics")]
    [InlineData("GET", "/openapi/v1.json")]
    public async Task Every_endpoint_but_health_needs_a_key(string method, string path)
    {
        using var anonymous = _server.Client();
        await (await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path))).AssertProblemAsync(401);
        using var forged = _server.Client("cvk_0123456789ab_not-the-secret");
        await (await forged.SendAsync(new HttpRequestMessage(new HttpMethod(method), path))).AssertProblemAsync(401);
    }

    [Fact]
    public async Task Health_answers_without_a_key()
    {
        using var anonymous = _server.Client();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task A_user_sees_and_acts_on_their_own_jobs_only()
    {
        using var ada = await _server.UserAsync("ada", "acme", "submitter");
        using var bob = await _server.UserAsync("bob", "acme", "submitter");
        var adas = await SubmitAsync(ada);
        var bobs = await SubmitAsync(bob);

        var list = await (await ada.GetAsync("/v1/jobs")).JsonAsync();
        Assert.Equal([adas], list.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64()));
        Assert.Empty((await (await ada.GetAsync("/v1/jobs?owner=bob")).JsonAsync()).GetProperty("jobs").EnumerateArray());
        await (await ada.GetAsync($"/v1/jobs/{bobs}")).AssertProblemAsync(404);
        await (await ada.GetAsync($"/v1/jobs/{bobs}/history")).AssertProblemAsync(404);
        await (await ada.PostAsync($"/v1/jobs/{bobs}/cancel", null)).AssertProblemAsync(404);
        Assert.Equal("scheduled", (await (await bob.GetAsync($"/v1/jobs/{bobs}")).JsonAsync()).GetProperty("state").GetString());   // untouched
    }

    [Fact]
    public async Task An_operator_acts_on_the_whole_tenant_and_another_tenants_job_answers_404_exactly_like_a_missing_one()
    {
        using var ada = await _server.UserAsync("ada", "acme", "submitter");
        using var eve = await _server.UserAsync("eve", "globex", "submitter");
        using var olga = await _server.UserAsync("olga", "acme", "operator");
        var adas = await SubmitAsync(ada);
        var eves = await SubmitAsync(eve);

        Assert.Equal(HttpStatusCode.OK, (await olga.GetAsync($"/v1/jobs/{adas}")).StatusCode);
        var list = await (await olga.GetAsync("/v1/jobs")).JsonAsync();
        Assert.Equal([adas], list.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64()));
        Assert.Empty((await (await olga.GetAsync("/v1/jobs?tenant=globex")).JsonAsync()).GetProperty("jobs").EnumerateArray());

        var foreign = await olga.GetAsync($"/v1/jobs/{eves}");
        var missing = await olga.GetAsync("/v1/jobs/999999");
        await foreign.AssertProblemAsync(404);
        await missing.AssertProblemAsync(404);
        Assert.Equal((await missing.JsonAsync()).GetProperty("title").GetString(), (await foreign.JsonAsync()).GetProperty("title").GetString());
        await (await olga.PostAsync($"/v1/jobs/{eves}/cancel", null)).AssertProblemAsync(404);
        await (await olga.PostAsync($"/v1/jobs/{eves}/requeue", null)).AssertProblemAsync(404);
        await (await olga.GetAsync($"/v1/jobs/{eves}/stream")).AssertProblemAsync(404);

        var cancel = await olga.PostAsync($"/v1/jobs/{adas}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        await (await olga.GetAsync("/v1/stats?tenant=globex")).AssertProblemAsync(403);
        await (await olga.PostAsync("/v1/queues/default/pause", null)).AssertProblemAsync(403);
        Assert.Equal(HttpStatusCode.OK, (await olga.GetAsync("/v1/queues")).StatusCode);
    }

    [Fact]
    public async Task An_admin_sees_every_tenant()
    {
        using var ada = await _server.UserAsync("ada", "acme", "submitter");
        using var eve = await _server.UserAsync("eve", "globex", "submitter");
        var adas = await SubmitAsync(ada);
        var eves = await SubmitAsync(eve);
        using var admin = _server.Admin();
        var all = (await (await admin.GetAsync("/v1/jobs")).JsonAsync()).GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64()).ToList();
        Assert.Equal([eves, adas], all);
        var globex = (await (await admin.GetAsync("/v1/jobs?tenant=globex")).JsonAsync()).GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64());
        Assert.Equal([eves], globex);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/jobs/{eves}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task A_viewer_reads_its_jobs_but_changes_nothing()
    {
        using var vic = await _server.UserAsync("vic", "acme", "viewer");
        await (await vic.PostJsonAsync("/v1/jobs", """{"type":"test.echo","payload":{"text":"v"}}""")).AssertProblemAsync(403);
        await (await vic.PostJsonAsync("/v1/jobs/batch", """{"jobs":[]}""")).AssertProblemAsync(403);
        await (await vic.PostJsonAsync("/v1/dlq/requeue", """{"ids":[1]}""")).AssertProblemAsync(403);
        await (await vic.GetAsync("/v1/queues")).AssertProblemAsync(403);
        await (await vic.GetAsync("/v1/keys")).AssertProblemAsync(403);
        await (await vic.GetAsync("/metrics")).AssertProblemAsync(403);
        Assert.Equal(HttpStatusCode.OK, (await vic.GetAsync("/v1/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await vic.GetAsync("/v1/stats")).StatusCode);
    }
}
