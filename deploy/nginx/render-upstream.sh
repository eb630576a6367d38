#!/bin/sh
# Keep nginx's list of server processes equal to what DNS says, so `docker compose up
# --scale server=3` and Kubernetes rollouts are picked up without restarting nginx (open
# source nginx resolves upstream names only when it loads its configuration).
#
# CHATROOM_BACKEND_HOST   name to resolve (compose: server; Kubernetes: backend-pods)
# CHATROOM_BACKEND_PORT   port of every server process (5000)
# CHATROOM_UPSTREAM_FILE  file included by chatroom.conf (/etc/nginx/chatroom-upstream.conf)
# CHATROOM_RESOLVE_EVERY  seconds between checks (10); `once` renders and exits
set -eu
host="${CHATROOM_BACKEND_HOST:-server}"
port="${CHATROOM_BACKEND_PORT:-5000}"
file="${CHATROOM_UPSTREAM_FILE:-/etc/nginx/chatroom-upstream.conf}"
every="${CHATROOM_RESOLVE_EVERY:-10}"

addresses() {
  if getent ahostsv4 localhost >/dev/null 2>&1; then
    getent ahostsv4 "$host" | awk '{print $1}'
  else
    # musl (alpine) has no ahostsv4: busybox nslookup prints one "Address:" per record.
    nslookup "$host" 2>/dev/null | awk '/^Name:/ {seen=1; next} seen && /^Address/ {print $NF}'
  fi | grep -E '^[0-9]+(\.[0-9]+){3}$' | sort -u
}

render() {
  list="$(addresses || true)"
  if [ -z "$list" ]; then
    # No process is ready yet: a valid upstream that answers 502 until one is.
    echo "server 127.0.0.1:$port down;"
  else
    echo "$list" | while read -r ip; do echo "server $ip:$port max_fails=1 fail_timeout=5s;"; done
  fi
}

update() {
  new="$(render)"
  if [ ! -f "$file" ] || [ "$new" != "$(cat "$file")" ]; then
    echo "$new" > "$file.tmp" && mv "$file.tmp" "$file"
    return 0
  fi
  return 1
}

update || true
[ "$every" = once ] && exit 0
# In the nginx image this file runs from /docker-entrypoint.d before nginx starts: watch
# in the background and reload nginx when the set of processes changes.
(
  while sleep "$every"; do
    if update; then nginx -s reload 2>/dev/null || true; fi
  done
) &
