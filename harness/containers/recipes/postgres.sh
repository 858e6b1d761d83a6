#!/bin/sh
# rushhour's PostgreSQL recipe, one for every image source: the official postgres image (server
# binaries on PATH) and the offline Debian image (binaries in /usr/lib/postgresql/<major>/bin).
# Runs as the `postgres` user both images have.
#   postgres.sh primary [-c name=value ...]   initdb on first start, then serve
#   postgres.sh replica [-c name=value ...]   clone the primary (PRIMARY_HOST) as a streaming hot standby
# The data dir lives in the container's own layer, so a stopped or killed container restarts
# with its data, as a crashed server would.
set -eu
role=$1
shift
for dir in /usr/lib/postgresql/*/bin; do
  [ -d "$dir" ] && PATH="$dir:$PATH"
done
export PATH
data=/var/lib/postgresql/rushhour
if [ ! -s "$data/PG_VERSION" ]; then
  rm -rf "$data"
  case "$role" in
    primary)
      initdb -D "$data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync --no-instructions >/dev/null
      # Trust on the stack's private network only: its ports are published to the host's loopback.
      printf 'host all all 0.0.0.0/0 trust\nhost replication all 0.0.0.0/0 trust\n' >>"$data/pg_hba.conf"
      ;;
    replica)
      until pg_basebackup -h "${PRIMARY_HOST:?}" -p "${PRIMARY_PORT:-5432}" -U postgres -D "$data" -R -X stream -c fast --no-sync; do
        rm -rf "$data"
        sleep 0.2
      done
      ;;
    *)
      echo "postgres.sh: role must be primary or replica, not '$role'" >&2
      exit 64
      ;;
  esac
fi
exec postgres -D "$data" "$@"
