#!/usr/bin/env bash
# Runs every test of Conveyor and ends with one line: "N passed, N failed".
# Installs what it needs itself; safe to run on a fresh machine and as root.
set -uo pipefail
cd "$(dirname "$0")"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK (dotnet) is required and was not found on PATH." >&2
  exit 2
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
results="$(pwd)/.test-results"
rm -rf "$results"
mkdir -p "$results"

echo "== build"
if ! dotnet build Conveyor.slnx -c Release -nologo -v quiet; then
  echo "0 passed, 1 failed"
  exit 1
fi

# A throwaway PostgreSQL 15 cluster for the PostgreSQL store tests: a temporary data directory, a free port on
# 127.0.0.1, no fsync; stopped and removed on exit. initdb and pg_ctl refuse to run as root, so as root they run as
# the postgres user. Tests find it through CONVEYOR_TEST_PG.
pg_dir=""
pg_as() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_postgres() {
  if [ -n "$pg_dir" ] && [ -d "$pg_dir" ]; then
    pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$pg_dir"
  fi
}
start_postgres() {
  pg_bin=""
  for dir in /usr/lib/postgresql/15/bin "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then pg_bin=$dir; break; fi
  done
  if [ -z "$pg_bin" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing postgresql-15"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15) >/dev/null 2>&1
    [ -x /usr/lib/postgresql/15/bin/initdb ] && pg_bin=/usr/lib/postgresql/15/bin
  fi
  if [ -z "$pg_bin" ]; then
    echo "test.sh: PostgreSQL 15 (initdb, pg_ctl) was not found and could not be installed; the PostgreSQL tests will fail." >&2
    return 1
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home postgres >/dev/null 2>&1
  fi
  pg_dir=$(mktemp -d /tmp/conveyor-pg.XXXXXX)
  chmod 755 "$pg_dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$pg_dir"
  if ! pg_as "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --no-sync >"$pg_dir/initdb.log" 2>&1; then
    cat "$pg_dir/initdb.log" >&2
    return 1
  fi
  for _ in 1 2 3 4 5; do
    pg_port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$pg_port") 2>/dev/null && continue   # something already listens there
    if pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 start \
         -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null; then
      if pg_as "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres conveyor_test; then
        export CONVEYOR_TEST_PG="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=conveyor_test"
        echo "== PostgreSQL $("$pg_bin/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$pg_port"
        return 0
      fi
      pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1
    fi
  done
  echo "test.sh: could not start PostgreSQL; see $pg_dir/server.log" >&2
  tail -20 "$pg_dir/server.log" >&2
  return 1
}
trap stop_postgres EXIT
start_postgres

# promtool (Debian's prometheus package) validates the server's /metrics in the server tests and the alert rules below.
if ! command -v promtool >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing prometheus (for promtool)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus) >/dev/null 2>&1
fi
command -v promtool >/dev/null 2>&1 || echo "test.sh: promtool was not found and could not be installed; the metrics test and the alert rule checks will fail." >&2

status=0
for project in tests/*/; do
  name=$(basename "$project")
  # Only test projects; tests/ also holds helpers such as the worker process of the multi-process test.
  grep -qs '<IsTestProject>true</IsTestProject>' "$project$name.csproj" || continue
  echo "== $name"
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" -- RunConfiguration.TreatNoTestsAsError=true \
    || status=1
done

# Count every test outcome across all projects from the TRX files.
passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  p=$(grep -o '<UnitTestResult [^>]*outcome="Passed"' "$trx" | wc -l)
  f=$(grep -o '<UnitTestResult [^>]*outcome="Failed"' "$trx" | wc -l)
  passed=$((passed + p))
  failed=$((failed + f))
done
# The Prometheus alert rules: valid (check rules), and each alert fires exactly when its unit test says (test rules).
# Each command counts as one test.
for check in "check rules deploy/prometheus/alerts.yml" "test rules deploy/prometheus/alerts.test.yml"; do
  echo "== promtool $check"
  # shellcheck disable=SC2086  # the words of $check are promtool's arguments
  if command -v promtool >/dev/null 2>&1 && promtool $check; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1   # a test run crashed or found no tests: count it, never report green
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
