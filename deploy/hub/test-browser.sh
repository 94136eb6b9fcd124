#!/usr/bin/env bash
# make test-browser: a class server set up from this checkout (deploy/hub/setup.sh, on the demo), the
# hub started on localhost with two students (Unix users made here, logging in through PAM), and
# deploy/hub/browser_test.py driving Debian's chromium through their sessions at once. Everything it
# starts it stops, and the users and their homes go at the end. As root (it makes users and starts
# their servers as them). Screenshots: $TRANSLAB_SHOTS (default .hubtest/screenshots in the checkout).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "test-browser: run as root (it makes two Unix users and starts their servers as them)" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "test-browser: Debian's chromium is needed at /usr/bin/chromium (apt-get install chromium)" >&2; exit 1; }
# Outside the checkout: the students' processes must reach the venv and the caches, and a checkout
# under /root is closed to them. Not under /tmp either, whose mode other jobs on a shared machine may change.
work=${TRANSLAB_TEST_DIR:-/srv/translab-hubtest}
shots=${TRANSLAB_SHOTS:-$root/.hubtest/screenshots}
group=translab-test
students="labstudent1 labstudent2"
export TRANSLAB_PREFIX=$work/opt TRANSLAB_SHARED=$work/srv TRANSLAB_EXCHANGE=$work/exchange
export TRANSLAB_STATE=$work/state TRANSLAB_DEMO=1 TRANSLAB_WARM=01 TRANSLAB_GROUP=$group
mkdir -p "$work" && chmod 755 "$work"
rm -rf "$shots" && mkdir -p "$shots"
echo "test-browser: screenshots go to $shots"

t0=$(date +%s)
"$root/deploy/hub/setup.sh" --cpu
echo "test-browser: class server set up in $(($(date +%s) - t0)) s"
if [ ! -x "$work/testvenv/bin/python" ] || ! cmp -s "$root/deploy/hub/requirements-test.txt" "$work/testvenv/.requirements-test.txt"; then
  rm -rf "$work/testvenv"
  /usr/bin/python3 -m venv "$work/testvenv"
  "$work/testvenv/bin/pip" install --quiet --disable-pip-version-check -r "$root/deploy/hub/requirements-test.txt"
  cp "$root/deploy/hub/requirements-test.txt" "$work/testvenv/.requirements-test.txt"
fi

hub_pid= test_pid=
cleanup() {
  local rc=$?
  [ -z "$test_pid" ] || kill -TERM "$test_pid" 2>/dev/null || true
  if [ -n "$hub_pid" ]; then
    kill -TERM "$hub_pid" 2>/dev/null || true # the hub stops the students' servers as it exits
    for _ in $(seq 60); do kill -0 "$hub_pid" 2>/dev/null || break; sleep 1; done
    kill -KILL "$hub_pid" 2>/dev/null || true
  fi
  for u in $students; do
    if id "$u" >/dev/null 2>&1; then
      pids=$(pgrep -u "$u" || true)
      [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
      userdel -r "$u" >/dev/null 2>&1 || userdel "$u" || true
    fi
    for h in memory cpu cpuacct; do rmdir "/sys/fs/cgroup/$h/translab/$u" 2>/dev/null || true; done
  done
  for h in memory cpu cpuacct; do rmdir "/sys/fs/cgroup/$h/translab" 2>/dev/null || true; done
  getent group "$group" >/dev/null && groupdel "$group"
  rm -rf "$work/state" "$work/home"
  [ $rc = 0 ] || { echo "test-browser: FAILED; the hub's log:"; tail -n 80 "$work/hub.log" 2>/dev/null || true; echo "screenshots: $shots"; }
  exit $rc
}
trap cleanup EXIT INT TERM

# Two students, each with a password of her own, in the group the hub lets in.
getent group "$group" >/dev/null || groupadd "$group"
mkdir -p "$work/home"
args=()
for u in $students; do
  id "$u" >/dev/null 2>&1 && userdel -r "$u" >/dev/null 2>&1
  useradd -m -b "$work/home" -G "$group" -s /bin/bash "$u"
  pw=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
  echo "$u:$pw" | chpasswd
  args+=(--user "$u:$pw")
done

# The hub on free ports of localhost.
ports=$(python3 -c 'import socket
ss=[socket.socket() for _ in range(3)]
[s.bind(("127.0.0.1", 0)) for s in ss]
print(" ".join(str(s.getsockname()[1]) for s in ss))')
read -r port api proxy_api <<<"$ports"
export TRANSLAB_BIND_URL=http://127.0.0.1:$port TRANSLAB_HUB_API_URL=http://127.0.0.1:$api TRANSLAB_PROXY_API_URL=http://127.0.0.1:$proxy_api
setsid "$root/deploy/hub/start.sh" >"$work/hub.log" 2>&1 &
hub_pid=$!
for _ in $(seq 120); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/hub/login" 2>/dev/null && break
  kill -0 "$hub_pid" 2>/dev/null || { echo "test-browser: the hub exited" >&2; exit 1; }
  sleep 1
done
echo "test-browser: hub up at http://127.0.0.1:$port (log: $work/hub.log)"

t1=$(date +%s)
# In the background and waited for, so that an interrupt reaches the cleanup at once.
timeout 1800 "$work/testvenv/bin/python" "$root/deploy/hub/browser_test.py" --hub "http://127.0.0.1:$port" "${args[@]}" --shots "$shots" &
test_pid=$!
wait "$test_pid"
test_pid=
echo "test-browser: the browser part took $(($(date +%s) - t1)) s"

# The same at the Unix level: each home is closed to the other student, and the shared caches are
# read-only to both.
set -- $students
for pair in "$1 $2" "$2 $1"; do
  read -r me other <<<"$pair"
  home=$(getent passwd "$other" | cut -d: -f6)
  if runuser -u "$me" -- cat "$home/translab/notebooks/01_sentiment_baseline.ipynb" >/dev/null 2>&1; then
    echo "test-browser: $me can read $other's notebook" >&2; exit 1
  fi
  if runuser -u "$me" -- touch "$TRANSLAB_SHARED/cache/translab/features/x" 2>/dev/null; then
    echo "test-browser: $me can write to the shared cache" >&2; exit 1
  fi
done
echo "test-browser: neither student can read the other's home; the shared caches are read-only to both"

# What one student's session used (her server, JupyterLab, GoNB, gopls and the cells' programs),
# as the cgroups the hub put each server in measured it: how a teacher sizes a server.
for u in $students; do
  m=/sys/fs/cgroup/memory/translab/$u c=/sys/fs/cgroup/cpuacct/translab/$u
  if [ -r "$m/memory.max_usage_in_bytes" ] && [ -r "$c/cpuacct.usage" ]; then
    rss=$(awk '$1 == "total_rss" {print int($2 / 1048576)}' "$m/memory.stat")
    echo "test-browser: $u's session: peak memory $(($(cat "$m/memory.max_usage_in_bytes") >> 20)) MiB with the page cache (limit $(($(cat "$m/memory.limit_in_bytes") >> 20)) MiB), resident now $rss MiB, CPU $(($(cat "$c/cpuacct.usage") / 1000000000)) s"
  fi
done
echo "test-browser: passed in $(($(date +%s) - t0)) s; screenshots in $shots"
