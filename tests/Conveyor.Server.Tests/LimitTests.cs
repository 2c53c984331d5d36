using System.Net;

namespace Conveyor.Server.Tests;

public sealed class LimitTests
{
    [Fact]
    public async Task A_key_over_its_rate_limit_gets_429_with_retry_after_while_other_keys_go_on()
    {
        await using var server = await ServerFixture.StartAsync("--Conveyor:Server:RateLimitBurst=3", "--Conveyor:Server:RateLimitPermitsPerSecond=1");
        using var ada = await server.UserAsync("ada", "acme", "submitter");
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 6 && limited is null; i++)
        {
            var response = await ada.GetAsync("/v1/jobs");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                limited = response;
        }
        Assert.NotNull(limited);
        await limited.AssertProblemAsync(429);
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) >= 3);
        using var bob = await server.UserAsync("bob", "acme", "submitter");
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync("/v1/jobs")).StatusCode);
    }

    [Fact]
    public async Task A_full_queue_refuses_with_503_and_retry_after_and_keeps_every_accepted_job()
    {
        await using var server = await ServerFixture.StartAsync();
        using var admin = server.Admin();
        var accepted = new List<long>();
        for (var i = 0; i < 2; i++)
        {
            var ok = await admin.PostJsonAsync("/v1/jobs", $$$"""{"type":"test.echo","payload":{"text":"{{{i}}}"},"queue":"bounded","delaySeconds":3600}""");
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
            accepted.Add((await ok.JsonAsync()).GetProperty("id").GetInt64());
        }
        var refused = await admin.PostJsonAsync("/v1/jobs", """{"type":"test.echo","payload":{"text":"3"},"queue":"bounded","delaySeconds":3600}""");
        await refused.AssertProblemAsync(503, "queue");
        Assert.Equal(TimeSpan.FromSeconds(7), refused.Headers.RetryAfter?.Delta);
        var batch = await admin.PostJsonAsync("/v1/jobs/batch", """{"jobs":[{"type":"test.echo","payload":{"text":"4"},"queue":"bounded"}]}""");
        await batch.AssertProblemAsync(503, "queue");
        var listed = (await (await admin.GetAsync("/v1/jobs?queue=bounded")).JsonAsync()).GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64());
        Assert.Equal(accepted.OrderDescending(), listed);
    }

    [Fact]
    public async Task A_tenant_at_its_bound_gets_429_with_retry_after_while_another_tenant_gets_201_and_every_accepted_job_stays()
    {
        await using var server = await ServerFixture.StartAsync("--Conveyor:MaxWaitingPerTenant=2", "--Conveyor:RetryAfterWhenTenantFullSeconds=4");
        using var ada = await server.UserAsync("ada", "acme", "submitter");
        using var bob = await server.UserAsync("bob", "globex", "submitter");
        var accepted = new List<long>();
        for (var i = 0; i < 2; i++)
        {
            // In two queues: the tenant's bound spans them.
            var ok = await ada.PostJsonAsync("/v1/jobs", $$$"""{"type":"test.echo","payload":{"text":"{{{i}}}"},"queue":"{{{(i == 0 ? "default" : "bounded")}}}","delaySeconds":3600}""");
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
            accepted.Add((await ok.JsonAsync()).GetProperty("id").GetInt64());
        }

        var refused = await ada.PostJsonAsync("/v1/jobs", """{"type":"test.echo","payload":{"text":"2"},"delaySeconds":3600}""");
        var batch = await ada.PostJsonAsync("/v1/jobs/batch", """{"jobs":[{"type":"test.echo","payload":{"text":"3"}}]}""");
        var other = await bob.PostJsonAsync("/v1/jobs", """{"type":"test.echo","payload":{"text":"bob"},"delaySeconds":3600}""");

        await refused.AssertProblemAsync(429);
        Assert.Equal(TimeSpan.FromSeconds(4), refused.Headers.RetryAfter?.Delta);
        var problem = await refused.JsonAsync();
        Assert.EndsWith("/tenant-full", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Contains("'acme'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("2 waiting jobs", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(problem.TryGetProperty("field", out _));
        await batch.AssertProblemAsync(429);
        Assert.Equal(TimeSpan.FromSeconds(4), batch.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        using var admin = server.Admin();
        var listed = (await (await admin.GetAsync("/v1/jobs?tenant=acme")).JsonAsync()).GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64());
        Assert.Equal(accepted.OrderDescending(), listed);
    }
}
