using System.Text.Json;
using Conveyor.Storage;

namespace Conveyor.Client;

/// <summary>
/// Finds the limit that governs a job (its type's, else its queue's) and the limit key stored on it. Shared by the
/// client and the scheduler, so a fired job is throttled exactly as a submitted one.
/// </summary>
internal sealed class JobLimits(ConveyorOptions options)
{
    private readonly Dictionary<string, LimitOptions> _byType = options.Limits.Values.Where(l => l.JobType is not null).ToDictionary(l => l.JobType!, StringComparer.Ordinal);
    private readonly Dictionary<string, LimitOptions> _byQueue = options.Limits.Values.Where(l => l.Queue is not null).ToDictionary(l => l.Queue!, StringComparer.Ordinal);

    /// <summary>The limit name and key for a job of <paramref name="type"/> in <paramref name="queue"/>; both null when no limit governs it.</summary>
    /// <exception cref="JobValidationException">The limit partitions by a payload property the payload lacks or holds no scalar in.</exception>
    public (string? Name, string? Key) For(JobTypeOptions type, string queue, string payload, JobPrincipal principal, string field)
    {
        var limit = _byType.TryGetValue(type.Kind, out var byType) ? byType
            : _byQueue.TryGetValue(queue, out var byQueue) ? byQueue
            : null;
        return limit is null ? (null, null) : (limit.Name, LimitKey(limit, payload, principal, field));
    }

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
