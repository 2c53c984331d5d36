using System.Globalization;

namespace Conveyor.Storage;

/// <summary>Parameters of <see cref="IJobStore.ScheduleUpsertAsync"/>.</summary>
/// <param name="Definition">The schedule, validated by the caller.</param>
/// <param name="Source">Where it was defined.</param>
/// <param name="NextFireAt">
/// Its first tick after the caller's now (null when the expression never fires): stored when the schedule is new or its
/// expression or time zone changed; otherwise the stored next fire time stands, so a restart loses no tick.
/// </param>
public sealed record ScheduleUpsertParams(ScheduleDefinition Definition, ScheduleSource Source, DateTimeOffset? NextFireAt);

/// <summary>Parameters of <see cref="IJobStore.ScheduleSetPausedAsync"/>.</summary>
/// <param name="Name">The schedule.</param>
/// <param name="Paused">True to pause, false to resume.</param>
/// <param name="Actor">Who pauses, kept while it is paused.</param>
/// <param name="NextFireAt">On resume, the first tick after the caller's now: ticks that fell in the pause never fire. Ignored on pause.</param>
public sealed record ScheduleSetPausedParams(string Name, bool Paused, string? Actor, DateTimeOffset? NextFireAt = null);

/// <summary>Parameters of <see cref="IJobStore.SchedulesDueAsync"/>.</summary>
/// <param name="Limit">The most due schedules to return, earliest next fire time first.</param>
public sealed record SchedulesDueParams(int Limit);

/// <summary>What <see cref="IJobStore.SchedulesDueAsync"/> found.</summary>
/// <param name="Now">The store's now the listing was judged by; the scheduler plans ticks against it.</param>
/// <param name="Due">Schedules not paused whose next fire time is at or before <paramref name="Now"/>, earliest first.</param>
/// <param name="NextDueAt">The earliest next fire time after <paramref name="Now"/> among schedules not paused; null when none.</param>
public sealed record SchedulesDueResult(DateTimeOffset Now, IReadOnlyList<ScheduleInfo> Due, DateTimeOffset? NextDueAt);

/// <summary>Parameters of <see cref="IJobStore.ScheduleFireAsync"/>.</summary>
public sealed record ScheduleFireParams
{
    /// <summary>The schedule.</summary>
    public required string Name { get; init; }

    /// <summary>The next fire time the caller read; the firing applies only while the store still holds exactly this value.</summary>
    public required DateTimeOffset Expected { get; init; }

    /// <summary>The next fire time to store (null: never again).</summary>
    public required DateTimeOffset? Next { get; init; }

    /// <summary>The ticks that get a job each, in order (may be empty: the firing only moves the next fire time).</summary>
    public required IReadOnlyList<DateTimeOffset> Ticks { get; init; }

    /// <summary>The job each tick inserts; the store sets its idempotency key (<see cref="TickKey"/>) and links it to the schedule.</summary>
    public required NewJob Job { get; init; }

    /// <summary>Insert nothing while the schedule's latest job is still waiting, running or awaiting input (overlap skip).</summary>
    public bool SkipWhileActive { get; init; }

    /// <summary>The idempotency key of the job of <paramref name="name"/>'s tick at <paramref name="tick"/>: <c>schedule:&lt;name&gt;:&lt;UTC instant&gt;</c>.</summary>
    public static string TickKey(string name, DateTimeOffset tick) =>
        $"schedule:{name}:{tick.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}";
}

/// <summary>The outcome of <see cref="IJobStore.ScheduleFireAsync"/>.</summary>
/// <param name="Applied">True when this call moved the next fire time; false when another firing (or a change of the schedule) came first and nothing changed.</param>
/// <param name="JobIds">The jobs inserted, one per tick, in tick order.</param>
/// <param name="SkippedOverlap">True when the ticks were skipped because the latest job was still active.</param>
public sealed record ScheduleFireResult(bool Applied, IReadOnlyList<long> JobIds, bool SkippedOverlap);

/// <summary>Parameters of <see cref="IJobStore.ScheduleTriggerAsync"/>.</summary>
/// <param name="Name">The schedule.</param>
/// <param name="Job">The job to insert now; its idempotency key must be unique to this trigger.</param>
/// <param name="Actor">Who triggers, recorded in the job's history.</param>
public sealed record ScheduleTriggerParams(string Name, NewJob Job, string? Actor);
