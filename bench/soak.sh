#!/usr/bin/env bash
# Soak: 10 minutes of TCP traffic through the real wgsharp daemon with time running 40x faster
# (a rekey every 3 s), asserting its RSS, descriptors and threads stay flat. Needs root (namespaces).
# The CI version of the same test runs 45 s inside `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")/.."
export WGSHARP_LONG=1
dotnet test tests/WgSharp.Tests -c Release --filter "FullyQualifiedName~WgSharp.Tests.Robustness.SoakTests" \
    --logger "console;verbosity=detailed" "$@"
