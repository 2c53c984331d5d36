using Conveyor.Worker;
using Microsoft.Extensions.Time.Testing;

namespace Conveyor.Tests.Worker;

public sealed class WakeSignalTests
{
    /// <summary>The wait's own timer runs on fake time; this real-time bound only keeps a broken wake-up from hanging the run.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _time = new();
    private readonly WakeSignal _signal = new();

    [Fact]
    public void A_set_before_the_wait_returns_at_once()
    {
        _signal.Set();

        var wait = _signal.WaitAsync(Timeout, _time, CancellationToken.None);

        Assert.True(wait.IsCompletedSuccessfully);
    }

    [Fact]
    public void Several_sets_before_a_wait_wake_it_once()
    {
        _signal.Set();
        _signal.Set();

        Assert.True(_signal.WaitAsync(Timeout, _time, CancellationToken.None).IsCompletedSuccessfully);
        Assert.False(_signal.WaitAsync(Timeout, _time, CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task A_wait_without_a_timeout_ends_only_when_signalled()
    {
        var wait = _signal.WaitAsync(null, _time, CancellationToken.None);

        _time.Advance(TimeSpan.FromDays(365));
        Assert.False(wait.IsCompleted);
        _signal.Set();
        await wait.WaitAsync(Guard);
    }

    [Fact]
    public async Task A_set_during_the_wait_wakes_it()
    {
        var wait = _signal.WaitAsync(Timeout, _time, CancellationToken.None);
        Assert.False(wait.IsCompleted);

        _signal.Set();

        await wait.WaitAsync(Guard);
    }

    [Fact]
    public async Task The_set_that_woke_a_wait_is_consumed()
    {
        var first = _signal.WaitAsync(Timeout, _time, CancellationToken.None);
        _signal.Set();
        await first.WaitAsync(Guard);

        var second = _signal.WaitAsync(Timeout, _time, CancellationToken.None);

        Assert.False(second.IsCompleted);
        _time.Advance(Timeout);
        await second.WaitAsync(Guard);
    }

    [Fact]
    public async Task Without_a_set_the_wait_returns_when_the_timeout_passes()
    {
        var wait = _signal.WaitAsync(Timeout, _time, CancellationToken.None);

        _time.Advance(Timeout - TimeSpan.FromTicks(1));
        Assert.False(wait.IsCompleted);

        _time.Advance(TimeSpan.FromTicks(1));
        await wait.WaitAsync(Guard);
    }

    [Fact]
    public async Task A_set_after_a_timed_out_wait_is_not_lost()
    {
        var timedOut = _signal.WaitAsync(Timeout, _time, CancellationToken.None);
        _time.Advance(Timeout);
        await timedOut.WaitAsync(Guard);

        _signal.Set();
        var next = _signal.WaitAsync(Timeout, _time, CancellationToken.None);

        Assert.True(next.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_zero_timeout_returns_without_the_clock_moving()
    {
        await _signal.WaitAsync(TimeSpan.Zero, _time, CancellationToken.None).WaitAsync(Guard);
        await _signal.WaitAsync(TimeSpan.FromSeconds(-1), _time, CancellationToken.None).WaitAsync(Guard);
    }

    [Fact]
    public async Task Cancellation_ends_the_wait_without_throwing()
    {
        using var cts = new CancellationTokenSource();
        var wait = _signal.WaitAsync(Timeout, _time, cts.Token);
        Assert.False(wait.IsCompleted);

        await cts.CancelAsync();

        await wait.WaitAsync(Guard);
        Assert.True(wait.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task An_already_cancelled_token_returns_without_throwing()
    {
        var wait = _signal.WaitAsync(Timeout, _time, new CancellationToken(canceled: true));

        await wait.WaitAsync(Guard);
        Assert.True(wait.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_set_after_a_cancelled_wait_is_not_lost()
    {
        using var cts = new CancellationTokenSource();
        var cancelled = _signal.WaitAsync(Timeout, _time, cts.Token);
        await cts.CancelAsync();
        await cancelled.WaitAsync(Guard);

        _signal.Set();

        Assert.True(_signal.WaitAsync(Timeout, _time, CancellationToken.None).IsCompletedSuccessfully);
    }
}
