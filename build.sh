#!/usr/bin/env bash
# The project's one entry point.
#   ./build.sh test [dotnet test args]   start throwaway PostgreSQL, Redis and Redis Cluster, run every test, stop the servers
#   ./build.sh run                        run the sample marketplace on the embedded (in-memory) default
#   ./build.sh bench [args]               run the benchmarks (see benchmarks/README.md)
set -euo pipefail
cd "$(dirname "$0")"
. eng/servers.sh

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

command="${1:-test}"
shift || true

case "$command" in
  test)
    trap stop_servers EXIT
    start_postgres
    start_redis
    start_redis_cluster
    dotnet build Commerce.sln -c Release
    dotnet test Commerce.sln -c Release --no-build "$@"
    ;;
  run)
    exec dotnet run --project samples/Marketplace -c Release "$@"
    ;;
  bench)
    exec benchmarks/run.sh "$@"
    ;;
  *)
    echo "usage: ./build.sh test|run|bench" >&2
    exit 2
    ;;
esac
