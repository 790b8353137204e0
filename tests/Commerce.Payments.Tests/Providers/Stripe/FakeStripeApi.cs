using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace Commerce.Payments.Tests.Providers.Stripe;

/// <summary>
/// A fake of Stripe's PaymentIntents and Refunds API as documented: form-encoded bodies, bearer keys, idempotency keys
/// (same key and body replay the stored response; another body is an idempotency_error), the error object, test
/// payment methods that decline, a search index that lags writes, and injected faults.
/// </summary>
internal sealed partial class FakeStripeApi
{
    public const string ApiKey = "sk_test_fake_0123456789abcdef";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Intent> _intents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StoredResponse> _idempotency = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Fault> _faults = new();
    private int _sequence;

    /// <summary>Every request received, in order.</summary>
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Authorizations actually placed on a card (replays do not count).</summary>
    public int AuthorizationsPlaced { get; private set; }

    /// <summary>PaymentIntents younger than this are not yet in the search index.</summary>
    public TimeSpan SearchLag { get; set; }

    /// <summary>How long every response is held back after the request was processed.</summary>
    public TimeSpan ResponseDelay { get; set; }

    /// <summary>The status new refunds get.</summary>
    public string RefundStatus { get; set; } = "succeeded";

    /// <summary>Makes the next request fail with <paramref name="status"/>, before or after it is processed.</summary>
    public void FailNext(int status, string type, string code, bool afterProcessing = false) => _faults.Enqueue(new Fault(status, type, code, afterProcessing));

    public Intent? Find(string id)
    {
        lock (_gate)
        {
            return _intents.GetValueOrDefault(id);
        }
    }

    /// <summary>Adds authorized PaymentIntents directly, as other traffic on the account.</summary>
    public void Seed(int count)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                var intent = NewIntent(1000, "usd", "other-" + i.ToString(CultureInfo.InvariantCulture));
                intent.Status = "requires_capture";
                intent.AmountCapturable = 1000;
            }
        }
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var form = request.HasFormContentType ? await request.ReadFormAsync() : null;
        var body = form is null ? string.Empty : string.Join('&', form.Select(static f => f.Key + "=" + f.Value));
        var idempotencyKey = request.Headers["Idempotency-Key"].ToString();
        Requests.Enqueue(new RecordedRequest(
            request.Method, request.Path.Value!, request.QueryString.Value ?? string.Empty,
            form?.ToDictionary(static f => f.Key, static f => f.Value.ToString()) ?? [],
            idempotencyKey, request.Headers.Authorization.ToString(), request.Headers["Stripe-Version"].ToString()));

        if (request.Headers.Authorization != "Bearer " + ApiKey)
        {
            await WriteAsync(context, new StoredResponse(401, Error("invalid_request_error", null, "Invalid API Key provided: sk_test_****cdef")));
            return;
        }

        _faults.TryDequeue(out var fault);
        if (fault is { AfterProcessing: false })
        {
            await WriteAsync(context, new StoredResponse(fault.Status, Error(fault.Type, fault.Code, "Injected failure.")));
            return;
        }

        StoredResponse response;
        if (HttpMethods.IsPost(request.Method))
        {
            if (idempotencyKey.Length == 0)
            {
                await WriteAsync(context, new StoredResponse(400, Error("invalid_request_error", "idempotency_key_missing", "This fake requires an Idempotency-Key on every POST.")));
                return;
            }

            var fingerprint = request.Path + "?" + body;
            lock (_gate)
            {
                if (_idempotency.TryGetValue(idempotencyKey, out var stored))
                {
                    if (stored.Fingerprint != fingerprint)
                    {
                        response = new StoredResponse(400, Error(
                            "idempotency_error", null,
                            "Keys for idempotent requests can only be used with the same parameters they were first used with."));
                    }
                    else
                    {
                        context.Response.Headers["Idempotent-Replayed"] = "true";
                        response = stored;
                    }
                }
                else
                {
                    response = Post(request.Path.Value!, form!);
                    if (fault is { AfterProcessing: true })
                    {
                        response = new StoredResponse(fault.Status, Error(fault.Type, fault.Code, "Injected failure after processing."));
                    }

                    _idempotency[idempotencyKey] = response with { Fingerprint = fingerprint };
                }
            }
        }
        else
        {
            lock (_gate)
            {
                response = Get(request.Path.Value!, request.Query);
            }
        }

        if (ResponseDelay > TimeSpan.Zero)
        {
            await Task.Delay(ResponseDelay, context.RequestAborted).ContinueWith(static _ => { }, TaskScheduler.Default);
        }

        await WriteAsync(context, response);
    }

    private StoredResponse Post(string path, IFormCollection form)
    {
        if (path == "/v1/payment_intents")
        {
            return CreateIntent(form);
        }

        if (path == "/v1/refunds")
        {
            return CreateRefund(form);
        }

        var match = IntentAction().Match(path);
        if (!match.Success)
        {
            return new StoredResponse(404, Error("invalid_request_error", "resource_missing", $"Unrecognized request URL (POST: {path})."));
        }

        if (!_intents.TryGetValue(match.Groups["id"].Value, out var intent))
        {
            return NoSuchIntent(match.Groups["id"].Value);
        }

        return match.Groups["action"].Value == "capture" ? Capture(intent, form) : Cancel(intent);
    }

    private StoredResponse CreateIntent(IFormCollection form)
    {
        var required = new[] { "amount", "currency", "payment_method", "metadata[reference]" };
        if (required.FirstOrDefault(name => StringValues.IsNullOrEmpty(form[name])) is { } missing)
        {
            return new StoredResponse(400, Error("invalid_request_error", "parameter_missing", $"Missing required param: {missing}."));
        }

        if (!long.TryParse(form["amount"], NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount < 1)
        {
            return new StoredResponse(400, Error("invalid_request_error", "parameter_invalid_integer", "Invalid integer: amount."));
        }

        var currency = form["currency"].ToString();
        if (!LowerCaseCurrency().IsMatch(currency) || form["confirm"] != "true" || form["capture_method"] != "manual")
        {
            return new StoredResponse(400, Error("invalid_request_error", "parameter_invalid", "This fake expects a lower-case currency, confirm=true and capture_method=manual."));
        }

        var paymentMethod = form["payment_method"].ToString();
        if (!paymentMethod.StartsWith("pm_card_", StringComparison.Ordinal))
        {
            return new StoredResponse(400, Error("invalid_request_error", "resource_missing", $"No such PaymentMethod: '{paymentMethod}'"));
        }

        var intent = NewIntent(amount, currency, form["metadata[reference]"].ToString());
        var declineCode = paymentMethod switch
        {
            "pm_card_chargeDeclined" => "generic_decline",
            "pm_card_chargeDeclinedInsufficientFunds" => "insufficient_funds",
            _ => null,
        };
        if (declineCode is not null)
        {
            intent.Status = "requires_payment_method";
            return new StoredResponse(402, Error("card_error", "card_declined", "Your card was declined.", declineCode, intent));
        }

        intent.Status = "requires_capture";
        intent.AmountCapturable = amount;
        AuthorizationsPlaced++;
        return new StoredResponse(200, Render(intent, expandCharge: false));
    }

    private static StoredResponse Capture(Intent intent, IFormCollection form)
    {
        if (intent.Status != "requires_capture")
        {
            return new StoredResponse(400, Error(
                "invalid_request_error", "payment_intent_unexpected_state", $"This PaymentIntent could not be captured because it has a status of {intent.Status}.", intent: intent));
        }

        var amount = form.TryGetValue("amount_to_capture", out var value) ? long.Parse(value!, CultureInfo.InvariantCulture) : intent.AmountCapturable;
        if (amount < 1 || amount > intent.AmountCapturable)
        {
            return new StoredResponse(400, Error("invalid_request_error", "amount_too_large", "The amount to capture is greater than the amount capturable.", intent: intent));
        }

        intent.AmountReceived += amount;
        intent.AmountCapturable -= amount;
        if (form["final_capture"] != "false")
        {
            intent.AmountCapturable = 0;
            intent.Status = "succeeded";
        }
        else if (intent.AmountCapturable == 0)
        {
            intent.Status = "succeeded";
        }

        return new StoredResponse(200, Render(intent, expandCharge: false));
    }

    private static StoredResponse Cancel(Intent intent)
    {
        if (intent.Status is not ("requires_capture" or "requires_payment_method"))
        {
            return new StoredResponse(400, Error(
                "invalid_request_error", "payment_intent_unexpected_state", $"You cannot cancel this PaymentIntent because it has a status of {intent.Status}.", intent: intent));
        }

        intent.Status = "canceled";
        intent.AmountCapturable = 0;
        return new StoredResponse(200, Render(intent, expandCharge: false));
    }

    private StoredResponse CreateRefund(IFormCollection form)
    {
        if (!_intents.TryGetValue(form["payment_intent"].ToString(), out var intent))
        {
            return NoSuchIntent(form["payment_intent"].ToString());
        }

        var amount = form.TryGetValue("amount", out var value) ? long.Parse(value!, CultureInfo.InvariantCulture) : intent.AmountReceived - intent.AmountRefunded;
        if (amount < 1 || amount > intent.AmountReceived - intent.AmountRefunded)
        {
            return new StoredResponse(400, Error("invalid_request_error", "amount_too_large", $"Refund amount ({amount}) is greater than unrefunded amount on charge."));
        }

        if (RefundStatus != "failed")
        {
            intent.AmountRefunded += amount;
        }

        var refund = new JsonObject
        {
            ["id"] = "re_" + Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture),
            ["object"] = "refund",
            ["amount"] = amount,
            ["currency"] = intent.Currency,
            ["payment_intent"] = intent.Id,
            ["status"] = RefundStatus,
            ["failure_reason"] = RefundStatus == "failed" ? "expired_or_canceled_card" : null,
            ["metadata"] = new JsonObject { ["reference"] = form["metadata[reference]"].ToString() },
        };
        return new StoredResponse(200, refund.ToJsonString());
    }

    private StoredResponse Get(string path, IQueryCollection query)
    {
        var expandCharge = query["expand[]"].Any(static e => e is "latest_charge" or "data.latest_charge");
        if (path == "/v1/payment_intents/search")
        {
            var match = SearchQuery().Match(query["query"].ToString());
            if (!match.Success)
            {
                return new StoredResponse(400, Error("invalid_request_error", "parameter_invalid", "This fake supports only metadata['reference']:'...' queries."));
            }

            var reference = Regex.Unescape(match.Groups["value"].Value);
            var indexedBefore = TimeProvider.System.GetUtcNow() - SearchLag;
            var found = _intents.Values.Where(i => i.Reference == reference && i.CreatedAt <= indexedBefore);
            return new StoredResponse(200, RenderList("search_result", found, hasMore: false, expandCharge));
        }

        if (path == "/v1/payment_intents")
        {
            var limit = int.Parse(query["limit"].ToString(), CultureInfo.InvariantCulture);
            var since = long.Parse(query["created[gte]"].ToString(), CultureInfo.InvariantCulture);
            var ordered = _intents.Values.Where(i => i.Created >= since).OrderByDescending(static i => i.Sequence).ToList();
            if (query["starting_after"].ToString() is { Length: > 0 } after)
            {
                ordered = ordered.SkipWhile(i => i.Id != after).Skip(1).ToList();
            }

            return new StoredResponse(200, RenderList("list", ordered.Take(limit), ordered.Count > limit, expandCharge));
        }

        var id = path.StartsWith("/v1/payment_intents/", StringComparison.Ordinal) ? path["/v1/payment_intents/".Length..] : string.Empty;
        return _intents.TryGetValue(id, out var intent) ? new StoredResponse(200, Render(intent, expandCharge)) : NoSuchIntent(id);
    }

    private Intent NewIntent(long amount, string currency, string reference)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        var now = TimeProvider.System.GetUtcNow();
        var intent = new Intent
        {
            Id = "pi_" + sequence.ToString("D8", CultureInfo.InvariantCulture),
            Sequence = sequence,
            Amount = amount,
            Currency = currency,
            Reference = reference,
            CreatedAt = now,
            Created = now.ToUnixTimeSeconds(),
        };
        _intents[intent.Id] = intent;
        return intent;
    }

    private static StoredResponse NoSuchIntent(string id) =>
        new(404, Error("invalid_request_error", "resource_missing", $"No such payment_intent: '{id}'"));

    private static string RenderList(string kind, IEnumerable<Intent> intents, bool hasMore, bool expandCharge)
    {
        var data = new JsonArray();
        foreach (var intent in intents)
        {
            data.Add(RenderNode(intent, expandCharge));
        }

        return new JsonObject { ["object"] = kind, ["data"] = data, ["has_more"] = hasMore, ["url"] = "/v1/payment_intents" }.ToJsonString();
    }

    private static string Render(Intent intent, bool expandCharge) => RenderNode(intent, expandCharge).ToJsonString();

    private static JsonObject RenderNode(Intent intent, bool expandCharge)
    {
        var chargeId = "ch_" + intent.Id[3..];
        return new JsonObject
        {
            ["id"] = intent.Id,
            ["object"] = "payment_intent",
            ["amount"] = intent.Amount,
            ["amount_capturable"] = intent.AmountCapturable,
            ["amount_received"] = intent.AmountReceived,
            ["capture_method"] = "manual",
            ["created"] = intent.Created,
            ["currency"] = intent.Currency,
            ["status"] = intent.Status,
            ["metadata"] = new JsonObject { ["reference"] = intent.Reference },
            ["latest_charge"] = expandCharge
                ? new JsonObject
                {
                    ["id"] = chargeId,
                    ["object"] = "charge",
                    ["amount"] = intent.Amount,
                    ["amount_captured"] = intent.AmountReceived,
                    ["amount_refunded"] = intent.AmountRefunded,
                    ["currency"] = intent.Currency,
                    ["payment_intent"] = intent.Id,
                }
                : chargeId,
        };
    }

    private static string Error(string type, string? code, string message, string? declineCode = null, Intent? intent = null)
    {
        var error = new JsonObject { ["type"] = type, ["message"] = message };
        if (code is not null)
        {
            error["code"] = code;
        }

        if (declineCode is not null)
        {
            error["decline_code"] = declineCode;
        }

        if (intent is not null)
        {
            error["payment_intent"] = RenderNode(intent, expandCharge: false);
        }

        return new JsonObject { ["error"] = error }.ToJsonString();
    }

    private static async Task WriteAsync(HttpContext context, StoredResponse response)
    {
        context.Response.StatusCode = response.Status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(response.Body, Encoding.UTF8);
    }

    [GeneratedRegex("^/v1/payment_intents/(?<id>[^/]+)/(?<action>capture|cancel)$")]
    private static partial Regex IntentAction();

    [GeneratedRegex("^metadata\\['reference'\\]:'(?<value>(?:[^'\\\\]|\\\\.)*)'$")]
    private static partial Regex SearchQuery();

    [GeneratedRegex("^[a-z]{3}$")]
    private static partial Regex LowerCaseCurrency();

    internal sealed class Intent
    {
        public required string Id { get; init; }

        public required int Sequence { get; init; }

        public required long Amount { get; init; }

        public required string Currency { get; init; }

        public required string Reference { get; init; }

        public required DateTimeOffset CreatedAt { get; init; }

        public required long Created { get; init; }

        public string Status { get; set; } = "requires_payment_method";

        public long AmountCapturable { get; set; }

        public long AmountReceived { get; set; }

        public long AmountRefunded { get; set; }
    }

    internal sealed record RecordedRequest(
        string Method, string Path, string Query, Dictionary<string, string> Form, string IdempotencyKey, string Authorization, string StripeVersion);

    private sealed record StoredResponse(int Status, string Body, string Fingerprint = "");

    private sealed record Fault(int Status, string Type, string Code, bool AfterProcessing);
}
