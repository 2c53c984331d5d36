namespace Conveyor.Storage;

/// <summary>Parameters of <see cref="IJobStore.StatsGetAsync"/>.</summary>
/// <param name="Tenant">Only jobs of this tenant (null: every tenant; empty: the default tenant).</param>
/// <param name="User">Only jobs this user submitted (null: anyone).</param>
/// <param name="DurationWindow">Durations are taken over jobs that succeeded within this span before the store's now.</param>
public sealed record StatsGetParams(string? Tenant, string? User, TimeSpan DurationWindow)
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when the window is not above zero; stores call it first.</summary>
    public void Validate()
    {
        if (DurationWindow <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(DurationWindow), DurationWindow, "The duration window must be above zero.");
    }
}

/// <summary>Parameters of <see cref="IJobStore.EventsFeedAsync"/>.</summary>
/// <param name="AfterEventId">Only events whose id is greater than this (0 for the oldest kept).</param>
/// <param name="Limit">The most events to return, 1 to 10,000.</param>
public sealed record EventsFeedParams(long AfterEventId, int Limit)
{
    /// <summary>The largest <see cref="Limit"/>.</summary>
    public const int MaxLimit = 10_000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when the limit is not within 1 to <see cref="MaxLimit"/>; stores call it first.</summary>
    public void Validate()
    {
        if (Limit is < 1 or > MaxLimit)
            throw new ArgumentOutOfRangeException(nameof(Limit), Limit, $"The limit must be between 1 and {MaxLimit}.");
    }
}

/// <summary>One history event with what a reader needs to decide who may see it, from the store's change feed.</summary>
/// <param name="Event">The event.</param>
/// <param name="JobKind">The job's type.</param>
/// <param name="Queue">The job's queue.</param>
/// <param name="Tenant">The job's tenant (null for the default tenant).</param>
/// <param name="User">Who submitted the job (null for the system).</param>
public sealed record FeedEvent(JobEvent Event, string JobKind, string Queue, string? Tenant, string? User);

/// <summary>An API key as the store keeps it: never the secret itself, only its hash.</summary>
public sealed record ApiKeyRecord
{
    /// <summary>The key's public id (the part of the key before its secret), unique in the store.</summary>
    public required string Id { get; init; }

    /// <summary>The hash of the key's secret (lowercase hex SHA-256); the secret itself is never stored.</summary>
    public required string SecretHash { get; init; }

    /// <summary>A label to tell keys apart.</summary>
    public required string Name { get; init; }

    /// <summary>The user the key acts as.</summary>
    public required string User { get; init; }

    /// <summary>The user's tenant; null for the default tenant.</summary>
    public string? Tenant { get; init; }

    /// <summary>The roles the key grants.</summary>
    public required IReadOnlyList<string> Roles { get; init; }

    /// <summary>When the key was created (the store's clock; ignored on insert).</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Who created it.</summary>
    public string? CreatedBy { get; init; }

    /// <summary>When it was revoked, or null while it is valid.</summary>
    public DateTimeOffset? RevokedAt { get; init; }
}
