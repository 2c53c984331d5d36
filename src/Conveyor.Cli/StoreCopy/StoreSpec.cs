using Conveyor.Cli.Commands;
using Conveyor.Postgres;

namespace Conveyor.Cli.StoreCopy;

/// <summary>A store named on the command line (<c>sqlite:&lt;path&gt;</c> or <c>postgres:&lt;connection string&gt;</c>), as a copy's endpoint.</summary>
internal static class StoreSpec
{
    /// <summary>
    /// The endpoint for a setting, with the PostgreSQL schema (default <c>conveyor</c>, as <c>Conveyor:Postgres:Schema</c>);
    /// a malformed setting or schema is a usage error naming <paramref name="option"/>.
    /// </summary>
    public static CopyEndpoint Endpoint(string option, string setting, string? schema)
    {
        try
        {
            StoreSetting.Validate(setting);
        }
        catch (CliException e)
        {
            throw CliException.Usage($"{option}: {e.Message["store: ".Length..]}");
        }
        if (setting.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            if (schema is not null)
                throw CliException.Usage($"{option}-schema: a SQLite store has no schema");
            return new SqliteEndpoint(setting["sqlite:".Length..]);
        }
        var options = new PostgresStoreOptions { ConnectionString = setting["postgres:".Length..], Schema = schema ?? new PostgresStoreOptions().Schema };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw CliException.Usage($"{option}-schema: {e.Message.Replace("Invalid PostgresStoreOptions: Schema: ", "", StringComparison.Ordinal)}");
        }
        return new PostgresEndpoint(options.ConnectionString, options.Schema, StoreSetting.Describe(setting, options.Schema));
    }
}
