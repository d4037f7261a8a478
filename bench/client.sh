#!/usr/bin/env bash
# Benchmarks our HTTP client (host/examples/client_bench.rs: a keep-alive Agent in the component)
# against Node's (bench/node_client.js: `new http.Agent({keepAlive: true})`) in one run.
#
# Both clients load ONE server, Node's bench/node_hello.js (200 text/plain "hello world"), pinned to
# one core while the client runs pinned to another, so the numbers compare one client event loop
# with another. Each load level (concurrency 1 = sequential requests, 50 = 50 in flight) runs both
# clients in turn, RUNS times, alternating (ours, node, ours, node, ...): this machine's speed drifts
# over minutes and alternating exposes both to the same drift. The table shows the median req/s.
#
# Environment (defaults in brackets):
#   DURATION [10]           seconds measured per client run
#   WARMUP [1]              seconds of unmeasured load at the start of each run
#   RUNS [3]                runs per client and level; the table shows the median
#   CONCURRENCY ["1 50"]    requests in flight, per level
#   SERVER_CPU [0], CLIENT_CPU [1]   cores for the server and for the client
#   PORT [18083]            the server's port
#   START_TIMEOUT [30]      seconds to wait for the server's "listening on" line
#   SKIP_BUILD [0]          1 = don't run cargo build (use the existing example binary)
#   CLIENT_BIN              our client [${CARGO_TARGET_DIR:-target}/release/examples/client_bench]
#
# Exit status: 0 = done, 1 = setup failed (tools, build, server start), 3 = done but some client
# run failed (a failed request, a wrong first response, no result); those rows are flagged.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
RUNS=${RUNS:-3}
CONCURRENCY=${CONCURRENCY:-"1 50"}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-18083}
START_TIMEOUT=${START_TIMEOUT:-30}
SKIP_BUILD=${SKIP_BUILD:-0}
CLIENT_BIN=${CLIENT_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/client_bench}

RESULTS="$BENCH_DIR/results/client-$(date +%Y%m%d-%H%M%S)"
CLIENTS="ours node"

die() {
  echo "client.sh: error: $*" >&2
  exit 1
}
note() { echo "== $*"; }

for v in DURATION WARMUP RUNS START_TIMEOUT SERVER_CPU CLIENT_CPU PORT; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
done
((RUNS > 0 && DURATION > 0)) || die "RUNS and DURATION must be at least 1"
for c in $CONCURRENCY; do [[ $c =~ ^[1-9][0-9]*$ ]] || die "CONCURRENCY must list positive integers (got '$c')"; done

# --- tools --------------------------------------------------------------------------------------

command -v node >/dev/null || die "node is not installed (the server and Node's client need it)"
if ! command -v taskset >/dev/null; then
  command -v apt-get >/dev/null || die "taskset is missing and apt-get is not available: install util-linux"
  note "installing util-linux (taskset)"
  apt-get install -y util-linux >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && apt-get install -y util-linux >/dev/null 2>&1; } ||
    die "could not install util-linux"
fi
for cpu in "$SERVER_CPU" "$CLIENT_CPU"; do
  taskset -c "$cpu" true 2>/dev/null || die "cannot pin to core $cpu (cores: $(nproc)); set SERVER_CPU/CLIENT_CPU"
done
[[ $SERVER_CPU != "$CLIENT_CPU" ]] || echo "warning: server and client share core $SERVER_CPU" >&2

if [[ $SKIP_BUILD != 1 ]]; then
  note "building ours: cargo build --release -p nodehttp-host --example client_bench"
  (cd "$ROOT" && cargo build --release -p nodehttp-host --example client_bench) ||
    die "cargo build --release -p nodehttp-host --example client_bench failed"
fi
[[ -x $CLIENT_BIN ]] || die "our client $CLIENT_BIN does not exist (build failed?)"

mkdir -p "$RESULTS"

# --- the server ---------------------------------------------------------------------------------

SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && die "port $PORT is already in use; set PORT"
server_log="$RESULTS/server.log"
: >"$server_log"
taskset -c "$SERVER_CPU" node "$BENCH_DIR/node_hello.js" "$PORT" >"$server_log" 2>&1 &
SERVER_PID=$!
deadline=$((SECONDS + START_TIMEOUT))
until grep -q "listening on" "$server_log"; do
  kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited before listening:"$'\n'"$(tail -n 20 "$server_log")"
  ((SECONDS < deadline)) || die "the server printed no 'listening on' line within ${START_TIMEOUT}s"
  sleep 0.1
done
URL="http://127.0.0.1:$PORT/"

# --- the clients --------------------------------------------------------------------------------

# Runs one client pinned to CLIENT_CPU, bounded by `timeout`; its output to $3.
# Args: client concurrency outfile
run_client() {
  local cmd
  if [[ $1 == ours ]]; then cmd=("$CLIENT_BIN"); else cmd=(node "$BENCH_DIR/node_client.js"); fi
  timeout $((WARMUP + DURATION + 30)) taskset -c "$CLIENT_CPU" \
    "${cmd[@]}" "$URL" "$2" "$DURATION" "$WARMUP" >"$3" 2>&1
}

# Prints the value of field $2 (`rps`, `errors`, `pool`) of a client's output line; "-" if absent.
field() { grep -o "\b$2=[0-9.]*" "$1" | tail -n 1 | cut -d= -f2 | grep . || echo "-"; }

# Median of the numeric arguments ("-" ignored); "-" if none.
median() {
  printf '%s\n' "$@" | grep -v '^-$' | sort -g |
    awk '{ a[NR] = $1 } END {
      if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2
    }'
}

declare -A RPS_L=() RPS=() POOL=() FLAGS=()
{
  echo "date:     $(date -Is)"
  echo "commit:   $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu:      $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) ($(nproc) cores)"
  echo "node:     $(node --version)"
  echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (other work on these cores lowers every number)"
  echo "settings: DURATION=$DURATION WARMUP=$WARMUP RUNS=$RUNS CONCURRENCY='$CONCURRENCY' SERVER_CPU=$SERVER_CPU CLIENT_CPU=$CLIENT_CPU"
} | tee "$RESULTS/meta.txt"

for conc in $CONCURRENCY; do
  for ((run = 1; run <= RUNS; run++)); do
    for client in $CLIENTS; do
      out="$RESULTS/$client-c$conc-run$run.txt"
      note "$client c=$conc run $run/$RUNS (${WARMUP}s + ${DURATION}s)"
      status=0
      run_client "$client" "$conc" "$out" || status=$?
      rps=$(field "$out" rps)
      RPS_L[$client:$conc]+=" $rps"
      POOL[$client:$conc]=$(field "$out" pool)
      if ((status != 0)) || [[ $rps == "-" ]]; then
        echo "   FAILED (exit $status): $(tail -n 2 "$out" | tr '\n' ' ')"
        FLAGS[$client:$conc]+="run$run: exit $status, errors=$(field "$out" errors); "
      fi
    done
  done
  for client in $CLIENTS; do
    # shellcheck disable=SC2086 # the list is space-separated on purpose
    RPS[$client:$conc]=$(median ${RPS_L[$client:$conc]})
  done
done
kill -0 "$SERVER_PID" 2>/dev/null || die "the server died during the runs; see $server_log"

# --- report -------------------------------------------------------------------------------------

ratio() { [[ $1 == "-" || $2 == "-" ]] && echo "-" || awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
whole() { [[ $1 == "-" ]] && echo "-" || printf '%.0f' "$1"; }

exit_status=0
((${#FLAGS[@]} == 0)) || exit_status=3
{
  echo
  echo "median of $RUNS x ${DURATION}s per client, keep-alive Agent, server: node_hello.js on core $SERVER_CPU"
  printf '%-11s | %12s | %12s | %11s | %s\n' "in flight" "ours req/s" "node req/s" "ours/node" "runs (ours; node)"
  printf '%s\n' "------------|--------------|--------------|-------------|------------------"
  for conc in $CONCURRENCY; do
    printf '%-11s | %12s | %12s | %11s | %s\n' "$conc" "$(whole "${RPS[ours:$conc]}")" \
      "$(whole "${RPS[node:$conc]}")" "$(ratio "${RPS[ours:$conc]}" "${RPS[node:$conc]}")" \
      "${RPS_L[ours:$conc]# };${RPS_L[node:$conc]}"
  done
  for conc in $CONCURRENCY; do
    echo "c=$conc sockets in each pool after the load: ours ${POOL[ours:$conc]}, node ${POOL[node:$conc]}"
  done
  for k in "${!FLAGS[@]}"; do echo "FLAGGED ${k/:/ c=}: ${FLAGS[$k]%; }"; done
  ((exit_status == 0)) || echo "WARNING: some client runs failed (FLAGGED); see their outputs"
  echo "raw outputs: $RESULTS"
} | tee "$RESULTS/summary.txt"
exit "$exit_status"
