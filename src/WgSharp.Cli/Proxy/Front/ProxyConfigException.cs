namespace WgSharp.Cli.Proxy.Front;

/// <summary>A CONF file, SPEC or option the front end refuses: <see cref="Exception.Message"/> is the one line the user sees (never a key).</summary>
internal sealed class ProxyConfigException(string message) : Exception(message);
