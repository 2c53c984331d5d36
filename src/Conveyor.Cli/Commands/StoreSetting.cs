using System.CommandLine;
using Npgsql;

namespace Conveyor.Cli.Commands;

/// <summary>
/// The store options <c>serve</c> and <c>migrate</c> share (<c>--store</c>, <c>--schema</c>), how they become the
/// server's configuration, and how to show a store without secrets.
/// </summary>
internal static class StoreSetting
{
    public const string Help = "sqlite:<path> or postgres:<connection string>";

    /// <summary>Where a store not named by option or configuration lives, as the server defaults it.</summary>
    public const string Default = "sqlite:conveyor.db";

    public static Option<string?> StoreOption() =>
        new("--store") { Description = $"The store: {Help} [default: Conveyor:Store, else {Default}]", HelpName = "store" };

    public static Option<string?> SchemaOption() =>
        new("--schema") { Description = "The PostgreSQL schema of the store's tables [default: Conveyor:Postgres:Schema, else conveyor]", HelpName = "schema" };

    /// <summary>
    /// The line's other arguments (<c>--Conveyor:Postgres:Schema=ops</c>, ...) and then the options, as configuration
    /// arguments for <see cref="Conveyor.Server.ConveyorServerHost.Build"/>, so both commands read the store as the
    /// server does (appsettings, environment, then the command line) and an option wins over the same setting.
    /// </summary>
    public static List<string> ConfigurationArguments(ParseResult result, Option<string?> store, Option<string?> schema)
    {
        var args = new List<string>(result.UnmatchedTokens);
        if (result.GetValue(store) is { } s)
            args.Add($"--Conveyor:Store={s}");
        if (result.GetValue(schema) is { } p)
            args.Add($"--Conveyor:Postgres:Schema={p}");
        return args;
    }

    /// <summary>The store the configuration names, checked as the server checks it; a wrong one is a usage error.</summary>
    public static string FromConfiguration(Microsoft.Extensions.Configuration.IConfiguration configuration, ParseResult result, Option<string?> schema)
    {
        var store = configuration["Conveyor:Store"] ?? Default;
        Validate(store);
        if (result.GetValue(schema) is not null && !IsPostgres(store))
            throw CliException.Usage($"schema: applies to a postgres: store, not '{store}'");
        return store;
    }

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

    /// <summary>
    /// The store as a line may show it: the SQLite path, or the PostgreSQL host, port, database and schema
    /// (<c>postgres:db:5432/jobs, schema conveyor</c>); never the password.
    /// </summary>
    public static string Describe(string store, string? postgresSchema)
    {
        if (!IsPostgres(store))
            return store;
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(store["postgres:".Length..]);
            var schema = string.IsNullOrEmpty(postgresSchema) ? "conveyor" : postgresSchema;
            return $"postgres:{builder.Host ?? "?"}:{builder.Port}/{builder.Database ?? "?"}, schema {schema}";
        }
        catch (ArgumentException)
        {
            return "postgres:(connection string not shown)";
        }
    }

    private static bool IsPostgres(string store) => store.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase);
}
