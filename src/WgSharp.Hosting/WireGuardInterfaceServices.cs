using Microsoft.Extensions.Hosting;

namespace WgSharp.Hosting;

/// <summary>
/// The one hosted service that starts every registered interface in registration order and stops them in
/// reverse. If one fails to start, those already started are removed again before the failure reaches the host.
/// </summary>
internal sealed class WireGuardInterfaceServices(IEnumerable<WireGuardInterfaceService> interfaces) : IHostedService
{
    private readonly WireGuardInterfaceService[] _interfaces = [.. interfaces];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        for (int i = 0; i < _interfaces.Length; i++)
        {
            try { await _interfaces[i].StartAsync(cancellationToken).ConfigureAwait(false); }
            catch
            {
                for (int j = i - 1; j >= 0; j--) await _interfaces[j].StopAsync(CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        for (int i = _interfaces.Length - 1; i >= 0; i--)
            await _interfaces[i].StopAsync(cancellationToken).ConfigureAwait(false);
    }
}
