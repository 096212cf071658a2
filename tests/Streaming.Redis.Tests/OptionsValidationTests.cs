using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace Cohortly.Streaming.Redis.Tests;

public sealed class OptionsValidationTests
{
    private static RedisStreamOptions Valid() => new() { ConnectionString = "127.0.0.1:6379" };

    private static string Failure(Action<RedisStreamOptions> change)
    {
        var options = Valid();
        change(options);
        var result = new RedisStreamOptionsValidator().Validate("interactions", options);
        Assert.True(result.Failed, "expected the options to be rejected");
        return result.FailureMessage;
    }

    [Fact]
    public void Defaults_with_a_connection_string_are_valid()
    {
        Assert.True(new RedisStreamOptionsValidator().Validate("interactions", Valid()).Succeeded);
        Assert.Equal(8, Valid().PartitionCount);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(5000)]
    public void Partition_count_out_of_range_names_the_provider_option_range_and_value(int count)
    {
        var message = Failure(o => o.PartitionCount = count);
        Assert.Contains("Redis stream provider 'interactions'", message);
        Assert.Contains("PartitionCount must be between 1 and 1024", message);
        Assert.Contains($"was {count}", message);
    }

    [Fact]
    public void A_connection_is_required_and_only_one_way()
    {
        Assert.Contains("ConnectionString, Configuration or ConnectionFactory is required", Failure(o => o.ConnectionString = null));
        Assert.Contains("set only one of", Failure(o => o.ConnectionFactory = _ => throw new InvalidOperationException()));
        Assert.Contains("set only one of", Failure(o => o.Configuration = new StackExchange.Redis.ConfigurationOptions()));
    }

    [Fact]
    public void Each_bad_setting_gets_its_own_message()
    {
        Assert.Contains("ReadBatchSize must be between 1 and 10000; was 0", Failure(o => o.ReadBatchSize = 0));
        Assert.Contains("ConsumerGroup must be a non-empty name without whitespace", Failure(o => o.ConsumerGroup = "my group"));
        Assert.Contains("KeyPrefix must be null", Failure(o => o.KeyPrefix = "a{b}"));
        Assert.Contains("Retention must be at least", Failure(o => o.Retention = TimeSpan.FromSeconds(5)));
        Assert.Contains("MaxStreamLength must be at least 1", Failure(o => { o.Trimming = RedisStreamTrimming.MaxLength; o.MaxStreamLength = 0; }));
        Assert.Contains("PendingIdleTimeout must be between", Failure(o => o.PendingIdleTimeout = TimeSpan.FromMilliseconds(10)));
        Assert.Contains("AcknowledgementDelay must be between 0", Failure(o => o.AcknowledgementDelay = TimeSpan.FromSeconds(-1)));
        Assert.Contains("EventLogPageSize must be between", Failure(o => o.EventLogPageSize = 0));
        Assert.Contains("Trimming has the undefined value 9", Failure(o => o.Trimming = (RedisStreamTrimming)9));
    }

    [Fact]
    public void All_failures_are_reported_together()
    {
        var message = Failure(o => { o.PartitionCount = 0; o.ReadBatchSize = 0; });
        Assert.Contains("PartitionCount", message);
        Assert.Contains("ReadBatchSize", message);
    }

    [Fact]
    public async Task A_silo_with_bad_options_fails_at_start_with_the_validation_message()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering()
            .AddMemoryGrainStorage("PubSubStore")
            .AddRedisStreams("interactions", o =>
            {
                o.ConnectionString = "127.0.0.1:1";
                o.PartitionCount = 0;
            }));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Redis stream provider 'interactions': PartitionCount must be between 1 and 1024; was 0.", error.Message);
    }

    [Fact]
    public async Task A_client_without_a_connection_fails_at_start_with_the_validation_message()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(client => client
            .UseLocalhostClustering()
            .AddRedisStreams("interactions", _ => { }));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("ConnectionString, Configuration or ConnectionFactory is required", error.Message);
    }

    [Fact]
    public void The_silo_registration_validates_on_start_and_exposes_a_keyed_log_reader()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo => silo.UseLocalhostClustering().AddRedisStreams("interactions", o => o.ConnectionString = "127.0.0.1:1"));
        Assert.Contains(builder.Services, d => d.ServiceType == typeof(IValidateOptions<RedisStreamOptions>));
        Assert.Contains(builder.Services, d => d.ServiceType == typeof(RedisStreamEventLogReader) && Equals(d.ServiceKey, "interactions"));
    }
}
