using Conveyor.Scheduling;
using Conveyor.Storage;
using Conveyor.Telemetry;

namespace Conveyor.Client;

internal sealed partial class JobClient
{
    public async Task<IReadOnlyList<ScheduleInfo>> ListSchedulesAsync(CancellationToken cancellationToken = default) =>
        await (await _store.GetAsync(cancellationToken)).SchedulesListAsync(cancellationToken);

    public async Task<ScheduleInfo?> GetScheduleAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return await (await _store.GetAsync(cancellationToken)).ScheduleGetAsync(name, cancellationToken);
    }

    public async Task<ScheduleInfo> AddScheduleAsync(ScheduleDefinition definition, CancellationToken cancellationToken = default)
    {
        var schedule = _schedules.Validate(definition);
        var store = await _store.GetAsync(cancellationToken);
        return await store.ScheduleUpsertAsync(new ScheduleUpsertParams(definition, ScheduleSource.Api, schedule.Next(_time.GetUtcNow())), cancellationToken);
    }

    public async Task<ScheduleInfo?> SetSchedulePausedAsync(string name, bool paused, string? actor = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var store = await _store.GetAsync(cancellationToken);
        DateTimeOffset? next = null;
        if (!paused)
        {
            if (await store.ScheduleGetAsync(name, cancellationToken) is not { } existing)
                return null;
            next = CronSchedule.Parse(existing.Definition.Cron, existing.Definition.TimeZone).Next(_time.GetUtcNow());
        }
        return await store.ScheduleSetPausedAsync(new ScheduleSetPausedParams(name, paused, actor, next), cancellationToken);
    }

    public async Task<bool> RemoveScheduleAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return await (await _store.GetAsync(cancellationToken)).ScheduleDeleteAsync(name, cancellationToken);
    }

    public async Task<EnqueueResult?> TriggerScheduleAsync(string name, string? actor = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var store = await _store.GetAsync(cancellationToken);
        if (await store.ScheduleGetAsync(name, cancellationToken) is not { } schedule)
            return null;
        // A trigger is no tick: its own key, so it never collides with (or stands in for) a tick's job.
        var job = _schedules.Template(schedule.Definition) with { IdempotencyKey = $"schedule:{name}:manual:{Guid.NewGuid():N}" };
        var inserted = await store.ScheduleTriggerAsync(new ScheduleTriggerParams(name, job, actor), cancellationToken);
        if (inserted is null)
            return null;
        JobMetrics.RecordEnqueued([job], [inserted]);
        return new EnqueueResult(inserted.JobId, inserted.State, inserted.Existing);
    }
}
