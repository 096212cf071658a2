using System.Net;
using System.Net.Sockets;

namespace Cohortly.TestSupport;

/// <summary>
/// Free loopback ports for servers the tests start. Picked below Linux's ephemeral range (32768-60999): a port the
/// kernel handed out for "any free port" is in that range, and between this probe and the server's bind an outgoing
/// connection of another test (Orleans, Redis clients) could take it - "address already in use" at random.
/// </summary>
public static class Ports
{
    private const int First = 20_000;
    private const int Last = 32_000;

    public static int Free()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(First, Last);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // taken; try another
            }
        }

        throw new InvalidOperationException($"no free loopback port between {First} and {Last}");
    }
}
