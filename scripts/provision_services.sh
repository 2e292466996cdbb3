#!/usr/bin/env bash
# The PostgreSQL and Redis servers the tests need (tests/databases.py). When the ones named by
# TTHC_TEST_POSTGRES_URL (default 127.0.0.1:5432) and TTHC_TEST_REDIS_URL (default 127.0.0.1:6379)
# answer, nothing is done. Otherwise Debian's packages are installed when their binaries are
# missing (quietly, like scripts/install_browser.sh) and PRIVATE servers are started in a
# temporary folder on free ports, loopback only, without persistence; the machine's own services
# are never started, stopped or reconfigured.
#
# stdout: `export ...` lines for the caller to eval (the URLs to use, and TTHC_TEST_SERVICES_DIR
# when private servers were started); progress goes to stderr.
#   eval "$(scripts/provision_services.sh)"
#   scripts/provision_services.sh --stop "$TTHC_TEST_SERVICES_DIR"   # stops the private servers
set -euo pipefail

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

stop_private() {
  local dir="$1"
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  case "$(basename "$dir")" in tthc-services-*) ;; *) log "not a services folder: $dir"; return 1 ;; esac
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  if [ -f "$dir/pg/postmaster.pid" ]; then
    as_pg "$(pg_bin pg_ctl)" -D "$dir/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  log "private test services stopped"
}

pg_bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n | tail -1)
  if [ -n "$found" ] && [ -x "$found/$1" ]; then echo "$found/$1"; else command -v "$1" || true; fi
}

as_pg() {
  # PostgreSQL refuses to run as root: as root, run as the postgres OS user.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

answers() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 40000))
    answers 127.0.0.1 "$port" || { echo "$port"; return 0; }
  done
  return 1
}

# host and port of a URL such as postgresql+psycopg://user:pw@host:5432/db or redis://:pw@host:6379/0
host_of() { local rest="${1#*://}"; rest="${rest##*@}"; rest="${rest%%/*}"; echo "${rest%%:*}"; }
port_of() {
  local rest="${1#*://}"; rest="${rest##*@}"; rest="${rest%%/*}"
  if [[ "$rest" == *:* ]]; then echo "${rest##*:}"; else echo "$2"; fi
}

install_packages() {
  log "installing Debian packages: $*"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ "${1:-}" = "--stop" ]; then
  stop_private "${2:-${TTHC_TEST_SERVICES_DIR:-}}"
  exit 0
fi

pg_url="${TTHC_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}"
redis_url="${TTHC_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
need_pg=0; need_redis=0
answers "$(host_of "$pg_url")" "$(port_of "$pg_url" 5432)" || need_pg=1
answers "$(host_of "$redis_url")" "$(port_of "$redis_url" 6379)" || need_redis=1
if [ $need_pg -eq 0 ] && [ $need_redis -eq 0 ]; then
  echo "export TTHC_TEST_POSTGRES_URL='$pg_url' TTHC_TEST_REDIS_URL='$redis_url'"
  exit 0
fi

missing=()
[ $need_pg -eq 0 ] || [ -n "$(pg_bin initdb)" ] || missing+=(postgresql)
[ $need_redis -eq 0 ] || command -v redis-server >/dev/null || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] || install_packages "${missing[@]}"

dir=$(mktemp -d /tmp/tthc-services-XXXXXX)
chmod 755 "$dir"

if [ $need_pg -eq 1 ]; then
  port=$(free_port)
  mkdir -p "$dir/pg"
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$dir/pg"
  as_pg "$(pg_bin initdb)" -D "$dir/pg" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
  as_pg "$(pg_bin pg_ctl)" -D "$dir/pg" -l "$dir/pg/server.log" -w -t 60 \
    -o "-p $port -k $dir/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
  pg_url="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
  log "private PostgreSQL on 127.0.0.1:$port ($dir)"
fi

if [ $need_redis -eq 1 ]; then
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
  for _ in $(seq 1 100); do answers 127.0.0.1 "$port" && break; sleep 0.1; done
  answers 127.0.0.1 "$port" || { log "redis-server did not start; see $dir/redis.log"; exit 1; }
  redis_url="redis://127.0.0.1:$port/0"
  log "private Redis on 127.0.0.1:$port ($dir)"
fi

echo "export TTHC_TEST_POSTGRES_URL='$pg_url' TTHC_TEST_REDIS_URL='$redis_url' TTHC_TEST_SERVICES_DIR='$dir'"
