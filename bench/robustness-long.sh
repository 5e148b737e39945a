#!/usr/bin/env bash
# The long versions of the robustness tests (WGSHARP_LONG=1): 1 GiB over the lossy relay, a 2-minute
# handshake flood, the 10-minute soak, plus the rest of tests/WgSharp.Tests/Robustness at CI size.
# Prints the figures each test measured. Needs root (network namespaces, nft).
set -euo pipefail
cd "$(dirname "$0")/.."
export WGSHARP_LONG=1
dotnet test tests/WgSharp.Tests -c Release --filter "FullyQualifiedName~WgSharp.Tests.Robustness" \
    --logger "console;verbosity=detailed" "$@"
