using Conveyor.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    public async Task<ScheduleInfo> ScheduleUpsertAsync(ScheduleUpsertParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var d = parameters.Definition;
        await using (var connection = await OpenAsync(cancellationToken))
        await using (var upsert = Command(connection, "ScheduleUpsert"))
        {
            upsert.Parameters.Add(Text("name", d.Name));
            upsert.Parameters.Add(Text("cron", d.Cron));
            upsert.Parameters.Add(Text("time_zone", d.TimeZone));
            upsert.Parameters.Add(Text("kind", d.Kind));
            upsert.Parameters.Add(Text("payload", d.Payload));
            upsert.Parameters.Add(Text("queue", d.Queue));
            upsert.Parameters.Add(Small("priority", d.Priority is { } priority ? (short)priority : null));
            upsert.Parameters.Add(Small("misfire", (short)d.Misfire));
            upsert.Parameters.Add(new NpgsqlParameter<int>("max_catch_up", NpgsqlDbType.Integer) { TypedValue = d.MaxCatchUp });
            upsert.Parameters.Add(Small("overlap", (short)d.Overlap));
            upsert.Parameters.Add(Small("source", (short)parameters.Source));
            upsert.Parameters.Add(Instant("next_fire_at", parameters.NextFireAt));
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }
        Signals.PublishSchedulesChanged();
        return (await ScheduleGetAsync(d.Name, cancellationToken))!;
    }

    /// <inheritdoc />
    public async Task<ScheduleInfo?> ScheduleGetAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        await using var connection = await OpenAsync(cancellationToken);
        await using var get = ScheduleCommand(connection, "ScheduleGet");
        get.Parameters.Add(Text("name", name));
        await using var r = await get.ExecuteReaderAsync(cancellationToken);
        return await r.ReadAsync(cancellationToken) ? ReadSchedule(r, 0) : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ScheduleInfo>> SchedulesListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var list = ScheduleCommand(connection, "SchedulesList");
        var schedules = new List<ScheduleInfo>();
        await using var r = await list.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
            schedules.Add(ReadSchedule(r, 0));
        return schedules;
    }

    /// <inheritdoc />
    public async Task<ScheduleInfo?> ScheduleSetPausedAsync(ScheduleSetPausedParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        int changed;
        await using (var connection = await OpenAsync(cancellationToken))
        await using (var set = Command(connection, "ScheduleSetPaused"))
        {
            set.Parameters.Add(Text("name", parameters.Name));
            set.Parameters.Add(new NpgsqlParameter<bool>("paused", NpgsqlDbType.Boolean) { TypedValue = parameters.Paused });
            set.Parameters.Add(Text("actor", parameters.Actor));
            set.Parameters.Add(Instant("next_fire_at", parameters.NextFireAt));
            changed = (int)(long)(await set.ExecuteScalarAsync(cancellationToken))!;
        }
        if (changed == 1)
            Signals.PublishSchedulesChanged();
        return changed == 1 ? await ScheduleGetAsync(parameters.Name, cancellationToken) : null;
    }

    /// <inheritdoc />
    public async Task<bool> ScheduleDeleteAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        await using var connection = await OpenAsync(cancellationToken);
        await using var delete = Command(connection, "ScheduleDelete");
        delete.Parameters.Add(Text("name", name));
        return await delete.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async Task<SchedulesDueResult> SchedulesDueAsync(SchedulesDueParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        await using var connection = await OpenAsync(cancellationToken);
        await using var due = ScheduleCommand(connection, "SchedulesDue");
        due.Parameters.Add(new NpgsqlParameter<int>("limit", NpgsqlDbType.Integer) { TypedValue = parameters.Limit });
        var schedules = new List<ScheduleInfo>();
        DateTimeOffset now = default;
        DateTimeOffset? next = null;
        await using var r = await due.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            now = r.GetFieldValue<DateTimeOffset>(0);
            next = r.IsDBNull(1) ? null : r.GetFieldValue<DateTimeOffset>(1);
            if (!r.IsDBNull(2))
                schedules.Add(ReadSchedule(r, 2));
        }
        return new SchedulesDueResult(now, schedules, next);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One READ COMMITTED transaction: the compare-and-set takes the schedule's row lock, so a concurrent firing of the
    /// same tick waits for it and then, seeing the new next fire time, updates nothing; the overlap check, the inserts
    /// (the store's own insert, with the tick keys), the links and the schedule's latest job all commit with it.
    /// </remarks>
    public async Task<ScheduleFireResult> ScheduleFireAsync(ScheduleFireParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var (result, ready) = await RetryDeadlocksAsync(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);
            long? lastJob;
            await using (var advance = Command(connection, "ScheduleAdvance", transaction))
            {
                advance.Parameters.Add(Text("name", parameters.Name));
                advance.Parameters.Add(Instant("expected", parameters.Expected));
                advance.Parameters.Add(Instant("next_fire_at", parameters.Next));
                await using var r = await advance.ExecuteReaderAsync(cancellationToken);
                if (!await r.ReadAsync(cancellationToken))
                    return (new ScheduleFireResult(false, [], false), (List<(string, DateTimeOffset)>?)null);
                lastJob = r.IsDBNull(0) ? null : r.GetInt64(0);
            }
            if (parameters.SkipWhileActive && lastJob is { } previous && await IsActiveAsync(connection, transaction, previous, cancellationToken))
            {
                await transaction.CommitAsync(cancellationToken);
                return (new ScheduleFireResult(true, [], true), null);
            }
            if (parameters.Ticks.Count == 0)
            {
                await transaction.CommitAsync(cancellationToken);
                return (new ScheduleFireResult(true, [], false), null);
            }
            var jobs = parameters.Ticks.Select(t => parameters.Job with { IdempotencyKey = ScheduleFireParams.TickKey(parameters.Name, t) }).ToList();
            var (inserted, ready) = await InsertAsync(connection, transaction, new InsertPlan(new JobsInsertParams(jobs)), Origin, cancellationToken);
            var links = inserted.Select((job, i) => (job, i)).Where(x => !x.job.Existing)
                .Select(x => (x.job.JobId, $"Fired by schedule '{parameters.Name}' for its tick at {parameters.Ticks[x.i].UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}.")).ToList();
            await LinkAsync(connection, transaction, parameters.Name, links, cancellationToken);
            await RecordJobAsync(connection, transaction, parameters.Name, inserted[^1].JobId, parameters.Ticks[^1], cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return (new ScheduleFireResult(true, [.. inserted.Select(j => j.JobId)], false), ready);
        });
        if (ready is { Count: > 0 })
        {
            PublishReady(ready);
            Signals.PublishEventsAppended();
        }
        return result;
    }

    /// <inheritdoc />
    public async Task<JobInsertResult?> ScheduleTriggerAsync(ScheduleTriggerParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var (result, ready) = await RetryDeadlocksAsync(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken);
            await using (var exists = Command(connection, "ScheduleExists", transaction))
            {
                exists.Parameters.Add(Text("name", parameters.Name));
                if ((long)(await exists.ExecuteScalarAsync(cancellationToken))! == 0)
                    return ((JobInsertResult?)null, (List<(string, DateTimeOffset)>?)null);
            }
            var (inserted, ready) = await InsertAsync(connection, transaction, new InsertPlan(new JobsInsertParams([parameters.Job])), Origin, cancellationToken);
            var job = inserted[0];
            if (!job.Existing)
            {
                var by = parameters.Actor is null ? "" : $" by {parameters.Actor}";
                await LinkAsync(connection, transaction, parameters.Name, [(job.JobId, $"Triggered by hand{by} from schedule '{parameters.Name}'.")], cancellationToken);
                await RecordJobAsync(connection, transaction, parameters.Name, job.JobId, null, cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
            return (job, ready);
        });
        if (ready is { Count: > 0 })
        {
            PublishReady(ready);
            Signals.PublishEventsAppended();
        }
        return result;
    }

    private async Task<bool> IsActiveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long jobId, CancellationToken cancellationToken)
    {
        await using var active = Command(connection, "ScheduleJobActive", transaction);
        active.Parameters.Add(new NpgsqlParameter<long>("job_id", NpgsqlDbType.Bigint) { TypedValue = jobId });
        return (long)(await active.ExecuteScalarAsync(cancellationToken))! > 0;
    }

    private async Task LinkAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, IReadOnlyList<(long JobId, string Message)> links, CancellationToken cancellationToken)
    {
        if (links.Count == 0)
            return;
        await using var link = Command(connection, "JobsLinkSchedule", transaction);
        link.Parameters.Add(Text("name", name));
        link.Parameters.Add(new NpgsqlParameter<long[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. links.Select(l => l.JobId)] });
        link.Parameters.Add(new NpgsqlParameter<string[]>("messages", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. links.Select(l => l.Message)] });
        await link.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task RecordJobAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, long jobId, DateTimeOffset? tick, CancellationToken cancellationToken)
    {
        await using var record = Command(connection, "ScheduleRecordJob", transaction);
        record.Parameters.Add(Text("name", name));
        record.Parameters.Add(new NpgsqlParameter<long>("job_id", NpgsqlDbType.Bigint) { TypedValue = jobId });
        record.Parameters.Add(Instant("tick", tick));
        await record.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A command for a schedule block that reads <c>{ScheduleColumns}</c>.</summary>
    private NpgsqlCommand ScheduleCommand(NpgsqlConnection connection, string name) =>
        CommandFor(connection, _sql[name].Replace("{ScheduleColumns}", _sql["ScheduleColumns"], StringComparison.Ordinal));

    private static NpgsqlParameter Small(string name, short? value) =>
        new(name, NpgsqlDbType.Smallint) { Value = value is { } v ? v : DBNull.Value };

    private static NpgsqlParameter Instant(string name, DateTimeOffset? value) =>
        new(name, NpgsqlDbType.TimestampTz) { Value = value is { } v ? v : DBNull.Value };

    private static ScheduleInfo ReadSchedule(NpgsqlDataReader r, int at)
    {
        DateTimeOffset? When(int i) => r.IsDBNull(at + i) ? null : r.GetFieldValue<DateTimeOffset>(at + i);
        return new ScheduleInfo
        {
            Definition = new ScheduleDefinition
            {
                Name = r.GetString(at),
                Cron = r.GetString(at + 1),
                TimeZone = r.GetString(at + 2),
                Kind = r.GetString(at + 3),
                Payload = r.GetString(at + 4),
                Queue = r.IsDBNull(at + 5) ? null : r.GetString(at + 5),
                Priority = r.IsDBNull(at + 6) ? null : (JobPriority)r.GetInt16(at + 6),
                Misfire = (MisfirePolicy)r.GetInt16(at + 7),
                MaxCatchUp = r.GetInt32(at + 8),
                Overlap = (OverlapPolicy)r.GetInt16(at + 9),
            },
            Source = (ScheduleSource)r.GetInt16(at + 10),
            Paused = r.GetBoolean(at + 11),
            PausedBy = r.IsDBNull(at + 12) ? null : r.GetString(at + 12),
            NextFireAt = When(13),
            LastFiredAt = When(14),
            LastJobId = r.IsDBNull(at + 15) ? null : r.GetInt64(at + 15),
            CreatedAt = r.GetFieldValue<DateTimeOffset>(at + 16),
            UpdatedAt = r.GetFieldValue<DateTimeOffset>(at + 17),
        };
    }
}
