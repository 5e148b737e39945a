#!/usr/bin/env bash
# Start-up of `wgsharp proxy` (NativeAOT): from launch to the SOCKS5 port accepting a connection, as the user
# nobody (no root, no TUN), RUNS times; prints each, the median and the worst. Target (issue 19): <= 50 ms.
# The CONF has one peer that never answers: start-up never waits for a handshake.
#
# Usage: bench/proxy-startup.sh             (publishes the NativeAOT build into $OUT first)
#        WGSHARP_AOT=/path/to/wgsharp RUNS=31 bench/proxy-startup.sh
set -euo pipefail
RUNS=${RUNS:-21}
OUT=${OUT:-/tmp/wgsb-proxy-startup}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"
chmod 755 "$OUT"

case "$(uname -m)" in x86_64) RID=linux-x64 ;; aarch64) RID=linux-arm64 ;; *) echo "unsupported machine" >&2; exit 1 ;; esac
if [ -z "${WGSHARP_AOT:-}" ]; then
    echo "publishing the NativeAOT build to $OUT/aot ..." >&2
    rm -rf "$OUT/aot"
    dotnet publish "$ROOT/src/WgSharp.Cli" -c Release -r $RID -o "$OUT/aot" -v q -nologo >"$OUT/publish-aot.log" 2>&1 \
        || { cat "$OUT/publish-aot.log" >&2; exit 1; }
    chmod -R a+rX "$OUT/aot"
    WGSHARP_AOT="$OUT/aot/wgsharp"
fi

conf="$OUT/proxy.conf"
cat >"$conf" <<CONF
[Interface]
PrivateKey = $("$WGSHARP_AOT" genkey)
Address = 10.99.0.2/32
DNS = 10.99.0.1

[Peer]
PublicKey = $("$WGSHARP_AOT" genkey | "$WGSHARP_AOT" pubkey)
Endpoint = 127.0.0.1:9
AllowedIPs = 10.99.0.0/24
CONF
chmod 644 "$conf"

as_user=()
[ "$(id -u)" = 0 ] && as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)

python3 - "$RUNS" "$WGSHARP_AOT" "$conf" "${as_user[@]}" <<'PY'
import socket, subprocess, sys, time, statistics
runs, exe, conf, prefix = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
times = []
for i in range(runs):
    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen(prefix + [exe, "proxy", conf, "--socks5", str(port)], stderr=subprocess.DEVNULL)
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None: sys.exit(f"wgsharp proxy exited with {proc.returncode}")
            if time.perf_counter() - start > 10: sys.exit("not accepting within 10 s")
            time.sleep(0.0005)
    elapsed = (time.perf_counter() - start) * 1000
    times.append(elapsed)
    proc.terminate(); proc.wait(10)
    print(f"run {i + 1}: {elapsed:.1f} ms", flush=True)
times.sort()
print(f"launch -> SOCKS5 accepting (ms): median {statistics.median(times):.1f}, best {times[0]:.1f}, worst {times[-1]:.1f} ({runs} runs; target <= 50)")
PY
