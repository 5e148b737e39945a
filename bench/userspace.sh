#!/bin/bash
# Userspace mode's throughput against the kernel, in ONE run so the ratios are comparable on a shared machine.
# The probe (tests/WgSharp.UserspaceProbe: a userspace-mode interface, no TUN) runs as user nobody in the root
# namespace; its peer is a wgsharp TUN-mode daemon in namespace B, behind which the kernel's TCP serves (python).
#   1. userspace download and upload of SIZE bytes (default 1 GiB), sha256 checked on both ends; Gbit/s each way
#      and the probe's CPU seconds per GB (the whole process: stack, crypto, sockets);
#   2. wgsharp TUN <-> TUN, tcp1 (iperf3, one stream, as bench/e2e.sh measures it): namespace A's daemon to B's;
#   4. (PROXY=1) `wgsharp proxy` (issue 19), as nobody, with the probe's key: curl --socks5-hostname downloads SIZE
#      bytes from an HTTP server in B, against curl over TUN <-> TUN from A in the same run; then 500 concurrent
#      proxied downloads of 1 MB each (sha256 of every one) while the proxy's peak RSS (VmHWM) is read;
#   3. the same two through a lossy relay (3 % loss, 5 % reordered, 1 % duplicated; the probe's `relay` command):
#      the userspace stack's goodput against the kernel's TCP over TUN mode (iperf3 tcp1 and tcp1-R), LOSSY_SIZE bytes
#      each, in pairs (a kernel transfer and a userspace one, which goes first alternating) over LOSSY_ROUNDS rounds,
#      each mode and direction; every pair's ratio and the medians. Each transfer gets a fresh relay (same seed; its
#      drops and CPU seconds are logged), and the TCP counters of both namespaces (nstat) and of the stack are kept
#      per transfer in $OUT/lossy-counters.txt.
# Usage: sudo bench/userspace.sh            quick: SIZE=200M LOSSY_SIZE=20M LOSSY_ROUNDS=1 DURATION=3 bench/userspace.sh
# Env:   SIZE (bytes, suffix K/M/G allowed; default 1G), LOSSY_SIZE (default 100M), LOSSY_ROUNDS (default 3),
#        DURATION (iperf3 s of part 2, default 10),
#        WGSHARP (a published wgsharp; default: publish Release NativeAOT into $OUT/wgsharp-bin),
#        OUT (default /tmp/wgsb-userspace: probe build, logs, results), SKIP_LOSSY=1 leaves out part 3,
#        PROBE (a built WgSharp.UserspaceProbe.dll, readable by nobody: compare builds without rebuilding),
#        PROBE_ARGS (extra probe options), MODES (default "default inline": each userspace transfer once as the
#        library's default, once with UserspaceNetworkOptions.InlineCompletions; "default" or "inline" for one),
#        PROBE_ENV (extra VAR=value words for the probe, e.g. DOTNET_PerfMapEnabled=1 to profile it with perf),
#        PROXY=1 adds part 4 (curl needed),
#        BENCH_ID (0-99, default 0: names and subnets of its own, so two runs on one machine do not collide),
#        KERNEL_CC (the kernel's congestion control in the lossy part, iperf3 -C; default the system's, which the
#        summary names: this machine's is bbr, loss-blind, where the stack's is CUBIC),
#        SS_SAMPLE=1 samples the kernel sender's `ss -tin` (cwnd, RTT, retransmissions) every 100 ms in the lossy part,
#        PERF_STAT=1 counts each userspace transfer's context switches and syscalls (perf stat over the probe's life;
#        the summary prints them per GB).
set -u
DURATION=${DURATION:-10}
OUT=${OUT:-/tmp/wgsb-userspace}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ID=${BENCH_ID:-0}
case $ID in [0-9] | [1-9][0-9]) ;; *) echo "BENCH_ID is 0-99" >&2; exit 1 ;; esac
S=${ID#0}                                  # the default keeps the names it always had
NSA=wgsbu$S-a NSB=wgsbu$S-b
WGA=wgsbu${S}x0 WGB=wgsbu${S}x1
[ -z "$S" ] && WGA=wgsbu0 WGB=wgsbu1
VETH_AB=wgsbu${S}ab VETH_BA=wgsbu${S}ba VETH_R=wgsbu${S}r VETH_RB=wgsbu${S}rb
OUTER_A=10.234.$ID.1 OUTER_B=10.234.$ID.2      # A <-> B
ROOT_SIDE=10.235.$ID.1 B_SIDE=10.235.$ID.2     # root <-> B, the probe's path
INNER_A=10.236.$ID.1 INNER_B=10.236.$ID.2 INNER_PROBE=10.236.$ID.3
PORT_A=$((52401 + 10 * ID)) PORT_B=$((52402 + 10 * ID)) RELAY_PORT=$((52403 + 10 * ID))
NOBODY=65534

bytes() { # 1G -> 1073741824
    local n=${1%[KkMmGg]}
    case $1 in *[Kk]) echo $((n << 10)) ;; *[Mm]) echo $((n << 20)) ;; *[Gg]) echo $((n << 30)) ;; *) echo "$1" ;; esac
}
SIZE=$(bytes "${SIZE:-1G}")
LOSSY_SIZE=$(bytes "${LOSSY_SIZE:-100M}")

if [ "$(id -u)" -ne 0 ]; then echo "bench/userspace.sh: needs root (namespaces, TUN for the far end)" >&2; exit 1; fi
for tool in wg iperf3 socat python3 setpriv; do
    command -v $tool >/dev/null || { echo "missing $tool (tools/ensure-debian-packages.sh wireguard-tools iperf3 socat)" >&2; exit 1; }
done

mkdir -p "$OUT"; chmod 755 "$OUT"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    sleep 0.3
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    PIDS=()
    ip netns del $NSA 2>/dev/null; ip netns del $NSB 2>/dev/null
    # A namespace's veth ends go when the kernel gets round to it: the root end is deleted now, or a run right after
    # this one finds it (with its address) and then loses it mid-run.
    ip link del $VETH_R 2>/dev/null
    rm -f /var/run/wireguard/$WGA.sock /var/run/wireguard/$WGB.sock
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

case "$(uname -m)" in aarch64) RID=linux-arm64 ;; *) RID=linux-x64 ;; esac
if [ -z "${WGSHARP:-}" ]; then
    WGSHARP="$OUT/wgsharp-bin/wgsharp"
    echo "publishing wgsharp (Release, NativeAOT) to $OUT/wgsharp-bin ..." >&2
    dotnet publish "$ROOT/src/WgSharp.Cli" -c Release -r $RID -o "$OUT/wgsharp-bin" -v q -nologo >"$OUT/publish.log" 2>&1 \
        || { cat "$OUT/publish.log" >&2; echo "publish failed" >&2; exit 1; }
fi
if [ -z "${PROBE:-}" ]; then
    echo "building the probe into $OUT/probe ..." >&2
    dotnet build "$ROOT/tests/WgSharp.UserspaceProbe" -c Release -o "$OUT/probe" -v q -nologo >"$OUT/probe-build.log" 2>&1 \
        || { cat "$OUT/probe-build.log" >&2; echo "probe build failed" >&2; exit 1; }
    chmod -R a+rX "$OUT/probe"
    PROBE="$OUT/probe/WgSharp.UserspaceProbe.dll"
fi
mkdir -p "$OUT/home"; chmod 777 "$OUT/home"

# The bytes the servers send and the probe uploads: byte i is i mod 251 (tests/WgSharp.UserspaceProbe/Pattern.cs).
PATTERN='import sys
n = int(sys.argv[1]); block = bytes(i % 251 for i in range(251 * 256)) * 16; out = sys.stdout.buffer
while n > 0:
    out.write(block[:min(n, len(block))]); n -= len(block)'
declare -A PATTERN_SHA
pattern_sha() { # cached: the lossy part asks for the same size many times, and its CPU would count in a transfer's
    [ -n "${PATTERN_SHA[$1]:-}" ] || PATTERN_SHA[$1]=$(python3 -c "$PATTERN" "$1" | sha256sum | cut -d' ' -f1)
    echo "${PATTERN_SHA[$1]}"
}
# The far end of the userspace transfers: the kernel's TCP driven by one python process each way, with 1 MiB
# sends and receives and an OpenSSL SHA-256 (socat's 8 KiB copies through a pipe into coreutils' sha256sum took a
# quarter of this 2-core machine, which the TUN <-> TUN baseline's iperf3 does not pay).
SOURCE='import socket, sys
n, host, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
block = memoryview(bytes(i % 251 for i in range(251 * 256)) * 16)  # a whole number of 251-byte periods
server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); server.bind((host, port)); server.listen(1)
conn, _ = server.accept()
if len(sys.argv) > 4 and sys.argv[4]: conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, sys.argv[4].encode())
while n > 0:
    conn.sendall(block[:min(n, len(block))]); n -= len(block)
conn.close()'
SINK='import hashlib, socket, sys
host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); server.bind((host, port)); server.listen(1)
conn, _ = server.accept()
digest, buffer = hashlib.sha256(), bytearray(1 << 20)
view = memoryview(buffer)
while (n := conn.recv_into(buffer)) > 0:
    digest.update(view[:n])
conn.close()
open(out, "w").write(digest.hexdigest() + "\n")'

# --- the network: A <-> B (TUN <-> TUN), root <-> B (the probe's UDP) ---
cleanup
ip netns add $NSA; ip netns add $NSB
ip link add $VETH_AB netns $NSA type veth peer name $VETH_BA netns $NSB
ip link add $VETH_R type veth peer name $VETH_RB netns $NSB
ip -n $NSA addr add $OUTER_A/24 dev $VETH_AB; ip -n $NSB addr add $OUTER_B/24 dev $VETH_BA
ip addr add $ROOT_SIDE/30 dev $VETH_R; ip -n $NSB addr add $B_SIDE/30 dev $VETH_RB
for ns in $NSA $NSB; do ip -n $ns link set lo up; done
ip -n $NSA link set $VETH_AB up; ip -n $NSB link set $VETH_BA up; ip link set $VETH_R up; ip -n $NSB link set $VETH_RB up

start_daemon() { # NS IF
    ip netns exec "$1" "$WGSHARP" -f "$2" >"$OUT/$2.log" 2>&1 &
    PIDS+=("$!")
    for _ in $(seq 100); do [ -S /var/run/wireguard/$2.sock ] && return 0; sleep 0.1; done
    echo "daemon $2 did not start" >&2; cat "$OUT/$2.log" >&2; exit 1
}
umask 077
wg genkey > "$OUT/a.key"; wg genkey > "$OUT/b.key"; wg genkey > "$OUT/probe.key"
umask 022
start_daemon $NSA $WGA; start_daemon $NSB $WGB
ip netns exec $NSA wg set $WGA private-key "$OUT/a.key" listen-port $PORT_A \
    peer "$(wg pubkey < "$OUT/b.key")" allowed-ips $INNER_B/32 endpoint $OUTER_B:$PORT_B
ip netns exec $NSB wg set $WGB private-key "$OUT/b.key" listen-port $PORT_B \
    peer "$(wg pubkey < "$OUT/a.key")" allowed-ips $INNER_A/32 endpoint $OUTER_A:$PORT_A \
    peer "$(wg pubkey < "$OUT/probe.key")" allowed-ips $INNER_PROBE/32
ip -n $NSA addr add $INNER_A/24 dev $WGA; ip -n $NSA link set $WGA up
ip -n $NSB addr add $INNER_B/24 dev $WGB; ip -n $NSB link set $WGB up
# A loaded machine may take a while to finish the handshake: up to 10 tries.
for try in $(seq 10); do ip netns exec $NSA ping -c 1 -W 2 $INNER_B >/dev/null && break; done
ip netns exec $NSA ping -c 3 -i 0.2 -W 2 $INNER_B >/dev/null || { echo "TUN <-> TUN tunnel does not pass ping" >&2; exit 1; }

RESULTS="$OUT/results.tsv"; : > "$RESULTS"; : > "$OUT/gc.txt"

# probe ENDPOINT COMMAND... : the probe as nobody; its result line on stdout, everything in $OUT/probe.log
PERF_EVENTS=context-switches,cpu-migrations,syscalls:sys_enter_sched_yield,syscalls:sys_enter_futex,syscalls:sys_enter_recvmsg,syscalls:sys_enter_recvmmsg,syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendmmsg,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_write,syscalls:sys_enter_read
PROBE_LABEL=probe MODE_ARGS=
MODES=${MODES:-default inline}
probe() {
    local endpoint=$1; shift
    local wrap=()
    [ -n "${PERF_STAT:-}" ] && wrap=(perf stat -x, -o "$OUT/perf-$PROBE_LABEL.txt" -e "$PERF_EVENTS" --)
    "${wrap[@]}" setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups env HOME="$OUT/home" DOTNET_CLI_HOME="$OUT/home" DOTNET_NOLOGO=1 ${PROBE_ENV:-} \
        dotnet "$PROBE" --private-key "$(cat "$OUT/probe.key")" --peer-public-key "$(wg pubkey < "$OUT/b.key")" \
        --peer-endpoint "$endpoint" --address $INNER_PROBE/32 --allowed-ips 10.236.$ID.0/24 --timeout 900 ${PROBE_ARGS:-} $MODE_ARGS "$@" >>"$OUT/probe.log" 2>&1
    grep -E '^(result|error)' "$OUT/probe.log" | tail -1
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# listening PORT: waits (up to 10 s) until B listens on PORT
listening() {
    for _ in $(seq 100); do ip netns exec $NSB ss -Hltn "sport = :$1" | grep -q . && return 0; sleep 0.1; done
}

# userspace NAME ENDPOINT BYTES: download then upload through the probe, sha256 checked against the kernel's side
userspace() { userspace_download "$@"; userspace_upload "$@"; }
userspace_download() {
    local name=$1 endpoint=$2 size=$3 expected line seconds cpu got
    expected=$(pattern_sha "$size")
    ip netns exec $NSB python3 -c "$SOURCE" "$size" $INNER_B 5001 "${SOURCE_CC:-}" 2>>"$OUT/socat.log" &
    local source=$!; PIDS+=("$source"); listening 5001
    PROBE_LABEL=$name-download
    line=$(probe "$endpoint" download $INNER_B:5001 "$size")
    pkill -P "$source" 2>/dev/null; kill "$source" 2>/dev/null   # gone already unless the probe failed to connect
    got=$(field sha256 "$line"); seconds=$(field seconds "$line"); cpu=$(field cpu-seconds "$line")
    printf '%s download: %s\n' "$name" "$(grep -o 'gc0=.*' <<<"$line")" >> "$OUT/gc.txt"
    if [ "$got" = "$expected" ] && [ "$(field bytes "$line")" = "$size" ]; then
        printf '%s\tdownload\t%s\t%s\t%s\n' "$name" "$size" "$seconds" "$cpu" >> "$RESULTS"
    else
        echo "$name download FAILED: $line (expected sha256 $expected)" >&2; printf '%s\tdownload\tfail\t-\t-\n' "$name" >> "$RESULTS"
    fi
}
userspace_upload() {
    local name=$1 endpoint=$2 size=$3 expected line got
    expected=$(pattern_sha "$size")
    rm -f "$OUT/upload.sha"
    ip netns exec $NSB python3 -c "$SINK" $INNER_B 5002 "$OUT/upload.sha" 2>>"$OUT/socat.log" &
    local sink=$!; PIDS+=("$sink"); listening 5002
    PROBE_LABEL=$name-upload
    line=$(probe "$endpoint" upload $INNER_B:5002 "$size")
    printf '%s upload: %s\n' "$name" "$(grep -o 'gc0=.*' <<<"$line")" >> "$OUT/gc.txt"
    # The sink ends with the probe's connection; it never started if the probe failed.
    for _ in $(seq 100); do kill -0 "$sink" 2>/dev/null || break; sleep 0.1; done
    pkill -P "$sink" 2>/dev/null; kill "$sink" 2>/dev/null
    got=$(cat "$OUT/upload.sha" 2>/dev/null)
    if [ "$got" = "$expected" ] && [ "$(field sha256 "$line")" = "$expected" ]; then
        printf '%s\tupload\t%s\t%s\t%s\n' "$name" "$size" "$(field seconds "$line")" "$(field cpu-seconds "$line")" >> "$RESULTS"
    else
        echo "$name upload FAILED: $line (server got $got, expected $expected)" >&2; printf '%s\tupload\tfail\t-\t-\n' "$name" >> "$RESULTS"
    fi
}

# tun NAME TEST [iperf3 args, e.g. -R]: iperf3 tcp1 from A to B (-R: B to A), a row into $RESULTS
# TUN_END: how the iperf3 client's test ends (default -t DURATION; the lossy part moves -n BYTES)
tun() {
    local name=$1 test=$2; shift 2
    ip netns exec $NSB iperf3 -s -1 -B $INNER_B >/dev/null 2>&1 &
    PIDS+=("$!"); sleep 0.3
    ip netns exec $NSA iperf3 -c $INNER_B ${TUN_END:--t $DURATION} -J "$@" > "$OUT/$name-$test.json" 2>/dev/null
    python3 - "$OUT/$name-$test.json" "$name" "$test" >> "$RESULTS" <<'EOF'
import json, sys
try:
    s = json.load(open(sys.argv[1]))["end"]["sum_received"]
    print("\t".join([sys.argv[2], sys.argv[3], str(s["bytes"]), "%.3f" % s["seconds"], "-"]))
except Exception:
    print("\t".join([sys.argv[2], sys.argv[3], "fail", "-", "-"]))
EOF
}

echo "== userspace probe <-> wgsharp TUN, $SIZE bytes each way" >&2
# each_mode NAME ENDPOINT BYTES: the userspace transfers in each of MODES (NAME, NAME-inline)
each_mode() {
    for mode in $MODES; do
        case $mode in
            default) MODE_ARGS= userspace "$1" "$2" "$3" ;;
            inline) MODE_ARGS=--inline-completions userspace "$1-inline" "$2" "$3" ;;
            *) echo "MODES: default and/or inline, not $mode" >&2; exit 1 ;;
        esac
    done
}
each_mode userspace "$B_SIDE:$PORT_B" "$SIZE"
echo "== wgsharp TUN <-> TUN tcp1, $DURATION s" >&2
tun tun tcp1
tun tun tcp1-R -R

# http_server PORT SIZE: an HTTP/1.1 server in B answering every request with SIZE bytes of the pattern
http_server() {
    printf '%s\n' "$PATTERN" > "$OUT/pattern.py"
    cat > "$OUT/http-answer.sh" <<'SH'
#!/bin/bash
# One request on stdin (read to its blank line, so the close is no RST), then the answer: $1 bytes of the pattern.
while IFS= read -r line && [ "$line" != $'\r' ] && [ -n "$line" ]; do :; done
printf 'HTTP/1.1 200 OK\r\nContent-Length: %s\r\nConnection: close\r\n\r\n' "$1"
exec python3 "$(dirname "$0")/pattern.py" "$1"
SH
    ip netns exec $NSB socat TCP-LISTEN:"$1",bind=$INNER_B,reuseaddr,fork SYSTEM:"bash $OUT/http-answer.sh $2" 2>>"$OUT/socat.log" &
    PIDS+=("$!"); sleep 0.5
}

# curl_rate NAME TEST EXPECTED_SHA CURL_ARGS...: one download, its sha256 and rate into the results
curl_rate() {
    local name=$1 test=$2 expected=$3; shift 3
    local stats got
    rm -f "$OUT/many/curl.out"
    stats=$("$@" -s -o "$OUT/many/curl.out" -w '%{size_download} %{time_total}')
    got=$(sha256sum "$OUT/many/curl.out" 2>/dev/null | cut -d' ' -f1); rm -f "$OUT/many/curl.out"
    if [ "$got" = "$expected" ]; then printf '%s\t%s\t%s\t%s\t-\n' "$name" "$test" ${stats} >> "$RESULTS"
    else echo "$name $test FAILED: sha256 $got, expected $expected" >&2; printf '%s\t%s\tfail\t-\t-\n' "$name" "$test" >> "$RESULTS"; fi
}

if [ -n "${PROXY:-}" ]; then
    echo "== wgsharp proxy (SOCKS5, as nobody) <-> wgsharp TUN, curl downloading $SIZE bytes; TUN <-> TUN curl" >&2
    cat > "$OUT/proxy.conf" <<CONF
[Interface]
PrivateKey = $(cat "$OUT/probe.key")
Address = $INNER_PROBE/32

[Peer]
PublicKey = $(wg pubkey < "$OUT/b.key")
Endpoint = $B_SIDE:$PORT_B
AllowedIPs = 10.236.$ID.0/24
CONF
    chown $NOBODY "$OUT/proxy.conf"; chmod 600 "$OUT/proxy.conf"
    setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$WGSHARP" proxy "$OUT/proxy.conf" --socks5 1080 2>"$OUT/proxy.log" &
    proxy=$!; PIDS+=("$proxy"); sleep 1
    mkdir -p "$OUT/many"; rm -f "$OUT/many"/*; chmod 777 "$OUT/many"
    http_server 8080 "$SIZE"
    expected=$(pattern_sha "$SIZE")
    curl_rate proxy curl-socks5 "$expected" setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
        curl --socks5-hostname 127.0.0.1:1080 "http://$INNER_B:8080/"
    curl_rate tun curl "$expected" ip netns exec $NSA curl "http://$INNER_B:8080/"
    http_server 8081 $((1 << 20))
    one=$(pattern_sha $((1 << 20)))
    # many WHO...: 500 concurrent downloads of 1 MB by curl run as WHO...; how many arrived intact, and the time
    many() {
        rm -f "$OUT/many"/*
        local start; start=$(date +%s.%N)
        "$@" -s --parallel --parallel-max 500 $(for i in $(seq 500); do printf -- '-o %s/%d http://%s:8081/ ' "$OUT/many" "$i" "$INNER_B"; done) 2>>"$OUT/proxy.log"
        echo "$(sha256sum "$OUT/many"/* 2>/dev/null | grep -c "^$one ") intact in $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s"
    }
    echo "500 concurrent 1 MB downloads over TUN <-> TUN (curl in A): $(many ip netns exec $NSA curl)" | tee -a "$OUT/proxy-many.txt" >&2
    result=$(many setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups curl --socks5-hostname 127.0.0.1:1080)
    peak=$(sed -n 's/^VmHWM:[[:space:]]*//p' /proc/$proxy/status)
    echo "500 concurrent 1 MB downloads through the proxy (as nobody): $result; proxy peak RSS (VmHWM) $peak" | tee -a "$OUT/proxy-many.txt" >&2
    kill -TERM $proxy; wait $proxy 2>/dev/null
fi

# udp_overflows [NS]: the namespace's UDP receive-buffer overflows so far (RcvbufErrors)
udp_overflows() {
    ${1:+ip netns exec $1} awk '/^Udp:/ { getline; print $6; exit }' /proc/net/snmp
}

# --- the lossy part: pairs of transfers, the kernel's TCP and the userspace stack alternated ---
# nstat_snapshot FILE: every TCP counter of both namespaces (absolute, history untouched)
nstat_snapshot() {
    { ip netns exec $NSA nstat -asz | sed 's/^/A /'; ip netns exec $NSB nstat -asz | sed 's/^/B /'; } > "$1" 2>/dev/null
}
# cpu_busy: the machine's busy jiffies so far (all CPUs; /proc/stat's first line less idle and iowait)
cpu_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat; }
# relay_start NS LISTEN: a fresh lossy relay (same seed) for one transfer, in NS ("" = the root namespace)
relay_start() {
    rm -f "$OUT/relay.log"
    ${1:+ip netns exec $1} dotnet "$PROBE" relay "$2" $RELAY_TARGET 0.03 0.05 0.01 >"$OUT/relay.log" 2>&1 &
    RELAY=$!; PIDS+=("$RELAY")
    for _ in $(seq 50); do grep -q '^relaying' "$OUT/relay.log" 2>/dev/null && return 0; sleep 0.1; done
}
relay_stop() {
    sleep 0.2 # the last datagrams it holds back (5 ms) are out
    kill -TERM $RELAY; wait $RELAY 2>/dev/null
    local result; result=$(grep -h '^result' "$OUT/relay.log" | tail -1)
    echo "${result:-(no result: $(tail -1 "$OUT/relay.log"))}"
}

# lossy_transfer ROUND PAIR MODE DIRECTION SIDE: one transfer through a fresh relay; a row into $LOSSY and its counters
# (the relay's own figures, the namespaces' TCP counters, the probe's stack counters) into $OUT/lossy-counters.txt.
lossy_transfer() {
    local round=$1 pair=$2 mode=$3 direction=$4 side=$5 bytes seconds cpu busy0 busy1 relayline
    nstat_snapshot "$OUT/nstat-before.txt"; busy0=$(cpu_busy)
    : > "$OUT/lossy-one.tsv"
    if [ "$side" = kernel ]; then
        RELAY_TARGET=$OUTER_B:$PORT_B relay_start $NSA $OUTER_A:$RELAY_PORT
        local test=tcp1 args=(); [ "$direction" = download ] && test=tcp1-R args=(-R)
        local sampler=
        if [ -n "${SS_SAMPLE:-}" ]; then # the kernel sender's cwnd, RTT, retransmissions every 100 ms
            local sender=$NSA; [ "$direction" = download ] && sender=$NSB
            (while :; do ip netns exec $sender ss -Htin state established "( dport = :5201 or sport = :5201 )"; sleep 0.1; done) > "$OUT/ss-$round-$pair-$test.txt" 2>&1 &
            sampler=$!
        fi
        [ -n "${KERNEL_CC:-}" ] && args+=(-C "$KERNEL_CC")
        TUN_END="-n $LOSSY_SIZE" RESULTS="$OUT/lossy-one.tsv" tun "lossy-$round-$pair" "$test" "${args[@]}"
        [ -n "$sampler" ] && kill $sampler 2>/dev/null
    else
        RELAY_TARGET=$B_SIDE:$PORT_B relay_start "" $ROOT_SIDE:$RELAY_PORT
        local args=; [ "$mode" = inline ] && args=--inline-completions
        SOURCE_CC=${KERNEL_CC:-} RESULTS="$OUT/lossy-one.tsv" MODE_ARGS=$args userspace_$direction "lossy-$mode-$round" "$ROOT_SIDE:$RELAY_PORT" "$LOSSY_SIZE"
    fi
    IFS=$'\t' read -r _ _ bytes seconds cpu < "$OUT/lossy-one.tsv"
    busy1=$(cpu_busy)
    relayline=$(relay_stop)
    nstat_snapshot "$OUT/nstat-after.txt"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$pair" "$mode" "$direction" "$side" "$bytes" "$seconds" "$cpu" \
        "$(( (busy1 - busy0) * 1000 / $(getconf CLK_TCK) ))" >> "$LOSSY"
    {
        echo "round $round pair $pair $mode $direction $side: bytes=$bytes seconds=$seconds"
        echo "  relay: ${relayline#result command=relay }"
        python3 - "$OUT/nstat-before.txt" "$OUT/nstat-after.txt" <<'PY'
import sys
def load(path):
    d = {}
    for line in open(path):
        f = line.split()
        if len(f) >= 3 and f[2].isdigit(): d[(f[0], f[1])] = int(f[2])
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
for ns in ("A", "B"):
    diff = [(k[1], b[k] - a.get(k, 0)) for k in sorted(b) if k[0] == ns and b[k] != a.get(k, 0) and k[1].startswith(("Tcp", "TcpExt"))]
    print(f"  kernel {ns}: " + " ".join(f"{n.replace('TcpExt', '')}={v}" for n, v in diff))
PY
        [ "$side" = userspace ] && echo "  stack: $(grep '^counters' "$OUT/probe.log" | tail -1 | sed 's/^counters //')"
    } >> "$OUT/lossy-counters.txt"
}

if [ -z "${SKIP_LOSSY:-}" ]; then
    LOSSY_ROUNDS=${LOSSY_ROUNDS:-3}
    LOSSY="$OUT/lossy.tsv"; : > "$LOSSY"; : > "$OUT/lossy-counters.txt"
    KERNEL_CC_NAME=${KERNEL_CC:-$(ip netns exec $NSA sysctl -n net.ipv4.tcp_congestion_control)}
    echo "== through the lossy relay (3 % loss, 5 % reorder, 1 % duplication): $LOSSY_SIZE bytes a transfer, $LOSSY_ROUNDS rounds, kernel ($KERNEL_CC_NAME) and userspace alternated" >&2
    # A's daemon reaches B through the relay from now on (the TUN <-> TUN figures above are taken).
    ip netns exec $NSA wg set $WGA peer "$(wg pubkey < "$OUT/b.key")" endpoint $OUTER_A:$RELAY_PORT
    overflows_root=$(udp_overflows) overflows_a=$(udp_overflows $NSA) overflows_b=$(udp_overflows $NSB)
    pair=0
    for round in $(seq "$LOSSY_ROUNDS"); do
        for mode in $MODES; do
            for direction in download upload; do
                pair=$((pair + 1))
                # Which side goes first alternates, so a drift in the machine's load favours neither.
                if [ $((pair % 2)) -eq 1 ]; then order="kernel userspace"; else order="userspace kernel"; fi
                for side in $order; do lossy_transfer "$round" "$pair" "$mode" "$direction" "$side"; done
            done
        done
    done
    echo "datagrams dropped by full socket buffers during the lossy part (not the relay's drops): root namespace (relay, probe) $(( $(udp_overflows) - overflows_root )), namespace A (relay, daemon A) $(( $(udp_overflows $NSA) - overflows_a )), B $(( $(udp_overflows $NSB) - overflows_b ))" >&2
fi

python3 - "$RESULTS" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
def gbit(r):
    try: return int(r[2]) * 8 / float(r[3]) / 1e9
    except ValueError: return None
rate = {(r[0], r[1]): gbit(r) for r in rows}
names = {"userspace": "userspace probe (stack) <-> wgsharp TUN", "userspace-inline": "  the same, InlineCompletions",
         "lossy-userspace-inline": "  the same, InlineCompletions", "tun": "wgsharp TUN <-> TUN (kernel TCP)", "proxy": "wgsharp proxy (SOCKS5) <-> wgsharp TUN",
         "lossy-userspace": "lossy: userspace probe", "lossy-tun": "lossy: wgsharp TUN <-> TUN"}
print(f"\n{'configuration':42} {'test':9} {'Gbit/s':>8} {'probe CPU s/GB':>15} {'vs TUN tcp1':>12}")
for r in rows:
    g = rate[(r[0], r[1])]
    cpu = "-"
    if r[4] not in ("-", "") and g is not None:
        cpu = "%.2f" % (float(r[4]) / (int(r[2]) / 1e9))
    base = rate.get(("lossy-tun" if r[0].startswith("lossy") else "tun", "tcp1-R" if r[1] == "download" else "tcp1"))
    if r[1] == "curl-socks5": base = rate.get(("tun", "curl"))  # the same curl download over TUN <-> TUN
    ratio = "%.2fx" % (g / base) if r[1] in ("download", "upload", "curl-socks5") and g and base else ""
    print(f"{names.get(r[0], r[0]):42} {r[1]:9} {'fail' if g is None else '%.3f' % g:>8} {cpu:>15} {ratio:>12}")
print("download = the far end sends (compared with tcp1-R, B to A); upload = the probe sends (compared with tcp1, A to B)")
EOF
if [ -s "${LOSSY:-/nonexistent}" ]; then
    echo
    echo "lossy relay: every pair (a kernel transfer and a userspace transfer of the same bytes, one after the other);"
    echo "the kernel's congestion control: $KERNEL_CC_NAME (the stack's: CUBIC); in a download the kernel sends to the stack with it too"
    python3 - "$LOSSY" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
pairs = {}
for r in rows:
    pairs.setdefault(r[1], {})[r[4]] = r
def gbit(r):
    try: return int(r[5]) * 8 / float(r[6]) / 1e9
    except ValueError: return None
print(f"{'round':>5} {'mode':8} {'direction':9} {'kernel Gbit/s':>13} {'stack Gbit/s':>12} {'ratio':>6} {'machine CPU s/GB k / s':>23} {'probe CPU s/GB':>14}")
ratios = {}
for p in sorted(pairs, key=int):
    k, u = pairs[p].get("kernel"), pairs[p].get("userspace")
    if not k or not u: continue
    gk, gu = gbit(k), gbit(u)
    ratio = gu / gk if gk and gu else None
    ratios.setdefault((u[2], u[3]), []).append(ratio)
    machine = " / ".join("%.2f" % (int(x[8]) / 1000 / (int(x[5]) / 1e9)) if gbit(x) else "-" for x in (k, u))
    probe = "%.2f" % (float(u[7]) / (int(u[5]) / 1e9)) if gu and u[7] not in ("", "-") else "-"
    print(f"{k[0]:>5} {u[2]:8} {u[3]:9} {'fail' if gk is None else '%.3f' % gk:>13} {'fail' if gu is None else '%.3f' % gu:>12} "
          f"{'-' if ratio is None else '%.2fx' % ratio:>6} {machine:>23} {probe:>14}")
for (mode, direction), values in sorted(ratios.items()):
    good = [v for v in values if v is not None]
    met = sum(1 for v in good if v >= 0.70)
    median = "%.2fx" % statistics.median(good) if good else "-"
    print(f"median {mode} {direction}: {median} over {len(values)} pairs ({', '.join('-' if v is None else '%.2f' % v for v in values)}); >= 0.70x in {met} of {len(values)}")
print("download = the kernel sends (iperf3 -R against the stack's download); upload = the stack sends (iperf3 against its upload);")
print("machine CPU: all CPUs' busy time during the transfer (the relay, both ends, the daemons) per GB")
EOF
    echo "per transfer: the relay's figures, the namespaces' TCP counters (A = the kernel's client side, B = the far end) and the stack's counters: $OUT/lossy-counters.txt"
fi
echo "garbage collections and bytes allocated by the probe during each transfer (after connecting):"
cat "$OUT/gc.txt"
if [ -n "${PERF_STAT:-}" ]; then
    echo "per GB moved, over the probe's whole life (perf stat; start-up included):"
    python3 - "$OUT" "$RESULTS" <<'EOF'
import os, sys
out = sys.argv[1]
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[2]) if l.strip()]
for r in rows:
    if r[1] not in ("download", "upload") or not r[2].isdigit(): continue
    path = f"{out}/perf-{r[0]}-{r[1]}.txt"
    if not os.path.exists(path): continue
    gb = int(r[2]) / 1e9
    counts = []
    for line in open(path):
        f = line.strip().split(",")
        if len(f) > 2 and f[0].replace(".", "").isdigit():
            counts.append("%s %.1fK" % (f[2].replace("syscalls:sys_enter_", ""), float(f[0]) / gb / 1000))
    print(f"  {r[0]} {r[1]}: " + ", ".join(counts))
EOF
fi
