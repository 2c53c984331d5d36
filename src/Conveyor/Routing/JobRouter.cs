namespace Conveyor.Routing;

/// <summary>
/// Decides which queue a job goes to: the submission's own queue, else its type's queue, else the first
/// matching route rule, else the default queue. Pure; built once from validated options.
/// </summary>
internal sealed class JobRouter
{
    private readonly IReadOnlyDictionary<string, QueueOptions> _queues;
    private readonly IReadOnlyList<(string Pattern, string Queue)> _routes;

    public JobRouter(ConveyorOptions options)
    {
        _queues = options.Queues;
        _routes = options.Routes;
    }

    /// <summary>The queue for a job of <paramref name="type"/>, or a <see cref="JobValidationException"/> naming the unknown queue.</summary>
    public string Resolve(JobTypeOptions type, string? requestedQueue, string field = "queue")
    {
        if (requestedQueue is not null)
        {
            return _queues.ContainsKey(requestedQueue)
                ? requestedQueue
                : throw new JobValidationException(field, $"unknown queue '{requestedQueue}'; configured queues: {string.Join(", ", _queues.Keys.Order(StringComparer.Ordinal))}.");
        }
        if (type.Queue is not null)
            return type.Queue;
        foreach (var (pattern, queue) in _routes)
        {
            if (Matches(pattern, type.Kind))
                return queue;
        }
        return ConveyorOptions.DefaultQueueName;
    }

    internal static bool Matches(string pattern, string kind) =>
        pattern.EndsWith('*')
            ? kind.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal)
            : string.Equals(pattern, kind, StringComparison.Ordinal);
}
