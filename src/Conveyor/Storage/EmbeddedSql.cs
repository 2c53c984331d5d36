using System.Globalization;
using System.Reflection;

namespace Conveyor.Storage;

/// <summary>
/// Reads a store's SQL from embedded <c>.sql</c> resources: named blocks (a line <c>-- name: X</c> starts block X;
/// other comment lines are dropped) and numbered migrations (<c>0001_initial.sql</c>, …). For store authors.
/// </summary>
public static class EmbeddedSql
{
    private const string NamePrefix = "-- name: ";

    /// <summary>The text of one embedded resource.</summary>
    /// <exception cref="InvalidOperationException">The assembly has no such resource.</exception>
    public static string Read(Assembly assembly, string logicalName)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        using var stream = assembly.GetManifestResourceStream(logicalName)
            ?? throw new InvalidOperationException($"Missing embedded resource {logicalName}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The named blocks of one resource, each trimmed and without a trailing semicolon.</summary>
    public static IReadOnlyDictionary<string, string> Blocks(Assembly assembly, string logicalName)
    {
        var blocks = new Dictionary<string, string>(StringComparer.Ordinal);
        string? name = null;
        var body = new List<string>();
        foreach (var line in Read(assembly, logicalName).Split('\n'))
        {
            if (line.StartsWith(NamePrefix, StringComparison.Ordinal))
            {
                Flush();
                name = line[NamePrefix.Length..].Trim();
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
                blocks[name] = string.Join('\n', body).Trim().TrimEnd(';');
            body.Clear();
        }
    }

    /// <summary>
    /// The migrations under <paramref name="prefix"/> in version order: a resource <c>{prefix}0002_retention.sql</c> is
    /// version 2 named <c>0002_retention</c>.
    /// </summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> Migrations(Assembly assembly, string prefix)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(resource =>
            {
                var name = resource[prefix.Length..^".sql".Length];
                var version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), NumberStyles.None, CultureInfo.InvariantCulture);
                return (version, name, Read(assembly, resource));
            })
            .OrderBy(m => m.version)
            .ToList();
    }
}
