using System.Text;
using Conveyor.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<JobStep>> JobStepsListAsync(long jobId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "StepsList");
        command.Parameters.AddWithValue("job_id", jobId);
        var steps = new List<JobStep>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
            steps.Add(new JobStep(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetFieldValue<DateTimeOffset>(3)));
        return steps;
    }

    /// <inheritdoc />
    /// <remarks>One statement: the fence, the step and its event.</remarks>
    public async Task<bool> JobStepSaveAsync(JobStepSaveParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        await using var connection = await OpenAsync(cancellationToken);
        await using var save = Command(connection, "StepSave");
        save.Parameters.AddWithValue("job_id", parameters.Lease.JobId);
        save.Parameters.AddWithValue("token", parameters.Lease.LeaseToken);
        save.Parameters.Add(Text("name", parameters.Name));
        save.Parameters.Add(Text("result", parameters.ResultJson));
        save.Parameters.Add(Text("message", $"Step '{parameters.Name}' finished."));
        return EventsAppendedIf((long)(await save.ExecuteScalarAsync(cancellationToken))! == 1);
    }

    /// <inheritdoc />
    /// <remarks>One statement, fenced by the lease: the job's change, the interaction, the event (and a NOTIFY when a cancelled job frees its key).</remarks>
    public async Task<JobSuspendOutcome> JobSuspendAsync(JobSuspendParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var policy = parameters.TimeoutPolicy;
        await using var connection = await OpenAsync(cancellationToken);
        await using var suspend = Command(connection, "JobSuspend");
        suspend.Parameters.AddWithValue("job_id", parameters.Lease.JobId);
        suspend.Parameters.AddWithValue("token", parameters.Lease.LeaseToken);
        suspend.Parameters.Add(Text("key", parameters.Key));
        suspend.Parameters.Add(Text("prompt", parameters.PromptJson));
        suspend.Parameters.Add(new NpgsqlParameter<TimeSpan>("timeout", NpgsqlDbType.Interval) { TypedValue = parameters.Timeout });
        suspend.Parameters.Add(new NpgsqlParameter<short>("action", NpgsqlDbType.Smallint) { TypedValue = (short)policy.Action });
        suspend.Parameters.Add(Text("default_answer", policy.DefaultAnswerJson));
        suspend.Parameters.AddWithValue("max_reasks", policy.MaxReAsks);
        suspend.Parameters.Add(new NpgsqlParameter<string[]>("allowed_users", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. parameters.AllowedUsers] });
        suspend.Parameters.Add(new NpgsqlParameter<string[]>("allowed_roles", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. parameters.AllowedRoles] });
        suspend.Parameters.Add(Text("actor", parameters.Actor));
        suspend.Parameters.Add(Text("message", $"Asked '{parameters.Key}'; awaiting input for up to {parameters.Timeout}."));
        JobSuspendOutcome outcome;
        bool freedKey;
        DateTimeOffset now;
        await using (var r = await suspend.ExecuteReaderAsync(cancellationToken))
        {
            await r.ReadAsync(cancellationToken);
            outcome = r.IsDBNull(0) ? JobSuspendOutcome.LeaseLost
                : r.GetInt16(0) == (short)JobState.Cancelled ? JobSuspendOutcome.Cancelled : JobSuspendOutcome.Suspended;
            freedKey = outcome == JobSuspendOutcome.Cancelled && r.GetBoolean(1);
            now = r.GetFieldValue<DateTimeOffset>(2);
        }
        if (freedKey)
            Signals.PublishJobsReady(StoreSignals.AnyQueue, now);
        EventsAppendedIf(outcome != JobSuspendOutcome.LeaseLost);
        return outcome;
    }

    /// <inheritdoc />
    /// <remarks>One conditional statement: the answer, the job back in its queue, its event and the NOTIFY that wakes the queue.</remarks>
    public async Task<InteractionAnswerOutcome> InteractionAnswerAsync(InteractionAnswerParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var (outcome, queue, now) = await RetryDeadlocksAsync(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var answer = Command(connection, "InteractionAnswer");
            answer.Parameters.AddWithValue("id", parameters.InteractionId);
            answer.Parameters.Add(Text("answer", parameters.AnswerJson));
            answer.Parameters.Add(Text("actor", parameters.Actor));
            await using var r = await answer.ExecuteReaderAsync(cancellationToken);
            await r.ReadAsync(cancellationToken);
            var outcome = r.GetInt64(0) == 1 ? InteractionAnswerOutcome.Answered
                : r.IsDBNull(1) ? InteractionAnswerOutcome.NotFound
                // Pending as this statement's snapshot saw it: a concurrent answer won the row lock.
                : r.GetInt16(1) is (short)InteractionState.Answered or (short)InteractionState.Pending ? InteractionAnswerOutcome.AlreadyAnswered
                : InteractionAnswerOutcome.Closed;
            return (outcome, r.IsDBNull(2) ? null : r.GetString(2), r.GetFieldValue<DateTimeOffset>(3));
        });
        if (queue is not null)
            Signals.PublishJobsReady(queue, now);
        EventsAppendedIf(outcome == InteractionAnswerOutcome.Answered);
        return outcome;
    }

    /// <inheritdoc />
    /// <remarks>One statement per batch: candidates locked with SKIP LOCKED and rechecked, so a time-out fires once across sweepers.</remarks>
    public async Task<IReadOnlyList<ExpiredInteraction>> InteractionsExpireAsync(InteractionsExpireParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var (expired, ready) = await RetryDeadlocksAsync(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var expire = Command(connection, "InteractionsExpire");
            expire.Parameters.AddWithValue("limit", parameters.Limit);
            var expired = new List<ExpiredInteraction>();
            var ready = new List<(string, DateTimeOffset)>();
            await using var r = await expire.ExecuteReaderAsync(cancellationToken);
            while (await r.ReadAsync(cancellationToken))
            {
                var state = (InteractionState)r.GetInt16(3);
                var jobState = state switch
                {
                    InteractionState.Answered => JobState.Pending,
                    InteractionState.Pending => JobState.AwaitingInput,
                    _ => JobState.Failed,
                };
                expired.Add(new ExpiredInteraction(r.GetInt64(0), r.GetInt64(1), r.GetString(2), state, jobState));
                // The statement sent its NOTIFYs; this instance raises its own signals (a failed keyed job frees its key).
                ready.Add((StoreSignals.AnyQueue, r.GetFieldValue<DateTimeOffset>(4)));
            }
            return (expired, ready);
        });
        if (expired.Count > 0)
            PublishReady(ready.Take(1));
        EventsAppendedIf(expired.Count > 0);
        return expired;
    }

    /// <inheritdoc />
    public async Task<InteractionInfo?> InteractionGetAsync(long interactionId, CancellationToken cancellationToken)
    {
        var list = await ReadInteractionsAsync("i.id = @id", [new NpgsqlParameter<long>("id", interactionId)], 1, cancellationToken);
        return list.Count == 0 ? null : list[0];
    }

    /// <inheritdoc />
    public async Task<InteractionPage> InteractionsListAsync(InteractionQuery query, CancellationToken cancellationToken)
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
        Filter("i.id < @cursor", "cursor", query.Cursor is not null && InteractionCursor.TryDecode(query.Cursor, out var after) ? after : (long?)null);
        Filter("i.state = @state", "state", query.State is { } state ? (short)state : (short?)null);
        Filter("i.job_id = @job_id", "job_id", query.JobId);
        Filter("i.key = @key", "key", query.Key);
        Filter("i.tenant = @tenant", "tenant", query.Tenant);
        Filter("i.user_id = @user", "user", query.User);
        var fetched = await ReadInteractionsAsync(where.ToString(), parameters, query.Limit + 1, cancellationToken);
        return InteractionCursor.Page(fetched, query.Limit);
    }

    private async Task<List<InteractionInfo>> ReadInteractionsAsync(string where, IReadOnlyList<NpgsqlParameter> parameters, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = CommandFor(connection, _sql.Fill(
            $"SELECT {_sql["InteractionColumns"]} FROM {{schema}}.interactions AS i JOIN {{schema}}.jobs AS j ON j.id = i.job_id WHERE {where} ORDER BY i.id DESC LIMIT @limit"));
        command.Parameters.AddRange(parameters.ToArray());
        command.Parameters.AddWithValue("limit", limit);
        var list = new List<InteractionInfo>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
            list.Add(ReadInteraction(r));
        return list;
    }

    private static InteractionInfo ReadInteraction(NpgsqlDataReader r)
    {
        static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
        var tenant = r.GetString(7);
        return new InteractionInfo
        {
            Id = r.GetInt64(0),
            JobId = r.GetInt64(1),
            JobKind = r.GetString(2),
            Key = r.GetString(3),
            State = (InteractionState)r.GetInt16(4),
            Prompt = InteractionPrompt.FromJson(r.GetString(5)),
            AnswerJson = Text(r, 6),
            Tenant = tenant.Length == 0 ? null : tenant,
            User = Text(r, 8),
            AllowedUsers = r.GetFieldValue<string[]>(9),
            AllowedRoles = r.GetFieldValue<string[]>(10),
            TimeoutPolicy = new InteractionTimeoutPolicy((InteractionTimeoutAction)r.GetInt16(11), Text(r, 12), r.GetInt32(13)),
            Timeout = r.GetFieldValue<TimeSpan>(14),
            Escalations = r.GetInt32(15),
            AskedAt = r.GetFieldValue<DateTimeOffset>(16),
            Deadline = r.GetFieldValue<DateTimeOffset>(17),
            AnsweredAt = r.IsDBNull(18) ? null : r.GetFieldValue<DateTimeOffset>(18),
            AnsweredBy = Text(r, 19),
        };
    }
}
