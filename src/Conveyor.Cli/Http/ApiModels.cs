using System.Text.Json;

namespace Conveyor.Cli.Http;

// The parts of the server's /v1 answers the CLI shows. Reading is lenient: fields the CLI does not know are ignored,
// so a newer server still works; --json prints the server's own text instead.

internal sealed record ProgressModel(double? Percent, string? Phase, string? Message);

internal sealed record OwnerModel(string? User, string? Tenant, IReadOnlyList<string>? Roles);

internal sealed record ArtifactModel(string Name, string Location, string? ContentType);

internal sealed record JobModel(
    long Id, string Type, string Queue, string State, string Priority, JsonElement Payload, DateTimeOffset RunAt,
    int Attempt, int MaxAttempts, string? ConcurrencyKey, string? IdempotencyKey, OwnerModel? Owner, IReadOnlyList<string>? Tags,
    ProgressModel? Progress, JsonElement? Result, IReadOnlyList<ArtifactModel>? Artifacts, string? LastError, bool CancelRequested,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt)
{
    public bool IsFinished => State is "succeeded" or "failed" or "cancelled";
}

internal sealed record JobPageModel(IReadOnlyList<JobModel> Jobs, string? NextCursor);

internal sealed record EventModel(long Id, long JobId, string JobType, string Queue, DateTimeOffset At, string Kind, int Attempt, string? Actor, string? Message)
{
    public bool IsTerminal => Kind is "succeeded" or "failed" or "cancelled";
}

internal sealed record EventPageModel(IReadOnlyList<EventModel> Events, long LastEventId);

internal sealed record QueueModel(string Name, long Pending, long Scheduled, long Running, long AwaitingInput, long Failed, double? OldestPendingAgeSeconds, bool Paused,
    long Stuck = 0, int? MaxWaiting = null);

internal sealed record QueueListModel(IReadOnlyList<QueueModel> Queues);

internal sealed record LimitKeyModel(string Key, string? Partition, int Running, int Waiting, int StartsInWindow);

internal sealed record LimitModel(string Name, string? Type, string? Queue, int? MaxRunning, int? RateCount, double? RatePeriodSeconds,
    string Partition, string? PayloadProperty, IReadOnlyList<LimitKeyModel> Keys);

internal sealed record LimitListModel(IReadOnlyList<LimitModel> Limits);

internal sealed record DurationModel(long Count, double? AverageSeconds, double? P95Seconds);

internal sealed record TypeStatsModel(string Type, IReadOnlyDictionary<string, long> States, DurationModel Durations);

internal sealed record StatsModel(IReadOnlyDictionary<string, long> States, IReadOnlyList<TypeStatsModel> Types, long Stuck, DurationModel Durations, double WindowSeconds);

internal sealed record RequeueManyModel(IReadOnlyList<long> Requeued, IReadOnlyList<long> Skipped);

internal sealed record KeyModel(string Id, string Name, string User, string? Tenant, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt, string? CreatedBy, DateTimeOffset? RevokedAt);

internal sealed record CreatedKeyModel(string Key, KeyModel Record);

internal sealed record KeyListModel(IReadOnlyList<KeyModel> Keys);

internal sealed record ProblemModel(string? Title, string? Detail, string? Field, string? Reason, int? RetryAfterSeconds);

/// <summary>Reads the server's JSON.</summary>
internal static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>Reads an answer; a body that does not have the expected shape is the server's fault, not the user's.</summary>
    public static T Read<T>(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new CliException(ExitCodes.Failure, $"the server's answer is not the expected {typeof(T).Name.Replace("Model", "", StringComparison.Ordinal).ToLowerInvariant()} ({e.Message})");
        }
    }
}

internal sealed record QuestionModel(string Id, string Kind, string Label, bool Required = true, IReadOnlyList<string>? Choices = null, string? Preview = null);

internal sealed record PromptModel(string Title, IReadOnlyList<QuestionModel> Questions, string? Text = null);

internal sealed record InteractionModel(
    long Id, long JobId, string JobType, string Key, string State, PromptModel Prompt, JsonElement? Answer, string? User,
    DateTimeOffset AskedAt, DateTimeOffset Deadline, DateTimeOffset? AnsweredAt, string? AnsweredBy, bool CanAnswer);

internal sealed record InteractionPageModel(IReadOnlyList<InteractionModel> Interactions, string? NextCursor);

internal sealed record ScheduleModel(
    string Name, string Cron, string TimeZone, string Type, JsonElement Payload, string? Queue, string? Priority, string Misfire,
    int MaxCatchUp, string Overlap, string Source, bool Paused, string? PausedBy, DateTimeOffset? NextFireAt, DateTimeOffset? LastFiredAt, long? LastJobId);

internal sealed record ScheduleListModel(IReadOnlyList<ScheduleModel> Schedules);
