using Conveyor.Configuration;

namespace Conveyor.Tests.Configuration;

public sealed class ConveyorOptionsValidatorTests
{
    /// <summary>A complete, valid configuration; each test breaks one thing in it.</summary>
    private static ConveyorOptions Valid()
    {
        var o = new ConveyorOptions();
        // The validator only checks that a store is configured; it never invokes the factory.
        o.UseStore(_ => null!);
        o.AddQueue("reports", q => { q.Concurrency = 4; q.MaxWaiting = 100; })
            .AddQueue("emails", q => q.Concurrency = 0)
            .AddQueue("media.thumbnails_v2-eu");
        o.AddJob<ReportRequest, NoopHandler<ReportRequest>>("report.generate", t =>
        {
            t.Queue = "reports";
            t.Priority = JobPriority.High;
            t.Timeout = TimeSpan.FromMinutes(5);
            t.ConcurrencyLimit = 1000;
            t.Retry.MaxAttempts = 1;
            t.Retry.BaseDelay = TimeSpan.Zero;
            t.Retry.MaxDelay = TimeSpan.Zero;
        });
        o.AddJob<EmailRequest, NoopHandler<EmailRequest>>("tenant:a/email_send-v2");
        o.Route("email*", "emails").Route("thumbnail.make", "media.thumbnails_v2-eu").Route("*", "default");
        return o;
    }

    private static List<string> Problems(Action<ConveyorOptions> change)
    {
        var o = Valid();
        change(o);
        return [.. ConveyorOptionsValidator.Problems(o)];
    }

    private static void AssertSingleProblem(Action<ConveyorOptions> change, string setting)
    {
        var problem = Assert.Single(Problems(change));
        Assert.StartsWith(setting + ":", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_configuration_passes()
    {
        var result = new ConveyorOptionsValidator().Validate(null, Valid());

        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.Empty(ConveyorOptionsValidator.Problems(Valid()));
    }

    [Fact]
    public void The_defaults_with_a_store_pass()
    {
        var o = new ConveyorOptions();
        o.UseStore(_ => null!);

        Assert.Empty(ConveyorOptionsValidator.Problems(o));
    }

    [Fact]
    public void Boundary_values_pass()
    {
        var problems = Problems(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromTicks(1);
            o.LeaseDuration = TimeSpan.FromTicks(2);
            o.PollInterval = TimeSpan.FromTicks(1);
            o.ReaperInterval = TimeSpan.FromTicks(1);
            o.ShutdownTimeout = TimeSpan.Zero;
            o.MaxPayloadBytes = 1;
            o.MaxClaimBatch = 1;
            o.AddQueue(new string('q', 64), q => { q.Concurrency = 0; q.MaxWaiting = 1; });
            o.AddQueue("0");
            o.AddJob<ThumbnailRequest, NoopHandler<ThumbnailRequest>>(new string('k', 128), t =>
            {
                t.ConcurrencyLimit = 1;
                t.Timeout = TimeSpan.FromTicks(1);
                t.Priority = JobPriority.Low;
            });
        });

        Assert.Empty(problems);
        Assert.Empty(Problems(o => o.MaxClaimBatch = 1000));
    }

    [Fact]
    public void A_missing_store_fails()
    {
        var o = new ConveyorOptions();

        var result = new ConveyorOptionsValidator().Validate(null, o);

        Assert.True(result.Failed);
        var problem = Assert.Single(result.Failures!);
        Assert.StartsWith("Store:", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_worker_id_fails(string workerId) =>
        AssertSingleProblem(o => o.WorkerId = workerId, "WorkerId");

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_heartbeat_interval_not_above_zero_fails(int seconds) =>
        AssertSingleProblem(o => o.HeartbeatInterval = TimeSpan.FromSeconds(seconds), "HeartbeatInterval");

    [Theory]
    [InlineData(10, 10)]
    [InlineData(10, 9)]
    [InlineData(10, 0)]
    public void A_lease_duration_not_above_the_heartbeat_interval_fails(int heartbeatSeconds, int leaseSeconds) =>
        AssertSingleProblem(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromSeconds(heartbeatSeconds);
            o.LeaseDuration = TimeSpan.FromSeconds(leaseSeconds);
        }, "LeaseDuration");

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_poll_interval_not_above_zero_fails(int seconds) =>
        AssertSingleProblem(o => o.PollInterval = TimeSpan.FromSeconds(seconds), "PollInterval");

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_reaper_interval_not_above_zero_fails(int seconds) =>
        AssertSingleProblem(o => o.ReaperInterval = TimeSpan.FromSeconds(seconds), "ReaperInterval");

    [Fact]
    public void A_negative_shutdown_timeout_fails() =>
        AssertSingleProblem(o => o.ShutdownTimeout = TimeSpan.FromTicks(-1), "ShutdownTimeout");

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_payload_limit_not_above_zero_fails(int bytes) =>
        AssertSingleProblem(o => o.MaxPayloadBytes = bytes, "MaxPayloadBytes");

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1001)]
    public void A_claim_batch_outside_one_to_a_thousand_fails(int batch) =>
        AssertSingleProblem(o => o.MaxClaimBatch = batch, "MaxClaimBatch");

    [Fact]
    public void Missing_serializer_options_fail() =>
        AssertSingleProblem(o => o.SerializerOptions = null!, "SerializerOptions");

    [Theory]
    [InlineData("Reports")]
    [InlineData("-reports")]
    [InlineData(".reports")]
    [InlineData("re ports")]
    [InlineData("reports/eu")]
    [InlineData("")]
    public void A_bad_queue_name_fails(string name) =>
        AssertSingleProblem(o => o.AddQueue(name), $"Queues[{name}]");

    [Fact]
    public void A_queue_name_over_64_characters_fails()
    {
        var name = new string('q', 65);

        AssertSingleProblem(o => o.AddQueue(name), $"Queues[{name}]");
    }

    [Fact]
    public void A_negative_queue_concurrency_fails() =>
        AssertSingleProblem(o => o.AddQueue("reports", q => q.Concurrency = -1), "Queues[reports].Concurrency");

    [Fact]
    public void A_negative_prefetch_fails() =>
        AssertSingleProblem(o => o.AddQueue("reports", q => q.Prefetch = -1), "Queues[reports].Prefetch");

    [Theory]
    [InlineData(4, 0)]
    [InlineData(4, 5)]
    [InlineData(0, 2)]
    public void Claim_loops_outside_one_to_the_concurrency_fail(int concurrency, int loops) =>
        AssertSingleProblem(o => o.AddQueue("reports", q => { q.Concurrency = concurrency; q.ClaimLoops = loops; }), "Queues[reports].ClaimLoops");

    [Theory]
    [InlineData(4, 4)]
    [InlineData(0, 1)]
    public void Claim_loops_from_one_to_the_concurrency_pass(int concurrency, int loops) =>
        Assert.Empty(Problems(o => o.AddQueue("reports", q => { q.Concurrency = concurrency; q.ClaimLoops = loops; })));

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void A_max_waiting_below_one_fails(int maxWaiting) =>
        AssertSingleProblem(o => o.AddQueue("reports", q => q.MaxWaiting = maxWaiting), "Queues[reports].MaxWaiting");

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void A_max_waiting_per_tenant_below_one_fails_with_a_clear_message(int maxWaiting)
    {
        var problem = Assert.Single(Problems(o => o.MaxWaitingPerTenant = maxWaiting));

        Assert.Equal($"MaxWaitingPerTenant: must be at least 1 when set (is {maxWaiting}); use null for no per-tenant bound.", problem);
    }

    [Fact]
    public void A_tenant_override_below_one_fails_and_null_leaves_that_tenant_unbounded()
    {
        AssertSingleProblem(o => o.SetTenantMaxWaiting("acme", 0), "TenantMaxWaiting[acme]");
        Assert.Empty(Problems(o => o.SetTenantMaxWaiting("acme", null).SetTenantMaxWaiting(null, 3)));
        Assert.Empty(Problems(o => o.MaxWaitingPerTenant = 1));
    }

    [Fact]
    public void A_retry_after_when_tenant_full_not_above_zero_fails() =>
        AssertSingleProblem(o => o.RetryAfterWhenTenantFull = TimeSpan.Zero, "RetryAfterWhenTenantFull");

    [Fact]
    public void A_retry_after_when_full_not_above_zero_fails() =>
        AssertSingleProblem(o => o.AddQueue("reports", q => q.RetryAfterWhenFull = TimeSpan.Zero), "Queues[reports].RetryAfterWhenFull");

    [Fact]
    public void A_job_type_with_an_unknown_queue_fails()
    {
        AssertSingleProblem(
            o => o.AddJob<ThumbnailRequest, NoopHandler<ThumbnailRequest>>("thumbnail.make", t => t.Queue = "thumbnails"),
            "JobTypes[thumbnail.make].Queue");
        Assert.Contains("'thumbnails'", Assert.Single(Problems(o => o.JobTypes["report.generate"].Queue = "thumbnails")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-thumbnail")]
    [InlineData(".thumbnail")]
    [InlineData("thumbnail make")]
    [InlineData("thumbnail*")]
    public void A_bad_kind_fails(string kind) =>
        AssertSingleProblem(o => o.AddJob<ThumbnailRequest, NoopHandler<ThumbnailRequest>>(kind), $"JobTypes[{kind}]");

    [Fact]
    public void A_kind_over_128_characters_fails()
    {
        var kind = new string('k', 129);

        AssertSingleProblem(o => o.AddJob<ThumbnailRequest, NoopHandler<ThumbnailRequest>>(kind), $"JobTypes[{kind}]");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_timeout_not_above_zero_fails(int seconds) =>
        AssertSingleProblem(o => o.JobTypes["report.generate"].Timeout = TimeSpan.FromSeconds(seconds), "JobTypes[report.generate].Timeout");

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1001)]
    public void A_concurrency_limit_outside_one_to_a_thousand_fails(int limit) =>
        AssertSingleProblem(o => o.JobTypes["report.generate"].ConcurrencyLimit = limit, "JobTypes[report.generate].ConcurrencyLimit");

    [Theory]
    [InlineData(-1)]
    [InlineData(4)]
    [InlineData(9)]
    public void An_undefined_priority_fails(int priority) =>
        AssertSingleProblem(o => o.JobTypes["report.generate"].Priority = (JobPriority)priority, "JobTypes[report.generate].Priority");

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Retry_max_attempts_below_one_fails(int maxAttempts)
    {
        AssertSingleProblem(o => o.JobTypes["report.generate"].Retry.MaxAttempts = maxAttempts, "JobTypes[report.generate].Retry.MaxAttempts");
        AssertSingleProblem(o => o.DefaultRetry.MaxAttempts = maxAttempts, "DefaultRetry.MaxAttempts");
    }

    [Fact]
    public void Retry_max_delay_below_base_delay_fails()
    {
        AssertSingleProblem(o => o.JobTypes["report.generate"].Retry.BaseDelay = TimeSpan.FromTicks(1), "JobTypes[report.generate].Retry.MaxDelay");
        AssertSingleProblem(o => o.DefaultRetry.MaxDelay = TimeSpan.FromSeconds(1), "DefaultRetry.MaxDelay");
    }

    [Fact]
    public void A_negative_retry_base_delay_fails() =>
        AssertSingleProblem(o => o.DefaultRetry.BaseDelay = TimeSpan.FromTicks(-1), "DefaultRetry.BaseDelay");

    [Fact]
    public void A_job_type_keeps_the_default_retry_it_was_added_with()
    {
        var problems = Problems(o =>
        {
            o.DefaultRetry.MaxAttempts = 0;
            o.AddJob<ThumbnailRequest, NoopHandler<ThumbnailRequest>>("thumbnail.make");
        });

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("DefaultRetry.MaxAttempts:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("JobTypes[thumbnail.make].Retry.MaxAttempts:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_route_to_an_unknown_queue_fails()
    {
        var problem = Assert.Single(Problems(o => o.Route("thumbnail.*", "thumbnails")));

        Assert.StartsWith("Routes[3]:", problem, StringComparison.Ordinal);
        Assert.Contains("'thumbnails'", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("*report")]
    [InlineData("report*.generate")]
    [InlineData("report.**")]
    [InlineData("**")]
    public void A_malformed_route_pattern_fails(string pattern)
    {
        var problem = Assert.Single(Problems(o => o.Route(pattern, "reports")));

        Assert.StartsWith("Routes[3]:", problem, StringComparison.Ordinal);
        Assert.Contains("pattern", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_problems_are_reported_together()
    {
        var o = new ConveyorOptions
        {
            HeartbeatInterval = TimeSpan.Zero,
            MaxPayloadBytes = 0,
            MaxClaimBatch = 5000,
        };
        o.AddQueue("Bad Queue");
        o.AddJob<ReportRequest, NoopHandler<ReportRequest>>("report.generate", t => t.Queue = "missing");
        o.Route("x*y", "nowhere");

        var result = new ConveyorOptionsValidator().Validate(null, o);

        Assert.True(result.Failed);
        string[] expected =
        [
            "Store:", "HeartbeatInterval:", "MaxPayloadBytes:", "MaxClaimBatch:", "Queues[Bad Queue]:",
            "JobTypes[report.generate].Queue:", "Routes[0]: pattern", "Routes[0]: queue",
        ];
        Assert.Equal(expected.Length, result.Failures!.Count());
        foreach (var prefix in expected)
        {
            Assert.Contains(result.Failures!, f => f.StartsWith(prefix, StringComparison.Ordinal));
            Assert.Contains(prefix, result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Adding_a_kind_twice_is_refused()
    {
        var o = new ConveyorOptions();
        o.AddJob<ReportRequest, NoopHandler<ReportRequest>>("report.generate");

        var e = Assert.Throws<ArgumentException>(() => o.AddJob<EmailRequest, NoopHandler<EmailRequest>>("report.generate"));

        Assert.Contains("report.generate", e.Message, StringComparison.Ordinal);
        Assert.Equal(typeof(ReportRequest), Assert.Single(o.JobTypes).Value.PayloadType);
    }

    [Fact]
    public void Adding_a_payload_type_twice_is_refused()
    {
        var o = new ConveyorOptions();
        o.AddJob<ReportRequest, NoopHandler<ReportRequest>>("report.generate");

        var e = Assert.Throws<ArgumentException>(() => o.AddJob<ReportRequest, NoopHandler<ReportRequest>>("report.archive"));

        Assert.Contains(nameof(ReportRequest), e.Message, StringComparison.Ordinal);
        Assert.Equal("report.generate", Assert.Single(o.JobTypes).Key);
    }
}
