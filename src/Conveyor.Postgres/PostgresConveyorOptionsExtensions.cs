using Conveyor.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conveyor;

/// <summary>Chooses the PostgreSQL store.</summary>
public static class PostgresConveyorOptionsExtensions
{
    /// <summary>
    /// Stores jobs in PostgreSQL at <paramref name="connectionString"/>, in the schema <c>conveyor</c> unless
    /// <paramref name="configure"/> says otherwise. Times come from the database's clock, unless the services hold a
    /// <see cref="TimeProvider"/> other than <see cref="TimeProvider.System"/> (a test clock).
    /// </summary>
    public static ConveyorOptions UsePostgres(this ConveyorOptions options, string connectionString, Action<PostgresStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var storeOptions = new PostgresStoreOptions { ConnectionString = connectionString };
        configure?.Invoke(storeOptions);
        storeOptions.Validate();
        return options.UseStore(services => new PostgresJobStore(storeOptions, services.GetService<TimeProvider>(), services.GetService<ILogger<PostgresJobStore>>()));
    }
}
