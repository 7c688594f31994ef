#!/usr/bin/env bash
# make run: the gatekeeper service on the embedded default (SQLite, local forge, state under
# ./var), in the foreground. First the example composes are put in var/incoming/ and the
# one-shot walk-through (`gatekeeper demo`) imports them and reports their results; then
# `gatekeeper serve` serves the API, watches var/incoming/ for new composes and sends the
# outbox, all in one process. No broker is needed. Ctrl-C stops it. The first line printed
# is the dashboard's address (HOST and PORT change it: PORT=8081 make run).
set -u
cd "$(dirname "$0")/.."
GK=${GATEKEEPER_BIN:-.venv/bin/gatekeeper}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8080}
URL="http://$HOST:$PORT"

echo "== the dashboard: $URL/   (open it in a browser once the example composes below are in)"

mkdir -p var/incoming
for compose in examples/composes/*; do
    name=$(basename "$compose")
    [ -e "var/incoming/$name" ] || [ -L "var/incoming/$name" ] || cp -R "$compose" "var/incoming/$name"
done

"$GK" demo --composes var/incoming || exit 2

BASE=CentOS-Stream-9-20261124.0
N1=CentOS-Stream-9-20261125.n.0
cat <<TXT

== the dashboard: $URL/   (open it in a browser: every compose, its gate, who we wait for)
== gatekeeper serves $URL  (API under $URL/api/v1/, schema at $URL/docs)
Try:
  curl -s $URL/api/v1/composes
  curl -s $URL/api/v1/composes/$N1/decision
  curl -s $URL/api/v1/composes/$BASE/decisions
Drop a finished compose into var/incoming/ and it gets its merge request. Ctrl-C stops.

TXT
exec "$GK" serve --host "$HOST" --port "$PORT" --watch var/incoming
