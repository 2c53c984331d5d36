using Conveyor.Storage;

namespace Conveyor.Sqlite;

/// <summary>The named SQL blocks of the store's embedded <c>Sql/jobs.sql</c>.</summary>
internal static class SqlText
{
    private static readonly IReadOnlyDictionary<string, string> Blocks = EmbeddedSql.Blocks(typeof(SqlText).Assembly, "Conveyor.Sqlite.Sql.jobs.sql");

    public static string Get(string name) =>
        Blocks.TryGetValue(name, out var sql) ? sql : throw new InvalidOperationException($"No SQL block named '{name}'.");
}

/// <summary>Instants as stored: microseconds since the Unix epoch, UTC.</summary>
internal static class Micros
{
    public static long From(DateTimeOffset instant) => (instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static long From(TimeSpan span) => span.Ticks / 10;

    public static DateTimeOffset ToInstant(long micros) => new(DateTimeOffset.UnixEpoch.UtcTicks + micros * 10, TimeSpan.Zero);
}
