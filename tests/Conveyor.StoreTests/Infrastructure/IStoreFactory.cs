namespace Conveyor.StoreTests.Infrastructure;

/// <summary>
/// Makes fresh, isolated, migrated stores for one backend. The conformance suite and the engine tests are
/// written once against this and subclassed per store.
/// </summary>
public interface IStoreFactory : IAsyncDisposable
{
    /// <summary>A short name for test output ("sqlite", "postgres").</summary>
    string Name { get; }

    /// <summary>A new empty store, migrated, keeping time with <paramref name="time"/>.</summary>
    Task<IJobStore> CreateAsync(TimeProvider time);

    /// <summary>Another store instance over the same data as <paramref name="store"/> (a second process's view).</summary>
    IJobStore OpenSibling(IJobStore store, TimeProvider time);

    /// <summary>Names a new, empty place for a store's data (a file, a schema).</summary>
    string NewLocation();

    /// <summary>Configures an engine host (<c>AddConveyor</c>) to use the store at <paramref name="location"/>.</summary>
    void UseStore(ConveyorOptions options, string location);
}
