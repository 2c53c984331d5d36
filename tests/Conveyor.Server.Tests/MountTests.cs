using System.Net;
using Conveyor.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Server.Tests;

public sealed class MountTests
{
    [Fact]
    public async Task MapConveyor_mounts_the_api_under_a_prefix_next_to_the_apps_own_endpoints()
    {
        var path = Path.Combine(Path.GetTempPath(), $"conveyor-mount-{Guid.NewGuid():N}.db");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddConveyor(o =>
        {
            o.UseSqlite(path);
            o.AddJob<Echo, EchoHandler>("test.echo");
        });
        builder.Services.AddConveyorServer();
        await using var app = builder.Build();
        app.MapGet("/hello", () => "the app's own endpoint");
        app.MapConveyor("/conveyor");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var key = app.Services.GetRequiredService<AdminKeyBootstrap>().CreatedKey!;
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);

        Assert.Equal("the app's own endpoint", await http.GetStringAsync("/hello"));
        var created = await http.PostJsonAsync("/conveyor/v1/jobs", """{"type":"test.echo","payload":{"text":"mounted"}}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith("/conveyor/v1/jobs/", created.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/conveyor/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/conveyor/openapi/v1.json")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/v1/jobs")).StatusCode);   // nothing outside the prefix
        await app.StopAsync();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + "*"))
            File.Delete(file);
    }
}
