using Conveyor.Storage;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite;

public sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    /// <remarks>One read; each state's count comes from its partial index, so finished jobs are never read.</remarks>
    public async Task<IReadOnlyList<QueueInfo>> QueuesListAsync(CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = SqlText.Get("QueuesList");
        command.Parameters.AddWithValue("@now", now);
        var queues = new List<QueueInfo>();
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            queues.Add(new QueueInfo(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5),
                r.IsDBNull(6) ? null : TimeSpan.FromTicks((now - r.GetInt64(6)) * 10), r.GetInt64(7) != 0, r.GetInt64(8),
                r.IsDBNull(9) ? null : r.GetString(9), r.IsDBNull(10) ? null : Micros.ToInstant(r.GetInt64(10))));
        }
        return queues;
    }

    /// <inheritdoc />
    /// <remarks>Three reads in one read transaction (one snapshot): counts by kind and state, stuck jobs, durations.</remarks>
    public async Task<JobStats> StatsGetAsync(StatsGetParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        var now = Now();
        await using var connection = OpenReader();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        SqliteCommand Query(string name)
        {
            var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = SqlText.Get(name);
            command.Parameters.AddWithValue("@now", now);
            command.Parameters.AddWithValue("@tenant", (object?)parameters.Tenant ?? DBNull.Value);
            command.Parameters.AddWithValue("@user", (object?)parameters.User ?? DBNull.Value);
            return command;
        }

        var stats = new JobStatsBuilder();
        await using (var counts = Query("StatsCounts"))
        await using (var r = await counts.ExecuteReaderAsync(cancellationToken))
        {
            while (await r.ReadAsync(cancellationToken))
                stats.AddCount(r.GetString(0), (JobState)r.GetInt32(1), r.GetInt64(2));
        }
        long stuck;
        await using (var stuckCount = Query("StatsStuck"))
            stuck = (long)(await stuckCount.ExecuteScalarAsync(cancellationToken))!;
        await using (var durations = Query("StatsDurations"))
        {
            durations.Parameters.AddWithValue("@window", Micros.From(parameters.DurationWindow));
            await using var r = await durations.ExecuteReaderAsync(cancellationToken);
            while (await r.ReadAsync(cancellationToken))
            {
                stats.SetDurations(r.IsDBNull(0) ? null : r.GetString(0), r.GetInt64(1),
                    r.IsDBNull(2) ? null : r.GetInt64(2), r.IsDBNull(3) ? null : r.GetInt64(3));
            }
        }
        return stats.Build(stuck);
    }
}
