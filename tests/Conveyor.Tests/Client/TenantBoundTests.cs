using Conveyor.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Tests.Client;

/// <summary>The client hands the store the tenant bound it is configured with, and none when no tenant is bounded.</summary>
public sealed class TenantBoundTests
{
    private static async Task<JobsInsertParams> Prepare(Action<ConveyorOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddConveyor(o =>
        {
            o.UseStore(_ => throw new InvalidOperationException("store must not be reached"));
            o.MigrateOnStart = false;
            o.AddJob<ReportRequest, NoopHandler<ReportRequest>>("report.generate");
            configure(o);
        });
        await using var provider = services.BuildServiceProvider();
        return ((IEnqueuePipeline)provider.GetRequiredService<IJobClient>()).Prepare(new ReportRequest("r"), new EnqueueOptions { Principal = JobPrincipal.For("u", "acme") });
    }

    [Fact]
    public async Task No_tenant_bound_is_passed_when_none_is_configured()
    {
        Assert.Null((await Prepare(_ => { })).TenantBound);
        Assert.Null((await Prepare(o => o.SetTenantMaxWaiting("acme", null))).TenantBound);
    }

    [Fact]
    public async Task The_configured_bound_retry_after_and_overrides_are_passed()
    {
        var bound = (await Prepare(o =>
        {
            o.MaxWaitingPerTenant = 10;
            o.RetryAfterWhenTenantFull = TimeSpan.FromSeconds(3);
            o.SetTenantMaxWaiting("acme", 50).SetTenantMaxWaiting(null, 2).SetTenantMaxWaiting("free", null);
        })).TenantBound;

        Assert.NotNull(bound);
        Assert.Equal((10, TimeSpan.FromSeconds(3)), (bound.MaxWaiting, bound.RetryAfter));
        Assert.Equal([50, 2, 2, null, 10], new[] { bound.MaxWaitingFor("acme"), bound.MaxWaitingFor(null), bound.MaxWaitingFor(""), bound.MaxWaitingFor("free"), bound.MaxWaitingFor("other") });
    }

    [Fact]
    public async Task An_override_alone_bounds_only_its_tenant()
    {
        var bound = (await Prepare(o => o.SetTenantMaxWaiting("acme", 5))).TenantBound;

        Assert.NotNull(bound);
        Assert.Equal(5, bound.MaxWaitingFor("acme"));
        Assert.Null(bound.MaxWaitingFor("other"));
    }
}
