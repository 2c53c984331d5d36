using Conveyor.Storage;

namespace Conveyor.Postgres;

/// <summary>
/// The named SQL blocks of the embedded <c>.sql</c> resources ("-- name: X" starts block X), with the store's
/// schema and clock filled in: <c>{schema}</c> becomes the quoted schema, <c>{schema_name}</c> its bare name (for
/// string literals), and <c>{now}</c> the store's now: a reference to the statement's clock, which
/// <see cref="WithClock"/> defines once per statement.
/// </summary>
internal sealed class SqlText
{
    private static readonly IReadOnlyDictionary<string, string> Raw = EmbeddedSql.Blocks(typeof(SqlText).Assembly, "Conveyor.Postgres.Sql.jobs.sql");

    private readonly Dictionary<string, string> _blocks;
    private readonly string _schema;

    /// <summary>The blocks for one schema, whose name <see cref="PostgresStoreOptions.Validate"/> has checked.</summary>
    public SqlText(string schema)
    {
        _schema = schema;
        _blocks = Raw.ToDictionary(b => b.Key, b => Fill(b.Value), StringComparer.Ordinal);
    }

    public string this[string name] =>
        _blocks.TryGetValue(name, out var sql) ? sql : throw new InvalidOperationException($"No SQL block named '{name}'.");

    /// <summary>
    /// Fills in the placeholders of any SQL text (blocks and migrations): <c>{concurrency_key_rule}</c> (the block
    /// ConcurrencyKeyRule, which two claim statements share), then the schema and the clock.
    /// </summary>
    public string Fill(string sql) => sql
        .Replace("{concurrency_key_rule}", Raw["ConcurrencyKeyRule"], StringComparison.Ordinal)
        .Replace("{schema}", $"\"{_schema}\"", StringComparison.Ordinal)
        .Replace("{schema_name}", _schema, StringComparison.Ordinal)
        .Replace("{now}", ClockReference, StringComparison.Ordinal);

    private const string ClockReference = "(SELECT now FROM conveyor_clock)";

    /// <summary>
    /// Defines the clock of a statement that reads it: <c>@now</c> when a test clock gives one, else the database's
    /// <c>clock_timestamp()</c> read once as the statement starts executing. Read then, after the statement's snapshot
    /// was taken, it is later than every commit the statement can see, so a job that starts because another finished
    /// never starts "before" it; <c>now()</c>, the transaction's start, may be earlier than such a commit. A
    /// materialized CTE is evaluated once, so every use in the statement sees the same instant.
    /// </summary>
    public static string WithClock(string sql)
    {
        if (!sql.Contains(ClockReference, StringComparison.Ordinal))
            return sql;
        const string Clock = "conveyor_clock AS MATERIALIZED (SELECT coalesce(@now, clock_timestamp()) AS now)";
        return sql.StartsWith("WITH ", StringComparison.Ordinal)
            ? $"WITH {Clock},\n{sql["WITH ".Length..]}"
            : $"WITH {Clock}\n{sql}";
    }
}
