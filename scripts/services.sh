#!/usr/bin/env bash
# Make sure the system packages (rsync for tmt, Chromium for the dashboard's browser tests) and
# local services the tests use are there.
# PostgreSQL and RabbitMQ are started when they are installed but stopped; CI=true makes
# the tests that need them fail (not skip) when they still cannot be reached.
set -u

can_root() { [ "$(id -u)" = 0 ]; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# tmt runs tests through rsync, even on the local machine
if ! command -v rsync >/dev/null && can_root && command -v apt-get >/dev/null; then
  echo "installing rsync (tmt needs it)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsync) >/dev/null || true
fi
# the dashboard's browser tests drive Debian's Chromium (Playwright cannot download its own)
if [ ! -x /usr/bin/chromium ] && can_root && command -v apt-get >/dev/null; then
  echo "installing chromium (the browser tests drive it)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null || true
fi
if ! port_open 5432 && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! port_open 5672 && command -v rabbitmq-server >/dev/null; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached || true
  for _ in $(seq 1 30); do port_open 5672 && break; sleep 1; done
fi
exit 0
