#!/usr/bin/env bash
# Single-row Open Inference Protocol inference over HTTP (../shared/spec/serving.md §7): modelvault serve
# (sandbox on) vs Flask dev server + joblib vs gunicorn -w 2 + joblib, serving the same example model in
# the same run. wrk -t1 -c50 --latency, servers pinned to CPU 0 (with their workers), wrk to CPU 1; warm-up,
# RUNS rounds (each server once per round), medians and ratios of req/s and of CPU time per request
# (server process tree, from /proc). All traffic goes to 127.0.0.1. Installs nothing.
#
#   bench/serve/run.sh                    # from the repository root, after `npm install` (builds dist/)
#   RUNS=3 DURATION=10 WARMUP=3 bench/serve/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
RUNS=${RUNS:-3}; DURATION=${DURATION:-10}; WARMUP=${WARMUP:-3}; CONNS=${CONNS:-50}
PY=/usr/bin/python3

missing=()
command -v wrk >/dev/null || missing+=("wrk (Debian: apt-get install wrk)")
command -v taskset >/dev/null || missing+=("taskset (util-linux)")
command -v curl >/dev/null || missing+=("curl")
command -v gunicorn >/dev/null || missing+=("gunicorn (Debian: apt-get install gunicorn)")
$PY -c 'import flask' 2>/dev/null || missing+=("Flask for $PY (Debian: apt-get install python3-flask)")
$PY -c 'import sklearn, joblib, numpy' 2>/dev/null || missing+=("scikit-learn + joblib for $PY (Debian: apt-get install python3-sklearn python3-joblib)")
[ -f dist/cli/main.js ] || missing+=("dist/ (run npm install or npm run build first)")
if [ ${#missing[@]} -gt 0 ]; then printf 'missing: %s\n' "${missing[@]}" >&2; exit 2; fi
[ "$(nproc)" -ge 2 ] || { echo "needs at least 2 CPUs (server on CPU 0, wrk on CPU 1)" >&2; exit 2; }

T=$(mktemp -d /tmp/mv-bench-serve.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5; for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT

BODY='{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}'
echo "# bench/serve $(date -u +%FT%TZ)"
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs; node $(node --version); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2); $(gunicorn --version 2>&1); Flask $($PY -c 'import flask; print(flask.__version__)' 2>/dev/null || echo ?); scikit-learn $($PY -c 'import sklearn; print(sklearn.__version__)')"
echo "# wrk -t1 -c$CONNS -d${DURATION}s --latency, ${WARMUP}s warm-up, $RUNS runs; server on CPU 0, wrk on CPU 1; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# modelvault: the quickstart's registry (signed, converted example), served with the sandbox on.
node bin/modelvault.js quickstart --no-serve --registry "$T/reg" >/dev/null
TOKEN=$(cat "$T/reg/admin-token")

declare -A RPS P50 P99 CPU URL TOK PID
start_server() { # name port token -- command...
  local name=$1 port=$2 token=$3; shift 4
  taskset -c 0 "$@" >"$T/$name.log" 2>&1 &
  local pid=$!; PIDS+=("$pid"); disown "$pid"
  PID[$name]=$pid; URL[$name]="http://127.0.0.1:$port/v2/models/iris/infer"; TOK[$name]=$token
  local auth=(); [ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
  for _ in $(seq 150); do
    curl -sf -o /dev/null "${auth[@]}" -H 'Content-Type: application/json' -d "$BODY" "${URL[$name]}" && break
    kill -0 "$pid" 2>/dev/null || { echo "$name did not start:" >&2; cat "$T/$name.log" >&2; exit 1; }
    sleep 0.2
  done
  MV_TOKEN=$token taskset -c 1 wrk -t1 -c"$CONNS" -d"${WARMUP}s" -s bench/serve/post.lua "${URL[$name]}" >/dev/null
}
# CPU ticks (user + system) of a process and all its descendants (server + model workers / gunicorn workers).
tree_ticks() {
  local t=0 p
  for p in $(descendants "$1"); do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat"))); done
  echo "$t"
}
descendants() { echo "$1"; local c; for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do descendants "$c"; done; }
ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
stop_pid() { # SIGINT (graceful), then SIGKILL after 5 s (gunicorn sometimes needs it, serving.md §7.1)
  kill -INT "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}

SERVERS=(modelvault flask gunicorn)
start_server modelvault 18480 "$TOKEN" -- node bin/modelvault.js serve --registry "$T/reg" --port 18480 --log-level warn
start_server flask 18481 "" -- $PY bench/serve/flask_app.py 18481
start_server gunicorn 18482 "" -- gunicorn -w 2 -b 127.0.0.1:18482 --chdir bench/serve flask_app:app
HZ=$(getconf CLK_TCK)

# Round robin (one run of each server per round), so the shared host's drifting load hits all alike.
declare -A ALL_RPS ALL_P50 ALL_P99 ALL_CPU
for i in $(seq "$RUNS"); do
  for name in "${SERVERS[@]}"; do
    c0=$(tree_ticks "${PID[$name]}")
    out=$(MV_TOKEN=${TOK[$name]} taskset -c 1 timeout $((DURATION + 20)) wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -s bench/serve/post.lua "${URL[$name]}")
    c1=$(tree_ticks "${PID[$name]}")
    r=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    l50=$(ms "$(awk '$1=="50%" {print $2}' <<<"$out")"); l99=$(ms "$(awk '$1=="99%" {print $2}' <<<"$out")")
    bad=$(awk '/Non-2xx/ {print "non-2xx " $NF} /Socket errors/ {print $0}' <<<"$out" | tr '\n' ' ')
    cpu=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.0f", t * 1e6 / hz / n }')
    printf '%-10s run %d: %9.0f req/s  p50 %7.2f ms  p99 %7.2f ms  CPU %5d µs/request%s\n' "$name" "$i" "$r" "$l50" "$l99" "$cpu" "${bad:+  ($bad)}"
    ALL_RPS[$name]+="$r "; ALL_P50[$name]+="$l50 "; ALL_P99[$name]+="$l99 "; ALL_CPU[$name]+="$cpu "
  done
done
for name in "${SERVERS[@]}"; do
  # shellcheck disable=SC2086
  RPS[$name]=$(median ${ALL_RPS[$name]}); P50[$name]=$(median ${ALL_P50[$name]}); P99[$name]=$(median ${ALL_P99[$name]}); CPU[$name]=$(median ${ALL_CPU[$name]})
  stop_pid "${PID[$name]}"
done

echo
echo "| server | req/s | p50 ms | p99 ms | CPU µs/request (server + its workers) |"
echo "|---|---|---|---|---|"
for n in "${SERVERS[@]}"; do printf '| %s | %.0f | %.2f | %.2f | %d |\n' "$n" "${RPS[$n]}" "${P50[$n]}" "${P99[$n]}" "${CPU[$n]}"; done
echo "(medians of $RUNS runs)"
vf=$(awk -v a="${RPS[modelvault]}" -v b="${RPS[flask]}" 'BEGIN { printf "%.1f", a / b }')
vg=$(awk -v a="${RPS[modelvault]}" -v b="${RPS[gunicorn]}" 'BEGIN { printf "%.1f", a / b }')
echo
cg=$(awk -v a="${CPU[gunicorn]}" -v b="${CPU[modelvault]}" 'BEGIN { printf "%.1f", a / b }')
cf=$(awk -v a="${CPU[flask]}" -v b="${CPU[modelvault]}" 'BEGIN { printf "%.1f", a / b }')
echo "ratios (req/s medians): modelvault/flask ${vf}x, modelvault/gunicorn ${vg}x"
echo "ratios (CPU per request, less noisy on a shared host): flask/modelvault ${cf}x, gunicorn/modelvault ${cg}x"
echo "targets: >= 10x gunicorn: $(awk -v r="$vg" 'BEGIN { print (r >= 10) ? "met" : "NOT met" }'); p99 <= 10 ms: $(awk -v p="${P99[modelvault]}" 'BEGIN { print (p <= 10) ? "met" : "NOT met" }')"
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
