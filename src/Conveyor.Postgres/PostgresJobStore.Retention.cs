using Conveyor.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One statement: pick the batch from the finished-jobs index, lock it with SKIP LOCKED, delete the jobs and
    /// their events. It holds row locks only on the batch, and only while the statement runs.
    /// </remarks>
    public async Task<int> LimitStartsPurgeAsync(LimitStartsPurgeParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameters.OlderThan, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameters.Limit, 1);
        await using var connection = await OpenAsync(cancellationToken);
        await using var purge = Command(connection, "LimitStartsPurge");
        purge.Parameters.Add(new NpgsqlParameter("older_than", NpgsqlDbType.Interval) { Value = parameters.OlderThan });
        purge.Parameters.AddWithValue("limit", parameters.Limit);
        return await purge.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<int> JobsPurgeAsync(JobsPurgeParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        if (parameters.SucceededFor is null && parameters.FailedFor is null && parameters.CancelledFor is null)
            return 0;
        return await RetryDeadlocksAsync(async () =>
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var purge = Command(connection, "JobsPurge");
            purge.Parameters.Add(Age("succeeded_for", parameters.SucceededFor));
            purge.Parameters.Add(Age("failed_for", parameters.FailedFor));
            purge.Parameters.Add(Age("cancelled_for", parameters.CancelledFor));
            purge.Parameters.AddWithValue("limit", parameters.Limit);
            return (int)(await purge.ExecuteScalarAsync(cancellationToken))!;
        });

        static NpgsqlParameter Age(string name, TimeSpan? age) =>
            new(name, NpgsqlDbType.Interval) { Value = age is { } a ? a : DBNull.Value };
    }

    /// <inheritdoc />
    /// <remarks>One <c>INSERT … ON CONFLICT DO UPDATE … WHERE</c>: atomic against every other node.</remarks>
    public async Task<bool> LeaderTryAcquireAsync(LeaderAcquireParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        await using var connection = await OpenAsync(cancellationToken);
        await using var acquire = Command(connection, "LeaderTryAcquire");
        acquire.Parameters.Add(new NpgsqlParameter<string>("name", NpgsqlDbType.Text) { TypedValue = parameters.Name });
        acquire.Parameters.Add(new NpgsqlParameter<string>("holder", NpgsqlDbType.Text) { TypedValue = parameters.Holder });
        acquire.Parameters.Add(new NpgsqlParameter<TimeSpan>("ttl", NpgsqlDbType.Interval) { TypedValue = parameters.Ttl });
        return await acquire.ExecuteScalarAsync(cancellationToken) is string;
    }

    /// <inheritdoc />
    public async Task<bool> LeaderReleaseAsync(LeaderReleaseParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        await using var connection = await OpenAsync(cancellationToken);
        await using var release = Command(connection, "LeaderRelease");
        release.Parameters.Add(new NpgsqlParameter<string>("name", NpgsqlDbType.Text) { TypedValue = parameters.Name });
        release.Parameters.Add(new NpgsqlParameter<string>("holder", NpgsqlDbType.Text) { TypedValue = parameters.Holder });
        return await release.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
