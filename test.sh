#!/usr/bin/env bash
# Runs every test (unit, network-namespace integration, interop with wireguard-go, packaging, a fuzzing
# campaign) after installing what they use and is missing: Debian's wireguard-go, wireguard-tools, iperf3,
# ping, nftables, curl (scrapes the metrics endpoint), gdb (a core image of the daemon), AFL++, the NativeAOT
# toolchain (clang), qemu-user (runs the linux-arm64 build; tools/publish.sh installs the cross
# toolchain it needs) and the SharpFuzz .NET tool.
# Needs the .NET 10 SDK and root (the tests create network namespaces and TUN interfaces).
# Extra arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Crypto", or --filter "Tier=Root" for
# the root tier only; README.md "Tests" has the tiers).
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: the Root tier needs root (network namespaces, TUN): sudo ./test.sh" >&2
  echo "         without root, the user tier: dotnet test tests/WgSharp.Tests -c Release --filter \"Tier!=Root\"" >&2
  exit 1
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
tools/ensure-debian-packages.sh wireguard-tools wireguard-go iperf3 iputils-ping nftables iproute2 openssl procps curl python3 python3-scapy systemd \
  afl++ clang gdb qemu-user
# The fuzzing campaign test (tests/WgSharp.Tests/Robustness/FuzzCampaignTests.cs) instruments with SharpFuzz.
export PATH="$PATH:$HOME/.dotnet/tools"
command -v sharpfuzz >/dev/null || dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0
exec dotnet test wgsharp.sln -c Release "$@"
