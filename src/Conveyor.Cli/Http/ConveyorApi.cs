using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Conveyor.Cli.Http;

/// <summary>
/// The CLI's client of the server's /v1 API: one request per call, the API key as a bearer token, errors turned into
/// one-line <see cref="CliException"/>s by <see cref="ApiErrors"/>. A rate-limited request (429) is retried after the
/// server's Retry-After, at most twice.
/// </summary>
internal sealed class ConveyorApi : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private const int RateLimitRetries = 2;

    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly bool _hasKey;

    public ConveyorApi(Uri baseUrl, string? key, TimeProvider time, HttpMessageHandler? handler = null)
    {
        BaseUrl = baseUrl;
        _time = time;
        _hasKey = !string.IsNullOrEmpty(key);
        // No client-wide timeout: event streams stay open; plain requests get their own.
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = baseUrl;
        _http.Timeout = Timeout.InfiniteTimeSpan;
        if (_hasKey)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("conveyor-cli", typeof(ConveyorApi).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    public Uri BaseUrl { get; }

    public Task<string> GetAsync(string path, string? subject, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, subject, cancellationToken);

    public Task<string> PostAsync(string path, object? body, string? subject, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, body, subject, cancellationToken);

    public Task<string> DeleteAsync(string path, string? subject, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, path, null, subject, cancellationToken);

    /// <summary>Sends one request (with <paramref name="body"/> as JSON) and returns the body of a successful answer
    /// (empty for 204). <paramref name="subject"/> is what the path names ("job 42"), for the not-found message.</summary>
    public async Task<string> SendAsync(HttpMethod method, string path, object? body, string? subject, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(RequestTimeout);
            using var request = new HttpRequestMessage(method, path.TrimStart('/'));
            if (body is not null)
                request.Content = new StringContent(JsonSerializer.Serialize(body, ApiJson.Options), Encoding.UTF8, "application/json");
            try
            {
                using var response = await _http.SendAsync(request, timeout.Token);
                var text = await response.Content.ReadAsStringAsync(timeout.Token);
                if (response.IsSuccessStatusCode)
                    return text;
                if (response.StatusCode == HttpStatusCode.TooManyRequests && attempt < RateLimitRetries)
                {
                    var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                    await Task.Delay(wait > TimeSpan.FromSeconds(10) ? TimeSpan.FromSeconds(10) : wait, _time, cancellationToken);
                    continue;
                }
                throw ApiErrors.FromAnswer((int)response.StatusCode, response.ReasonPhrase, text, subject, _hasKey);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && ApiErrors.Unreachable(BaseUrl, e) is { } unreachable)
            {
                throw unreachable;
            }
        }
    }

    /// <summary>
    /// Opens a Server-Sent Events stream and yields its events until the server closes it. A failed open throws
    /// like <see cref="SendAsync"/>; reconnecting is the caller's choice (<see cref="JobFollower"/>).
    /// </summary>
    public async IAsyncEnumerable<ServerSentEvent> StreamAsync(string path, long? lastEventId, string? subject,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connect.CancelAfter(RequestTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            if (lastEventId is { } last)
                request.Headers.Add("Last-Event-ID", last.ToString(System.Globalization.CultureInfo.InvariantCulture));
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, connect.Token);
                if (!response.IsSuccessStatusCode)
                {
                    using (response)
                        throw ApiErrors.FromAnswer((int)response.StatusCode, response.ReasonPhrase, await response.Content.ReadAsStringAsync(connect.Token), subject, _hasKey);
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && ApiErrors.Unreachable(BaseUrl, e) is { } unreachable)
            {
                throw unreachable;
            }
        }
        using (response)
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var parser = new ServerSentEventParser();
            while (true)
            {
                string? line;
                try
                {
                    line = await reader.ReadLineAsync(cancellationToken);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is IOException or HttpRequestException)
                {
                    yield break;   // the connection dropped: the caller resumes with Last-Event-ID
                }
                if (line is null)
                    yield break;
                if (parser.Feed(line) is { } e2)
                    yield return e2;
            }
        }
    }

    public void Dispose() => _http.Dispose();
}
