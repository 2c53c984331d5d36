using System.Net;

namespace Conveyor.Server.Tests;

/// <summary>Limits (cluster-wide throttles) as the API shows them.</summary>
public sealed class ThrottleTests
{
    [Fact]
    public async Task Limits_list_each_tenants_running_and_waiting_jobs_and_a_submitter_sees_only_its_own_tenant()
    {
        await using var server = await ServerFixture.StartAsync([], bootstrapKey: true, configure: o => o.AddLimit("holds", l =>
        {
            l.ForJobType("test.hold");
            l.MaxRunning = 1;
            l.PartitionByTenant();
        }));
        using var admin = server.Admin();
        using var ada = await server.UserAsync("ada", "acme", "submitter");
        using var bob = await server.UserAsync("bob", "globex", "submitter");
        async Task<long> SubmitAsync(HttpClient client, string gate) =>
            (await (await client.PostJsonAsync("/v1/jobs", $$$"""{"type":"test.hold","payload":{"gate":"{{{gate}}}"}}""")).JsonAsync()).GetProperty("id").GetInt64();
        var adaFirst = await SubmitAsync(ada, "a1");
        var adaSecond = await SubmitAsync(ada, "a2");
        var bobs = await SubmitAsync(bob, "b1");
        await admin.WaitForStateAsync(adaFirst, "running");
        await admin.WaitForStateAsync(bobs, "running");

        var response = await admin.GetAsync("/v1/limits");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var limit = Assert.Single((await response.JsonAsync()).GetProperty("limits").EnumerateArray());
        Assert.Equal(("holds", "test.hold", 1, "tenant", 2L, 1L),
            (limit.GetProperty("name").GetString(), limit.GetProperty("type").GetString(), limit.GetProperty("maxRunning").GetInt32(),
             limit.GetProperty("partition").GetString(), limit.GetProperty("running").GetInt64(), limit.GetProperty("waiting").GetInt64()));
        Assert.Equal(["holds:acme 1/1", "holds:globex 1/0"], limit.GetProperty("keys").EnumerateArray()
            .Select(k => $"{k.GetProperty("key").GetString()} {k.GetProperty("running").GetInt32()}/{k.GetProperty("waiting").GetInt32()}"));
        Assert.Equal("pending", (await admin.WaitForStateAsync(adaSecond, "pending")).GetProperty("state").GetString());

        var own = Assert.Single((await (await ada.GetAsync("/v1/limits")).JsonAsync()).GetProperty("limits").EnumerateArray());
        Assert.Equal(["acme"], own.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("partition").GetString()));
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client().GetAsync("/v1/limits")).StatusCode);
    }
}
