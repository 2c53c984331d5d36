using System.Net;

namespace Conveyor.Server.Tests;

/// <summary>A job type unique for a period, over HTTP: a duplicate is answered like an idempotent replay.</summary>
public sealed class UniqueJobApiTests : IAsyncLifetime
{
    private ServerFixture _server = null!;

    public async Task InitializeAsync() => _server = await ServerFixture.StartAsync([], bootstrapKey: true,
        configure: o => o.AddJob<SyncAccount, SyncAccountHandler>("test.sync", t => t.UniqueFor(TimeSpan.FromMinutes(5), "accountId")));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_duplicate_within_the_period_answers_200_with_the_existing_job()
    {
        using var ada = await _server.UserAsync("ada", "acme", "submitter");
        var first = await ada.PostJsonAsync("/v1/jobs", """{"type":"test.sync","payload":{"accountId":7}}""");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var id = (await first.JsonAsync()).GetProperty("id").GetInt64();

        var duplicate = await ada.PostJsonAsync("/v1/jobs", """{"type":"test.sync","payload":{"accountId":7,"force":true}}""");
        Assert.Equal(HttpStatusCode.OK, duplicate.StatusCode);
        Assert.Equal(id, (await duplicate.JsonAsync()).GetProperty("id").GetInt64());

        var other = await ada.PostJsonAsync("/v1/jobs", """{"type":"test.sync","payload":{"accountId":8}}""");
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        using var bob = await _server.UserAsync("bob", "globex", "submitter");
        var otherTenant = await bob.PostJsonAsync("/v1/jobs", """{"type":"test.sync","payload":{"accountId":7}}""");
        Assert.Equal(HttpStatusCode.Created, otherTenant.StatusCode);
        Assert.NotEqual(id, (await otherTenant.JsonAsync()).GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task A_payload_without_a_unique_field_is_a_problem_naming_it()
    {
        using var ada = await _server.UserAsync("ada", "acme", "submitter");

        var response = await ada.PostJsonAsync("/v1/jobs", """{"type":"test.sync","payload":{"force":true}}""");

        await response.AssertProblemAsync(400, "payload.accountId");
    }
}

public sealed record SyncAccount(int AccountId, bool Force = false);

public sealed class SyncAccountHandler : IJobHandler<SyncAccount>
{
    public Task HandleAsync(JobContext<SyncAccount> job, CancellationToken cancellationToken) => Task.CompletedTask;
}
