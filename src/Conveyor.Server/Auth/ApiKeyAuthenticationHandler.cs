using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Conveyor.Server.Auth;

/// <summary>Authenticates a request by its API key: <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-Api-Key: &lt;key&gt;</c>.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyService keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ConveyorApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = PresentedKey();
        if (key is null)
            return AuthenticateResult.NoResult();
        var caller = await keys.VerifyAsync(key, Context.RequestAborted);
        if (caller is null)
            return AuthenticateResult.Fail("The API key is unknown, malformed or revoked.");
        List<Claim> claims = [new(Caller.KeyIdClaim, caller.KeyId), new(Caller.UserClaim, caller.User), new(ClaimTypes.Name, caller.User)];
        if (caller.Tenant is not null)
            claims.Add(new Claim(Caller.TenantClaim, caller.Tenant));
        claims.AddRange(caller.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Api.Problems.Write(Context, StatusCodes.Status401Unauthorized, "unauthorized", "An API key is required",
            "Send a valid key as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Api.Problems.Write(Context, StatusCodes.Status403Forbidden, "forbidden", "Not allowed", "The API key's roles do not allow this.");

    private string? PresentedKey()
    {
        var authorization = Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return authorization["Bearer ".Length..].Trim();
        var header = Request.Headers["X-Api-Key"].ToString();
        return header.Length > 0 ? header.Trim() : null;
    }
}
