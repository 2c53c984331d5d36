using Conveyor.Storage;
using Microsoft.Extensions.Logging;

namespace Conveyor.Worker;

/// <summary>
/// Purges finished jobs, with their history, once they are older than their state's retention age. Every worker
/// process runs one, but only one process at a time purges: every <see cref="RetentionOptions.Interval"/> each
/// tries to take the <c>retention</c> leadership for three intervals, and only its holder purges, in batches of
/// <see cref="RetentionOptions.BatchSize"/> (each its own short transaction) until a batch comes back short. The
/// holder renews the leadership before every batch, so a holder that lost it (it stalled past the TTL and another
/// process took over) stops at the next batch. On stop the leadership is released, so another process can take
/// over at its next round instead of waiting for the TTL to run out.
/// </summary>
/// <remarks>
/// Correctness does not rest on the election: a purge deletes only rows that are old enough, rechecked under lock,
/// so two purgers at once would only waste queries. The election keeps the work and its locks on one node.
/// </remarks>
internal sealed class Retention(ConveyorOptions options, IJobStore store, TimeProvider time, ILogger logger)
{
    /// <summary>The name of the leadership that decides which process purges.</summary>
    internal const string LeaderName = "retention";

    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(5);

    private readonly RetentionOptions _retention = options.Retention;
    private bool _leading;

    /// <summary>How long a leadership lasts without renewal: three rounds, so one slow or failed round does not lose it.</summary>
    internal TimeSpan Ttl => 3 * _retention.Interval;

    /// <summary>Runs a round every interval until <paramref name="stop"/> fires, then releases the leadership if held.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        await PeriodicLoop.RunAsync(
            _retention.Interval, time, RoundAsync,
            e => logger.LogError(e, "Purging finished jobs failed; trying again in {Interval}", _retention.Interval),
            stop);
        await ReleaseAsync();
    }

    /// <summary>One round: while this process holds the leadership, purge a batch; stop after a short batch. Returns how many jobs were purged.</summary>
    internal async Task<int> RoundAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        var batches = 0;
        var purge = new JobsPurgeParams(_retention.SucceededFor, _retention.FailedFor, _retention.CancelledFor, _retention.BatchSize);
        try
        {
            while (await LeadAsync(cancellationToken))
            {
                var purged = await store.JobsPurgeAsync(purge, cancellationToken);
                total += purged;
                batches++;
                if (purged < _retention.BatchSize)
                    break;
            }
            if (_leading)
                await PurgeLimitStartsAsync(cancellationToken);
        }
        finally
        {
            if (total > 0)
                logger.LogInformation("Retention purged {Count} finished jobs and their history in {Batches} batches", total, batches);
        }
        return total;
    }

    /// <summary>Takes or renews the leadership; logs when this process gains or loses it.</summary>
    /// <summary>
    /// Deletes the recorded starts no rate window reaches any more: older than the longest configured period, or all of
    /// them when no limit has a rate. The claim prunes the keys it reads; these are the keys nobody claims again.
    /// </summary>
    private async Task PurgeLimitStartsAsync(CancellationToken cancellationToken)
    {
        var window = options.Limits.Values.Select(l => l.RatePeriod ?? TimeSpan.Zero).DefaultIfEmpty(TimeSpan.Zero).Max();
        var parameters = new LimitStartsPurgeParams(window, _retention.BatchSize);
        while (await store.LimitStartsPurgeAsync(parameters, cancellationToken) == _retention.BatchSize)
        {
            // A full batch: there may be more.
        }
    }

    private async Task<bool> LeadAsync(CancellationToken cancellationToken)
    {
        var leading = await store.LeaderTryAcquireAsync(new LeaderAcquireParams(LeaderName, options.WorkerId, Ttl), cancellationToken);
        if (leading && !_leading)
            logger.LogInformation("Worker {WorkerId} now leads retention (purging finished jobs) for {Ttl} at a time", options.WorkerId, Ttl);
        else if (!leading && _leading)
            logger.LogInformation("Worker {WorkerId} no longer leads retention; another process took over", options.WorkerId);
        _leading = leading;
        return leading;
    }

    /// <summary>Gives the leadership up when this process holds it; a failure is logged, and the leadership then lapses after its TTL.</summary>
    internal async Task ReleaseAsync()
    {
        if (!_leading)
            return;
        _leading = false;
        try
        {
            using var timeout = new CancellationTokenSource(ReleaseTimeout, time);
            if (await store.LeaderReleaseAsync(new LeaderReleaseParams(LeaderName, options.WorkerId), timeout.Token))
                logger.LogInformation("Worker {WorkerId} released the retention leadership", options.WorkerId);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Releasing the retention leadership failed; another process takes over when it lapses, within {Ttl}", Ttl);
        }
    }
}
