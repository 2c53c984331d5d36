using Conveyor.Configuration;

namespace Conveyor.Tests.Configuration;

public sealed class RetentionOptionsValidatorTests
{
    /// <summary>Default options with a store: valid; each test breaks one retention setting.</summary>
    private static ConveyorOptions Valid()
    {
        var o = new ConveyorOptions();
        // The validator only checks that a store is configured; it never invokes the factory.
        o.UseStore(_ => null!);
        return o;
    }

    private static List<string> Problems(Action<RetentionOptions> change)
    {
        var o = Valid();
        change(o.Retention);
        return [.. ConveyorOptionsValidator.Problems(o)];
    }

    private static void AssertSingleProblem(Action<RetentionOptions> change, string setting)
    {
        var problem = Assert.Single(Problems(change));
        Assert.StartsWith(setting + ":", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_are_one_day_for_succeeded_and_cancelled_a_week_for_failed_every_minute_in_batches_of_a_thousand()
    {
        var r = new ConveyorOptions().Retention;

        Assert.Equal(TimeSpan.FromDays(1), r.SucceededFor);
        Assert.Equal(TimeSpan.FromDays(1), r.CancelledFor);
        Assert.Equal(TimeSpan.FromDays(7), r.FailedFor);
        Assert.Equal(TimeSpan.FromMinutes(1), r.Interval);
        Assert.Equal(1000, r.BatchSize);
        Assert.True(r.Enabled);
        Assert.Empty(ConveyorOptionsValidator.Problems(Valid()));
    }

    [Fact]
    public void Null_ages_keep_forever_and_pass_and_all_three_null_disable_retention()
    {
        var o = Valid();
        o.Retention.SucceededFor = null;
        o.Retention.CancelledFor = null;
        o.Retention.FailedFor = null;

        Assert.Empty(ConveyorOptionsValidator.Problems(o));
        Assert.False(o.Retention.Enabled);
        o.Retention.FailedFor = TimeSpan.FromDays(30);
        Assert.True(o.Retention.Enabled);
    }

    [Fact]
    public void Boundary_values_pass()
    {
        Assert.Empty(Problems(r =>
        {
            r.SucceededFor = TimeSpan.Zero;
            r.CancelledFor = RetentionOptions.MaxAge;
            r.FailedFor = TimeSpan.FromTicks(1);
            r.Interval = TimeSpan.FromTicks(1);
            r.BatchSize = 1;
        }));
        Assert.Empty(Problems(r =>
        {
            r.Interval = TimeSpan.FromDays(1);
            r.BatchSize = 10_000;
        }));
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(-864_000_000_000L)]
    public void A_negative_age_fails(long ticks)
    {
        AssertSingleProblem(r => r.SucceededFor = TimeSpan.FromTicks(ticks), "Retention.SucceededFor");
        AssertSingleProblem(r => r.CancelledFor = TimeSpan.FromTicks(ticks), "Retention.CancelledFor");
        AssertSingleProblem(r => r.FailedFor = TimeSpan.FromTicks(ticks), "Retention.FailedFor");
    }

    [Fact]
    public void An_infinite_timespan_is_not_forever_and_the_message_points_to_null()
    {
        var problem = Assert.Single(Problems(r => r.FailedFor = Timeout.InfiniteTimeSpan));

        Assert.StartsWith("Retention.FailedFor:", problem, StringComparison.Ordinal);
        Assert.Contains("use null to keep these jobs forever", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_age_beyond_the_maximum_fails()
    {
        AssertSingleProblem(r => r.SucceededFor = RetentionOptions.MaxAge + TimeSpan.FromTicks(1), "Retention.SucceededFor");
        AssertSingleProblem(r => r.CancelledFor = TimeSpan.MaxValue, "Retention.CancelledFor");
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(864_000_000_001L)]
    public void An_interval_not_above_zero_or_over_a_day_fails(long ticks) =>
        AssertSingleProblem(r => r.Interval = TimeSpan.FromTicks(ticks), "Retention.Interval");

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(10_001)]
    public void A_batch_size_outside_one_to_ten_thousand_fails(int batchSize) =>
        AssertSingleProblem(r => r.BatchSize = batchSize, "Retention.BatchSize");

    [Fact]
    public void Every_retention_problem_is_reported_together_with_the_others()
    {
        var o = new ConveyorOptions { MaxClaimBatch = 0 };
        o.Retention.SucceededFor = TimeSpan.FromSeconds(-1);
        o.Retention.CancelledFor = TimeSpan.FromSeconds(-1);
        o.Retention.FailedFor = Timeout.InfiniteTimeSpan;
        o.Retention.Interval = TimeSpan.Zero;
        o.Retention.BatchSize = 0;

        var result = new ConveyorOptionsValidator().Validate(null, o);

        Assert.True(result.Failed);
        string[] expected =
        [
            "Store:", "MaxClaimBatch:", "Retention.SucceededFor:", "Retention.CancelledFor:", "Retention.FailedFor:",
            "Retention.Interval:", "Retention.BatchSize:",
        ];
        Assert.Equal(expected.Length, result.Failures!.Count());
        foreach (var prefix in expected)
            Assert.Contains(result.Failures!, f => f.StartsWith(prefix, StringComparison.Ordinal));
    }
}
