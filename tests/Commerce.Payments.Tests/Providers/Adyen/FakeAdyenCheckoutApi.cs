using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Commerce.Payments.Tests.Providers.Adyen;

/// <summary>
/// A fake of Adyen's Checkout API v71 as documented: <c>X-API-Key</c>, JSON bodies, <c>Idempotency-Key</c> (same key
/// and body replay the stored response), resultCode Authorised/Refused, asynchronous modifications answered
/// <c>"status": "received"</c> with 201, the error shape <c>{status, errorCode, message, errorType, pspReference}</c>,
/// and injected faults.
/// </summary>
internal sealed partial class FakeAdyenCheckoutApi
{
    public const string ApiKey = "AQE-fake-api-key-0123456789";
    public const string MerchantAccount = "CommerceEngineECOM";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Payment> _payments = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Stored> _idempotency = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(int Status, string ErrorCode, string ErrorType, bool AfterProcessing)> _faults = new();
    private int _sequence;

    public ConcurrentQueue<(string Path, JsonObject Body, string IdempotencyKey)> Requests { get; } = new();

    /// <summary>Authorizations actually placed (replays do not count).</summary>
    public int AuthorizationsPlaced { get; private set; }

    public TimeSpan ResponseDelay { get; set; }

    public void FailNext(int status, string errorCode, string errorType, bool afterProcessing = false) =>
        _faults.Enqueue((status, errorCode, errorType, afterProcessing));

    public Payment? Find(string pspReference)
    {
        lock (_gate)
        {
            return _payments.GetValueOrDefault(pspReference);
        }
    }

    public async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(context.RequestAborted);
        var key = context.Request.Headers["Idempotency-Key"].ToString();
        if (context.Request.Headers["X-API-Key"] != ApiKey)
        {
            await WriteAsync(context, new Stored(401, Error(401, "000", "HTTP Status Response - Unauthorized", "security")));
            return;
        }

        JsonObject? body;
        try
        {
            body = JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            body = null;
        }

        if (body is null || !HttpMethods.IsPost(context.Request.Method) || key.Length == 0)
        {
            await WriteAsync(context, new Stored(400, Error(400, "702", "Structure or JSON is invalid, or the Idempotency-Key is missing.", "validation")));
            return;
        }

        Requests.Enqueue((context.Request.Path.Value!, body, key));
        if (_faults.TryDequeue(out var fault) && !fault.AfterProcessing)
        {
            await WriteAsync(context, new Stored(fault.Status, Error(fault.Status, fault.ErrorCode, "Injected failure.", fault.ErrorType)));
            return;
        }

        Stored response;
        lock (_gate)
        {
            var fingerprint = context.Request.Path + text;
            if (_idempotency.TryGetValue(key, out var stored))
            {
                response = stored.Fingerprint == fingerprint
                    ? stored
                    : new Stored(422, Error(422, "704", "request already processed or in progress", "validation"));
            }
            else
            {
                response = Process(context.Request.Path.Value!, body);
                if (fault.Status != 0)
                {
                    response = new Stored(fault.Status, Error(fault.Status, fault.ErrorCode, "Injected failure after processing.", fault.ErrorType));
                }

                _idempotency[key] = response with { Fingerprint = fingerprint };
            }
        }

        context.Response.Headers["Idempotency-Key"] = key;
        if (ResponseDelay > TimeSpan.Zero)
        {
            await Task.Delay(ResponseDelay, context.RequestAborted).ContinueWith(static _ => { }, TaskScheduler.Default);
        }

        await WriteAsync(context, response);
    }

    private Stored Process(string path, JsonObject body)
    {
        if ((string?)body["merchantAccount"] != MerchantAccount || string.IsNullOrEmpty((string?)body["reference"]))
        {
            return new Stored(422, Error(422, "14_0", "Invalid merchant account or missing reference.", "validation"));
        }

        if (path == "/v71/payments")
        {
            return Authorize(body);
        }

        var match = Modification().Match(path);
        if (!match.Success)
        {
            return new Stored(404, Error(404, "000", "Not found.", "validation"));
        }

        if (!_payments.TryGetValue(match.Groups["psp"].Value, out var payment))
        {
            return new Stored(422, Error(422, "167", "Original pspReference required for this operation", "validation"));
        }

        var kind = match.Groups["kind"].Value;
        long? value = null;
        if (kind != "cancels")
        {
            if (body["amount"] is not JsonObject amount || (string?)amount["currency"] != payment.Currency || (long?)amount["value"] is not > 0)
            {
                return new Stored(422, Error(422, "137", "Invalid amount specified", "validation"));
            }

            value = (long)amount["value"]!;
        }

        var modificationPsp = NextPspReference();
        payment.Modifications.Add((kind, value, (string)body["reference"]!));
        var response = new JsonObject
        {
            ["merchantAccount"] = MerchantAccount,
            ["paymentPspReference"] = payment.PspReference,
            ["pspReference"] = modificationPsp,
            ["reference"] = (string?)body["reference"],
            ["status"] = "received",
        };
        if (value is { } v)
        {
            response["amount"] = new JsonObject { ["currency"] = payment.Currency, ["value"] = v };
        }

        return new Stored(201, response.ToJsonString());
    }

    private Stored Authorize(JsonObject body)
    {
        if (body["amount"] is not JsonObject amount || (long?)amount["value"] is not > 0 || ((string?)amount["currency"])?.Length != 3)
        {
            return new Stored(422, Error(422, "137", "Invalid amount specified", "validation"));
        }

        if (body["paymentMethod"] is not JsonObject paymentMethod || (string?)paymentMethod["type"] is null || string.IsNullOrEmpty((string?)body["returnUrl"]))
        {
            return new Stored(422, Error(422, "14_005", "Required field 'paymentMethod' or 'returnUrl' is not provided.", "validation"));
        }

        if ((string?)body["additionalData"]?["manualCapture"] != "true")
        {
            return new Stored(422, Error(422, "000", "This fake expects additionalData.manualCapture=true.", "validation"));
        }

        var psp = NextPspReference();
        var card = (string?)paymentMethod["encryptedCardNumber"];
        if (card == "test_4000300011112220")
        {
            return new Stored(200, new JsonObject
            {
                ["pspReference"] = psp,
                ["resultCode"] = "Refused",
                ["refusalReason"] = "Not enough balance",
                ["refusalReasonCode"] = "51",
                ["merchantReference"] = (string?)body["reference"],
            }.ToJsonString());
        }

        _payments[psp] = new Payment(psp, (long)amount["value"]!, (string)amount["currency"]!, (string)body["reference"]!);
        AuthorizationsPlaced++;
        return new Stored(200, new JsonObject
        {
            ["pspReference"] = psp,
            ["resultCode"] = "Authorised",
            ["merchantReference"] = (string?)body["reference"],
            ["amount"] = new JsonObject { ["currency"] = (string?)amount["currency"], ["value"] = (long)amount["value"]! },
        }.ToJsonString());
    }

    private string NextPspReference() => "PSP" + Interlocked.Increment(ref _sequence).ToString("D13", CultureInfo.InvariantCulture);

    private static string Error(int status, string errorCode, string message, string errorType) => new JsonObject
    {
        ["status"] = status,
        ["errorCode"] = errorCode,
        ["message"] = message,
        ["errorType"] = errorType,
        ["pspReference"] = "ERR" + errorCode,
    }.ToJsonString();

    private static async Task WriteAsync(HttpContext context, Stored response)
    {
        context.Response.StatusCode = response.Status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(response.Body, Encoding.UTF8);
    }

    [GeneratedRegex("^/v71/payments/(?<psp>[^/]+)/(?<kind>captures|cancels|refunds)$")]
    private static partial Regex Modification();

    internal sealed record Payment(string PspReference, long Value, string Currency, string Reference)
    {
        public List<(string Kind, long? Value, string Reference)> Modifications { get; } = [];
    }

    private sealed record Stored(int Status, string Body, string Fingerprint = "");
}
