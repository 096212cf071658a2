#!/usr/bin/env bash
# Starts the embedded gateway (Release, demo traffic off) on a loopback port, runs one bench command against it
# (replay by default, or freshness), and stops it. Usage:
#   bench/replay.sh --data ../shared/data/ml-100k --format ml100k --train --score
#   bench/replay.sh freshness --seed-users --users 50 --samples 200
#   COHORTLY_BENCH_SERVER_ARGS="--Cohortly:Training:PositiveRating=4" bench/replay.sh ... --positive-rating 4
set -euo pipefail
cd "$(dirname "$0")/.."
command=replay
if [ $# -gt 0 ] && [ "$1" = freshness ]; then command=freshness; shift; fi
port=${COHORTLY_BENCH_PORT:-5098}
# "silo gateway" ports of the embedded silo, so two benches (or a bench and a test run) can share a machine.
read -r silo_port silo_gateway_port <<<"${COHORTLY_BENCH_SILO_PORTS:-11198 30098}"
app_key=bench-app-$RANDOM$RANDOM
admin_key=bench-admin-$RANDOM$RANDOM
dotnet build -c Release -v quiet --nologo src/Gateway >/dev/null
dotnet build -c Release -v quiet --nologo bench/Cohortly.Bench >/dev/null
log=${COHORTLY_BENCH_LOG:-$(mktemp)}
# shellcheck disable=SC2086 # extra server arguments are split on purpose
dotnet src/Gateway/bin/Release/net10.0/Cohortly.Gateway.dll --contentRoot "$PWD/src/Gateway/bin/Release/net10.0" --urls "http://127.0.0.1:$port" \
  --Cohortly:Demo:Enabled=false --Cohortly:ApiKeys:App="$app_key" --Cohortly:ApiKeys:Admin="$admin_key" \
  --Cohortly:Silo:Port=$silo_port --Cohortly:Silo:GatewayPort=$silo_gateway_port ${COHORTLY_BENCH_SERVER_ARGS:-} >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; [ -n "${COHORTLY_BENCH_LOG:-}" ] || rm -f "$log"' EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
echo "# server: embedded gateway+silo, Release, commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+dirty'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(dotnet --version) SDK"
dotnet bench/Cohortly.Bench/bin/Release/net10.0/Cohortly.Bench.dll "$command" --url "http://127.0.0.1:$port" --key "$app_key" --admin-key "$admin_key" "$@"
