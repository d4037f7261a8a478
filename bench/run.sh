#!/usr/bin/env bash
# Benchmarks `nodehttp serve --hello` against Node's http module (bench/node_hello.js) in one run.
#
# Both servers answer every request with `200 text/plain "hello world"` over keep-alive connections.
# Both servers are pinned to one core and loaded one at a time by a single-threaded wrk pinned to another
# core, so the numbers compare one event loop against one event loop, not how many cores each can use.
# Their runs alternate (ours, node, ours, node, ...): this machine's speed drifts over minutes, and
# alternating exposes both to the same drift.
#
# Environment (defaults in brackets):
#   DURATION [10]      seconds per measured wrk run
#   WARMUP [2]         seconds of unmeasured load before each connection level (0 = none)
#   RUNS [3]           measured runs per connection level; the table shows the median
#   CONNS ["50 1000"]  connection levels
#   ONLY [both]        "node" or "ours" to run one side only
#   SERVER_CPU [0], WRK_CPU [1]       cores for the server and for wrk
#   PORT_OURS [18081], PORT_NODE [18082]
#   START_TIMEOUT [30] seconds to wait for a server's "listening on" line
#   SKIP_BUILD [0]     1 = don't run cargo build (use the existing binary)
#   NODEHTTP_BIN       path of our binary [${CARGO_TARGET_DIR:-target}/release/nodehttp]
#
# Exit status: 0 = done, 1 = setup failed (tools, build, server start), 3 = done but some measured
# run reported socket errors or non-2xx responses (the table still prints; those rows are flagged).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
RUNS=${RUNS:-3}
CONNS=${CONNS:-"50 1000"}
ONLY=${ONLY:-both}
SERVER_CPU=${SERVER_CPU:-0}
WRK_CPU=${WRK_CPU:-1}
PORT_OURS=${PORT_OURS:-18081}
PORT_NODE=${PORT_NODE:-18082}
START_TIMEOUT=${START_TIMEOUT:-30}
SKIP_BUILD=${SKIP_BUILD:-0}
NODEHTTP_BIN=${NODEHTTP_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/nodehttp}

RESULTS="$BENCH_DIR/results/$(date +%Y%m%d-%H%M%S)"

die() {
  echo "run.sh: error: $*" >&2
  exit 1
}
note() { echo "== $*"; }

case "$ONLY" in
  both) SERVERS="ours node" ;;
  ours | node) SERVERS="$ONLY" ;;
  *) die "ONLY must be 'node', 'ours' or unset (got '$ONLY')" ;;
esac
for v in DURATION WARMUP RUNS START_TIMEOUT SERVER_CPU WRK_CPU PORT_OURS PORT_NODE; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
done
((RUNS > 0 && DURATION > 0)) || die "RUNS and DURATION must be at least 1"
for c in $CONNS; do [[ $c =~ ^[1-9][0-9]*$ ]] || die "CONNS must list positive integers (got '$c')"; done

# --- tools --------------------------------------------------------------------------------------

# Installs a Debian package, refreshing the package lists only if the first attempt fails.
apt_install() {
  command -v apt-get >/dev/null || die "$1 is missing and apt-get is not available: install '$1'"
  note "installing $1"
  apt-get install -y "$1" >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && apt-get install -y "$1" >/dev/null 2>&1; } ||
    die "could not install $1 (apt-get install -y $1)"
}

command -v wrk >/dev/null || apt_install wrk
command -v taskset >/dev/null || apt_install util-linux
command -v curl >/dev/null || apt_install curl
command -v node >/dev/null || die "node is not installed (Node's side of the benchmark needs it)"
for cpu in "$SERVER_CPU" "$WRK_CPU"; do
  taskset -c "$cpu" true 2>/dev/null || die "cannot pin to core $cpu (cores: $(nproc)); set SERVER_CPU/WRK_CPU"
done
[[ $SERVER_CPU != "$WRK_CPU" ]] || echo "warning: server and wrk share core $SERVER_CPU" >&2

# Every connection is a file descriptor in both wrk and the server, which inherit this limit.
max_conns=0
for c in $CONNS; do ((c > max_conns)) && max_conns=$c; done
need_fds=$((max_conns + 256))
if (($(ulimit -n) < need_fds)); then
  ulimit -Sn "$need_fds" 2>/dev/null ||
    die "open-file limit $(ulimit -n) is below $need_fds and cannot be raised (hard limit $(ulimit -Hn))"
fi

if [[ " $SERVERS " == *" ours "* && $SKIP_BUILD != 1 ]]; then
  note "building ours: cargo build --release -p nodehttp-host"
  (cd "$ROOT" && cargo build --release -p nodehttp-host) || die "cargo build --release -p nodehttp-host failed"
fi
if [[ " $SERVERS " == *" ours "* ]]; then
  [[ -x $NODEHTTP_BIN ]] || die "our binary $NODEHTTP_BIN does not exist (build failed?); ONLY=node runs Node alone"
fi

mkdir -p "$RESULTS"

# --- servers ------------------------------------------------------------------------------------

declare -A PID=() PORT=()
cleanup() {
  local pid
  for pid in "${PID[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# True if something already accepts connections on 127.0.0.1:$1.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Starts a server pinned to SERVER_CPU and waits for its "listening on [HOST:]PORT" line.
# Sets PID[name] and PORT[name]. Args: name port command...
start_server() {
  local name=$1 port=$2 log="$RESULTS/$1.log" pid
  shift 2
  : >"$log" # exists before the first grep below, whoever wins the race
  port_in_use "$port" && die "port $port is already in use; set PORT_$(tr a-z A-Z <<<"$name")"
  taskset -c "$SERVER_CPU" "$@" >"$log" 2>&1 &
  pid=$!
  PID[$name]=$pid PORT[$name]=$port
  local deadline=$((SECONDS + START_TIMEOUT))
  until grep -q "listening on" "$log"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null || true
      unset "PID[$name]"
      die "$name exited before listening: $*"$'\n'"$(tail -n 20 "$log")"
    fi
    ((SECONDS < deadline)) || die "$name printed no 'listening on' line within ${START_TIMEOUT}s: $*"$'\n'"$(tail -n 20 "$log")"
    sleep 0.1
  done
}

# Prints a /proc/PID/status memory field (VmHWM, VmRSS) in kB.
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# One request before the load: a server that answers something else is not benchmarked.
check_response() {
  local name=$1 port=$2 out="$RESULTS/$1-response.txt"
  curl -sS -i --max-time 5 "http://127.0.0.1:$port/" >"$out" 2>&1 || die "$name: request failed: $(cat "$out")"
  head -n 1 "$out" | grep -q '^HTTP/1.1 200' || die "$name: expected HTTP/1.1 200, got: $(head -n 1 "$out")"
  [[ $(tail -n 1 "$out") == "hello world" ]] || die "$name: body is not 'hello world':"$'\n'"$(cat "$out")"
}

# --- wrk ----------------------------------------------------------------------------------------

# Runs wrk pinned to WRK_CPU; output to $4. wrk keeps connections alive (HTTP/1.1) by default.
# `timeout` bounds a wrk that hangs on a stuck server. Args: port conns seconds outfile
run_wrk() {
  timeout $(($3 + 30)) taskset -c "$WRK_CPU" \
    wrk -t1 -c"$2" -d"$3s" --latency "http://127.0.0.1:$1/" >"$4" 2>&1
}

# Prints "req/s p50_us p99_us connect read write timeout non2xx" from one wrk output; "-" if absent.
parse_wrk() {
  awk '
    function us(v, n, u) {
      n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
      if (u == "us") return n; if (u == "ms") return n * 1e3; if (u == "s") return n * 1e6
      if (u == "m") return n * 6e7; if (u == "h") return n * 3.6e9; return "-"
    }
    /^Requests\/sec:/ { rps = $2 }
    $1 == "50%" { p50 = us($2) }
    $1 == "99%" { p99 = us($2) }
    /Socket errors:/ { gsub(",", ""); c = $4; r = $6; w = $8; t = $10 }
    /Non-2xx or 3xx responses:/ { n2 = $NF }
    END {
      printf "%s %s %s %d %d %d %d %d\n", (rps == "" ? "-" : rps), (p50 == "" ? "-" : p50),
        (p99 == "" ? "-" : p99), c, r, w, t, n2
    }' "$1"
}

# The kernel's count of connections dropped because a listen queue was full (system-wide). At c=1000
# a server whose backlog is below the connection count overflows it while wrk connects; the client's
# handshake then completes only on a retransmission (~1 s later), which shows up in p99 and as wrk
# timeouts. Reported per run so such a tail can be told apart from a slow event loop.
listen_overflows() {
  awk '/^TcpExt:/ {
    if (!seen) { for (i = 1; i <= NF; i++) if ($i == "ListenOverflows") col = i; seen = 1 }
    else if (col) print $col
  }' /proc/net/netstat 2>/dev/null || true
}

# Median of the numeric arguments ("-" ignored); "-" if none.
median() {
  printf '%s\n' "$@" | grep -v '^-$' | sort -g |
    awk '{ a[NR] = $1 } END {
      if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2
    }'
}

declare -A RPS=() P50=() P99=() HWM=() RSS=() ERRS=() IDLE=() OVERFLOWS=()

# One measured run of one server: appends its figures to the level's lists. Args: name conns run
declare -A RPS_L=() P50_L=() P99_L=() ERR_RUNS=() ERR_SUM=() OVERFLOW_SUM=()
measure() {
  local name=$1 conns=$2 run=$3 out="$RESULTS/$1-c$2-run$3.txt" status=0 overflows_before overflows
  local rps p50 p99 c r w t n2 bad=""
  note "$name c=$conns run $run/$RUNS (${DURATION}s)"
  overflows_before=$(listen_overflows)
  run_wrk "${PORT[$name]}" "$conns" "$DURATION" "$out" || status=$?
  overflows=$(($(listen_overflows) - ${overflows_before:-0}))
  ((overflows == 0)) || OVERFLOW_SUM[$name]+=" run$run=$overflows"
  read -r rps p50 p99 c r w t n2 < <(parse_wrk "$out")
  RPS_L[$name]+=" $rps" P50_L[$name]+=" $p50" P99_L[$name]+=" $p99"
  ((status == 0)) || bad+=" wrk-exit=$status"
  [[ $rps != "-" ]] || bad+=" no-result"
  ((c + r + w + t == 0)) || bad+=" socket(connect=$c read=$r write=$w timeout=$t)"
  ((n2 == 0)) || bad+=" non-2xx=$n2"
  if [[ -n $bad ]]; then
    echo "   ERRORS in $out:$bad"
    ERR_RUNS[$name]=$((${ERR_RUNS[$name]:-0} + 1))
    ERR_SUM[$name]+="run$run:$bad; "
  fi
}

# Per connection level: a warm-up of each server, then RUNS rounds in which each server runs once,
# in turn (this machine's speed drifts over minutes: interleaving exposes both servers to the same
# drift), then medians and RSS.
bench_level() {
  local conns=$1 name run
  for name in $SERVERS; do
    RPS_L[$name]="" P50_L[$name]="" P99_L[$name]="" ERR_RUNS[$name]=0 ERR_SUM[$name]="" OVERFLOW_SUM[$name]=""
    if ((WARMUP > 0)); then
      note "$name c=$conns warm-up ${WARMUP}s"
      run_wrk "${PORT[$name]}" "$conns" "$WARMUP" "$RESULTS/$name-c$conns-warmup.txt" || true
    fi
  done
  for ((run = 1; run <= RUNS; run++)); do
    for name in $SERVERS; do measure "$name" "$conns" "$run"; done
  done
  for name in $SERVERS; do
    kill -0 "${PID[$name]}" 2>/dev/null || die "$name died during the c=$conns runs; see $RESULTS/$name.log"
    # shellcheck disable=SC2086 # the lists are space-separated on purpose
    RPS[$name:$conns]=$(median ${RPS_L[$name]})
    # shellcheck disable=SC2086
    P50[$name:$conns]=$(median ${P50_L[$name]})
    # shellcheck disable=SC2086
    P99[$name:$conns]=$(median ${P99_L[$name]})
    HWM[$name:$conns]=$(status_kb "${PID[$name]}" VmHWM)
    RSS[$name:$conns]=$(status_kb "${PID[$name]}" VmRSS)
    ((ERR_RUNS[$name] == 0)) || ERRS[$name:$conns]="${ERR_RUNS[$name]}/$RUNS runs: ${ERR_SUM[$name]%; }"
    [[ -z ${OVERFLOW_SUM[$name]} ]] || OVERFLOWS[$name:$conns]=${OVERFLOW_SUM[$name]}
  done
}

{
  echo "date:     $(date -Is)"
  echo "commit:   $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu:      $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) ($(nproc) cores)"
  echo "node:     $(node --version)"
  echo "wrk:      $(wrk -v 2>&1 | head -n 1)"
  echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (other work on these cores lowers every number)"
  echo "settings: DURATION=$DURATION WARMUP=$WARMUP RUNS=$RUNS CONNS='$CONNS' SERVER_CPU=$SERVER_CPU WRK_CPU=$WRK_CPU"
} | tee "$RESULTS/meta.txt"

for name in $SERVERS; do
  if [[ $name == ours ]]; then
    start_server ours "$PORT_OURS" "$NODEHTTP_BIN" serve --hello --listen "127.0.0.1:$PORT_OURS"
  else
    start_server node "$PORT_NODE" node "$BENCH_DIR/node_hello.js" "$PORT_NODE"
  fi
  check_response "$name" "${PORT[$name]}"
  IDLE[$name]=$(status_kb "${PID[$name]}" VmRSS)
done
for conns in $CONNS; do bench_level "$conns"; done

# --- report -------------------------------------------------------------------------------------

ms() { [[ $1 == "-" ]] && echo "-" || awk -v u="$1" 'BEGIN { printf "%.2f ms", u / 1e3 }'; }
mb() { [[ -z $1 ]] && echo "-" || awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }
ratio() { [[ $1 == "-" || $2 == "-" ]] && echo "-" || awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

exit_status=0
((${#ERRS[@]} == 0)) || exit_status=3
{
  echo
  echo "median of $RUNS x ${DURATION}s, wrk -t1 keep-alive; RSS = peak VmHWM / current VmRSS after the level's runs"
  printf '%-6s | %5s | %9s | %9s | %9s | %-19s | %s\n' server conns req/s p50 p99 "RSS peak / now" errors
  printf '%s\n' "-------|-------|-----------|-----------|-----------|---------------------|-------"
  for name in $SERVERS; do
    for conns in $CONNS; do
      k=$name:$conns
      rps=${RPS[$k]}
      [[ $rps == "-" ]] || rps=$(printf '%.0f' "$rps")
      err=${ERRS[$k]:-}
      printf '%-6s | %5s | %9s | %9s | %9s | %-19s | %s\n' "$name" "$conns" "$rps" "$(ms "${P50[$k]}")" \
        "$(ms "${P99[$k]}")" "$(mb "${HWM[$k]}") / $(mb "${RSS[$k]}")" "${err:+FLAGGED }${err:--}"
    done
  done
  for name in $SERVERS; do echo "$name idle RSS before load: $(mb "${IDLE[$name]}")"; done
  for k in "${!OVERFLOWS[@]}"; do
    echo "${k/:/ c=}: listen-queue overflows (kernel ListenOverflows, system-wide):${OVERFLOWS[$k]}"
  done
  if [[ $ONLY == both ]]; then
    echo
    echo "ours/node: req/s higher is better, p99 lower is better"
    for conns in $CONNS; do
      printf 'c=%-5s req/s %s   p99 %s\n' "$conns" "$(ratio "${RPS[ours:$conns]}" "${RPS[node:$conns]}")" \
        "$(ratio "${P99[ours:$conns]}" "${P99[node:$conns]}")"
    done
  fi
  ((exit_status == 0)) || echo "WARNING: some runs reported errors (FLAGGED rows); see the wrk outputs"
  echo "raw wrk outputs: $RESULTS"
} | tee "$RESULTS/summary.txt"
exit "$exit_status"
