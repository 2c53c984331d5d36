using Conveyor.Routing;
using Conveyor.Storage;
using Conveyor.Telemetry;
using Conveyor.Worker;
using Microsoft.Extensions.Logging;

namespace Conveyor.Scheduling;

/// <summary>
/// Fires recurring schedules. Every worker process runs one (unless <see cref="ConveyorOptions.RunScheduler"/> is
/// false); no leader is elected. Each round lists the due schedules with the store's now, plans each one's ticks
/// (<see cref="TickPlan"/>) and fires them with <see cref="IJobStore.ScheduleFireAsync"/>, a compare-and-set of the
/// stored next fire time, so of all schedulers that read the same due time exactly one inserts the tick's jobs and the
/// others change nothing. Between rounds it sleeps until the earliest next fire time, at most
/// <see cref="ConveyorOptions.SchedulerPollInterval"/>, and wakes early when the store signals a schedule change
/// (<see cref="StoreSignals.SchedulesChanged"/>: this process's, or on PostgreSQL any process's, by NOTIFY). Nothing is
/// kept in memory between rounds: the next fire time is in the store, so a restart loses no tick.
/// </summary>
internal sealed class Scheduler(ConveyorOptions options, IJobStore store, TimeProvider time, ILogger logger)
{
    private readonly WakeSignal _changed = new();

    /// <summary>The most due schedules one round reads; a full page is followed by another round at once.</summary>
    internal const int PageSize = 100;

    private readonly ScheduleJobs _jobs = new(options, new JobRouter(options));
    private readonly HashSet<string> _unfit = new(StringComparer.Ordinal);

    /// <summary>
    /// Writes the schedules defined in code to the store: new ones get their first tick after now; changed ones keep
    /// their next tick unless the expression or zone changed; an operator's pause stays.
    /// </summary>
    public async Task SyncCodeSchedulesAsync(CancellationToken cancellationToken)
    {
        foreach (var recurring in options.Recurring.Values)
        {
            var definition = recurring.Definition(options.SerializerOptions);
            var schedule = _jobs.Validate(definition);
            await store.ScheduleUpsertAsync(new ScheduleUpsertParams(definition, ScheduleSource.Code, schedule.Next(time.GetUtcNow())), cancellationToken);
        }
        if (options.Recurring.Count > 0)
            logger.LogInformation("Recurring schedules defined in code stored ({Count}): {Names}", options.Recurring.Count, string.Join(", ", options.Recurring.Keys));
    }

    /// <summary>Runs rounds until <paramref name="stop"/> fires; a failed round is logged and tried again after the poll interval.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        store.Signals.SchedulesChanged += _changed.Set;
        try
        {
            await RoundsAsync(stop);
        }
        finally
        {
            store.Signals.SchedulesChanged -= _changed.Set;
        }
    }

    private async Task RoundsAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var wait = await RoundAsync(stop);
                if (wait > TimeSpan.Zero)
                    await _changed.WaitAsync(wait, time, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Firing recurring schedules failed; trying again in {Interval}", options.SchedulerPollInterval);
                try
                {
                    await Task.Delay(options.SchedulerPollInterval, time, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One round: fires every due schedule; returns how long to sleep before the next round.</summary>
    internal async Task<TimeSpan> RoundAsync(CancellationToken cancellationToken)
    {
        var due = await store.SchedulesDueAsync(new SchedulesDueParams(PageSize), cancellationToken);
        foreach (var schedule in due.Due)
            await FireAsync(schedule, due.Now, cancellationToken);
        if (due.Due.Count == PageSize)
            return TimeSpan.Zero;
        var wait = options.SchedulerPollInterval;
        if (due.NextDueAt is { } next && next - due.Now < wait)
            wait = next - due.Now;
        return wait;
    }

    private async Task FireAsync(ScheduleInfo schedule, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var definition = schedule.Definition;
        CronSchedule cron;
        NewJob job;
        try
        {
            cron = CronSchedule.Parse(definition.Cron, definition.TimeZone);
            job = _jobs.Template(definition);
        }
        catch (JobValidationException e)
        {
            // Another process may know the job type (a cluster mid-deploy); this one leaves the tick to it.
            if (_unfit.Add(schedule.Name))
                logger.LogWarning("Schedule {Schedule} does not fit this process's configuration and is left to others: {Problem}", schedule.Name, e.Message);
            return;
        }
        _unfit.Remove(schedule.Name);
        var plan = TickPlan.For(cron, schedule.NextFireAt!.Value, now, definition.Misfire, definition.MaxCatchUp, options.ScheduleMisfireThreshold);
        var ticks = plan.Ticks;
        // With overlap skip, the ticks of one firing would overlap each other: only the latest fires.
        if (definition.Overlap == OverlapPolicy.Skip && ticks.Count > 1)
            ticks = [ticks[^1]];
        var result = await store.ScheduleFireAsync(new ScheduleFireParams
        {
            Name = schedule.Name,
            Expected = schedule.NextFireAt.Value,
            Next = plan.Next,
            Ticks = ticks,
            Job = job,
            SkipWhileActive = definition.Overlap == OverlapPolicy.Skip,
        }, cancellationToken);
        if (!result.Applied)
            return;
        // Fired jobs count as enqueued, like any submission (they bypass the client, which counts the others).
        JobMetrics.RecordEnqueued([.. result.JobIds.Select(_ => job)], [.. result.JobIds.Select(id => new JobInsertResult(id, JobState.Pending, false))]);
        if (plan.MissedAny)
            logger.LogInformation("Schedule {Schedule} missed ticks (due since {Due}); misfire policy {Policy} fired {Count} jobs", schedule.Name, schedule.NextFireAt, definition.Misfire, result.JobIds.Count);
        else if (result.SkippedOverlap)
            logger.LogInformation("Schedule {Schedule} skipped its tick: its previous job {JobId} is still active (overlap policy skip)", schedule.Name, schedule.LastJobId);
        else
            logger.LogDebug("Schedule {Schedule} fired jobs {JobIds}", schedule.Name, result.JobIds);
        if (plan.Next is null)
            logger.LogWarning("Schedule {Schedule} ('{Cron}') has no tick after {Now}; it will not fire again", schedule.Name, definition.Cron, now);
    }
}
