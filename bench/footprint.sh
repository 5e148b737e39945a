#!/bin/bash
# Footprint of wgsharp (NativeAOT and JIT builds) against the wireguard-go on PATH, in one run:
#   launch   ms from starting `IMPL -f IF` to its control socket answering a `get=1` (median of RUNS), and
#            the CPU ms the daemon used until then (all threads, from /proc/PID/task/*/schedstat)
#   RSS      MiB resident when idle with one configured peer (median of RUNS)
#   threads  count when idle with one configured peer (and, with VERBOSE=1, each thread's name)
#   genkey / show IF / IF   ms per command (wall and CPU), median of CMD_RUNS (wireguard-go's side: `wg genkey`,
#            `wg show IF`; it has no status command of its own, so that cell repeats `wg show IF`)
#   size     MB installed (wgsharp: what install.sh puts in PREFIX/lib/wgsharp; wireguard-go: its binary)
# Every command runs through `ip netns exec NS` (the daemons run in a scratch namespace); the row
# "ip netns exec true" is that overhead, included in every command and launch figure.
#
# Usage: sudo bench/footprint.sh                 (publishes both builds into $OUT first)
# Env:   RUNS (launches per daemon, default 7), CMD_RUNS (per command, default 21), OUT (default
#        /tmp/wgsb-footprint), WGSHARP_AOT / WGSHARP_JIT (paths of already published executables;
#        WGSHARP_JIT=none leaves the JIT build out), VERBOSE=1 (thread names per daemon).
# Targets (issue 13): launch <= 15 ms, RSS <= 8 MiB, threads <= 10, commands <= 8 ms, size <= 12 MB.
set -eu
umask 077
RUNS=${RUNS:-7}
CMD_RUNS=${CMD_RUNS:-21}
OUT=${OUT:-/tmp/wgsb-footprint}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NS=wgsb-fp
IFNAME=wgsbfp0
mkdir -p "$OUT"

case "$(uname -m)" in x86_64) RID=linux-x64 ;; aarch64) RID=linux-arm64 ;; *) echo "unsupported machine" >&2; exit 1 ;; esac
if [ -z "${WGSHARP_AOT:-}" ]; then
    echo "publishing the NativeAOT build to $OUT/aot ..." >&2
    rm -rf "$OUT/aot"
    dotnet publish "$ROOT/src/WgSharp.Cli" -c Release -r $RID -o "$OUT/aot" -v q -nologo >"$OUT/publish-aot.log" 2>&1 \
        || { cat "$OUT/publish-aot.log" >&2; exit 1; }
    WGSHARP_AOT="$OUT/aot/wgsharp"
fi
if [ -z "${WGSHARP_JIT:-}" ]; then
    echo "publishing the JIT (framework-dependent) build to $OUT/jit ..." >&2
    rm -rf "$OUT/jit"
    dotnet publish "$ROOT/src/WgSharp.Cli" -c Release -r $RID --self-contained false -p:PublishAot=false -o "$OUT/jit" -v q -nologo \
        >"$OUT/publish-jit.log" 2>&1 || { cat "$OUT/publish-jit.log" >&2; exit 1; }
    WGSHARP_JIT="$OUT/jit/wgsharp"
fi
WIREGUARD_GO=$(command -v wireguard-go) || { echo "wireguard-go is not on PATH" >&2; exit 1; }
command -v wg >/dev/null || { echo "wg (wireguard-tools) is not on PATH" >&2; exit 1; }

cleanup() {
    ip netns pids $NS 2>/dev/null | xargs -r kill 2>/dev/null || true
    sleep 0.2
    ip netns del $NS 2>/dev/null || true
    rm -f /var/run/wireguard/$IFNAME.sock
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
cleanup
ip netns add $NS
ip -n $NS link set lo up

IMPLS=("wireguard-go=$WIREGUARD_GO")
[ "$WGSHARP_JIT" != none ] && IMPLS+=("wgsharp JIT=$WGSHARP_JIT")
IMPLS+=("wgsharp AOT=$WGSHARP_AOT")
python3 - "$NS" "$IFNAME" "$RUNS" "$CMD_RUNS" "${VERBOSE:-0}" "$OUT" "${IMPLS[@]}" <<'EOF'
import os, signal, socket, statistics, subprocess, sys, time
ns, ifname, runs, cmd_runs, verbose, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1", sys.argv[6]
impls = [a.split("=", 1) for a in sys.argv[7:]]
sock_path = f"/var/run/wireguard/{ifname}.sock"
netns = ["ip", "netns", "exec", ns]
env = dict(os.environ)
for k in ("LOG_LEVEL", "WG_PROCESS_FOREGROUND", "NOTIFY_SOCKET"):
    env.pop(k, None)

def answers():
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(1)
            s.connect(sock_path)
            s.sendall(b"get=1\n\n")
            data = b""
            while b"\n\n" not in data:
                chunk = s.recv(4096)
                if not chunk: return False
                data += chunk
            return b"errno=0" in data
    except OSError:
        return False

def stop(p):
    p.send_signal(signal.SIGTERM)
    try: p.wait(5)
    except subprocess.TimeoutExpired: p.kill(); p.wait()
    for _ in range(100):
        if not os.path.exists(sock_path): break
        time.sleep(0.02)
    subprocess.run(netns + ["ip", "link", "del", ifname], stderr=subprocess.DEVNULL)
    try: os.unlink(sock_path)
    except FileNotFoundError: pass

def cpu_ms(pid):
    # On-CPU time of every thread so far (schedstat: nanoseconds), `ip netns exec` before the exec included.
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try: total += int(open(f"/proc/{pid}/task/{t}/schedstat").read().split()[0])
        except (FileNotFoundError, ProcessLookupError): pass
    return total / 1e6

def launch(path):
    t0 = time.perf_counter()
    p = subprocess.Popen(netns + [path, "-f", ifname], env=env, stdout=subprocess.DEVNULL, stderr=open(f"{out}/daemon.log", "ab"))
    while not answers():
        if p.poll() is not None: raise SystemExit(f"{path} exited with {p.returncode} (see {out}/daemon.log)")
        if time.perf_counter() - t0 > 20: raise SystemExit(f"{path}: no control socket after 20 s")
        time.sleep(0.0005)
    return p, (time.perf_counter() - t0) * 1000, cpu_ms(p.pid)

def daemon_pid(p):
    # `ip netns exec` execs the daemon, so the child is the daemon itself.
    return p.pid

def status(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"): return int(line.split()[1])

def configure():
    key = subprocess.run(["wg", "genkey"], capture_output=True, text=True).stdout.strip()
    peer = subprocess.run(["wg", "pubkey"], input=subprocess.run(["wg", "genkey"], capture_output=True, text=True).stdout, capture_output=True, text=True).stdout.strip()
    kf = f"{out}/key"
    with open(kf, "w") as f: f.write(key + "\n")
    subprocess.run(netns + ["wg", "set", ifname, "private-key", kf, "listen-port", "51871", "peer", peer,
                    "allowed-ips", "10.233.0.2/32", "endpoint", "127.0.0.1:51872"], check=True)

def timed(cmd):
    """(wall ms, CPU ms of the command) for one run."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return (time.perf_counter() - t0) * 1000, (usage.ru_utime + usage.ru_stime) * 1000

def median_ms(cmd):
    timed(cmd)  # page cache warm-up, not counted
    runs_ = [timed(cmd) for _ in range(cmd_runs)]
    return statistics.median(w for w, _ in runs_), statistics.median(c for _, c in runs_)

def installed_mb(path):
    d = os.path.dirname(os.path.realpath(path))
    if os.path.basename(path) == "wireguard-go":
        return os.path.getsize(os.path.realpath(path)) / 1e6
    skip = (".dbg", ".pdb", ".xml")
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)
               if os.path.isfile(os.path.join(d, f)) and not f.endswith(skip)) / 1e6

rows = []
overhead = median_ms(netns + ["true"])
for name, path in impls:
    launches, launch_cpu, rss, threads = [], [], [], []
    names = []
    for i in range(runs):
        p, ms, cpu = launch(path)
        launches.append(ms)
        launch_cpu.append(cpu)
        configure()
        time.sleep(1.0)  # idle: let start-up work finish
        pid = daemon_pid(p)
        rss.append(status(pid, "VmRSS") / 1024)
        threads.append(status(pid, "Threads"))
        if i == 0:
            names = sorted(open(f"/proc/{pid}/task/{t}/comm").read().strip() for t in os.listdir(f"/proc/{pid}/task"))
            if name == "wireguard-go":
                cmds = [["wg", "genkey"], netns + ["wg", "show", ifname], netns + ["wg", "show", ifname]]
            else:
                cmds = [[path, "genkey"], netns + [path, "show", ifname], netns + [path, ifname]]
            cmd_ms = [median_ms(c) for c in cmds]
        stop(p)
    rows.append((name, statistics.median(launches), statistics.median(launch_cpu), min(launches), max(launches),
                 statistics.median(rss), statistics.median(threads), cmd_ms, installed_mb(path)))
    if verbose:
        print(f"{name} threads: " + ", ".join(f"{n} x{names.count(n)}" if names.count(n) > 1 else n for n in sorted(set(names))), file=sys.stderr)

overhead_wall, overhead_cpu = overhead
print(f"\nmedians of {runs} launches and {cmd_runs} runs per command; each cell: wall ms / CPU ms (CPU = user+system of")
print(f"the process, the figure that holds on a loaded machine); 'ip netns exec true' = {overhead_wall:.1f} / {overhead_cpu:.1f} ms, included")
print(f"in launch, show and status; launch (min-max) is wall time")
print(f"{'daemon':14} {'launch':>12} {'(min-max)':>13} {'RSS MiB':>8} {'threads':>7} {'genkey':>12} {'show IF':>12} {'IF':>12} {'size MB':>8}")
cell = lambda wc: f"{wc[0]:.1f} / {wc[1]:.1f}"
for name, launch_ms, launch_cpu_ms, lo, hi, rss_mib, thr, (g, s_, st), size in rows:
    print(f"{name:14} {cell((launch_ms, launch_cpu_ms)):>12} {f'({lo:.1f}-{hi:.1f})':>13} {rss_mib:8.1f} {thr:7.0f} {cell(g):>12} {cell(s_):>12} {cell(st):>12} {size:8.1f}")
print(f"{'target':14} {'<= 15':>12} {'':13} {'<= 8':>8} {'<= 10':>7} {'<= 8':>12} {'<= 8':>12} {'<= 8':>12} {'<= 12':>8}")
EOF
