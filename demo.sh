#!/usr/bin/env bash
# Runs `wgsharp demo` (the wg(4) manual's example: two interfaces in two routing domains, a ping through
# the tunnel, then teardown) from source, after installing the two programs it calls when missing
# (iproute2's `ip`, iputils' `ping`). Needs the .NET 10 SDK and root (network namespaces, TUN).
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" -ne 0 ]; then echo "demo.sh: the demo needs root (network namespaces, TUN): sudo ./demo.sh" >&2; exit 1; fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
tools/ensure-debian-packages.sh iproute2 iputils-ping
exec dotnet run --project src/WgSharp.Cli -c Release -- demo
