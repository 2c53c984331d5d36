using Conveyor.Storage;

namespace Conveyor.Sqlite;

public sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    /// <remarks>One write transaction: pick the batch, delete its events, steps and interactions, delete its jobs.</remarks>
    public Task<int> LimitStartsPurgeAsync(LimitStartsPurgeParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameters.OlderThan, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameters.Limit, 1);
        return WriteAsync(now =>
        {
            var purge = Named("LimitStartsPurge");
            purge.Parameters.AddWithValue("@before", now - Micros.From(parameters.OlderThan));
            purge.Parameters.AddWithValue("@limit", parameters.Limit);
            return purge.ExecuteNonQuery();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> JobsPurgeAsync(JobsPurgeParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        if (parameters.SucceededFor is null && parameters.FailedFor is null && parameters.CancelledFor is null)
            return Task.FromResult(0);
        return WriteAsync(now =>
        {
            var find = Named("PurgeCandidates");
            find.Parameters.AddWithValue("@now", now);
            find.Parameters.AddWithValue("@succeeded_for", Age(parameters.SucceededFor));
            find.Parameters.AddWithValue("@failed_for", Age(parameters.FailedFor));
            find.Parameters.AddWithValue("@cancelled_for", Age(parameters.CancelledFor));
            find.Parameters.AddWithValue("@limit", parameters.Limit);
            var ids = new List<long>(parameters.Limit);
            using (var r = find.ExecuteReader())
            {
                while (r.Read())
                    ids.Add(r.GetInt64(0));
            }
            if (ids.Count == 0)
                return 0;
            var json = Json(w =>
            {
                foreach (var id in ids)
                    w.WriteNumberValue(id);
            });
            var events = Named("PurgeEvents");
            events.Parameters.AddWithValue("@ids", json);
            events.ExecuteNonQuery();
            foreach (var name in (ReadOnlySpan<string>)["PurgeSteps", "PurgeInteractions"])
            {
                var dependent = Named(name);
                dependent.Parameters.AddWithValue("@ids", json);
                dependent.ExecuteNonQuery();
            }
            var jobs = Named("PurgeJobs");
            jobs.Parameters.AddWithValue("@ids", json);
            return jobs.ExecuteNonQuery();
        }, cancellationToken);

        static object Age(TimeSpan? age) => age is { } a ? Micros.From(a) : DBNull.Value;
    }

    /// <inheritdoc />
    /// <remarks>One upsert whose update is conditional; SQLite's single writer makes it atomic across processes too.</remarks>
    public Task<bool> LeaderTryAcquireAsync(LeaderAcquireParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        return WriteAsync(now =>
        {
            var acquire = Named("LeaderTryAcquire");
            acquire.Parameters.AddWithValue("@name", parameters.Name);
            acquire.Parameters.AddWithValue("@holder", parameters.Holder);
            acquire.Parameters.AddWithValue("@ttl", Micros.From(parameters.Ttl));
            acquire.Parameters.AddWithValue("@now", now);
            return acquire.ExecuteScalar() is string;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> LeaderReleaseAsync(LeaderReleaseParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return WriteAsync(_ =>
        {
            var release = Named("LeaderRelease");
            release.Parameters.AddWithValue("@name", parameters.Name);
            release.Parameters.AddWithValue("@holder", parameters.Holder);
            return release.ExecuteNonQuery() == 1;
        }, cancellationToken);
    }
}
