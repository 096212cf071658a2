#!/usr/bin/env bash
# Starts the embedded gateway (Release, demo traffic off) on a loopback port, runs the load bench
# against it, and stops it. Usage: bench/load.sh [load options...], e.g. --mode all --users 100000
# Environment:
#   COHORTLY_BENCH_PORT         loopback port of the gateway (default 5099)
#   COHORTLY_BENCH_SILO_PORTS   "silo gateway" ports of the embedded silo (default "11199 30099"), so two
#                               benches (or a bench and a test run) on one machine do not collide
#   COHORTLY_BENCH_SERVER_ARGS  extra gateway arguments, e.g. "--Cohortly:Users:WriteBehind=00:10:00"
#   COHORTLY_BENCH_PIN=1        pin the gateway to CPU 1 and the load client to CPU 0 (taskset), so the
#                               client's own scheduling and GC cannot steal the server's core
#   COHORTLY_BENCH_STATS=1      print the gateway's /v1/admin/stats at the end
#   COHORTLY_BUILD_ROOT=<dir>   run the gateway built from another checkout (e.g. the commit before a change), with
#                               this checkout's bench client, so two server versions are measured by one client
set -euo pipefail
cd "$(dirname "$0")/.."
port=${COHORTLY_BENCH_PORT:-5099}
read -r silo_port silo_gateway_port <<<"${COHORTLY_BENCH_SILO_PORTS:-11199 30099}"
app_key=bench-app-$RANDOM$RANDOM
admin_key=bench-admin-$RANDOM$RANDOM
root=${COHORTLY_BUILD_ROOT:-$PWD}
dotnet build -c Release -v quiet --nologo "$root/src/Gateway" >/dev/null
dotnet build -c Release -v quiet --nologo bench/Cohortly.Bench >/dev/null
server_cpu=() client_cpu=()
if [ -n "${COHORTLY_BENCH_PIN:-}" ] && command -v taskset >/dev/null; then
  server_cpu=(taskset -c 1) client_cpu=(taskset -c 0)
fi
log=$(mktemp)
# The content root is the build output, so the gateway reads its appsettings.json (log levels):
# started from the repository root it found none and logged every request and placement at
# Information level, which cost the server more than the requests themselves.
bin=$root/src/Gateway/bin/Release/net10.0
# shellcheck disable=SC2086
"${server_cpu[@]}" dotnet "$bin/Cohortly.Gateway.dll" --contentRoot "$bin" --urls "http://127.0.0.1:$port" \
  --Cohortly:Demo:Enabled=false --Cohortly:ApiKeys:App="$app_key" --Cohortly:ApiKeys:Admin="$admin_key" \
  --Cohortly:Silo:Port="$silo_port" --Cohortly:Silo:GatewayPort="$silo_gateway_port" ${COHORTLY_BENCH_SERVER_ARGS:-} >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
echo "# server: embedded gateway+silo, Release, commit $(git -C "$root" rev-parse --short HEAD), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(dotnet --version) SDK${server_cpu:+, server pinned to CPU 1, client to CPU 0}${COHORTLY_BENCH_SERVER_ARGS:+, server args: $COHORTLY_BENCH_SERVER_ARGS}"
[ -n "${COHORTLY_BENCH_STATS:-}" ] && trap 'curl -s -H "X-Api-Key: $admin_key" "http://127.0.0.1:$port/v1/admin/stats"; echo; kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
"${client_cpu[@]}" dotnet bench/Cohortly.Bench/bin/Release/net10.0/Cohortly.Bench.dll load --url "http://127.0.0.1:$port" --key "$app_key" --admin-key "$admin_key" --server-pid "$server" "$@"
echo "# server log: $(grep -c '^warn' "$log" || true) warnings, $(grep -c '^fail' "$log" || true) errors, $(wc -l <"$log") lines"
# What they said (the first few, with the line after each: the logger's category, then its message).
grep -A1 -E '^(warn|fail)' "$log" | head -24 | sed 's/^/#   /' || true
