#!/usr/bin/env bash
# Throwaway servers for tests and load runs: installed if missing, started on 127.0.0.1 on a free port, in a
# temporary folder this script owns, and stopped by stop_servers. Source this file; do not run it.

SERVERS_ROOT=""

log() { printf '[servers] %s\n' "$*" >&2; }

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  log "no free port found"
  return 1
}

apt_install() {
  if ! command -v apt-get >/dev/null; then
    log "apt-get is not available; install $* by hand"
    return 1
  fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -z "${APT_UPDATED:-}" ]; then
    $sudo apt-get update -qq >&2
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2
}

servers_root() {
  if [ -z "$SERVERS_ROOT" ]; then
    SERVERS_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/commerce-servers.XXXXXX")
    chmod 755 "$SERVERS_ROOT"
  fi
  echo "$SERVERS_ROOT"
}

postgres_bindir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
    fi
  done | sort -V | tail -n 1
}

# As root, PostgreSQL refuses to run: it runs as the 'postgres' account the Debian package creates.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# start_postgres [durable]
#   Starts a cluster and exports COMMERCE_TEST_POSTGRES (an Npgsql connection string) and PG_PORT/PG_BIN.
#   Tests run with fsync off for speed; pass 'durable' for load runs that must measure real commits.
start_postgres() {
  local mode="${1:-fast}"
  local bin
  bin=$(postgres_bindir)
  if [ -z "$bin" ]; then
    log "PostgreSQL not found; installing postgresql-15"
    apt_install postgresql-15 postgresql-contrib-15 || apt_install postgresql postgresql-contrib
    bin=$(postgres_bindir)
  fi
  [ -n "$bin" ] || { log "PostgreSQL could not be installed"; return 1; }

  local root data port
  root=$(servers_root)
  data="$root/postgres"
  mkdir -p "$data"
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$data"
  port=$(free_port)
  as_postgres "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$root/initdb.log" 2>&1 \
    || { cat "$root/initdb.log" >&2; return 1; }

  local options="-c listen_addresses=127.0.0.1 -p $port -k $data -c max_connections=400 -c shared_buffers=512MB"
  if [ "$mode" = durable ]; then
    options="$options -c fsync=on -c synchronous_commit=on"
  else
    options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  as_postgres "$bin/pg_ctl" -D "$data" -l "$data/server.log" -o "$options" -w -t 60 start >&2 \
    || { cat "$data/server.log" >&2; return 1; }
  "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qAtc "CREATE DATABASE commerce" >&2

  export PG_BIN="$bin" PG_PORT="$port" PG_DATA="$data"
  export COMMERCE_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=commerce;Maximum Pool Size=200;Timeout=30;Command Timeout=120"
  log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($mode)"
}

stop_postgres() {
  if [ -n "${PG_DATA:-}" ] && [ -d "$PG_DATA" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
    log "PostgreSQL stopped"
  fi
  unset PG_DATA
}

redis_installed() { command -v redis-server >/dev/null && command -v redis-cli >/dev/null; }

ensure_redis() {
  if ! redis_installed; then
    log "Redis not found; installing redis-server"
    apt_install redis-server redis-tools || apt_install redis-server
  fi
  redis_installed || { log "Redis could not be installed"; return 1; }
}

REDIS_PIDFILES=()

# start_redis_instance <name> <port> [extra redis-server args...]
start_redis_instance() {
  local name="$1" port="$2"
  shift 2
  local dir
  dir="$(servers_root)/redis-$name"
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save '' --appendonly no \
    --protected-mode yes "$@" >&2 || { cat "$dir/redis.log" >&2; return 1; }
  REDIS_PIDFILES+=("$dir/redis.pid")
  for _ in $(seq 1 100); do
    if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
      return 0
    fi
    sleep 0.1
  done
  log "Redis $name did not answer on 127.0.0.1:$port"
  cat "$dir/redis.log" >&2
  return 1
}

# start_redis: a standalone Redis; exports COMMERCE_TEST_REDIS (a StackExchange.Redis configuration string).
start_redis() {
  ensure_redis || return 1
  local port
  port=$(free_port)
  start_redis_instance standalone "$port" || return 1
  export REDIS_PORT="$port"
  export COMMERCE_TEST_REDIS="127.0.0.1:$port"
  log "Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$port"
}

# start_redis_cluster: three cluster-enabled masters joined with redis-cli --cluster create;
# exports COMMERCE_TEST_REDIS_CLUSTER (all three endpoints, comma-separated).
start_redis_cluster() {
  ensure_redis || return 1
  local endpoints=() port bus i
  for i in 1 2 3; do
    port=$(free_port)
    bus=$(free_port)
    start_redis_instance "cluster-$i" "$port" --cluster-enabled yes --cluster-port "$bus" \
      --cluster-config-file "nodes.conf" --cluster-node-timeout 2000 || return 1
    endpoints+=("127.0.0.1:$port")
  done
  redis-cli --cluster create "${endpoints[@]}" --cluster-replicas 0 --cluster-yes >"$(servers_root)/redis-cluster-create.log" 2>&1 \
    || { cat "$(servers_root)/redis-cluster-create.log" >&2; return 1; }
  local first="${endpoints[0]#127.0.0.1:}"
  for _ in $(seq 1 100); do
    if redis-cli -h 127.0.0.1 -p "$first" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; then
      export REDIS_CLUSTER_ENDPOINTS="${endpoints[*]}"
      export COMMERCE_TEST_REDIS_CLUSTER
      COMMERCE_TEST_REDIS_CLUSTER=$(IFS=,; echo "${endpoints[*]}")
      log "Redis Cluster (3 masters) on $COMMERCE_TEST_REDIS_CLUSTER"
      return 0
    fi
    sleep 0.2
  done
  log "Redis Cluster did not reach cluster_state:ok"
  return 1
}

stop_redis() {
  local pidfile pid
  for pidfile in "${REDIS_PIDFILES[@]}"; do
    if [ -f "$pidfile" ]; then
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  [ "${#REDIS_PIDFILES[@]}" -eq 0 ] || log "Redis stopped"
  REDIS_PIDFILES=()
}

stop_servers() {
  stop_postgres
  stop_redis
  if [ -n "$SERVERS_ROOT" ] && [ -d "$SERVERS_ROOT" ]; then
    rm -rf "$SERVERS_ROOT"
  fi
  SERVERS_ROOT=""
}
