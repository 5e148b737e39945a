#!/usr/bin/env bash
# Installs wgsharp as one NativeAOT executable (no .NET runtime needed to run it) and removes it again.
#
# Usage: ./install.sh [--prefix DIR] [--jit]     install (root for the default prefix /usr/local)
#        ./install.sh [--prefix DIR] --uninstall remove everything the install put down
#
# What goes where (PREFIX defaults to /usr/local):
#   PREFIX/lib/wgsharp/wgsharp           the executable (publish names it so, see WgSharp.Cli.csproj), with
#                                        libsodium.so beside it: the binary loads
#   PREFIX/lib/wgsharp/libsodium.so      libsodium from its own directory, and a private shared library
#                                        belongs neither in bin/ nor in the linker's search path
#   PREFIX/bin/wgsharp, wgsharp-go       links to it (wgsharp-go: the wireguard-go style launcher name)
#   PREFIX/share/man/man8/wgsharp.8      the manual, when docs/man/wgsharp.8 exists
#   PREFIX/lib/systemd/system/wgsharp@.service   (systemd reads /usr/local/lib/systemd/system)
#   PREFIX/lib/systemd/user/wgsharp-proxy@.service  the rootless proxy as a user service (each user's manager
#                                        reads /usr/local/lib/systemd/user: `systemctl --user daemon-reload`)
#   PREFIX/lib/wgsharp/install-manifest  what was installed, which --uninstall removes
# --jit installs the framework-dependent build instead (needs the .NET runtime at run time).
# Building needs the .NET 10 SDK, and for NativeAOT clang (installed when missing; tools/publish.sh).
set -euo pipefail
cd "$(dirname "$0")"

prefix=/usr/local mode=install build=aot
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --uninstall) mode=uninstall; shift ;;
    --jit) build=jit; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "install.sh: unknown option $1" >&2; exit 2 ;;
    *) prefix="$1"; shift ;; # the old form: install.sh PREFIX
  esac
done
prefix=$(realpath -m "$prefix")
libdir="$prefix/lib/wgsharp"
manifest="$libdir/install-manifest"

uninstall() {
  if [ ! -f "$manifest" ]; then echo "install.sh: nothing installed under $prefix (no $manifest)"; return 0; fi
  local entries; entries=$(cat "$manifest")
  # Every entry must lie under the prefix: an edited or corrupt manifest must not make us delete /etc/passwd.
  # All are checked before anything is removed, so a refused uninstall changes nothing.
  local line path
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    path=$(realpath -m -s -- "${line:2}")
    case "${line:0:2}" in
      'f '|'d ') ;;
      *) echo "install.sh: $manifest: unreadable line; nothing removed" >&2; return 1 ;;
    esac
    case "${line:0:2}$path" in
      "f $prefix"/*|"d $prefix"|"d $prefix"/*) ;; # the prefix itself only as a directory the install created
      *) echo "install.sh: $manifest names a path outside $prefix; nothing removed" >&2; return 1 ;;
    esac
  done <<<"$entries"
  # Files and links first, then the directories the install created, deepest first, if empty.
  grep '^f ' <<<"$entries" | cut -c3- | while IFS= read -r path; do rm -f -- "$path"; done
  rm -f -- "$manifest"
  grep '^d ' <<<"$entries" | cut -c3- | sort -r | while IFS= read -r dir; do rmdir -- "$dir" 2>/dev/null || true; done
  reload_systemd
  echo "uninstalled wgsharp from $prefix"
}

reload_systemd() {
  if [ "$prefix" = /usr/local ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl daemon-reload || true
  fi
}

rid() {
  case "$(uname -m)" in
    x86_64) echo linux-x64 ;;
    aarch64) echo linux-arm64 ;;
    *) echo "install.sh: unsupported machine $(uname -m)" >&2; exit 1 ;;
  esac
}

created_dirs=() installed_files=()

# mkdir -p that records each directory it creates, so uninstall removes exactly those.
make_dir() {
  local dir=$1
  # Only directories at or below the prefix are recorded: uninstall removes nothing outside it.
  while [ ! -d "$dir" ]; do
    case "$dir" in "$prefix"|"$prefix"/*) created_dirs+=("$dir") ;; esac
    dir=$(dirname "$dir")
  done
  mkdir -p "$1"
}

put() { # put SRC DEST MODE: copy one file and record it
  make_dir "$(dirname "$2")"
  install -m "$3" "$1" "$2"
  installed_files+=("$2")
}

link() { # link TARGET NAME: a symlink, recorded
  make_dir "$(dirname "$2")"
  ln -sfn "$1" "$2"
  installed_files+=("$2")
}

install_all() {
  [ -f "$manifest" ] && uninstall >/dev/null # a re-install replaces the previous one completely
  out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
  if [ "$build" = aot ]; then
    tools/publish.sh "$(rid)" "$out" >/dev/null # the NativeAOT toolchain too, when missing
  else
    dotnet publish src/WgSharp.Cli -c Release -r "$(rid)" --self-contained false -p:PublishAot=false -o "$out" --nologo -v quiet
  fi
  # Everything the executable loads, nothing else: no debug symbols (.dbg, .pdb), no XML docs.
  for f in "$out"/*; do
    case "$f" in *.dbg|*.pdb|*.xml) continue ;; esac
    [ -f "$f" ] || continue
    if [ -x "$f" ]; then put "$f" "$libdir/$(basename "$f")" 755; else put "$f" "$libdir/$(basename "$f")" 644; fi
  done
  link "$libdir/wgsharp" "$prefix/bin/wgsharp"
  link "$libdir/wgsharp" "$prefix/bin/wgsharp-go"
  if [ -f docs/man/wgsharp.8 ]; then put docs/man/wgsharp.8 "$prefix/share/man/man8/wgsharp.8" 644; fi
  sed "s|@BINDIR@|$prefix/bin|g" packaging/systemd/wgsharp@.service > "$out/wgsharp@.service"
  put "$out/wgsharp@.service" "$prefix/lib/systemd/system/wgsharp@.service" 644
  sed "s|@BINDIR@|$prefix/bin|g" packaging/systemd/wgsharp-proxy@.service > "$out/wgsharp-proxy@.service"
  put "$out/wgsharp-proxy@.service" "$prefix/lib/systemd/user/wgsharp-proxy@.service" 644
  { printf 'd %s\n' "${created_dirs[@]}"; printf 'f %s\n' "${installed_files[@]}"; } | grep -v '^[df] $' > "$manifest"
  reload_systemd
  echo "installed ($build): $prefix/bin/wgsharp -> $libdir/wgsharp ($(du -sh "$libdir" | cut -f1) in $libdir)"
}

case "$mode" in
  install) install_all ;;
  uninstall) uninstall ;;
esac
