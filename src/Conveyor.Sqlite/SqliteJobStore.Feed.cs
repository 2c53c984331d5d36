using Conveyor.Storage;

namespace Conveyor.Sqlite;

public sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Ids are assigned by the one writer in commit order, so a reader never sees a later id before an earlier one:
    /// no gaps to wait for, unlike PostgreSQL.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The limit is not within 1 to 10,000.</exception>
    public async Task<IReadOnlyList<FeedEvent>> EventsFeedAsync(EventsFeedParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = SqlText.Get("EventsFeed");
        command.Parameters.AddWithValue("@after", parameters.AfterEventId);
        command.Parameters.AddWithValue("@limit", parameters.Limit);
        var events = new List<FeedEvent>(Math.Min(parameters.Limit, 1000));
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            var e = new JobEvent(r.GetInt64(0), r.GetInt64(1), Micros.ToInstant(r.GetInt64(2)), (JobEventKind)r.GetInt32(3), r.GetInt32(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6));
            var tenant = r.GetString(9);
            events.Add(new FeedEvent(e, r.GetString(7), r.GetString(8), tenant.Length == 0 ? null : tenant, r.IsDBNull(10) ? null : r.GetString(10)));
        }
        return events;
    }

    /// <inheritdoc />
    public async Task<long> EventsLatestIdAsync(CancellationToken cancellationToken)
    {
        await using var connection = OpenReader();
        await using var command = connection.CreateCommand();
        command.CommandText = SqlText.Get("EventsLatestId");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }
}
