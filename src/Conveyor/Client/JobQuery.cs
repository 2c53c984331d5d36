namespace Conveyor;

/// <summary>A filter for listing jobs, newest first. Every criterion is optional; they combine with AND.</summary>
public sealed record JobQuery
{
    /// <summary>Only jobs in one of these states.</summary>
    public IReadOnlyList<JobState>? States { get; init; }

    /// <summary>Only jobs of this kind.</summary>
    public string? Kind { get; init; }

    /// <summary>Only jobs in this queue.</summary>
    public string? Queue { get; init; }

    /// <summary>Only jobs of this tenant.</summary>
    public string? Tenant { get; init; }

    /// <summary>Only jobs submitted by this user.</summary>
    public string? User { get; init; }

    /// <summary>Only jobs carrying this tag.</summary>
    public string? Tag { get; init; }

    /// <summary>Only jobs created at or after this instant.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Only jobs created before this instant.</summary>
    public DateTimeOffset? CreatedBefore { get; init; }

    /// <summary>The cursor of the previous page's <see cref="JobPage.NextCursor"/>; null for the first page.</summary>
    public string? Cursor { get; init; }

    /// <summary>The page size, 1 to 1000. Default 100.</summary>
    public int Limit { get; init; } = 100;
}

/// <summary>One page of a job listing.</summary>
/// <param name="Jobs">The jobs, newest first.</param>
/// <param name="NextCursor">Pass as <see cref="JobQuery.Cursor"/> for the next page; null on the last page.</param>
public sealed record JobPage(IReadOnlyList<JobInfo> Jobs, string? NextCursor);
