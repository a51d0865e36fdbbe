#!/bin/sh
# The image's entrypoint: start as root only to choose who runs the service, then drop root.
# The service runs as the owner of the mounted resident directory (DATABASE_DIR, ./database in
# docker-compose.yml), so that enrolling and deleting residents work whoever owns that folder on
# the host, with no build argument or `--user`. When that owner is root, it runs as the image's
# unprivileged `app` user (APP_UID, 1000) and hands the folder to it (`chown -R`), since the
# service never runs as root. STATE_DIR (the container's own volume) is given to the same user.
# Started as another user (`docker run --user`, compose `user:`) it runs as that user, unchanged.
set -eu
if [ "$(id -u)" != 0 ]; then
  exec "$@"
fi
uid=0
if [ -d "${DATABASE_DIR:-}" ]; then  # else the service says what is wrong with it
  uid=$(stat -c %u "$DATABASE_DIR")
  gid=$(stat -c %g "$DATABASE_DIR")
  [ "$gid" != 0 ] || gid=$uid  # not root's group either
fi
if [ "$uid" = 0 ]; then
  uid=$APP_UID
  gid=$APP_UID
  if [ -d "${DATABASE_DIR:-}" ] && [ -w "$DATABASE_DIR" ]; then  # not a read-only mount (the scale profile's workers)
    chown -R "$uid:$gid" "$DATABASE_DIR"
    echo "entrypoint: $DATABASE_DIR was owned by root; now by uid $uid, which runs the service"
  fi
fi
mkdir -p "$STATE_DIR"
if [ "$(stat -c %u "$STATE_DIR")" != "$uid" ]; then
  chown -R "$uid:$gid" "$STATE_DIR"
fi
exec setpriv --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all -- "$@"
