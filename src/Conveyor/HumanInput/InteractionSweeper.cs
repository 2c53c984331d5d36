using Conveyor.Storage;
using Conveyor.Worker;
using Microsoft.Extensions.Logging;

namespace Conveyor.HumanInput;

/// <summary>
/// Applies the time-out policy of questions nobody answered in time. Like the reaper, every worker process runs one:
/// the store's expiry is one conditional statement per batch, so a time-out fires once however many sweep at once.
/// </summary>
internal sealed class InteractionSweeper(ConveyorOptions options, IJobStore store, TimeProvider time, ILogger logger)
{
    private const int BatchSize = 500;

    public Task RunAsync(CancellationToken stop) => PeriodicLoop.RunAsync(
        options.InteractionSweepInterval, time, SweepAsync,
        e => logger.LogError(e, "Looking for unanswered questions past their deadline failed; trying again in {Interval}", options.InteractionSweepInterval),
        stop);

    internal async Task SweepAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<ExpiredInteraction> expired;
        do
        {
            expired = await store.InteractionsExpireAsync(new InteractionsExpireParams(BatchSize), cancellationToken);
            foreach (var e in expired)
            {
                logger.LogInformation("Question '{Key}' of job {JobId} timed out: the question is now {State}, the job {JobState}",
                    e.Key, e.JobId, e.State.ToWireName(), e.JobState.ToWireName());
            }
        }
        while (expired.Count == BatchSize);
    }
}
