using System.Text;
using System.Text.Json;
using Conveyor.Storage;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite;

public sealed partial class SqliteJobStore
{
    private static readonly string JobColumns = SqlText.Get("JobColumns");

    /// <inheritdoc />
    public async Task<JobInfo?> JobGetAsync(long jobId, CancellationToken cancellationToken)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {JobColumns} FROM jobs WHERE id = @id";
        command.Parameters.AddWithValue("@id", jobId);
        var now = Now();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        return await r.ReadAsync(cancellationToken) ? ReadJob(r, now) : null;
    }

    /// <inheritdoc />
    public async Task<JobPage> JobsListAsync(JobQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var now = Now();
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        var where = new StringBuilder("1 = 1");
        void Filter(string clause, string name, object? value)
        {
            if (value is null)
                return;
            where.Append(" AND ").Append(clause);
            command.Parameters.AddWithValue(name, value);
        }
        Filter("id < @cursor", "@cursor", query.Cursor is not null && JobCursor.TryDecode(query.Cursor, out var after) ? after : null);
        Filter("kind = @kind", "@kind", query.Kind);
        Filter("queue = @queue", "@queue", query.Queue);
        Filter("tenant = @tenant", "@tenant", query.Tenant);
        Filter("user_id = @user", "@user", query.User);
        Filter("created_at >= @from", "@from", query.CreatedFrom is { } from ? Micros.From(from) : null);
        Filter("created_at < @before", "@before", query.CreatedBefore is { } before ? Micros.From(before) : null);
        Filter("EXISTS (SELECT 1 FROM json_each(jobs.tags) WHERE value = @tag)", "@tag", query.Tag);
        if (query.States is { Count: > 0 } states)
        {
            command.Parameters.AddWithValue("@now", now);
            where.Append(" AND (").Append(string.Join(" OR ", states.Distinct().Select(s => s switch
            {
                JobState.Scheduled => "(state = 1 AND run_at > @now)",
                JobState.Pending => "(state = 1 AND run_at <= @now)",
                _ => $"state = {(int)s}",
            }))).Append(')');
        }
        // LIMIT takes an expression, not a bare parameter, which would make SQLite prepare the statement twice (see jobs.sql).
        command.CommandText = $"SELECT {JobColumns} FROM jobs WHERE {where} ORDER BY id DESC LIMIT CAST(@limit AS INTEGER)";
        command.Parameters.AddWithValue("@limit", query.Limit + 1);
        var jobs = new List<JobInfo>(Math.Min(query.Limit + 1, 1001));
        await using (var r = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await r.ReadAsync(cancellationToken))
                jobs.Add(ReadJob(r, now));
        }
        return JobCursor.Page(jobs, query.Limit);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<JobEvent>> JobEventsListAsync(JobEventsListParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = SqlText.Get("EventsList");
        command.Parameters.AddWithValue("@job_id", parameters.JobId);
        command.Parameters.AddWithValue("@after", parameters.AfterEventId);
        command.Parameters.AddWithValue("@limit", parameters.Limit);
        var events = new List<JobEvent>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            events.Add(new JobEvent(r.GetInt64(0), r.GetInt64(1), Micros.ToInstant(r.GetInt64(2)), (JobEventKind)r.GetInt32(3), r.GetInt32(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6)));
        }
        return events;
    }

    private static JobInfo ReadJob(SqliteDataReader r, long now)
    {
        static string? Text(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
        static DateTimeOffset? Instant(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : Micros.ToInstant(r.GetInt64(i));
        var runAt = r.GetInt64(6);
        double? percent = r.IsDBNull(15) ? null : r.GetDouble(15);
        string? phase = Text(r, 16), message = Text(r, 17);
        var artifacts = Text(r, 19);
        return new JobInfo
        {
            Id = r.GetInt64(0),
            Kind = r.GetString(1),
            Queue = r.GetString(2),
            State = ReportedState(r.GetInt32(3), runAt, now),
            Priority = (JobPriority)r.GetInt32(4),
            Payload = r.GetString(5),
            RunAt = Micros.ToInstant(runAt),
            Attempt = r.GetInt32(7),
            MaxAttempts = r.GetInt32(8),
            ConcurrencyKey = Text(r, 9),
            IdempotencyKey = Text(r, 10),
            Principal = Principal(r, 11),
            Tags = JsonSerializer.Deserialize<string[]>(r.GetString(14)) ?? [],
            Progress = percent is null && phase is null && message is null ? null : new JobProgress(percent, phase, message),
            Result = Text(r, 18),
            Artifacts = artifacts is null ? [] : JsonSerializer.Deserialize<JobArtifact[]>(artifacts, StoreJson.Options) ?? [],
            LastError = Text(r, 20),
            CancelRequested = r.GetInt64(21) != 0,
            CreatedAt = Micros.ToInstant(r.GetInt64(22)),
            UpdatedAt = Micros.ToInstant(r.GetInt64(23)),
            StartedAt = Instant(r, 24),
            FinishedAt = Instant(r, 25),
            LeaseExpiresAt = Instant(r, 26),
            Schedule = Text(r, 27),
        };
    }
}
