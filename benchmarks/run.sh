#!/usr/bin/env bash
# Benchmarks (see benchmarks/README.md).
#   benchmarks/run.sh [load] [load-test args]   durable throwaway PostgreSQL on 127.0.0.1; engine vs pgbench; server stopped on exit
#   benchmarks/run.sh micro [BenchmarkDotNet args]   in-memory BenchmarkDotNet suite (default: --filter '*')
#   benchmarks/run.sh ordering [args]   durable throwaway PostgreSQL; order transitions with the relay running vs pgbench
#   benchmarks/run.sh redis [--duration 5] [--clients 64] [--pipeline 16]   throwaway Redis + durable PostgreSQL; the Redis
#                                       store and the hot-SKU gate vs redis-benchmark running the same Lua (EVALSHA)
#   benchmarks/run.sh ratelimit [args]   throwaway Redis; Redis rate limiter acquisitions/s vs redis-benchmark running its Lua
#   benchmarks/run.sh checkout-postgres [args]   durable throwaway PostgreSQL; checkouts (every store on PostgreSQL) vs pgbench
#   benchmarks/run.sh marketplace [memory|postgres] [load args]   starts the sample host (in memory, or on a durable
#                                   throwaway PostgreSQL) on a free port and runs a flash sale over HTTP against it
# ./build.sh bench [...] runs this script with the same arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

mode=load
case "${1:-}" in
  micro|load|ordering|redis|ratelimit|checkout-postgres|marketplace) mode="$1"; shift ;;
esac

case "$mode" in
  marketplace)
    storage=memory
    case "${1:-}" in memory|postgres) storage="$1"; shift ;; esac
    dotnet build samples/Marketplace -c Release
    dotnet build benchmarks/Marketplace.LoadTests -c Release
    . eng/servers.sh
    host_pid=""
    cleanup() {
      [ -z "$host_pid" ] || { kill "$host_pid" 2>/dev/null || true; wait "$host_pid" 2>/dev/null || true; }
      stop_servers
    }
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    port=$(free_port)
    host_args=(--urls "http://127.0.0.1:$port" --Logging:LogLevel:Default=Warning)
    if [ "$storage" = postgres ]; then
      start_postgres durable
      host_args+=(--storage postgres --postgres "$COMMERCE_TEST_POSTGRES" --schema "bench_http")
    fi
    mkdir -p benchmarks/artifacts
    dotnet samples/Marketplace/bin/Release/net10.0/Marketplace.dll "${host_args[@]}" > benchmarks/artifacts/marketplace-host.log 2>&1 &
    host_pid=$!
    case " $* " in
      *" --output "*) ;;
      *) set -- "$@" --output "benchmarks/artifacts/marketplace-$storage-results.md" ;;
    esac
    dotnet benchmarks/Marketplace.LoadTests/bin/Release/net10.0/Marketplace.LoadTests.dll --url "http://127.0.0.1:$port" "$@"
    ;;
  micro)
    dotnet build benchmarks/Commerce.Benchmarks -c Release
    [ $# -gt 0 ] || set -- --filter '*'
    cd benchmarks/Commerce.Benchmarks
    exec dotnet run -c Release --no-build -- "$@"
    ;;
  redis)
    dotnet build benchmarks/Commerce.LoadTests -c Release
    . eng/servers.sh
    servers_root >/dev/null # one temporary folder for both servers, removed by stop_servers
    trap stop_servers EXIT
    trap 'exit 130' INT TERM
    start_redis
    start_postgres durable
    dotnet run --project benchmarks/Commerce.LoadTests -c Release --no-build -- redis "$@"
    ;;
  ratelimit)
    dotnet build benchmarks/Commerce.LoadTests -c Release
    . eng/servers.sh
    trap stop_servers EXIT
    trap 'exit 130' INT TERM
    start_redis
    case " $* " in
      *" --output "*) ;;
      *) mkdir -p benchmarks/artifacts; set -- "$@" --output benchmarks/artifacts/ratelimit-results.md ;;
    esac
    dotnet run --project benchmarks/Commerce.LoadTests -c Release --no-build -- ratelimit --redis "$COMMERCE_TEST_REDIS" "$@"
    ;;
  load|ordering|checkout-postgres)
    dotnet build benchmarks/Commerce.LoadTests -c Release
    if [ "$mode" != load ]; then set -- "$mode" "$@"; fi
    case " $* " in
      *" --help "*|*" -h "*|*" --print-script "*)
        exec dotnet run --project benchmarks/Commerce.LoadTests -c Release --no-build -- "$@" ;;
    esac
    . eng/servers.sh
    # stop_servers, plus the server's temporary folder (start_postgres creates it in a subshell, so SERVERS_ROOT
    # stays unset here and stop_servers would leave it behind).
    cleanup() {
      local root=""
      [ -z "${PG_DATA:-}" ] || root=$(dirname "$PG_DATA")
      stop_servers
      case "$root" in "${TMPDIR:-/tmp}"/commerce-servers.*) rm -rf "$root" ;; esac
    }
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    start_postgres durable
    case " $* " in
      *" --output "*) ;;
      *) mkdir -p benchmarks/artifacts; set -- "$@" --output "benchmarks/artifacts/$([ "$mode" = load ] && echo load || echo "$mode")-results.md" ;;
    esac
    dotnet run --project benchmarks/Commerce.LoadTests -c Release --no-build -- "$@"
    ;;
esac
