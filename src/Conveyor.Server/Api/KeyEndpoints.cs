using Conveyor.Server.Auth;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Api;

/// <summary>API keys: create (the key is shown once), list, revoke. Admin only.</summary>
internal static class KeyEndpoints
{
    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/keys", Create).WithName("CreateKey").WithSummary("Create an API key; the answer holds the key, shown only this once (admin)")
            .Accepts<CreateKeyRequest>(isOptional: true, "application/json").Produces<CreatedKeyDto>(201);
        v1.MapGet("/keys", List).WithName("ListKeys").WithSummary("Every API key, without secrets (admin)").Produces<KeyListDto>();
        v1.MapDelete("/keys/{id}", Revoke).WithName("RevokeKey").WithSummary("Revoke an API key (admin)").Produces(204);
    }

    private static async Task<IResult> Create(HttpContext http, ApiKeyService keys, IOptions<ConveyorServerOptions> options)
    {
        var caller = Caller.From(http.User);
        if (!caller.IsAdmin)
            return Problems.Forbidden("Only an admin key can manage API keys.");
        var (request, problem) = await ApiJson.ReadAsync<CreateKeyRequest>(http, 64 * 1024);
        if (problem is not null)
            return problem;
        if (Validate(request!) is { } invalid)
            return invalid;
        var (record, key) = await keys.CreateAsync(request!.Name, request.User, string.IsNullOrEmpty(request.Tenant) ? null : request.Tenant,
            [.. request.Roles.Distinct()], caller.User, http.RequestAborted);
        return Results.Json(new CreatedKeyDto(key, KeyDto.From(record)), ApiJson.Options, statusCode: StatusCodes.Status201Created);
    }

    internal static IResult? Validate(CreateKeyRequest r)
    {
        if (string.IsNullOrWhiteSpace(r.Name) || r.Name.Length > 200)
            return Problems.Invalid("name", "must be 1 to 200 characters.");
        if (string.IsNullOrWhiteSpace(r.User) || r.User.Length > 255)
            return Problems.Invalid("user", "must be 1 to 255 characters.");
        if (r.Tenant is { Length: > 255 })
            return Problems.Invalid("tenant", "must be at most 255 characters.");
        if (r.Roles.Count == 0)
            return Problems.Invalid("roles", $"must name at least one of {string.Join(", ", Roles.All)}.");
        if (r.Roles.FirstOrDefault(role => !Roles.All.Contains(role)) is { } unknown)
            return Problems.Invalid("roles", $"'{unknown}' is not a role; use {string.Join(", ", Roles.All)}.");
        return null;
    }

    private static async Task<IResult> List(HttpContext http, ApiKeyService keys) =>
        Caller.From(http.User).IsAdmin
            ? Results.Ok(new KeyListDto([.. (await keys.ListAsync(http.RequestAborted)).Select(KeyDto.From)]))
            : Problems.Forbidden("Only an admin key can manage API keys.");

    private static async Task<IResult> Revoke(HttpContext http, ApiKeyService keys, string id)
    {
        if (!Caller.From(http.User).IsAdmin)
            return Problems.Forbidden("Only an admin key can manage API keys.");
        return await keys.RevokeAsync(id, http.RequestAborted) ? Results.NoContent() : Problems.NotFound($"Valid key '{id}'");
    }
}
