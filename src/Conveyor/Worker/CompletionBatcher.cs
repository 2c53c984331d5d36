using System.Threading.Channels;
using Conveyor.Storage;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker;

/// <summary>
/// Group commit for finished attempts: completions queue up while the previous batch commits, then go to the
/// store in one call. No timer adds latency: an idle batcher writes a lone completion at once.
/// </summary>
internal sealed class CompletionBatcher : IAsyncDisposable
{
    private const int MaxBatch = 512;

    private readonly Channel<(JobCompletion Completion, TaskCompletionSource<bool> Applied)> _channel =
        Channel.CreateUnbounded<(JobCompletion, TaskCompletionSource<bool>)>(new UnboundedChannelOptions { SingleReader = true });

    private readonly IJobStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abandon = new();
    private readonly Task _loop;

    public CompletionBatcher(IJobStore store, TimeProvider time, ILogger logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues a completion; the task tells whether it applied (false: the lease had been lost).</summary>
    public Task<bool> SubmitAsync(JobCompletion completion)
    {
        var applied = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_channel.Writer.TryWrite((completion, applied)))
            return applied.Task;
        _logger.LogWarning("Job {JobId} finished ({Outcome}) after the worker stopped; its lease will expire and the reaper will recover it", completion.Lease.JobId, completion.Outcome);
        return Task.FromResult(false);
    }

    private async Task RunAsync()
    {
        var batch = new List<(JobCompletion Completion, TaskCompletionSource<bool> Applied)>(MaxBatch);
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var item))
                batch.Add(item);
            await WriteAsync(batch);
            batch.Clear();
        }
    }

    private async Task WriteAsync(List<(JobCompletion Completion, TaskCompletionSource<bool> Applied)> batch)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                var applied = (await _store.JobsCompleteAsync(new JobsCompleteParams(batch.ConvertAll(b => b.Completion)), CancellationToken.None)).ToHashSet();
                foreach (var (completion, result) in batch)
                    result.TrySetResult(applied.Contains(completion.Lease.JobId));
                return;
            }
            catch (Exception e) when (!_abandon.IsCancellationRequested)
            {
                // The store is unreachable: keep the completions and try again; until then their leases keep
                // them safe, and if this process dies the reaper recovers them.
                _logger.LogError(e, "Writing {Count} job completions failed; retrying in {Delay}", batch.Count, delay);
                try
                {
                    await Task.Delay(delay, _time, _abandon.Token);
                }
                catch (OperationCanceledException)
                {
                    // Abandoned below.
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
            catch (Exception e)
            {
                foreach (var (_, result) in batch)
                    result.TrySetException(e);
                return;
            }
        }
    }

    /// <summary>Writes everything queued, waiting at most <paramref name="timeout"/> for an unreachable store.</summary>
    public async Task FlushAndStopAsync(TimeSpan timeout)
    {
        _channel.Writer.TryComplete();
        _abandon.CancelAfter(timeout);
        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await FlushAndStopAsync(TimeSpan.Zero);
        _abandon.Dispose();
    }
}
