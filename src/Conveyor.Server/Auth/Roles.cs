namespace Conveyor.Server.Auth;

/// <summary>The roles an API key can grant. See <c>docs/api.md</c> for what each may do.</summary>
public static class Roles
{
    /// <summary>Sees and acts on every job, manages queues and API keys.</summary>
    public const string Admin = "admin";

    /// <summary>Sees and acts on every job of its tenant; reads queues, stats and metrics.</summary>
    public const string Operator = "operator";

    /// <summary>Submits jobs and sees and acts on its own.</summary>
    public const string Submitter = "submitter";

    /// <summary>Sees its own jobs, changes nothing.</summary>
    public const string Viewer = "viewer";

    /// <summary>Every role, in order of power.</summary>
    public static IReadOnlyList<string> All { get; } = [Admin, Operator, Submitter, Viewer];
}
