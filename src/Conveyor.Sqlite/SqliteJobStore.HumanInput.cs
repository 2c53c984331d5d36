using System.Text;
using System.Text.Json;
using Conveyor.Storage;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite;

public sealed partial class SqliteJobStore
{
    private static readonly string InteractionColumns = SqlText.Get("InteractionColumns");

    /// <inheritdoc />
    public async Task<IReadOnlyList<JobStep>> JobStepsListAsync(long jobId, CancellationToken cancellationToken)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = SqlText.Get("StepsList");
        command.Parameters.AddWithValue("@job_id", jobId);
        var steps = new List<JobStep>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
            steps.Add(new JobStep(r.GetString(0), r.GetString(1), r.GetInt32(2), Micros.ToInstant(r.GetInt64(3))));
        return steps;
    }

    /// <inheritdoc />
    public Task<bool> JobStepSaveAsync(JobStepSaveParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return WriteAsync(now =>
        {
            var touch = Named("AttemptTouch");
            touch.Parameters.AddWithValue("@now", now);
            touch.Parameters.AddWithValue("@job_id", parameters.Lease.JobId);
            touch.Parameters.AddWithValue("@token", parameters.Lease.LeaseToken);
            if (touch.ExecuteNonQuery() != 1)
                return false;
            var save = Named("StepSave");
            save.Parameters.AddWithValue("@job_id", parameters.Lease.JobId);
            save.Parameters.AddWithValue("@name", parameters.Name);
            save.Parameters.AddWithValue("@result", parameters.ResultJson);
            save.Parameters.AddWithValue("@now", now);
            // A step stored already (by an earlier call of this attempt) keeps its result and its one event.
            if (save.ExecuteNonQuery() == 1)
                FencedEvent(parameters.Lease, now, JobEventKind.StepCompleted, $"Step '{parameters.Name}' finished.");
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<JobSuspendOutcome> JobSuspendAsync(JobSuspendParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var policy = parameters.TimeoutPolicy;
        var (outcome, freedKey) = await WriteAsync(now =>
        {
            var deadline = Micros.ToInstant(now + Micros.From(parameters.Timeout));
            var events = Named("SuspendEvent");
            events.Parameters.AddWithValue("@job_id", parameters.Lease.JobId);
            events.Parameters.AddWithValue("@token", parameters.Lease.LeaseToken);
            events.Parameters.AddWithValue("@now", now);
            events.Parameters.AddWithValue("@actor", (object?)parameters.Actor ?? DBNull.Value);
            events.Parameters.AddWithValue("@message", $"Asked '{parameters.Key}'; awaiting input until {deadline:O}.");
            if (events.ExecuteNonQuery() != 1)
                return (JobSuspendOutcome.LeaseLost, false);
            _eventsAppended = true;

            var suspend = Named("SuspendJob");
            suspend.Parameters.AddWithValue("@job_id", parameters.Lease.JobId);
            suspend.Parameters.AddWithValue("@token", parameters.Lease.LeaseToken);
            suspend.Parameters.AddWithValue("@now", now);
            bool cancelled, keyed;
            using (var r = suspend.ExecuteReader())
            {
                r.Read();
                cancelled = r.GetInt32(0) == (int)JobState.Cancelled;
                keyed = !r.IsDBNull(1);
            }

            var ask = Named("InteractionAsk");
            ask.Parameters.AddWithValue("@job_id", parameters.Lease.JobId);
            ask.Parameters.AddWithValue("@key", parameters.Key);
            ask.Parameters.AddWithValue("@state", (int)(cancelled ? InteractionState.Cancelled : InteractionState.Pending));
            ask.Parameters.AddWithValue("@prompt", parameters.PromptJson);
            ask.Parameters.AddWithValue("@timeout", Micros.From(parameters.Timeout));
            ask.Parameters.AddWithValue("@action", (int)policy.Action);
            ask.Parameters.AddWithValue("@default_answer", (object?)policy.DefaultAnswerJson ?? DBNull.Value);
            ask.Parameters.AddWithValue("@max_reasks", policy.MaxReAsks);
            ask.Parameters.AddWithValue("@allowed_users", JsonSerializer.Serialize(parameters.AllowedUsers));
            ask.Parameters.AddWithValue("@allowed_roles", JsonSerializer.Serialize(parameters.AllowedRoles));
            ask.Parameters.AddWithValue("@now", now);
            ask.ExecuteNonQuery();
            return (cancelled ? JobSuspendOutcome.Cancelled : JobSuspendOutcome.Suspended, cancelled && keyed);
        }, cancellationToken);
        if (freedKey)
            Signals.PublishJobsReady(StoreSignals.AnyQueue, _time.GetUtcNow());
        return outcome;
    }

    /// <inheritdoc />
    public async Task<InteractionAnswerOutcome> InteractionAnswerAsync(InteractionAnswerParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var (outcome, queue) = await WriteAsync<(InteractionAnswerOutcome, string?)>(now =>
        {
            var answer = Named("InteractionAnswer");
            answer.Parameters.AddWithValue("@id", parameters.InteractionId);
            answer.Parameters.AddWithValue("@answer", parameters.AnswerJson);
            answer.Parameters.AddWithValue("@actor", (object?)parameters.Actor ?? DBNull.Value);
            answer.Parameters.AddWithValue("@now", now);
            long jobId;
            string key;
            using (var r = answer.ExecuteReader())
            {
                if (!r.Read())
                {
                    r.Close();
                    var find = Named("InteractionStateFind");
                    find.Parameters.AddWithValue("@id", parameters.InteractionId);
                    return (find.ExecuteScalar() switch
                    {
                        null => InteractionAnswerOutcome.NotFound,
                        long state when state == (long)InteractionState.Answered => InteractionAnswerOutcome.AlreadyAnswered,
                        _ => InteractionAnswerOutcome.Closed,
                    }, null);
                }
                jobId = r.GetInt64(0);
                key = r.GetString(1);
            }
            var queue = Resume(jobId, now);
            AddEvent(Named("EventInsert"), jobId, now, JobEventKind.InputReceived, parameters.Actor, $"Answered '{key}'; the job is back in its queue.");
            return (InteractionAnswerOutcome.Answered, queue);
        }, cancellationToken);
        if (queue is not null)
            Signals.PublishJobsReady(queue, _time.GetUtcNow());
        return outcome;
    }

    private string? Resume(long jobId, long now)
    {
        var resume = Named("JobResume");
        resume.Parameters.AddWithValue("@job_id", jobId);
        resume.Parameters.AddWithValue("@now", now);
        return resume.ExecuteScalar() as string;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ExpiredInteraction>> InteractionsExpireAsync(InteractionsExpireParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var (expired, wake) = await WriteAsync(now =>
        {
            var expire = Named("InteractionsExpire");
            expire.Parameters.AddWithValue("@now", now);
            expire.Parameters.AddWithValue("@limit", parameters.Limit);
            var rows = new List<(long Id, long JobId, string Key, InteractionState State, int Escalations, int MaxReAsks)>();
            using (var r = expire.ExecuteReader())
            {
                while (r.Read())
                    rows.Add((r.GetInt64(0), r.GetInt64(1), r.GetString(2), (InteractionState)r.GetInt32(3), r.GetInt32(4), r.GetInt32(5)));
            }
            var expired = new List<ExpiredInteraction>(rows.Count);
            var wake = new List<(string Queue, long At)>();
            foreach (var row in rows.OrderBy(r => r.JobId))
            {
                switch (row.State)
                {
                    case InteractionState.Answered:
                        var queue = Resume(row.JobId, now);
                        if (queue is not null)
                            wake.Add((queue, now));
                        AddEvent(Named("EventInsert"), row.JobId, now, JobEventKind.InputTimedOut, "timeout", $"No answer to '{row.Key}' in time; answered with its default and back in its queue.");
                        expired.Add(new ExpiredInteraction(row.Id, row.JobId, row.Key, row.State, JobState.Pending));
                        break;
                    case InteractionState.Pending:
                        AddEvent(Named("EventInsert"), row.JobId, now, JobEventKind.InputTimedOut, "timeout", $"No answer to '{row.Key}' in time; asked again (escalation {row.Escalations} of {row.MaxReAsks}).");
                        expired.Add(new ExpiredInteraction(row.Id, row.JobId, row.Key, row.State, JobState.AwaitingInput));
                        break;
                    default:
                        var error = $"No answer to '{row.Key}' in time" + (row.MaxReAsks > 0 ? $" after {row.MaxReAsks} re-asks." : ".");
                        var fail = Named("JobFailAwaiting");
                        fail.Parameters.AddWithValue("@job_id", row.JobId);
                        fail.Parameters.AddWithValue("@now", now);
                        fail.Parameters.AddWithValue("@message", error);
                        using (var r = fail.ExecuteReader())
                        {
                            if (r.Read() && !r.IsDBNull(1))
                                wake.Add((StoreSignals.AnyQueue, now));
                        }
                        AddEvent(Named("EventInsert"), row.JobId, now, JobEventKind.InputTimedOut, "timeout", error + " The job failed.");
                        AddEvent(Named("EventInsert"), row.JobId, now, JobEventKind.Failed, "timeout", error);
                        expired.Add(new ExpiredInteraction(row.Id, row.JobId, row.Key, row.State, JobState.Failed));
                        break;
                }
            }
            return (expired, wake);
        }, cancellationToken);
        Publish(wake);
        return expired;
    }

    /// <inheritdoc />
    public async Task<InteractionInfo?> InteractionGetAsync(long interactionId, CancellationToken cancellationToken)
    {
        var page = await ReadInteractionsAsync("i.id = @id", c => c.Parameters.AddWithValue("@id", interactionId), 1, cancellationToken);
        return page.Count == 0 ? null : page[0];
    }

    /// <inheritdoc />
    public async Task<InteractionPage> InteractionsListAsync(InteractionQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new StringBuilder("1 = 1");
        var values = new List<(string Name, object Value)>();
        void Filter(string clause, string name, object? value)
        {
            if (value is null)
                return;
            where.Append(" AND ").Append(clause);
            values.Add((name, value));
        }
        Filter("i.id < @cursor", "@cursor", query.Cursor is not null && InteractionCursor.TryDecode(query.Cursor, out var after) ? after : null);
        Filter("i.state = @state", "@state", query.State is { } state ? (int)state : null);
        Filter("i.job_id = @job_id", "@job_id", query.JobId);
        Filter("i.key = @key", "@key", query.Key);
        Filter("i.tenant = @tenant", "@tenant", query.Tenant);
        Filter("i.user_id = @user", "@user", query.User);
        var fetched = await ReadInteractionsAsync(where.ToString(), c =>
        {
            foreach (var (name, value) in values)
                c.Parameters.AddWithValue(name, value);
        }, query.Limit + 1, cancellationToken);
        return InteractionCursor.Page(fetched, query.Limit);
    }

    private async Task<List<InteractionInfo>> ReadInteractionsAsync(string where, Action<SqliteCommand> bind, int limit, CancellationToken cancellationToken)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {InteractionColumns} FROM interactions AS i JOIN jobs AS j ON j.id = i.job_id WHERE {where} ORDER BY i.id DESC LIMIT CAST(@limit AS INTEGER)";
        bind(command);
        command.Parameters.AddWithValue("@limit", limit);
        var list = new List<InteractionInfo>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
            list.Add(ReadInteraction(r));
        return list;
    }

    private static InteractionInfo ReadInteraction(SqliteDataReader r)
    {
        static string? Text(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
        var tenant = r.GetString(7);
        return new InteractionInfo
        {
            Id = r.GetInt64(0),
            JobId = r.GetInt64(1),
            JobKind = r.GetString(2),
            Key = r.GetString(3),
            State = (InteractionState)r.GetInt32(4),
            Prompt = InteractionPrompt.FromJson(r.GetString(5)),
            AnswerJson = Text(r, 6),
            Tenant = tenant.Length == 0 ? null : tenant,
            User = Text(r, 8),
            AllowedUsers = JsonSerializer.Deserialize<string[]>(r.GetString(9)) ?? [],
            AllowedRoles = JsonSerializer.Deserialize<string[]>(r.GetString(10)) ?? [],
            TimeoutPolicy = new InteractionTimeoutPolicy((InteractionTimeoutAction)r.GetInt32(11), Text(r, 12), r.GetInt32(13)),
            Timeout = TimeSpan.FromTicks(r.GetInt64(14) * 10),
            Escalations = r.GetInt32(15),
            AskedAt = Micros.ToInstant(r.GetInt64(16)),
            Deadline = Micros.ToInstant(r.GetInt64(17)),
            AnsweredAt = r.IsDBNull(18) ? null : Micros.ToInstant(r.GetInt64(18)),
            AnsweredBy = Text(r, 19),
        };
    }
}
