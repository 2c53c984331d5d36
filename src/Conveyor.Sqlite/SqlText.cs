namespace Conveyor.Sqlite;

/// <summary>The named SQL blocks of the embedded <c>.sql</c> resources ("-- name: X" starts block X).</summary>
internal static class SqlText
{
    private static readonly Dictionary<string, string> Blocks = Load("Conveyor.Sqlite.Sql.jobs.sql");

    public static string Get(string name) =>
        Blocks.TryGetValue(name, out var sql) ? sql : throw new InvalidOperationException($"No SQL block named '{name}'.");

    public static string Resource(string logicalName)
    {
        using var stream = typeof(SqlText).Assembly.GetManifestResourceStream(logicalName)
            ?? throw new InvalidOperationException($"Missing embedded resource {logicalName}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static IEnumerable<string> ResourceNames(string prefix) =>
        typeof(SqlText).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    private static Dictionary<string, string> Load(string logicalName)
    {
        var blocks = new Dictionary<string, string>(StringComparer.Ordinal);
        string? name = null;
        var body = new List<string>();
        foreach (var line in Resource(logicalName).Split('\n'))
        {
            if (line.StartsWith("-- name: ", StringComparison.Ordinal))
            {
                Flush();
                name = line["-- name: ".Length..].Trim();
            }
            else if (name is not null && !line.TrimStart().StartsWith("--", StringComparison.Ordinal))
            {
                body.Add(line);
            }
        }
        Flush();
        return blocks;

        void Flush()
        {
            if (name is not null)
                blocks[name] = string.Join('\n', body).Trim();
            body.Clear();
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
