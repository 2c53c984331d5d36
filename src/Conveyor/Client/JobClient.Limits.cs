using Conveyor.Storage;

namespace Conveyor.Client;

internal sealed partial class JobClient
{
    public async Task<IReadOnlyList<LimitInfo>> ListLimitsAsync(CancellationToken cancellationToken = default)
    {
        if (_options.Limits.Count == 0)
            return [];
        var definitions = _options.Limits.Values.Select(l => l.ToDefinition()).ToList();
        var keys = await (await _store.GetAsync(cancellationToken)).LimitsListAsync(new LimitsListParams(definitions), cancellationToken);
        var byLimit = keys.ToLookup(k => k.Limit, StringComparer.Ordinal);
        return [.. _options.Limits.Values.OrderBy(l => l.Name, StringComparer.Ordinal).Select(l => new LimitInfo(
            l.Name, l.JobType, l.Queue, l.MaxRunning, l.RateCount, l.RatePeriod, l.Partition, l.PayloadProperty,
            [.. byLimit[l.Name].OrderBy(k => k.Key, StringComparer.Ordinal)]))];
    }
}
