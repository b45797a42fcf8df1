#!/usr/bin/env bash
# Installs the Debian packages the project needs and the machine lacks: Java >= 17 for Spark and
# Kafka, jemalloc for the streaming job's JVM, redis-server and PostgreSQL (the tests start throwaway
# servers from their binaries), Chromium for the dashboard's browser tests, python3-venv, Node with
# npm. As root it runs apt-get; otherwise it stops at once with the exact command to run. Prints
# nothing when everything is there.
set -euo pipefail

missing=()
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
if ! command -v java >/dev/null || [ "$(java_major)" -lt 17 ] 2>/dev/null; then
  missing+=(openjdk-17-jre-headless)
fi
command -v redis-server >/dev/null || missing+=(redis-server)
compgen -G "/usr/lib/*/libjemalloc.so.2" >/dev/null || missing+=(libjemalloc2)  # the streaming job's JVM allocates with it
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v npm >/dev/null || missing+=(nodejs npm)
node_version() { node --version 2>/dev/null | sed 's/^v//'; }
command -v mvn >/dev/null || missing+=(maven)

if command -v node >/dev/null; then
  IFS=. read -r node_major node_minor _ <<<"$(node_version)"
  if ((node_major < 20 || (node_major == 20 && node_minor < 19))); then
    # Debian's own nodejs is older: the dashboard's build (Vite) needs Node 20.19+ from nodejs.org or NodeSource
    echo "Node $(node_version) found; the dashboard's build needs Node 20.19 or newer: install it from https://nodejs.org" >&2
    exit 1
  fi
fi

((${#missing[@]})) || exit 0
command="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}" >&2
  echo "run this once as root, then try again:" >&2
  echo "  sudo sh -c '$command'" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
