#!/usr/bin/env bash
# Publishes the NativeAOT wgsharp for one Linux RID into a directory: the executable `wgsharp` and the
# libsodium.so it loads from beside itself (that RID's build, from the libsodium NuGet package), nothing else.
#
# Usage: tools/publish.sh RID [OUTDIR]     RID: linux-x64 or linux-arm64; OUTDIR defaults to artifacts/RID
#
# Builds for this machine's own architecture, and linux-arm64 on x86_64 (a cross-compile: the arm64 NativeAOT
# runtime comes from NuGet, the linker and arm64 C runtime from Debian's cross packages, installed when missing
# with tools/ensure-debian-packages.sh; clang finds Debian's /usr/aarch64-linux-gnu by itself: no SysRoot).
# Try the result on x86_64 with Debian's qemu-user:
#   qemu-aarch64 -L /usr/aarch64-linux-gnu artifacts/linux-arm64/wgsharp genkey
# Every trim/AOT warning fails the build (TreatWarningsAsErrors), for every RID.
set -euo pipefail
published=wgsharp # what `dotnet publish` names the executable of src/WgSharp.Cli (PublishedExecutableName there)

[ $# -ge 1 ] && [ $# -le 2 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
rid=$1
root=$(realpath "$(dirname "$0")/..")
out=$(realpath -m "${2:-$root/artifacts/$rid}") # a relative OUTDIR is the caller's
cd "$root"

# clang drives the link; the runtime package links its own libz.a, so no zlib1g-dev (nor its arm64 build).
case "$(uname -m):$rid" in
  x86_64:linux-x64|aarch64:linux-arm64) toolchain=(clang) ;;
  x86_64:linux-arm64) toolchain=(clang gcc-aarch64-linux-gnu libc6-dev-arm64-cross) ;;
  *) echo "publish.sh: cannot build $rid on $(uname -m) (it builds linux-x64 and linux-arm64 on x86_64, linux-arm64 on aarch64)" >&2; exit 2 ;;
esac
if command -v dpkg-query >/dev/null; then tools/ensure-debian-packages.sh "${toolchain[@]}"
elif ! command -v clang >/dev/null; then echo "publish.sh: NativeAOT needs clang (${toolchain[*]} on Debian); install it" >&2; exit 1
fi

staging=$(mktemp -d); trap 'rm -rf "$staging"' EXIT
dotnet publish src/WgSharp.Cli -c Release -r "$rid" -o "$staging" --nologo -v quiet

mkdir -p "$out" # never emptied first: OUTDIR may be a directory of the caller's
install -m 755 "$staging/$published" "$out/wgsharp"
# Everything else the executable loads: no debug symbols (.dbg, .pdb), no XML docs.
for f in "$staging"/*; do
  case "$(basename "$f")" in "$published"|*.dbg|*.pdb|*.xml) continue ;; esac
  install -m 644 "$f" "$out/$(basename "$f")"
done
echo "$out/wgsharp ($rid, $(du -sh "$out" | cut -f1) in $out)"
