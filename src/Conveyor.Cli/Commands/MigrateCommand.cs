using System.CommandLine;
using System.Data.Common;
using System.Net.Sockets;
using Conveyor.Postgres;
using Conveyor.Server;
using Conveyor.Sqlite;
using Conveyor.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Conveyor.Cli.Commands;

/// <summary>
/// <c>conveyor migrate</c>: creates or upgrades a store's schema directly, without a server. The store comes from the
/// same settings as <c>serve</c>'s (<c>--store</c>, <c>--schema</c>, then <c>Conveyor:Store</c> and
/// <c>Conveyor:Postgres:Schema</c> from appsettings, the environment or the command line), read the same way.
/// </summary>
internal static class MigrateCommand
{
    public static Command Create(CliContext cli)
    {
        var store = StoreSetting.StoreOption();
        var schema = StoreSetting.SchemaOption();
        var command = new Command("migrate", "Create or upgrade a store's schema to this version's, and print what changed; other arguments (--Conveyor:Postgres:Schema=ops, ...) are configuration")
        {
            store, schema,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(cli.Local(async (result, cancellationToken) =>
        {
            // The server's own configuration path, so migrate and serve can never disagree on which store they mean.
            await using var app = ConveyorServerHost.Build([.. StoreSetting.ConfigurationArguments(result, store, schema)]);
            var setting = StoreSetting.FromConfiguration(app.Configuration, result, schema);
            ConveyorOptions options;
            try
            {
                options = app.Services.GetRequiredService<IOptions<ConveyorOptions>>().Value;
            }
            catch (Exception e) when (e is OptionsValidationException or ArgumentException or FormatException)
            {
                throw CliException.Usage($"the configuration is invalid: {Http.ApiErrors.Sentence(e.Message.ReplaceLineEndings(" "))}");
            }
            await using var jobStore = options.StoreFactory!(app.Services);
            var shown = StoreSetting.Describe(setting, (jobStore as PostgresJobStore)?.Schema);
            try
            {
                var before = await SchemaVersionAsync(jobStore, cancellationToken);
                await jobStore.MigrateAsync(cancellationToken);
                var after = await SchemaVersionAsync(jobStore, cancellationToken);
                await cli.Out.WriteLineAsync(before == after
                    ? $"{shown}: the schema is up to date (version {after})"
                    : $"{shown}: migrated the schema from version {before} to {after}");
                return ExitCodes.Success;
            }
            catch (ConveyorException e)
            {
                throw new CliException(ExitCodes.Failure, $"{shown}: {Http.ApiErrors.Sentence(e.Message)}");
            }
            catch (DbException e) when (e.InnerException is SocketException or TimeoutException || e is { InnerException: IOException })
            {
                throw new CliException(ExitCodes.Unreachable, $"cannot reach {shown} ({Http.ApiErrors.Sentence(e.InnerException!.Message)})");
            }
            catch (DbException e)
            {
                throw new CliException(ExitCodes.Failure, $"{shown}: {Http.ApiErrors.Sentence(e.Message.ReplaceLineEndings(" "))}");
            }
        }));
        return command;
    }

    private static Task<int> SchemaVersionAsync(IJobStore store, CancellationToken cancellationToken) => store switch
    {
        SqliteJobStore sqlite => sqlite.SchemaVersionAsync(cancellationToken),
        PostgresJobStore postgres => postgres.SchemaVersionAsync(cancellationToken),
        _ => throw new CliException(ExitCodes.Failure, $"cannot read the schema version of a {store.GetType().Name}"),
    };
}
