using Conveyor.Storage;
using Microsoft.Data.Sqlite;

namespace Conveyor.Sqlite;

/// <summary>The named SQL blocks of the store's embedded <c>Sql/jobs.sql</c>.</summary>
internal static class SqlText
{
    private static readonly Dictionary<string, string> Blocks = EmbeddedSql.Blocks(typeof(SqlText).Assembly, "Conveyor.Sqlite.Sql.jobs.sql")
        .ToDictionary(b => b.Key, b => IdSlots.Expand(b.Value), StringComparer.Ordinal);

    public static string Get(string name) =>
        Blocks.TryGetValue(name, out var sql) ? sql : throw new InvalidOperationException($"No SQL block named '{name}'.");
}

/// <summary>
/// The fixed id parameters of the statements that take a few jobs by id (<c>{ids}</c> and <c>{tokens}</c> in
/// Sql/jobs.sql): <c>@id0</c> to <c>@id15</c>, unused ones NULL, and the lease tokens that go with them. Such a
/// statement needs no virtual table (json_each) and so keeps no statement journal (see the head of Sql/jobs.sql).
/// </summary>
internal static class IdSlots
{
    /// <summary>Jobs per execution; a longer list runs the statement once per chunk.</summary>
    public const int Count = 16;

    private static readonly string[] Ids = [.. Enumerable.Range(0, Count).Select(i => $"@id{i}")];
    private static readonly string[] Tokens = [.. Enumerable.Range(0, Count).Select(i => $"@token{i}")];

    public static string Expand(string sql) => sql
        .Replace("{ids}", string.Join(", ", Ids), StringComparison.Ordinal)
        .Replace("{tokens}", string.Join(" ", Enumerable.Range(0, Count).Select(i => $"WHEN {Ids[i]} THEN {Tokens[i]}")), StringComparison.Ordinal);

    /// <summary>Binds up to <see cref="Count"/> ids; the rest of the slots NULL.</summary>
    public static void BindIds(SqliteCommand command, ReadOnlySpan<long> ids)
    {
        for (var i = 0; i < Count; i++)
            command.Parameters.AddWithValue(Ids[i], i < ids.Length ? ids[i] : DBNull.Value);
    }

    /// <summary>Binds up to <see cref="Count"/> leases as ids and tokens; the rest of the slots NULL.</summary>
    public static void BindLeases(SqliteCommand command, ReadOnlySpan<JobLease> leases)
    {
        for (var i = 0; i < Count; i++)
        {
            command.Parameters.AddWithValue(Ids[i], i < leases.Length ? leases[i].JobId : DBNull.Value);
            command.Parameters.AddWithValue(Tokens[i], i < leases.Length ? leases[i].LeaseToken : DBNull.Value);
        }
    }
}

/// <summary>Instants as stored: microseconds since the Unix epoch, UTC.</summary>
internal static class Micros
{
    public static long From(DateTimeOffset instant) => (instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static long From(TimeSpan span) => span.Ticks / 10;

    public static DateTimeOffset ToInstant(long micros) => new(DateTimeOffset.UnixEpoch.UtcTicks + micros * 10, TimeSpan.Zero);
}
