using System.Text.Json;
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

    /// <summary>The limit governing a job of <paramref name="type"/> in <paramref name="queue"/>: its type's, else its queue's; null when none.</summary>
    private LimitOptions? LimitFor(JobTypeOptions type, string queue) =>
        _limitsByType.TryGetValue(type.Kind, out var byType) ? byType
        : _limitsByQueue.TryGetValue(queue, out var byQueue) ? byQueue
        : null;

    /// <summary>
    /// The limit key stored on the job: the limit's name, and for a partitioned limit the separator and the partition
    /// value (the tenant, or the payload property's value as text).
    /// </summary>
    /// <exception cref="JobValidationException">The limit partitions by a payload property the payload lacks or holds no scalar in.</exception>
    private static string LimitKey(LimitOptions limit, string payload, JobPrincipal principal, string field) => limit.Partition switch
    {
        LimitPartition.Tenant => limit.Name + LimitDefinition.KeySeparator + (principal.Tenant ?? ""),
        LimitPartition.Payload => limit.Name + LimitDefinition.KeySeparator + PayloadPartition(limit, payload, field),
        _ => limit.Name,
    };

    private static string PayloadPartition(LimitOptions limit, string payload, string field)
    {
        var property = limit.PayloadProperty!;
        try
        {
            using var document = JsonDocument.Parse(payload);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(property, out var value))
            {
                switch (value.ValueKind)
                {
                    case JsonValueKind.String:
                        return value.GetString()!;
                    case JsonValueKind.Number:
                        return value.GetRawText();
                    case JsonValueKind.True or JsonValueKind.False:
                        return value.ValueKind == JsonValueKind.True ? "true" : "false";
                }
                throw new JobValidationException(field + "." + property, $"limit '{limit.Name}' partitions by this property, so it must hold a string, number or boolean (holds {value.ValueKind.ToString().ToLowerInvariant()}).");
            }
        }
        catch (JsonException e)
        {
            throw new JobValidationException(field, $"is not valid JSON: {e.Message}");
        }
        throw new JobValidationException(field + "." + property, $"limit '{limit.Name}' partitions by payload property '{property}', which the payload lacks.");
    }
}
