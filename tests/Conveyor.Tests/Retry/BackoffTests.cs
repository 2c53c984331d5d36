using Conveyor.Retry;

namespace Conveyor.Tests.Retry;

public sealed class BackoffTests
{
    private static RetryOptions Options(TimeSpan baseDelay, TimeSpan maxDelay) =>
        new() { BaseDelay = baseDelay, MaxDelay = maxDelay };

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 8)]
    [InlineData(4, 16)]
    [InlineData(10, 1024)]
    [InlineData(11, 2048)]
    public void Ceiling_doubles_from_the_base_delay_per_failed_attempt(int failedAttempt, int expectedSeconds)
    {
        var options = Options(TimeSpan.FromSeconds(2), TimeSpan.FromHours(1));

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), Backoff.Ceiling(options, failedAttempt));
    }

    [Theory]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(62)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(100)]
    [InlineData(10_000)]
    [InlineData(int.MaxValue)]
    public void Ceiling_is_capped_at_the_max_delay(int failedAttempt)
    {
        var options = Options(TimeSpan.FromSeconds(2), TimeSpan.FromHours(1));

        Assert.Equal(TimeSpan.FromHours(1), Backoff.Ceiling(options, failedAttempt));
    }

    [Fact]
    public void Ceiling_reaches_the_cap_exactly_when_the_doubling_would_pass_it()
    {
        var options = Options(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

        Assert.Equal(TimeSpan.FromSeconds(4), Backoff.Ceiling(options, 3));
        Assert.Equal(TimeSpan.FromSeconds(5), Backoff.Ceiling(options, 4));
    }

    [Fact]
    public void Ceiling_equals_the_base_delay_when_base_and_max_are_equal()
    {
        var options = Options(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3));

        Assert.Equal(TimeSpan.FromSeconds(3), Backoff.Ceiling(options, 1));
        Assert.Equal(TimeSpan.FromSeconds(3), Backoff.Ceiling(options, 100));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(10_000)]
    public void Ceiling_does_not_overflow_with_the_largest_max_delay(int failedAttempt)
    {
        var options = Options(TimeSpan.FromDays(1), TimeSpan.MaxValue);

        Assert.Equal(TimeSpan.MaxValue, Backoff.Ceiling(options, failedAttempt));
    }

    [Theory]
    [InlineData(63, 1L << 62)]
    [InlineData(64, long.MaxValue)]
    [InlineData(65, long.MaxValue)]
    [InlineData(10_000, long.MaxValue)]
    public void Ceiling_follows_the_formula_up_to_the_largest_timespan_with_a_one_tick_base(int failedAttempt, long expectedTicks)
    {
        // min(MaxDelay, BaseDelay × 2^(n − 1)): with a one-tick base the doubling passes TimeSpan.MaxValue at n = 64.
        var options = Options(TimeSpan.FromTicks(1), TimeSpan.MaxValue);

        Assert.Equal(TimeSpan.FromTicks(expectedTicks), Backoff.Ceiling(options, failedAttempt));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(10_000)]
    public void A_zero_base_delay_gives_a_zero_ceiling(int failedAttempt)
    {
        var options = Options(TimeSpan.Zero, TimeSpan.FromHours(1));

        Assert.Equal(TimeSpan.Zero, Backoff.Ceiling(options, failedAttempt));
        Assert.Equal(TimeSpan.Zero, Backoff.Delay(options, failedAttempt, 0.999));
    }

    [Fact]
    public void Ceiling_never_decreases_and_stays_within_the_bounds()
    {
        var options = Options(TimeSpan.FromMilliseconds(250), TimeSpan.FromMinutes(10));
        var previous = TimeSpan.Zero;
        for (var attempt = 1; attempt <= 200; attempt++)
        {
            var ceiling = Backoff.Ceiling(options, attempt);
            Assert.InRange(ceiling, previous, options.MaxDelay);
            previous = ceiling;
        }
        Assert.Equal(options.MaxDelay, previous);
    }

    [Fact]
    public void Delay_is_zero_when_the_random_draw_is_zero()
    {
        var options = Options(TimeSpan.FromSeconds(2), TimeSpan.FromHours(1));

        Assert.Equal(TimeSpan.Zero, Backoff.Delay(options, 5, 0d));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 4)]
    [InlineData(100, 1800)]
    public void Delay_is_the_random_fraction_of_the_ceiling(int failedAttempt, int expectedSeconds)
    {
        var options = Options(TimeSpan.FromSeconds(2), TimeSpan.FromHours(1));

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), Backoff.Delay(options, failedAttempt, 0.5));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(10_000)]
    public void Delay_just_below_one_stays_below_the_ceiling(int failedAttempt)
    {
        var options = Options(TimeSpan.FromSeconds(2), TimeSpan.FromHours(1));
        var ceiling = Backoff.Ceiling(options, failedAttempt);
        var justBelowOne = Math.BitDecrement(1d);

        var delay = Backoff.Delay(options, failedAttempt, justBelowOne);

        Assert.True(delay < ceiling, $"{delay} should be below {ceiling}");
        Assert.True(delay >= ceiling - TimeSpan.FromTicks(1), $"{delay} should be within a tick of {ceiling}");
        Assert.InRange(Backoff.Delay(options, failedAttempt, 0.999), ceiling * 0.998, ceiling);
    }

    [Fact]
    public void Delay_does_not_overflow_with_the_largest_max_delay()
    {
        var options = Options(TimeSpan.FromDays(1), TimeSpan.MaxValue);

        var delay = Backoff.Delay(options, 10_000, Math.BitDecrement(1d));

        Assert.InRange(delay, TimeSpan.MaxValue * 0.999, TimeSpan.MaxValue);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Ceiling_and_delay_reject_an_attempt_below_one(int failedAttempt)
    {
        var options = new RetryOptions();

        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Ceiling(options, failedAttempt));
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Delay(options, failedAttempt, 0.5));
    }

    [Theory]
    [InlineData(-0.000001)]
    [InlineData(-1d)]
    [InlineData(1d)]
    [InlineData(1.5)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(double.NaN)]
    public void Delay_rejects_a_random_draw_outside_zero_to_one(double unitRandom)
    {
        var options = new RetryOptions();

        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Delay(options, 1, unitRandom));
    }
}
