using System.Security.Claims;

namespace Conveyor.Server.Auth;

/// <summary>The authenticated caller of one request and the permission rules that apply to it.</summary>
internal sealed record Caller(string KeyId, string User, string? Tenant, IReadOnlyList<string> Roles)
{
    public const string KeyIdClaim = "conveyor:key";
    public const string UserClaim = "conveyor:user";
    public const string TenantClaim = "conveyor:tenant";

    public bool IsAdmin => Roles.Contains(Auth.Roles.Admin);

    public bool IsOperator => Roles.Contains(Auth.Roles.Operator);

    public bool CanSubmit => IsAdmin || IsOperator || Roles.Contains(Auth.Roles.Submitter);

    /// <summary>May change jobs it can see (cancel, requeue): every role but viewer.</summary>
    public bool CanAct => CanSubmit;

    public bool CanReadOperations => IsAdmin || IsOperator;

    public JobPrincipal Principal => new(User, Tenant, Roles);

    /// <summary>An admin sees every job, an operator its tenant's, anyone else the jobs they submitted.</summary>
    public bool CanSee(string? jobTenant, string? jobUser) =>
        IsAdmin
        || (jobTenant == Tenant && (IsOperator || jobUser == User));

    public bool CanSee(JobInfo job) => CanSee(job.Principal.Tenant, job.Principal.User);

    /// <summary>Narrows a listing to what the caller may see; an admin's filters pass unchanged.</summary>
    public JobQuery Scope(JobQuery query) => IsAdmin
        ? query
        : query with { Tenant = Tenant ?? "", User = IsOperator ? query.User : User };

    public static Caller From(ClaimsPrincipal principal) => new(
        principal.FindFirstValue(KeyIdClaim) ?? throw new InvalidOperationException("The request was not authenticated with an API key."),
        principal.FindFirstValue(UserClaim)!,
        principal.FindFirstValue(TenantClaim),
        [.. principal.FindAll(ClaimTypes.Role).Select(c => c.Value)]);
}
