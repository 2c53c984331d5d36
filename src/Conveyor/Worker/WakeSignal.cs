namespace Conveyor.Worker;

/// <summary>
/// An auto-reset wake-up for one waiting loop: a <see cref="Set"/> while nobody waits is remembered, so a
/// signal raised during a claim is never lost.
/// </summary>
internal sealed class WakeSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource? _waiter;
    private bool _signalled;

    public void Set()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            waiter = _waiter;
            _waiter = null;
            if (waiter is null)
                _signalled = true;
        }
        waiter?.TrySetResult();
    }

    /// <summary>
    /// Returns when signalled, when <paramref name="timeout"/> (null: never; a negative one at once) passes on
    /// <paramref name="time"/>, or when cancelled (without throwing).
    /// </summary>
    public async Task WaitAsync(TimeSpan? timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_signalled)
            {
                _signalled = false;
                return;
            }
            waiter = _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timer = timeout is not { } t ? Task.Delay(Timeout.InfiniteTimeSpan, stop.Token)
            : Task.Delay(t < TimeSpan.Zero ? TimeSpan.Zero : t, time, stop.Token);
        await Task.WhenAny(waiter.Task, timer);
        await stop.CancelAsync();
        lock (_gate)
        {
            if (ReferenceEquals(_waiter, waiter))
                _waiter = null;
        }
    }
}
