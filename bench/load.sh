#!/usr/bin/env bash
# Starts the embedded gateway (Release, demo traffic off) on a loopback port, runs the load bench
# against it, and stops it. Usage: bench/load.sh [load options...], e.g. --mode all --users 100000
set -euo pipefail
cd "$(dirname "$0")/.."
port=${COHORTLY_BENCH_PORT:-5099}
app_key=bench-app-$RANDOM$RANDOM
admin_key=bench-admin-$RANDOM$RANDOM
dotnet build -c Release -v quiet --nologo src/Gateway >/dev/null
dotnet build -c Release -v quiet --nologo bench/Cohortly.Bench >/dev/null
log=$(mktemp)
dotnet src/Gateway/bin/Release/net10.0/Cohortly.Gateway.dll --urls "http://127.0.0.1:$port" \
  --Cohortly:Demo:Enabled=false --Cohortly:ApiKeys:App="$app_key" --Cohortly:ApiKeys:Admin="$admin_key" \
  --Cohortly:Silo:Port=11199 --Cohortly:Silo:GatewayPort=30099 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
echo "# server: embedded gateway+silo, Release, $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(dotnet --version) SDK"
[ -n "${COHORTLY_BENCH_STATS:-}" ] && trap 'curl -s -H "X-Api-Key: $admin_key" "http://127.0.0.1:$port/v1/admin/stats?gc=true"; echo; kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
dotnet bench/Cohortly.Bench/bin/Release/net10.0/Cohortly.Bench.dll load --url "http://127.0.0.1:$port" --key "$app_key" --admin-key "$admin_key" "$@"
