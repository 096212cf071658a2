using System.Text.Json;
using System.Text.Json.Serialization;
using Cohortly.Contracts;

namespace Cohortly.Gateway.Hosting;

/// <summary>
/// Compile-time JSON metadata for the responses of the hot endpoints (recommendations, similar items), with the
/// same settings as the gateway's HTTP JSON options (web defaults, strict numbers). First in the options' resolver
/// chain, so these types are written by generated code instead of reflection-built metadata; every other type
/// falls through to the default resolver.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(RecommendationResponse))]
[JsonSerializable(typeof(SimilarItemsResponse))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext;
