#!/bin/sh
# Entry point of the SUT image: `service.sh` runs the service named by SERVICE_NAME (gateway,
# matching or booking); `service.sh migrate` applies the database migrations and exits.
set -eu
if [ "${1:-}" = migrate ]; then exec node /app/dist/migrate.mjs; fi
case "${SERVICE_NAME:-}" in
  gateway|matching|booking) exec node "/app/dist/${SERVICE_NAME}.mjs" ;;
  *) echo "service.sh: SERVICE_NAME must be gateway, matching or booking, not '${SERVICE_NAME:-}'" >&2; exit 64 ;;
esac
