using System.Text.Json;
using Conveyor.Storage;

namespace Conveyor.Sqlite;

public sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<long>> JobsCompleteAsync(JobsCompleteParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Completions.Count == 0)
            return [];
        var items = CompletionItems(parameters.Completions);
        var (applied, wake) = await WriteAsync(now => Complete(items, now), cancellationToken);
        Publish(wake);
        return applied;
    }

    /// <summary>
    /// The completions as the completion SQL reads them, one per job: plain successes (no result, artefacts or
    /// error; the drain's common case) as leases per actor, everything else as one JSON array of objects.
    /// </summary>
    private static CompletionSet CompletionItems(IReadOnlyList<JobCompletion> completions)
    {
        // One completion per job: a duplicate could only repeat a write the fence decides once anyway.
        var distinct = completions.DistinctBy(c => c.Lease.JobId).ToList();
        var plain = distinct.Where(c => c.IsPlainSuccess).GroupBy(c => c.Actor)
            .Select(g => (g.Key, g.Select(c => c.Lease).ToArray()))
            .ToList();
        var general = distinct.Where(c => !c.IsPlainSuccess).ToList();
        return new CompletionSet(plain, general.Count == 0 ? null : Json(w =>
        {
            foreach (var c in general)
                WriteCompletion(w, c);
        }));
    }

    /// <summary>Completions ready for the SQL: plain successes as (actor, leases), the rest as one JSON array of objects.</summary>
    private sealed record CompletionSet(IReadOnlyList<(string? Actor, JobLease[] Leases)> PlainSuccesses, string? Others);

    /// <summary>Applies completions inside the current write transaction; returns the applied ids and the queues to wake.</summary>
    private (List<long> Applied, List<(string Queue, long At)> Wake) Complete(CompletionSet items, long now)
    {
        var applied = new List<long>();
        var wake = new List<(string Queue, long At)>();
        foreach (var (actor, leases) in items.PlainSuccesses)
        {
            foreach (var chunk in leases.Chunk(IdSlots.Count))
            {
                var update = Named("CompleteSucceededUpdate");
                IdSlots.BindLeases(update, chunk);
                update.Parameters.AddWithValue("@actor", (object?)actor ?? DBNull.Value);
                update.Parameters.AddWithValue("@now", now);
                using var r = update.ExecuteReader();
                while (r.Read())
                {
                    applied.Add(r.GetInt64(0));
                    _eventsAppended = true; // by the trigger jobs_succeeded
                    if (!r.IsDBNull(1))
                        wake.Add((StoreSignals.AnyQueue, now));
                }
            }
        }
        if (items.Others is { } others)
            CompleteOthers(others, now, applied, wake);
        return (applied, wake);
    }

    private void CompleteOthers(string items, long now, List<long> applied, List<(string Queue, long At)> wake)
    {
        var events = Named("CompleteEvents");
        events.Parameters.AddWithValue("@items", items);
        events.Parameters.AddWithValue("@now", now);
        events.ExecuteNonQuery();

        var update = Named("CompleteUpdate");
        update.Parameters.AddWithValue("@items", items);
        update.Parameters.AddWithValue("@now", now);
        using var r = update.ExecuteReader();
        while (r.Read())
        {
            applied.Add(r.GetInt64(0));
            _eventsAppended = true; // every applied completion has its event (a success's from the trigger jobs_succeeded)
            if (r.GetInt32(2) == (int)JobState.Pending)
                wake.Add((r.GetString(1), r.GetInt64(3)));
            if (!r.IsDBNull(4))
                wake.Add((StoreSignals.AnyQueue, now));
        }
    }

    private static void WriteCompletion(Utf8JsonWriter w, JobCompletion c)
    {
        var (state, kind) = c.Outcome switch
        {
            JobOutcome.Succeeded => (JobState.Succeeded, JobEventKind.Succeeded),
            JobOutcome.Retry => (JobState.Pending, JobEventKind.RetryScheduled),
            JobOutcome.Failed => (JobState.Failed, JobEventKind.Failed),
            JobOutcome.Cancelled => (JobState.Cancelled, JobEventKind.Cancelled),
            JobOutcome.Released => (JobState.Pending, JobEventKind.Released),
            JobOutcome.Snoozed => (JobState.Pending, JobEventKind.Snoozed),
            _ => throw new ArgumentOutOfRangeException(nameof(c), c.Outcome, "Unknown outcome."),
        };
        w.WriteStartObject();
        w.WriteNumber("id", c.Lease.JobId);
        w.WriteNumber("token", c.Lease.LeaseToken);
        w.WriteNumber("state", (int)state);
        w.WriteNumber("event", (int)kind);
        w.WriteNumber("uncharge", c.Outcome is JobOutcome.Released or JobOutcome.Snoozed ? 1 : 0);
        w.WriteNumber("delay", c.Outcome is JobOutcome.Retry or JobOutcome.Snoozed ? Micros.From(c.RetryDelay) : 0);
        WriteOptional(w, "actor", c.Actor);
        WriteOptional(w, "error", c.Error);
        WriteOptional(w, "message", c.Message);
        if (c.Outcome == JobOutcome.Succeeded)
        {
            WriteOptional(w, "result", c.Result);
            if (c.Artifacts is { Count: > 0 } artifacts)
                w.WriteString("artifacts", JsonSerializer.Serialize(artifacts, StoreJson.Options));
        }
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
            w.WriteString(name, value);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ReapedJob>> JobsReapAsync(JobsReapParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        const string why = "Stuck: the lease expired without a heartbeat (the worker died or stalled); recovered by the reaper.";
        var (reaped, wake) = await WriteAsync(now =>
        {
            var reap = Named("JobsReap");
            reap.Parameters.AddWithValue("@now", now);
            reap.Parameters.AddWithValue("@limit", parameters.Limit);
            reap.Parameters.AddWithValue("@message", why);
            var reaped = new List<ReapedJob>();
            var wake = new List<(string Queue, long At)>();
            using (var r = reap.ExecuteReader())
            {
                while (r.Read())
                {
                    var job = new ReapedJob(r.GetInt64(0), r.GetString(1), (JobState)r.GetInt32(2), r.GetInt32(3));
                    reaped.Add(job);
                    if (job.State == JobState.Pending)
                        wake.Add((job.Queue, now));
                    if (!r.IsDBNull(4))
                        wake.Add((StoreSignals.AnyQueue, now));
                }
            }
            foreach (var group in reaped.GroupBy(j => j.State))
                InsertEvents(group.Select(j => j.JobId), now, JobEventKind.Stuck, "reaper", $"{why} Now {group.Key.ToWireName()}.");
            return (reaped, wake);
        }, cancellationToken);
        Publish(wake);
        return reaped;
    }

    private void Publish(List<(string Queue, long At)> wake)
    {
        foreach (var group in wake.GroupBy(w => w.Queue))
            Signals.PublishJobsReady(group.Key, Micros.ToInstant(group.Min(w => w.At)));
    }
}

/// <summary>JSON settings for what the store itself serialises (artefacts).</summary>
internal static class StoreJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
