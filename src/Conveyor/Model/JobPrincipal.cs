namespace Conveyor;

/// <summary>
/// Who submitted a job. The job keeps it for life, runs with it (handlers read it from
/// <see cref="JobContext.Principal"/>), and readers are filtered by it.
/// </summary>
/// <param name="User">The submitting user's id, or null for a system submission.</param>
/// <param name="Tenant">The tenant the job belongs to; scopes idempotency keys. Null means the default tenant.</param>
/// <param name="Roles">The user's roles at submission time.</param>
public sealed record JobPrincipal(string? User, string? Tenant, IReadOnlyList<string> Roles)
{
    /// <summary>A principal for work the system submits on its own behalf.</summary>
    public static JobPrincipal System { get; } = new(null, null, []);

    /// <summary>Creates a principal for a user in a tenant with the given roles.</summary>
    public static JobPrincipal For(string user, string? tenant = null, params string[] roles) => new(user, tenant, roles);

    /// <inheritdoc />
    public bool Equals(JobPrincipal? other) =>
        other is not null && User == other.User && Tenant == other.Tenant && Roles.SequenceEqual(other.Roles);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(User, Tenant, Roles.Count);
}
