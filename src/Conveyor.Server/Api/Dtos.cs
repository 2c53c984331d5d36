using System.Text.Json;
using System.Text.Json.Serialization;
using Conveyor.Storage;

namespace Conveyor.Server.Api;

// The wire shapes of /v1. Names are camelCase on the wire; times are RFC 3339 in UTC.

/// <summary>A job submission.</summary>
internal sealed record SubmitJobRequest
{
    [JsonRequired] public string Type { get; init; } = "";
    public JsonElement? Payload { get; init; }
    public string? Priority { get; init; }
    public DateTimeOffset? RunAt { get; init; }
    public double? DelaySeconds { get; init; }
    public string? Queue { get; init; }
    public string? ConcurrencyKey { get; init; }
    public string? IdempotencyKey { get; init; }
    public int? MaxAttempts { get; init; }
    public IReadOnlyList<string>? Tags { get; init; }
}

internal sealed record SubmitBatchRequest
{
    [JsonRequired] public IReadOnlyList<SubmitJobRequest> Jobs { get; init; } = [];
}

internal sealed record BatchItemDto(bool Existing, JobDto Job);

internal sealed record BatchResponse(IReadOnlyList<BatchItemDto> Items);

internal sealed record OwnerDto(string? User, string? Tenant, IReadOnlyList<string> Roles);

internal sealed record JobDto(
    long Id, string Type, string Queue, string State, string Priority, JsonElement Payload, DateTimeOffset RunAt,
    int Attempt, int MaxAttempts, string? ConcurrencyKey, string? IdempotencyKey, OwnerDto Owner, IReadOnlyList<string> Tags,
    JobProgress? Progress, JsonElement? Result, IReadOnlyList<JobArtifact> Artifacts, string? LastError, bool CancelRequested,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, DateTimeOffset? LeaseExpiresAt,
    string? Schedule)
{
    public static JobDto From(JobInfo j) => new(
        j.Id, j.Kind, j.Queue, j.State.ToWireName(), j.Priority.ToString().ToLowerInvariant(), Parse(j.Payload)!.Value, j.RunAt,
        j.Attempt, j.MaxAttempts, j.ConcurrencyKey, j.IdempotencyKey, new OwnerDto(j.Principal.User, j.Principal.Tenant, j.Principal.Roles), j.Tags,
        j.Progress, Parse(j.Result), j.Artifacts, j.LastError, j.CancelRequested, j.CreatedAt, j.UpdatedAt, j.StartedAt, j.FinishedAt, j.LeaseExpiresAt,
        j.Schedule);

    internal static JsonElement? Parse(string? json)
    {
        if (json is null)
            return null;
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}

internal sealed record JobPageDto(IReadOnlyList<JobDto> Jobs, string? NextCursor);

internal sealed record EventDto(long Id, long JobId, string JobType, string Queue, DateTimeOffset At, string Kind, int Attempt, string? Actor, string? Message)
{
    public static EventDto From(FeedEvent e) => new(e.Event.Id, e.Event.JobId, e.JobKind, e.Queue, e.Event.At, WireName(e.Event.Kind), e.Event.Attempt, e.Event.Actor, e.Event.Message);

    public static EventDto From(JobEvent e, JobInfo job) => new(e.Id, e.JobId, job.Kind, job.Queue, e.At, WireName(e.Kind), e.Attempt, e.Actor, e.Message);

    /// <summary>snake_case, as the contract names the kinds: <c>retry_scheduled</c>.</summary>
    public static string WireName(JobEventKind kind) => JsonNamingPolicy.SnakeCaseLower.ConvertName(kind.ToString());
}

internal sealed record EventPageDto(IReadOnlyList<EventDto> Events, long LastEventId);

/// <summary>A queue's counts, and its bound as this server is configured (null: unbounded).</summary>
internal sealed record QueueDto(string Name, long Pending, long Scheduled, long Running, long Stuck, long AwaitingInput, long Failed, double? OldestPendingAgeSeconds, bool Paused,
    string? PausedBy, DateTimeOffset? PausedAt, int? MaxWaiting)
{
    public static QueueDto From(QueueInfo q, ConveyorOptions options) => new(q.Name, q.Pending, q.Scheduled, q.Running, q.Stuck, q.AwaitingInput, q.Failed,
        q.OldestPendingAge?.TotalSeconds, q.Paused, q.PausedBy, q.PausedAt, options.Queues.TryGetValue(q.Name, out var configured) ? configured.MaxWaiting : null);
}

internal sealed record DurationDto(long Count, double? AverageSeconds, double? P95Seconds)
{
    public static DurationDto From(DurationStats d) => new(d.Count, d.Average?.TotalSeconds, d.P95?.TotalSeconds);
}

internal sealed record KindStatsDto(string Type, IReadOnlyDictionary<string, long> States, DurationDto Durations);

internal sealed record StatsDto(IReadOnlyDictionary<string, long> States, IReadOnlyList<KindStatsDto> Types, long Stuck, DurationDto Durations, double WindowSeconds)
{
    public static StatsDto From(JobStats s, TimeSpan window) => new(
        s.States.ToDictionary(p => p.Key.ToWireName(), p => p.Value),
        [.. s.Kinds.Select(k => new KindStatsDto(k.Kind, k.States.ToDictionary(p => p.Key.ToWireName(), p => p.Value), DurationDto.From(k.Durations)))],
        s.Stuck, DurationDto.From(s.Durations), window.TotalSeconds);
}

internal sealed record RequeueManyRequest
{
    public IReadOnlyList<long>? Ids { get; init; }
    public string? Queue { get; init; }
    public string? Type { get; init; }
    public int? Limit { get; init; }
}

internal sealed record RequeueManyResponse(IReadOnlyList<long> Requeued, IReadOnlyList<long> Skipped);

internal sealed record CreateKeyRequest
{
    [JsonRequired] public string Name { get; init; } = "";
    [JsonRequired] public string User { get; init; } = "";
    public string? Tenant { get; init; }
    [JsonRequired] public IReadOnlyList<string> Roles { get; init; } = [];
}

internal sealed record KeyDto(string Id, string Name, string User, string? Tenant, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt, string? CreatedBy, DateTimeOffset? RevokedAt)
{
    public static KeyDto From(ApiKeyRecord k) => new(k.Id, k.Name, k.User, k.Tenant, k.Roles, k.CreatedAt, k.CreatedBy, k.RevokedAt);
}

internal sealed record CreatedKeyDto(string Key, KeyDto Record);

internal sealed record KeyListDto(IReadOnlyList<KeyDto> Keys);

internal sealed record QueueListDto(IReadOnlyList<QueueDto> Queues);

internal sealed record LimitKeyDto(string Key, string? Partition, int Running, int Waiting, int StartsInWindow);

internal sealed record LimitDto(string Name, string? Type, string? Queue, int? MaxRunning, int? RateCount, double? RatePeriodSeconds,
    string Partition, string? PayloadProperty, long Running, long Waiting, IReadOnlyList<LimitKeyDto> Keys)
{
    public static LimitDto From(LimitInfo l, IEnumerable<Storage.LimitKeyStatus> visible)
    {
        var keys = visible.Select(k => new LimitKeyDto(k.Key, k.Partition, k.Running, k.Waiting, k.StartsInWindow)).ToList();
        return new(l.Name, l.JobType, l.Queue, l.MaxRunning, l.RateCount, l.RatePeriod?.TotalSeconds,
            l.Partition.ToString().ToLowerInvariant(), l.PayloadProperty, keys.Sum(k => (long)k.Running), keys.Sum(k => (long)k.Waiting), keys);
    }
}

internal sealed record LimitListDto(IReadOnlyList<LimitDto> Limits);

internal sealed record TimeoutPolicyDto(string Action, JsonElement? DefaultAnswer, int MaxReAsks);

internal sealed record InteractionDto(
    long Id, long JobId, string JobType, string Key, string State, JsonElement Prompt, JsonElement? Answer, string? Tenant, string? User,
    IReadOnlyList<string> AllowedUsers, IReadOnlyList<string> AllowedRoles, TimeoutPolicyDto OnTimeout, double TimeoutSeconds, int Escalations,
    DateTimeOffset AskedAt, DateTimeOffset Deadline, DateTimeOffset? AnsweredAt, string? AnsweredBy, bool CanAnswer)
{
    public static InteractionDto From(InteractionInfo i, Auth.Caller caller) => new(
        i.Id, i.JobId, i.JobKind, i.Key, i.State.ToWireName(), Parse(i.Prompt.ToJson())!.Value, Parse(i.AnswerJson), i.Tenant, i.User,
        i.AllowedUsers, i.AllowedRoles,
        new TimeoutPolicyDto(JsonNamingPolicy.SnakeCaseLower.ConvertName(i.TimeoutPolicy.Action.ToString()), Parse(i.TimeoutPolicy.DefaultAnswerJson), i.TimeoutPolicy.MaxReAsks),
        i.Timeout.TotalSeconds, i.Escalations, i.AskedAt, i.Deadline, i.AnsweredAt, i.AnsweredBy,
        i.State == InteractionState.Pending && i.MayAnswer(caller.Principal));

    private static JsonElement? Parse(string? json)
    {
        if (json is null)
            return null;
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}

internal sealed record InteractionPageDto(IReadOnlyList<InteractionDto> Interactions, string? NextCursor);
