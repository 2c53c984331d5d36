using Conveyor.Storage;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite;

public sealed partial class SqliteJobStore
{
    private static readonly string ScheduleColumns = SqlText.Get("ScheduleColumns");

    /// <inheritdoc />
    public async Task<ScheduleInfo> ScheduleUpsertAsync(ScheduleUpsertParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var d = parameters.Definition;
        await WriteAsync(now =>
        {
            var upsert = Named("ScheduleUpsert");
            var p = upsert.Parameters;
            p.AddWithValue("@name", d.Name);
            p.AddWithValue("@cron", d.Cron);
            p.AddWithValue("@time_zone", d.TimeZone);
            p.AddWithValue("@kind", d.Kind);
            p.AddWithValue("@payload", d.Payload);
            p.AddWithValue("@queue", (object?)d.Queue ?? DBNull.Value);
            p.AddWithValue("@priority", d.Priority is { } priority ? (int)priority : DBNull.Value);
            p.AddWithValue("@misfire", (int)d.Misfire);
            p.AddWithValue("@max_catch_up", d.MaxCatchUp);
            p.AddWithValue("@overlap", (int)d.Overlap);
            p.AddWithValue("@source", (int)parameters.Source);
            p.AddWithValue("@next_fire_at", MicrosOrNull(parameters.NextFireAt));
            p.AddWithValue("@now", now);
            return upsert.ExecuteNonQuery();
        }, cancellationToken);
        Signals.PublishSchedulesChanged();
        return (await ScheduleGetAsync(d.Name, cancellationToken))!;
    }

    /// <inheritdoc />
    public async Task<ScheduleInfo?> ScheduleGetAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        var found = await ReadSchedulesAsync($"SELECT {ScheduleColumns} FROM schedules WHERE name = @name", c => c.Parameters.AddWithValue("@name", name), cancellationToken);
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ScheduleInfo>> SchedulesListAsync(CancellationToken cancellationToken) =>
        await ReadSchedulesAsync($"SELECT {ScheduleColumns} FROM schedules ORDER BY name", null, cancellationToken);

    /// <inheritdoc />
    public async Task<ScheduleInfo?> ScheduleSetPausedAsync(ScheduleSetPausedParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var changed = await WriteAsync(now =>
        {
            var set = Named("ScheduleSetPaused");
            set.Parameters.AddWithValue("@name", parameters.Name);
            set.Parameters.AddWithValue("@paused", parameters.Paused ? 1 : 0);
            set.Parameters.AddWithValue("@actor", (object?)parameters.Actor ?? DBNull.Value);
            set.Parameters.AddWithValue("@next_fire_at", MicrosOrNull(parameters.NextFireAt));
            set.Parameters.AddWithValue("@now", now);
            return set.ExecuteNonQuery() == 1;
        }, cancellationToken);
        if (!changed)
            return null;
        Signals.PublishSchedulesChanged();
        return await ScheduleGetAsync(parameters.Name, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> ScheduleDeleteAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        return WriteAsync(_ =>
        {
            var delete = Named("ScheduleDelete");
            delete.Parameters.AddWithValue("@name", name);
            return delete.ExecuteNonQuery() == 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<SchedulesDueResult> SchedulesDueAsync(SchedulesDueParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var now = Now();
        var due = await ReadSchedulesAsync(
            $"SELECT {ScheduleColumns} FROM schedules WHERE paused = 0 AND next_fire_at <= @now ORDER BY next_fire_at LIMIT CAST(@limit AS INTEGER)",
            c =>
            {
                c.Parameters.AddWithValue("@now", now);
                c.Parameters.AddWithValue("@limit", parameters.Limit);
            }, cancellationToken);
        await using var connection = OpenReader();
        await using var next = connection.CreateCommand();
        next.CommandText = SqlText.Get("SchedulesNextDue");
        next.Parameters.AddWithValue("@now", now);
        var nextDue = await next.ExecuteScalarAsync(cancellationToken) is long at ? Micros.ToInstant(at) : (DateTimeOffset?)null;
        return new SchedulesDueResult(Micros.ToInstant(now), due, nextDue);
    }

    /// <inheritdoc />
    public async Task<ScheduleFireResult> ScheduleFireAsync(ScheduleFireParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var (result, readyAt) = await WriteAsync(now =>
        {
            var advance = Named("ScheduleAdvance");
            advance.Parameters.AddWithValue("@name", parameters.Name);
            advance.Parameters.AddWithValue("@expected", Micros.From(parameters.Expected));
            advance.Parameters.AddWithValue("@next_fire_at", MicrosOrNull(parameters.Next));
            advance.Parameters.AddWithValue("@now", now);
            long? lastJob;
            using (var r = advance.ExecuteReader())
            {
                if (!r.Read())
                    return (new ScheduleFireResult(false, [], false), (Dictionary<string, long>?)null);
                lastJob = r.IsDBNull(0) ? null : r.GetInt64(0);
            }
            if (parameters.SkipWhileActive && lastJob is { } previous && IsActive(previous))
                return (new ScheduleFireResult(true, [], true), null);
            if (parameters.Ticks.Count == 0)
                return (new ScheduleFireResult(true, [], false), null);
            var jobs = parameters.Ticks.Select(t => parameters.Job with { IdempotencyKey = ScheduleFireParams.TickKey(parameters.Name, t) }).ToList();
            var (inserted, ready) = InsertJobs(jobs, null, null, now);
            for (var i = 0; i < inserted.Count; i++)
            {
                if (!inserted[i].Existing)
                    LinkToSchedule(inserted[i].JobId, parameters.Name, $"Fired by schedule '{parameters.Name}' for its tick at {parameters.Ticks[i].UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}.");
            }
            RecordJob(parameters.Name, inserted[^1].JobId, parameters.Ticks[^1], now);
            return (new ScheduleFireResult(true, [.. inserted.Select(r => r.JobId)], false), (Dictionary<string, long>?)ready);
        }, cancellationToken);
        foreach (var (queue, at) in readyAt ?? [])
            Signals.PublishJobsReady(queue, Micros.ToInstant(at));
        return result;
    }

    /// <inheritdoc />
    public async Task<JobInsertResult?> ScheduleTriggerAsync(ScheduleTriggerParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var (result, readyAt) = await WriteAsync(now =>
        {
            var exists = Named("ScheduleExists");
            exists.Parameters.AddWithValue("@name", parameters.Name);
            if ((long)exists.ExecuteScalar()! == 0)
                return ((JobInsertResult?)null, (Dictionary<string, long>?)null);
            var (inserted, ready) = InsertJobs([parameters.Job], null, null, now);
            var job = inserted[0];
            if (!job.Existing)
            {
                var by = parameters.Actor is null ? "" : $" by {parameters.Actor}";
                LinkToSchedule(job.JobId, parameters.Name, $"Triggered by hand{by} from schedule '{parameters.Name}'.");
                RecordJob(parameters.Name, job.JobId, null, now);
            }
            return (job, ready);
        }, cancellationToken);
        foreach (var (queue, at) in readyAt ?? [])
            Signals.PublishJobsReady(queue, Micros.ToInstant(at));
        return result;
    }

    private bool IsActive(long jobId)
    {
        var active = Named("ScheduleJobActive");
        active.Parameters.AddWithValue("@job_id", jobId);
        return (long)active.ExecuteScalar()! > 0;
    }

    private void LinkToSchedule(long jobId, string name, string message)
    {
        var link = Named("JobLinkSchedule");
        link.Parameters.AddWithValue("@job_id", jobId);
        link.Parameters.AddWithValue("@name", name);
        link.Parameters.AddWithValue("@message", message);
        link.ExecuteNonQuery();
    }

    private void RecordJob(string name, long jobId, DateTimeOffset? tick, long now)
    {
        var record = Named("ScheduleRecordJob");
        record.Parameters.AddWithValue("@name", name);
        record.Parameters.AddWithValue("@job_id", jobId);
        record.Parameters.AddWithValue("@tick", MicrosOrNull(tick));
        record.Parameters.AddWithValue("@now", now);
        record.ExecuteNonQuery();
    }

    private static object MicrosOrNull(DateTimeOffset? instant) => instant is { } at ? Micros.From(at) : DBNull.Value;

    private async Task<List<ScheduleInfo>> ReadSchedulesAsync(string sql, Action<SqliteCommand>? bind, CancellationToken cancellationToken)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        bind?.Invoke(command);
        var schedules = new List<ScheduleInfo>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
            schedules.Add(ReadSchedule(r));
        return schedules;
    }

    private static ScheduleInfo ReadSchedule(SqliteDataReader r)
    {
        static DateTimeOffset? Instant(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : Micros.ToInstant(r.GetInt64(i));
        return new ScheduleInfo
        {
            Definition = new ScheduleDefinition
            {
                Name = r.GetString(0),
                Cron = r.GetString(1),
                TimeZone = r.GetString(2),
                Kind = r.GetString(3),
                Payload = r.GetString(4),
                Queue = r.IsDBNull(5) ? null : r.GetString(5),
                Priority = r.IsDBNull(6) ? null : (JobPriority)r.GetInt32(6),
                Misfire = (MisfirePolicy)r.GetInt32(7),
                MaxCatchUp = r.GetInt32(8),
                Overlap = (OverlapPolicy)r.GetInt32(9),
            },
            Source = (ScheduleSource)r.GetInt32(10),
            Paused = r.GetInt64(11) != 0,
            PausedBy = r.IsDBNull(12) ? null : r.GetString(12),
            NextFireAt = Instant(r, 13),
            LastFiredAt = Instant(r, 14),
            LastJobId = r.IsDBNull(15) ? null : r.GetInt64(15),
            CreatedAt = Micros.ToInstant(r.GetInt64(16)),
            UpdatedAt = Micros.ToInstant(r.GetInt64(17)),
        };
    }
}
