using System.Text;
using System.Text.Json;
using Conveyor.Storage;
using Npgsql;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    public async Task<JobInfo?> JobGetAsync(long jobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = CommandFor(connection, _sql.Fill($"SELECT {_sql["JobColumns"]} FROM {{schema}}.jobs WHERE id = @id"));
        command.Parameters.AddWithValue("id", jobId);
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        return await r.ReadAsync(cancellationToken) ? ReadJob(r) : null;
    }

    /// <inheritdoc />
    public async Task<JobPage> JobsListAsync(JobQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new StringBuilder("true");
        var parameters = new List<NpgsqlParameter>();
        void Filter(string clause, string name, object? value)
        {
            if (value is null)
                return;
            where.Append(" AND ").Append(clause);
            parameters.Add(new NpgsqlParameter(name, value));
        }
        Filter("id < @cursor", "cursor", query.Cursor is not null && JobCursor.TryDecode(query.Cursor, out var after) ? after : (long?)null);
        Filter("kind = @kind", "kind", query.Kind);
        Filter("queue = @queue", "queue", query.Queue);
        Filter("tenant = @tenant", "tenant", query.Tenant);
        Filter("user_id = @user", "user", query.User);
        Filter("created_at >= @from", "from", query.CreatedFrom?.ToUniversalTime());
        Filter("created_at < @before", "before", query.CreatedBefore?.ToUniversalTime());
        Filter("@tag = ANY(tags)", "tag", query.Tag);
        if (query.States is { Count: > 0 } states)
        {
            where.Append(" AND (").Append(string.Join(" OR ", states.Distinct().Select(s => s switch
            {
                JobState.Scheduled => "(state = 1 AND run_at > {now})",
                JobState.Pending => "(state = 1 AND run_at <= {now})",
                _ => $"state = {(int)s}",
            }))).Append(')');
        }
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = CommandFor(connection, _sql.Fill($"SELECT {_sql["JobColumns"]} FROM {{schema}}.jobs WHERE {where} ORDER BY id DESC LIMIT @limit"));
        command.Parameters.AddRange(parameters.ToArray());
        command.Parameters.AddWithValue("limit", query.Limit + 1);
        var jobs = new List<JobInfo>(Math.Min(query.Limit + 1, 1001));
        await using (var r = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await r.ReadAsync(cancellationToken))
                jobs.Add(ReadJob(r));
        }
        return JobCursor.Page(jobs, query.Limit);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<JobEvent>> JobEventsListAsync(JobEventsListParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "EventsList");
        command.Parameters.AddWithValue("job_id", parameters.JobId);
        command.Parameters.AddWithValue("after", parameters.AfterEventId);
        command.Parameters.AddWithValue("limit", parameters.Limit);
        var events = new List<JobEvent>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            events.Add(new JobEvent(r.GetInt64(0), r.GetInt64(1), r.GetFieldValue<DateTimeOffset>(2), (JobEventKind)r.GetInt16(3), r.GetInt32(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6)));
        }
        return events;
    }

    private static JobInfo ReadJob(NpgsqlDataReader r)
    {
        static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
        static DateTimeOffset? Instant(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
        double? percent = r.IsDBNull(15) ? null : r.GetDouble(15);
        string? phase = Text(r, 16), message = Text(r, 17);
        var artifacts = Text(r, 19);
        return new JobInfo
        {
            Id = r.GetInt64(0),
            Kind = r.GetString(1),
            Queue = r.GetString(2),
            State = (JobState)r.GetInt16(3),
            Priority = (JobPriority)r.GetInt16(4),
            Payload = r.GetString(5),
            RunAt = r.GetFieldValue<DateTimeOffset>(6),
            Attempt = r.GetInt32(7),
            MaxAttempts = r.GetInt32(8),
            ConcurrencyKey = Text(r, 9),
            IdempotencyKey = Text(r, 10),
            Principal = Principal(r, 11),
            Tags = r.GetFieldValue<string[]>(14),
            Progress = percent is null && phase is null && message is null ? null : new JobProgress(percent, phase, message),
            Result = Text(r, 18),
            Artifacts = artifacts is null ? [] : JsonSerializer.Deserialize<JobArtifact[]>(artifacts, StoreJson.Options) ?? [],
            LastError = Text(r, 20),
            CancelRequested = r.GetBoolean(21),
            CreatedAt = r.GetFieldValue<DateTimeOffset>(22),
            UpdatedAt = r.GetFieldValue<DateTimeOffset>(23),
            StartedAt = Instant(r, 24),
            FinishedAt = Instant(r, 25),
            LeaseExpiresAt = Instant(r, 26),
            Schedule = Text(r, 27),
        };
    }
}
