using System.Text.Json;
using Conveyor.Storage;
using Npgsql;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    private const string StuckMessage = "Stuck: the lease expired without a heartbeat (the worker died or stalled); recovered by the reaper.";

    /// <inheritdoc />
    /// <remarks>One statement for the whole batch: the completions travel as arrays and are joined with the jobs they fence.</remarks>
    public async Task<IReadOnlyList<long>> JobsCompleteAsync(JobsCompleteParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Completions.Count == 0)
            return [];
        var (applied, ready) = await RetryDeadlocksAsync(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            return await CompleteAsync(connection, null, parameters.Completions, cancellationToken);
        });
        PublishReady(ready);
        EventsAppendedIf(applied.Count > 0);
        return applied;
    }

    /// <summary>
    /// Runs the completion statement on <paramref name="connection"/>, in <paramref name="transaction"/> when given,
    /// after <paramref name="setting"/> (a <c>SET LOCAL</c>) in the same round trip when given; returns the applied
    /// ids and the ready times to announce once it commits.
    /// </summary>
    private async Task<(List<long> Applied, List<(string, DateTimeOffset)> Ready)> CompleteAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<JobCompletion> completions, CancellationToken cancellationToken,
        string? setting = null)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (setting is not null)
            batch.BatchCommands.Add(new NpgsqlBatchCommand(setting));
        batch.BatchCommands.Add(CompletionCommand(completions));
        await using var r = await batch.ExecuteReaderAsync(cancellationToken);
        return await ReadCompletedAsync(r, cancellationToken);
    }

    /// <summary>
    /// The completion statement for <paramref name="all"/>, one array element per job in id order (a duplicate could
    /// only repeat a write the fence decides once anyway; the order is the order the statement locks the rows in, the
    /// same for every batch, so batches and heartbeats that share jobs never deadlock): <c>JobsCompletePlain</c> when
    /// every one is a plain success (no result, artefacts, error or message: the common case), else <c>JobsComplete</c>.
    /// </summary>
    private NpgsqlBatchCommand CompletionCommand(IReadOnlyList<JobCompletion> all)
    {
        var completions = all.DistinctBy(c => c.Lease.JobId).OrderBy(c => c.Lease.JobId).ToArray();
        var plain = completions.All(c => c.IsPlainSuccess);
        var command = BatchCommand(plain ? "JobsCompletePlain" : "JobsComplete");
        var p = command.Parameters;
        p.AddWithValue("ids", completions.Select(c => c.Lease.JobId).ToArray());
        p.AddWithValue("tokens", completions.Select(c => c.Lease.LeaseToken).ToArray());
        p.AddWithValue("actors", completions.Select(c => c.Actor).ToArray());
        if (!plain)
            AddOutcomes(p, completions);
        return command;
    }

    /// <summary>The parameters of <c>JobsComplete</c> beyond the lease and actor of each completion.</summary>
    private static void AddOutcomes(NpgsqlParameterCollection p, JobCompletion[] completions)
    {
        var targets = completions.Select(Target).ToArray();
        p.AddWithValue("states", targets.Select(t => (int)t.State).ToArray());
        p.AddWithValue("events", targets.Select(t => (int)t.Event).ToArray());
        p.AddWithValue("uncharges", completions.Select(c => c.Outcome is JobOutcome.Released or JobOutcome.Snoozed ? 1 : 0).ToArray());
        p.AddWithValue("delays", completions.Select(c => c.Outcome is JobOutcome.Retry or JobOutcome.Snoozed ? c.RetryDelay : TimeSpan.Zero).ToArray());
        p.AddWithValue("errors", completions.Select(c => c.Error).ToArray());
        p.AddWithValue("messages", completions.Select(c => c.Message).ToArray());
        p.AddWithValue("results", completions.Select(c => c.Outcome == JobOutcome.Succeeded ? c.Result : null).ToArray());
        p.AddWithValue("artifacts", completions.Select(c => c.Outcome == JobOutcome.Succeeded && c.Artifacts is { Count: > 0 } a
            ? JsonSerializer.Serialize(a, StoreJson.Options) : null).ToArray());
    }

    /// <summary>Reads what <c>JobsComplete</c> (or <c>JobsCompletePlain</c>) returns: the jobs it applied to, and the queues to wake once it commits.</summary>
    private static async Task<(List<long> Applied, List<(string, DateTimeOffset)> Ready)> ReadCompletedAsync(NpgsqlDataReader r, CancellationToken cancellationToken)
    {
        var applied = new List<long>();
        var ready = new List<(string, DateTimeOffset)>();
        while (await r.ReadAsync(cancellationToken))
        {
            applied.Add(r.GetInt64(0));
            if (r.GetInt16(2) == (short)JobState.Pending)
                ready.Add((r.GetString(1), r.GetFieldValue<DateTimeOffset>(3)));
            if (r.GetBoolean(4))
                ready.Add((StoreSignals.AnyQueue, r.GetFieldValue<DateTimeOffset>(5)));
        }
        return (applied, ready);
    }

    private static (JobState State, JobEventKind Event) Target(JobCompletion c) => c.Outcome switch
    {
        JobOutcome.Succeeded => (JobState.Succeeded, JobEventKind.Succeeded),
        JobOutcome.Retry => (JobState.Pending, JobEventKind.RetryScheduled),
        JobOutcome.Failed => (JobState.Failed, JobEventKind.Failed),
        JobOutcome.Cancelled => (JobState.Cancelled, JobEventKind.Cancelled),
        JobOutcome.Released => (JobState.Pending, JobEventKind.Released),
        JobOutcome.Snoozed => (JobState.Pending, JobEventKind.Snoozed),
        _ => throw new ArgumentOutOfRangeException(nameof(c), c.Outcome, "Unknown outcome."),
    };

    /// <inheritdoc />
    public async Task<IReadOnlyList<ReapedJob>> JobsReapAsync(JobsReapParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        await using var connection = await OpenAsync(cancellationToken);
        await using var reap = Command(connection, "JobsReap");
        reap.Parameters.AddWithValue("limit", parameters.Limit);
        reap.Parameters.AddWithValue("message", StuckMessage);
        var reaped = new List<ReapedJob>();
        var ready = new List<(string, DateTimeOffset)>();
        await using (var r = await reap.ExecuteReaderAsync(cancellationToken))
        {
            while (await r.ReadAsync(cancellationToken))
            {
                var job = new ReapedJob(r.GetInt64(0), r.GetString(1), (JobState)r.GetInt16(2), r.GetInt32(3));
                reaped.Add(job);
                var now = r.GetFieldValue<DateTimeOffset>(5);
                if (job.State == JobState.Pending)
                    ready.Add((job.Queue, now));
                if (r.GetBoolean(4))
                    ready.Add((StoreSignals.AnyQueue, now));
            }
        }
        PublishReady(ready);
        EventsAppendedIf(reaped.Count > 0);
        return reaped;
    }
}

/// <summary>JSON settings for what the store itself serialises (artefacts).</summary>
internal static class StoreJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
