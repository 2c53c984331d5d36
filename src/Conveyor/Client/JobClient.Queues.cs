using Conveyor.Storage;

namespace Conveyor.Client;

internal sealed partial class JobClient
{
    public async Task<IReadOnlyList<QueueInfo>> ListQueuesAsync(CancellationToken cancellationToken = default)
    {
        var stored = await (await _store.GetAsync(cancellationToken)).QueuesListAsync(cancellationToken);
        var byName = stored.ToDictionary(q => q.Name, StringComparer.Ordinal);
        foreach (var name in _options.Queues.Keys)
            byName.TryAdd(name, new QueueInfo(name, 0, 0, 0, 0, 0, null, false, 0));
        return [.. byName.Values.OrderBy(q => q.Name, StringComparer.Ordinal)];
    }

    public async Task SetQueuePausedAsync(string queue, bool paused, string? actor = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var store = await _store.GetAsync(cancellationToken);
        if (!_options.Queues.ContainsKey(queue) && !(await store.QueuesListAsync(cancellationToken)).Any(q => q.Name == queue))
            throw new JobValidationException("queue", $"'{queue}' is neither configured nor holds any job.");
        await store.QueueSetPausedAsync(new QueueSetPausedParams(queue, paused, actor), cancellationToken);
    }

    public async Task<JobStats> GetStatsAsync(string? tenant = null, string? user = null, TimeSpan? durationWindow = null, CancellationToken cancellationToken = default)
    {
        var window = durationWindow ?? TimeSpan.FromHours(1);
        if (window <= TimeSpan.Zero || window > RetentionOptions.MaxAge)
            throw new JobValidationException("durationWindow", $"must be above zero and at most {RetentionOptions.MaxAge.TotalDays:0} days.");
        return await (await _store.GetAsync(cancellationToken)).StatsGetAsync(new StatsGetParams(tenant, user, window), cancellationToken);
    }
}
