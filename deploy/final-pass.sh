#!/bin/sh
# The final pass, for hosts without Node: run by the new docker.service before dockerd starts
# (deploy/docker.service.d/cas-migrate.conf), with the legacy daemon stopped. It syncs the
# overlay2 layout with what the legacy daemon left (seconds: unchanged layers are not read) and
# lets dockerd start only on a complete migration. Nothing to do once the legacy data is gone.
root=${1:-/var/lib/docker}
bin=${CAS_MIGRATE:-/opt/cas-migrate/cas-migrate}
if [ ! -d "$root/graph" ] && [ ! -d "$root/image/aufs" ] && [ ! -d "$root/image/overlay" ] && [ ! -d "$root/image/vfs" ]; then
  exit 0  # finalized, or never a legacy root
fi
grep -q '"finalizedTo"' "$root/.cas-migrate.json" 2>/dev/null && exit 0
"$bin" --root "$root" --quiet
rc=$?
# 0: migrated; 3: migrated, something named in the report left out (skipped containers, dropped
# tags): dockerd may start. Anything else (1 stopped, 5 a daemon still running) keeps it down.
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]
