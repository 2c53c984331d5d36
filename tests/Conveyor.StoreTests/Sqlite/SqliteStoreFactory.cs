using Conveyor.Sqlite;
using Conveyor.StoreTests.Infrastructure;

namespace Conveyor.StoreTests.Sqlite;

/// <summary>A temporary SQLite file per store; all are deleted when the test class ends.</summary>
public sealed class SqliteStoreFactory : IStoreFactory
{
    private readonly string _directory = Directory.CreateTempSubdirectory("conveyor-tests-").FullName;
    private readonly List<IJobStore> _stores = [];
    private int _files;

    public string Name => "sqlite";

    public async Task<IJobStore> CreateAsync(TimeProvider time)
    {
        var store = Track(new SqliteJobStore(new SqliteStoreOptions { Path = NewPath() }, time));
        await store.MigrateAsync(CancellationToken.None);
        return store;
    }

    public IJobStore OpenSibling(IJobStore store, TimeProvider time) =>
        Track(new SqliteJobStore(new SqliteStoreOptions { Path = ((SqliteJobStore)store).Path }, time));

    public string NewLocation() => NewPath();

    public void UseStore(ConveyorOptions options, string location) => options.UseSqlite(location);

    private string NewPath() => Path.Combine(_directory, $"store-{Interlocked.Increment(ref _files)}.db");

    private IJobStore Track(IJobStore store)
    {
        lock (_stores)
            _stores.Add(store);
        return store;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
            await store.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A host under test may still hold a file for a moment; the OS temp cleaner gets it.
        }
    }
}
