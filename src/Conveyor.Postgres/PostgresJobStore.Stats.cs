using System.Data;
using Conveyor.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    /// <remarks>One statement; each state's count comes from its partial index, so finished jobs are never read.</remarks>
    public async Task<IReadOnlyList<QueueInfo>> QueuesListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "QueuesList");
        var queues = new List<QueueInfo>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            TimeSpan? oldest = r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(8) - r.GetFieldValue<DateTimeOffset>(6);
            queues.Add(new QueueInfo(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), oldest, r.GetBoolean(7), r.GetInt64(9),
                r.IsDBNull(10) ? null : r.GetString(10), r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11)));
        }
        return queues;
    }

    /// <inheritdoc />
    /// <remarks>
    /// One round trip: counts by kind and state, stuck jobs and durations in one REPEATABLE READ transaction (one
    /// snapshot). Counting every job reads the whole table, which is what a sequential scan is for: the transaction sets
    /// <c>enable_seqscan</c> back on for itself (the store's sessions price it out, see <see cref="CreateDataSource"/>).
    /// </remarks>
    public async Task<JobStats> StatsGetAsync(StatsGetParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (_storeSetsSeqScan)
            batch.BatchCommands.Add(new NpgsqlBatchCommand(SeqScanSetting("on")));
        foreach (var name in new[] { "StatsCounts", "StatsStuck", "StatsDurations" })
        {
            var command = BatchCommand(name);
            command.Parameters.Add(Text("tenant", parameters.Tenant));
            command.Parameters.Add(Text("user", parameters.User));
            if (name == "StatsDurations")
                command.Parameters.Add(new NpgsqlParameter<TimeSpan>("window", NpgsqlDbType.Interval) { TypedValue = parameters.DurationWindow });
            batch.BatchCommands.Add(command);
        }
        var stats = new JobStatsBuilder();
        long stuck;
        await using (var r = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await r.ReadAsync(cancellationToken))
                stats.AddCount(r.GetString(0), (JobState)r.GetInt16(1), r.GetInt64(2));
            await r.NextResultAsync(cancellationToken);
            await r.ReadAsync(cancellationToken);
            stuck = r.GetInt64(0);
            await r.NextResultAsync(cancellationToken);
            while (await r.ReadAsync(cancellationToken))
            {
                stats.SetDurations(r.IsDBNull(0) ? null : r.GetString(0), r.GetInt64(1),
                    r.IsDBNull(2) ? null : r.GetInt64(2), r.IsDBNull(3) ? null : r.GetInt64(3));
            }
        }
        await transaction.CommitAsync(cancellationToken);
        return stats.Build(stuck);
    }
}
