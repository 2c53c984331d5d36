using Conveyor.Client;
using Conveyor.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Tests.Client;

/// <summary>
/// The client computes a unique job's key from the declared payload fields at enqueue, before the store is touched
/// (the store factory throws, so a refused submission never reaches it).
/// </summary>
public sealed class UniqueKeyTests : IAsyncLifetime
{
    private const string StoreReached = "store must not be reached";

    public sealed record SyncAccount(int AccountId, string? Region, bool Force);

    public sealed record SyncContacts(int AccountId);

    public sealed record Nightly(string Note);

    private readonly List<ServiceProvider> _providers = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var provider in _providers)
            await provider.DisposeAsync();
    }

    private (IJobClient Client, ConveyorOptions Options) Build()
    {
        var services = new ServiceCollection();
        services.AddConveyor(o =>
        {
            o.UseStore(_ => throw new InvalidOperationException(StoreReached));
            o.MigrateOnStart = false;
            o.AddJob<SyncAccount, NoopHandler<SyncAccount>>("sync-account", t => t.UniqueFor(TimeSpan.FromMinutes(5), "accountId", "region"));
            o.AddJob<SyncContacts, NoopHandler<SyncContacts>>("sync-contacts", t => t.UniqueFor(TimeSpan.FromMinutes(5), "accountId"));
            o.AddJob<Nightly, NoopHandler<Nightly>>("nightly", t => t.UniqueFor(TimeSpan.FromHours(1)));
            o.AddJob<ReportRequest, NoopHandler<ReportRequest>>("report");
        });
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return (provider.GetRequiredService<IJobClient>(), provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<ConveyorOptions>>().Value);
    }

    private NewJob Prepared<TPayload>(TPayload payload) => Assert.Single(((IEnqueuePipeline)Build().Client).Prepare(payload, null).Jobs);

    private string? KeyOf(string kind, string json) => UniqueKey.For(Build().Options.JobTypes[kind], json, "");

    [Fact]
    public void Same_field_values_give_the_same_key_whatever_else_differs()
    {
        var a = Prepared(new SyncAccount(1, "eu", Force: false));
        var b = Prepared(new SyncAccount(1, "eu", Force: true));
        var c = Prepared(new SyncAccount(2, "eu", Force: false));
        var d = Prepared(new SyncAccount(1, null, Force: false));

        Assert.Equal(a.UniqueKey, b.UniqueKey);
        Assert.NotEqual(a.UniqueKey, c.UniqueKey);
        Assert.NotEqual(a.UniqueKey, d.UniqueKey);
        Assert.Matches("^sync-account:[0-9a-f]{64}$", a.UniqueKey);
        Assert.Equal(TimeSpan.FromMinutes(5), a.UniquePeriod);
    }

    [Fact]
    public void The_key_is_the_kind_and_the_hash_of_the_canonical_values()
    {
        // [["accountId",1],["region","eu"]] hashed with SHA-256.
        var expected = "sync-account:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("""[["accountId",1],["region","eu"]]"""u8));

        Assert.Equal(expected, Prepared(new SyncAccount(1, "eu", Force: true)).UniqueKey);
    }

    [Fact]
    public void Two_kinds_with_the_same_values_get_different_keys()
    {
        Assert.NotEqual(KeyOf("sync-account", """{"accountId":1,"region":null}"""), KeyOf("sync-contacts", """{"accountId":1}"""));
    }

    [Fact]
    public void A_type_without_fields_has_one_key_for_every_payload()
    {
        Assert.Equal(Prepared(new Nightly("a")).UniqueKey, Prepared(new Nightly("b")).UniqueKey);
        Assert.Equal("nightly:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("[]"u8)), Prepared(new Nightly("a")).UniqueKey);
    }

    [Fact]
    public void A_type_that_is_not_unique_has_no_key()
    {
        var job = Prepared(new ReportRequest("monthly"));

        Assert.Null(job.UniqueKey);
        Assert.Null(job.UniquePeriod);
    }

    [Fact]
    public void A_string_and_a_number_differ_and_numbers_compare_as_written()
    {
        var number = KeyOf("sync-contacts", """{"accountId":1}""");

        Assert.NotEqual(number, KeyOf("sync-contacts", """{"accountId":"1"}"""));
        Assert.NotEqual(number, KeyOf("sync-contacts", """{"accountId":1.0}"""));
        Assert.Equal(number, KeyOf("sync-contacts", """ { "note" : "x",  "accountId" : 1 } """));
    }

    [Fact]
    public void Structured_values_are_canonical_whitespace_property_order_and_escapes_aside()
    {
        Assert.Equal(
            KeyOf("sync-contacts", """{"accountId":{"b":[1,true,null],"a":"A"}}"""),
            KeyOf("sync-contacts", """{"accountId": { "a" : "\u0041", "b" : [ 1, true, null ] } }"""));
        Assert.NotEqual(KeyOf("sync-contacts", """{"accountId":[1,2]}"""), KeyOf("sync-contacts", """{"accountId":[2,1]}"""));
        using var doc = System.Text.Json.JsonDocument.Parse("""{ "z": 1, "a": {"y": "\u00e9", "b": 2.50} }""");
        Assert.Equal("""{"a":{"b":2.50,"y":"\u00E9"},"z":1}""", UniqueKey.Canonical(doc.RootElement));
    }

    [Fact]
    public void A_null_value_is_a_value_but_a_missing_field_is_refused()
    {
        Assert.NotNull(KeyOf("sync-account", """{"accountId":1,"region":null}"""));

        var e = Assert.Throws<JobValidationException>(() => KeyOf("sync-account", """{"accountId":1}"""));
        Assert.Equal("payload.region", e.Field);
        Assert.Contains("job type 'sync-account' is unique by it", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_json_submission_missing_a_field_is_refused_before_the_store_naming_the_field()
    {
        var client = Build().Client;

        var single = await Assert.ThrowsAsync<JobValidationException>(() => client.EnqueueJsonAsync("sync-contacts", """{"other":1}"""));
        Assert.Equal("payload.accountId", single.Field);

        var batch = await Assert.ThrowsAsync<JobValidationException>(() => client.EnqueueBatchAsync(
        [
            new JobSubmission("sync-contacts", """{"accountId":1}"""),
            new JobSubmission("sync-contacts", """{"accountid":2}"""),
        ]));
        Assert.Equal("jobs[1].payload.accountId", batch.Field);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => client.EnqueueJsonAsync("sync-contacts", """{"accountId":1}"""));
        Assert.Equal(StoreReached, e.Message);
    }
}
