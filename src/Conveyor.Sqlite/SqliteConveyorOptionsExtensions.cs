using Conveyor.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor;

/// <summary>Chooses the embedded SQLite store.</summary>
public static class SqliteConveyorOptionsExtensions
{
    /// <summary>Stores jobs in the SQLite file at <paramref name="path"/> (created when missing), in WAL mode.</summary>
    public static ConveyorOptions UseSqlite(this ConveyorOptions options, string path, Action<SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var storeOptions = new SqliteStoreOptions { Path = path };
        configure?.Invoke(storeOptions);
        return options.UseStore(services => new SqliteJobStore(storeOptions, services.GetService<TimeProvider>()));
    }
}
