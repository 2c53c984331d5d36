using System.Data.Common;

namespace Conveyor.Cli.Commands;

/// <summary>The <c>--store</c> setting, <c>sqlite:&lt;path&gt;</c> or <c>postgres:&lt;connection string&gt;</c>, and how to show it without secrets.</summary>
internal static class StoreSetting
{
    public const string Help = "sqlite:<path> or postgres:<connection string>";

    /// <summary>Checks the setting's form as the server does; a wrong one is a usage error.</summary>
    public static void Validate(string store)
    {
        try
        {
            Conveyor.Server.ConveyorServerHost.UseStore(new ConveyorOptions(), store);
        }
        catch (ArgumentException)
        {
            throw CliException.Usage($"store: '{store}' is neither sqlite:<path> nor postgres:<connection string>");
        }
    }

    /// <summary>The store as a line may show it: the SQLite path, or the PostgreSQL host and database (never the password).</summary>
    public static string Describe(string store)
    {
        if (!store.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase))
            return store;
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = store["postgres:".Length..] };
            string? Get(string key) => builder.TryGetValue(key, out var value) ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) : null;
            return $"postgres:Host={Get("Host") ?? Get("Server") ?? "?"};Database={Get("Database") ?? "?"}";
        }
        catch (ArgumentException)
        {
            return "postgres:(connection string not shown)";
        }
    }
}
