#!/usr/bin/env bash
# Builds wgsharp (Release) into /usr/local/lib/wgsharp and puts `wgsharp` on PATH via /usr/local/bin.
# Usage: sudo ./install.sh [PREFIX]   (PREFIX defaults to /usr/local)
set -euo pipefail
cd "$(dirname "$0")"
prefix="${1:-/usr/local}"
dotnet publish src/WgSharp.Cli -c Release -o "$prefix/lib/wgsharp" --nologo -v quiet
ln -sf "$prefix/lib/wgsharp/wgsharp" "$prefix/bin/wgsharp"
ln -sf "$prefix/lib/wgsharp/wgsharp" "$prefix/bin/wgsharp-go" # the wireguard-go compatible launcher, told apart by argv[0]
echo "installed: $prefix/bin/wgsharp -> $prefix/lib/wgsharp/wgsharp"
