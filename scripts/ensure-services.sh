#!/usr/bin/env bash
# Makes sure the real PostgreSQL and Redis the tests use are up, starting them if they are down,
# and fails loudly if they cannot answer: tests that need them never skip. Also installs promtool
# (Debian's prometheus package), which checks the example's alerting rules, when it is missing.
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }
wait_for() { for _ in $(seq 1 30); do "$1" && return 0; sleep 1; done; return 1; }

if ! pg_up; then
  echo "PostgreSQL is down: starting it"
  # with several versions installed, a bare `ls` names them all: start the newest
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
fi
wait_for pg_up || { echo "PostgreSQL at 127.0.0.1:5432 does not answer" >&2; exit 1; }
psql -h 127.0.0.1 -U postgres -d test -tAc 'select 1' >/dev/null \
  || { echo "PostgreSQL answers but database 'test' is not reachable as user postgres" >&2; exit 1; }

if ! redis_up; then
  echo "Redis is down: starting it"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
wait_for redis_up || { echo "Redis at 127.0.0.1:6379 does not answer" >&2; exit 1; }
echo "PostgreSQL and Redis are up"

if ! command -v promtool >/dev/null; then
  echo "promtool is missing: installing Debian's prometheus package"
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
    || { echo "could not install promtool (apt-get install prometheus)" >&2; exit 1; }
fi
echo "promtool: $(promtool --version 2>&1 | head -1)"
