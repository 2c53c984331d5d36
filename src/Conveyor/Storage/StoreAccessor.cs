using Microsoft.Extensions.Options;

namespace Conveyor.Storage;

/// <summary>Creates the configured store once and migrates it before its first use, whoever uses it first.</summary>
internal sealed class StoreAccessor : IAsyncDisposable
{
    private readonly Lazy<IJobStore> _store;
    private readonly bool _migrate;
    private readonly Lock _gate = new();
    private Task? _ready;

    public StoreAccessor(IOptions<ConveyorOptions> options, IServiceProvider services)
    {
        var o = options.Value;
        _migrate = o.MigrateOnStart;
        _store = new Lazy<IJobStore>(() => (o.StoreFactory ?? throw new InvalidOperationException("No Conveyor store is configured; call o.UseSqlite(...)."))(services));
    }

    public async ValueTask<IJobStore> GetAsync(CancellationToken cancellationToken)
    {
        var store = _store.Value;
        if (!_migrate)
            return store;
        Task ready;
        lock (_gate)
        {
            // A failed migration is tried again by the next caller instead of poisoning the process.
            if (_ready is null || _ready.IsFaulted || _ready.IsCanceled)
                _ready = store.MigrateAsync(CancellationToken.None);
            ready = _ready;
        }
        await ready.WaitAsync(cancellationToken);
        return store;
    }

    public async ValueTask DisposeAsync()
    {
        if (_store.IsValueCreated)
            await _store.Value.DisposeAsync();
    }
}
