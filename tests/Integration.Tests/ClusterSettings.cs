
namespace Cohortly.Integration.Tests;

/// <summary>The settings every cluster-mode test starts its <see cref="LocalCluster"/> with.</summary>
internal static class ClusterSettings
{
    public const string AppKey = "it-app-key";
    public const string AdminKey = "it-admin-key";

    /// <summary>The processes' fast loops (<see cref="FastLoops.Processes"/>) in the Development environment.</summary>
    public static LocalClusterOptions Options(string name, string? appendFsync = null, IReadOnlyDictionary<string, string>? extra = null)
    {
        var env = FastLoops.Processes.AsEnvironment();
        env["DOTNET_ENVIRONMENT"] = "Development";
        env["ASPNETCORE_ENVIRONMENT"] = "Development";
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        return new LocalClusterOptions { Name = name, AppKey = AppKey, AdminKey = AdminKey, AppendFsync = appendFsync, Environment = env };
    }
}
