using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Server.Tests;

public sealed class TracingTests
{
    [Fact]
    public async Task With_an_otlp_endpoint_the_server_exports_the_submission_and_the_attempt_spans()
    {
        // A stand-in OTLP/HTTP collector: it keeps every export request's body.
        var received = Channel.CreateUnbounded<byte[]>();
        var collectorBuilder = WebApplication.CreateSlimBuilder();
        collectorBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var collector = collectorBuilder.Build();
        collector.MapPost("/v1/traces", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.Writer.TryWrite(body.ToArray());
            return Results.Ok();
        });
        await collector.StartAsync();
        var endpoint = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        await using var server = await ServerFixture.StartAsync(
            $"--OTEL_EXPORTER_OTLP_ENDPOINT={endpoint}", "--OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", "--OTEL_BSP_SCHEDULE_DELAY=100");
        using var admin = server.Admin();
        var id = (await (await admin.PostJsonAsync("/v1/jobs", """{"type":"test.echo","payload":{"text":"traced"}}""")).JsonAsync()).GetProperty("id").GetInt64();
        await admin.WaitForStateAsync(id, "succeeded");

        // Span names travel as plain UTF-8 inside the protobuf: enough to see the request, the submission and the attempt
        // were exported. They may come in different batches (the request's span ends after its response), so read on
        // until all three have arrived.
        string[] expected = ["POST /v1/jobs", "send default", "process default"];
        var exported = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!expected.All(name => exported.ToString().Contains(name, StringComparison.Ordinal)))
            exported.Append(Encoding.UTF8.GetString(await received.Reader.ReadAsync(timeout.Token)));
    }
}
