using Conveyor.Storage;

namespace Conveyor.Postgres;

public sealed partial class PostgresJobStore
{
    /// <inheritdoc />
    /// <remarks>
    /// Event ids come from an identity sequence, taken when a statement inserts and visible when its transaction commits:
    /// a reader may see id n + 1 while n is still uncommitted (or was rolled back, and never appears). A reader that must
    /// not miss events holds its position at such a gap for a short time (docs/contract.md, change feed).
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The limit is not within 1 to 10,000.</exception>
    public async Task<IReadOnlyList<FeedEvent>> EventsFeedAsync(EventsFeedParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "EventsFeed");
        command.Parameters.AddWithValue("after", parameters.AfterEventId);
        command.Parameters.AddWithValue("limit", parameters.Limit);
        var events = new List<FeedEvent>(Math.Min(parameters.Limit, 1000));
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            var e = new JobEvent(r.GetInt64(0), r.GetInt64(1), r.GetFieldValue<DateTimeOffset>(2), (JobEventKind)r.GetInt16(3), r.GetInt32(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6));
            var tenant = r.GetString(9);
            events.Add(new FeedEvent(e, r.GetString(7), r.GetString(8), tenant.Length == 0 ? null : tenant, r.IsDBNull(10) ? null : r.GetString(10)));
        }
        return events;
    }

    /// <inheritdoc />
    public async Task<long> EventsLatestIdAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "EventsLatestId");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
