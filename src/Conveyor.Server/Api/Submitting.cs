namespace Conveyor.Server.Api;

/// <summary>Turns the library's precise exceptions into the API's problem answers.</summary>
internal static class Submitting
{
    public static async Task<IResult> Run(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (JobValidationException e)
        {
            return Problems.Invalid(ApiField(e.Field), e.Reason);
        }
        catch (IdempotencyConflictException e)
        {
            return Problems.Result(StatusCodes.Status409Conflict, "idempotency-conflict", "The idempotency key is taken",
                $"idempotencyKey: '{e.IdempotencyKey}' already belongs to job {e.ExistingJobId} with another type or payload.", "idempotencyKey", jobId: e.ExistingJobId);
        }
        catch (QueueFullException e)
        {
            return Problems.Result(StatusCodes.Status503ServiceUnavailable, "queue-full", "The queue is full",
                $"queue: '{e.Queue}' holds its limit of {e.MaxWaiting} waiting jobs; retry later.", "queue", e.RetryAfter);
        }
        catch (TenantFullException e)
        {
            // The caller's own tenant (from its key) is at its bound: too many requests from this tenant, not a field at fault.
            var tenant = e.Tenant is null ? "The default tenant" : $"Tenant '{e.Tenant}'";
            return Problems.Result(StatusCodes.Status429TooManyRequests, "tenant-full", "The tenant has too many waiting jobs",
                $"{tenant} already has its limit of {e.MaxWaiting} waiting jobs; nothing was stored; retry later.", retryAfter: e.RetryAfter);
        }
    }

    // The library calls a job's type its kind; the API calls it type.
    private static string ApiField(string field) =>
        field == "kind" ? "type" : field.EndsWith(".kind", StringComparison.Ordinal) ? field[..^"kind".Length] + "type" : field;
}
