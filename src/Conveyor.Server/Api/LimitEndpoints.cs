using Conveyor.Server.Auth;

namespace Conveyor.Server.Api;

/// <summary>The configured limits (cluster-wide throttles) and the running, waiting and recent starts of each key.</summary>
internal static class LimitEndpoints
{
    public static void Map(RouteGroupBuilder v1) =>
        v1.MapGet("/limits", List).WithName("ListLimits")
            .WithSummary("Every limit with its keys' running and waiting jobs and starts in the rate window (any key; see docs/api.md for what each role sees)")
            .Produces<LimitListDto>();

    private static async Task<IResult> List(HttpContext http, IJobClient client)
    {
        var caller = Caller.From(http.User);
        var limits = await client.ListLimitsAsync(http.RequestAborted);
        return Results.Ok(new LimitListDto([.. limits.Select(l => LimitDto.From(l, Visible(caller, l)))]));
    }

    /// <summary>
    /// The keys a caller may see: operators and admins every key (they see every queue's counts too); anyone else an
    /// unpartitioned limit's one key and, of a limit partitioned by tenant, its own tenant's key; never the keys of a
    /// limit partitioned by payload, whose values may belong to other tenants.
    /// </summary>
    private static IEnumerable<Storage.LimitKeyStatus> Visible(Caller caller, LimitInfo limit) => caller.CanReadOperations ? limit.Keys : limit.Partition switch
    {
        LimitPartition.None => limit.Keys,
        LimitPartition.Tenant => limit.Keys.Where(k => k.Partition == (caller.Tenant ?? "")),
        _ => [],
    };
}
