using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Tests.Client;

/// <summary>
/// Validation at enqueue happens before the store is touched. The store factory throws, so a submission that
/// reaches the store surfaces an <see cref="InvalidOperationException"/>; every invalid one must be refused with
/// a <see cref="JobValidationException"/> before that.
/// </summary>
public sealed class EnqueueValidationTests : IAsyncLifetime
{
    private const string StoreReached = "store must not be reached";
    private const string ReportKind = "report.generate";
    private const string CyclicKind = "cyclic";
    private const string TypeKind = "type";

    private readonly List<ServiceProvider> _providers = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var provider in _providers)
            await provider.DisposeAsync();
    }

    private IJobClient Client(Action<ConveyorOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddConveyor(o =>
        {
            o.UseStore(_ => throw new InvalidOperationException(StoreReached));
            o.MigrateOnStart = false;
            o.AddQueue("reports");
            o.AddJob<ReportRequest, NoopHandler<ReportRequest>>(ReportKind);
            o.AddJob<CyclicRequest, NoopHandler<CyclicRequest>>(CyclicKind);
            o.AddJob<TypeRequest, NoopHandler<TypeRequest>>(TypeKind);
            configure?.Invoke(o);
        });
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider.GetRequiredService<IJobClient>();
    }

    private static async Task<JobValidationException> Refused(string field, Func<Task> submit)
    {
        var e = await Assert.ThrowsAsync<JobValidationException>(submit);
        Assert.Equal(field, e.Field);
        Assert.StartsWith(field + ": ", e.Message, StringComparison.Ordinal);
        return e;
    }

    private static async Task ReachesTheStore(Func<Task> submit)
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(submit);
        Assert.Equal(StoreReached, e.Message);
    }

    private static ReportRequest Report() => new("monthly");

    private Task Submit(EnqueueOptions options) => Client().EnqueueAsync(Report(), options);

    // The control group: valid submissions get past validation, which proves the refusals below are validation's.

    [Fact]
    public Task A_valid_typed_submission_reaches_the_store() =>
        ReachesTheStore(() => Client().EnqueueAsync(Report()));

    [Fact]
    public Task A_valid_json_submission_reaches_the_store() =>
        ReachesTheStore(() => Client().EnqueueJsonAsync(ReportKind, """{"name":"monthly"}"""));

    [Fact]
    public Task A_valid_typed_batch_reaches_the_store() =>
        ReachesTheStore(() => Client().EnqueueManyAsync([Report(), Report()]));

    [Fact]
    public Task A_valid_json_batch_reaches_the_store() =>
        ReachesTheStore(() => Client().EnqueueBatchAsync([new JobSubmission(ReportKind, """{"name":"a"}"""), new JobSubmission(ReportKind, "{}")]));

    [Fact]
    public Task A_submission_using_every_option_within_its_limits_reaches_the_store() =>
        ReachesTheStore(() => Submit(new EnqueueOptions
        {
            Priority = JobPriority.Critical,
            Delay = TimeSpan.Zero,
            Queue = "reports",
            ConcurrencyKey = new string('c', 255),
            IdempotencyKey = new string('i', 255),
            MaxAttempts = 1,
            Tags = [.. Enumerable.Range(0, 32).Select(i => i.ToString("D64", System.Globalization.CultureInfo.InvariantCulture))],
            Principal = JobPrincipal.For("alice", "acme", "admin"),
        }));

    [Fact]
    public Task A_run_at_in_the_past_reaches_the_store() =>
        ReachesTheStore(() => Submit(new EnqueueOptions { RunAt = DateTimeOffset.UnixEpoch }));

    [Fact]
    public async Task An_empty_batch_stores_nothing()
    {
        Assert.Empty(await Client().EnqueueManyAsync(Array.Empty<ReportRequest>()));
        Assert.Empty(await Client().EnqueueBatchAsync(Array.Empty<JobSubmission>()));
    }

    // Kind and payload type.

    [Theory]
    [InlineData("report.unknown")]
    [InlineData("Report.Generate")]
    [InlineData("")]
    public async Task An_unknown_kind_is_refused(string kind)
    {
        var e = await Refused("kind", () => Client().EnqueueJsonAsync(kind, "{}"));
        Assert.Contains(kind.Length == 0 ? "required" : $"'{kind}'", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unregistered_payload_type_is_refused()
    {
        var e = await Refused("payload", () => Client().EnqueueAsync(new UnregisteredRequest(1)));
        Assert.Contains(nameof(UnregisteredRequest), e.Reason, StringComparison.Ordinal);
    }

    // Typed payloads.

    [Fact]
    public Task A_null_payload_is_refused() =>
        Refused("payload", () => Client().EnqueueAsync<ReportRequest?>(null));

    [Fact]
    public Task A_payload_with_a_cycle_is_refused()
    {
        var cyclic = new CyclicRequest();
        cyclic.Next = cyclic;
        return Refused("payload", () => Client().EnqueueAsync(cyclic));
    }

    [Fact]
    public Task A_payload_json_cannot_serialise_is_refused() =>
        Refused("payload", () => Client().EnqueueAsync(new TypeRequest(typeof(string))));

    [Fact]
    public async Task A_payload_over_the_size_limit_is_refused()
    {
        // {"name":"…"} is 11 bytes around the name.
        var client = Client(o => o.MaxPayloadBytes = 64);

        await ReachesTheStore(() => client.EnqueueAsync(new ReportRequest(new string('x', 53))));
        var e = await Refused("payload", () => client.EnqueueAsync(new ReportRequest(new string('x', 54))));
        Assert.Contains("65 bytes", e.Reason, StringComparison.Ordinal);
        Assert.Contains("MaxPayloadBytes", e.Reason, StringComparison.Ordinal);
    }

    // Payloads as JSON text.

    [Theory]
    [InlineData("""{"name":""")]
    [InlineData("""{"name":"a"} trailing""")]
    [InlineData("""{name:"a"}""")]
    [InlineData("not json")]
    public Task Malformed_json_is_refused(string json) =>
        Refused("payload", () => Client().EnqueueJsonAsync(ReportKind, json));

    [Theory]
    [InlineData("""{"name":5}""")]
    [InlineData("""["monthly"]""")]
    [InlineData("\"monthly\"")]
    [InlineData("42")]
    public async Task Json_that_does_not_fit_the_payload_type_is_refused(string json)
    {
        var e = await Refused("payload", () => Client().EnqueueJsonAsync(ReportKind, json));
        Assert.Contains(nameof(ReportRequest), e.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("null")]
    [InlineData(" null ")]
    public Task Json_null_is_refused(string json) =>
        Refused("payload", () => Client().EnqueueJsonAsync(ReportKind, json));

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public Task Missing_json_is_refused(string json) =>
        Refused("payload", () => Client().EnqueueJsonAsync(ReportKind, json));

    [Fact]
    public async Task Json_over_the_size_limit_is_refused_counting_utf8_bytes()
    {
        // 'é' is one character but two UTF-8 bytes: 11 + 2 × 26 = 63 bytes fits in 64, 11 + 2 × 27 = 65 does not.
        var client = Client(o => o.MaxPayloadBytes = 64);

        await ReachesTheStore(() => client.EnqueueJsonAsync(ReportKind, $$"""{"name":"{{new string('é', 26)}}"}"""));
        var e = await Refused("payload", () => client.EnqueueJsonAsync(ReportKind, $$"""{"name":"{{new string('é', 27)}}"}"""));
        Assert.Contains("65 bytes", e.Reason, StringComparison.Ordinal);
    }

    // Options.

    [Theory]
    [InlineData(-1L)]
    [InlineData(-10_000_000L)]
    public Task A_negative_delay_is_refused(long ticks) =>
        Refused("delay", () => Submit(new EnqueueOptions { Delay = TimeSpan.FromTicks(ticks) }));

    [Fact]
    public Task Run_at_together_with_a_delay_is_refused() =>
        Refused("runAt", () => Submit(new EnqueueOptions { RunAt = DateTimeOffset.UnixEpoch, Delay = TimeSpan.FromSeconds(1) }));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public Task Max_attempts_below_one_is_refused(int maxAttempts) =>
        Refused("maxAttempts", () => Submit(new EnqueueOptions { MaxAttempts = maxAttempts }));

    [Theory]
    [InlineData(9)]
    [InlineData(-1)]
    [InlineData(4)]
    public Task An_undefined_priority_is_refused(int priority) =>
        Refused("priority", () => Submit(new EnqueueOptions { Priority = (JobPriority)priority }));

    [Fact]
    public async Task An_unknown_queue_is_refused()
    {
        var e = await Refused("queue", () => Submit(new EnqueueOptions { Queue = "nowhere" }));
        Assert.Contains("default, reports", e.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    public async Task An_empty_or_over_long_key_is_refused(int length)
    {
        var key = new string('k', length);

        await Refused("idempotencyKey", () => Submit(new EnqueueOptions { IdempotencyKey = key }));
        await Refused("concurrencyKey", () => Submit(new EnqueueOptions { ConcurrencyKey = key }));
    }

    [Fact]
    public Task Too_many_tags_are_refused() =>
        Refused("tags", () => Submit(new EnqueueOptions { Tags = [.. Enumerable.Range(0, 33).Select(i => $"t{i}")] }));

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData(null)]
    [InlineData("t1234567890123456789012345678901234567890123456789012345678901234")]
    public Task A_blank_or_over_long_tag_is_refused(string? tag) =>
        Refused("tags", () => Submit(new EnqueueOptions { Tags = ["ok", tag!] }));

    // Batches name the job at fault.

    [Fact]
    public Task A_null_payload_in_a_typed_batch_names_its_index() =>
        Refused("jobs[2].payload", () => Client().EnqueueManyAsync<ReportRequest?>([Report(), Report(), null]));

    [Fact]
    public Task A_batch_wide_option_is_reported_on_the_first_job() =>
        Refused("jobs[0].maxAttempts", () => Client().EnqueueManyAsync([Report(), Report()], new EnqueueOptions { MaxAttempts = 0 }));

    [Fact]
    public Task An_oversized_payload_in_a_typed_batch_names_its_index()
    {
        var client = Client(o => o.MaxPayloadBytes = 64);
        return Refused("jobs[1].payload", () => client.EnqueueManyAsync([Report(), new ReportRequest(new string('x', 100))]));
    }

    [Fact]
    public Task An_unknown_kind_in_a_batch_names_its_index() =>
        Refused("jobs[1].kind", () => Client().EnqueueBatchAsync([new JobSubmission(ReportKind, "{}"), new JobSubmission("nope", "{}")]));

    [Fact]
    public Task Bad_json_in_a_batch_names_its_index() =>
        Refused("jobs[1].payload", () => Client().EnqueueBatchAsync([new JobSubmission(ReportKind, "{}"), new JobSubmission(ReportKind, "null")]));

    [Theory]
    [InlineData("queue")]
    [InlineData("delay")]
    [InlineData("runAt")]
    [InlineData("priority")]
    [InlineData("idempotencyKey")]
    [InlineData("concurrencyKey")]
    [InlineData("tags")]
    public Task A_bad_option_in_a_batch_names_its_index(string field)
    {
        var bad = field switch
        {
            "queue" => new EnqueueOptions { Queue = "nowhere" },
            "delay" => new EnqueueOptions { Delay = TimeSpan.FromSeconds(-1) },
            "runAt" => new EnqueueOptions { RunAt = DateTimeOffset.UnixEpoch, Delay = TimeSpan.Zero },
            "priority" => new EnqueueOptions { Priority = (JobPriority)9 },
            "idempotencyKey" => new EnqueueOptions { IdempotencyKey = "" },
            "concurrencyKey" => new EnqueueOptions { ConcurrencyKey = new string('k', 256) },
            "tags" => new EnqueueOptions { Tags = [""] },
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };
        JobSubmission[] batch =
        [
            new(ReportKind, "{}", new EnqueueOptions { Queue = "reports" }),
            new(ReportKind, "{}"),
            new(ReportKind, "{}", bad),
        ];

        return Refused($"jobs[2].{field}", () => Client().EnqueueBatchAsync(batch));
    }
}
