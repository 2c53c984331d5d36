using System.Text.Json;
using Conveyor.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Conveyor.Worker;

/// <summary>Calls the handler of one job type: deserialises the payload, creates the handler in the attempt's scope, runs it.</summary>
internal abstract class HandlerInvoker
{
    public static HandlerInvoker Create(JobTypeOptions type) =>
        (HandlerInvoker)Activator.CreateInstance(typeof(HandlerInvoker<>).MakeGenericType(type.PayloadType), type)!;

    /// <exception cref="PayloadException">The stored payload does not deserialise into the payload type.</exception>
    public abstract Task<JobContext> InvokeAsync(RunningJob run, IServiceProvider services, IJobStore store, JsonSerializerOptions json);
}

/// <summary>A stored payload that cannot become the job type's payload: retrying cannot help.</summary>
internal sealed class PayloadException(string message, Exception inner) : Exception(message, inner);

internal sealed class HandlerInvoker<TPayload>(JobTypeOptions type) : HandlerInvoker
{
    private readonly ObjectFactory _factory = ActivatorUtilities.CreateFactory(type.HandlerType, Type.EmptyTypes);

    public override async Task<JobContext> InvokeAsync(RunningJob run, IServiceProvider services, IJobStore store, JsonSerializerOptions json)
    {
        TPayload payload;
        try
        {
            payload = JsonSerializer.Deserialize<TPayload>(run.Claim.Payload, json)
                ?? throw new JsonException("The payload is null.");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            throw new PayloadException($"The payload does not deserialise into {typeof(TPayload).Name}: {e.Message}", e);
        }
        var handler = (IJobHandler<TPayload>)(services.GetService(type.HandlerType) ?? _factory(services, null));
        var context = new JobContext<TPayload>(run, store, json, services, payload, run.Stopping.Token);
        await handler.HandleAsync(context, run.Stopping.Token);
        return context;
    }
}
