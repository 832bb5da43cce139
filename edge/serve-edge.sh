#!/bin/sh
# `bun run serve:edge`: the built edge bundle (bun run build:edge) under `deno serve`, on
# 127.0.0.1 only, reading only its own folder, with no permission but the loopback network
# and the DDIM_TOKEN variable (bearer auth when set). PORT (default 8787) and DDIM_EDGE_DIR
# (default dist/edge) change where. Deno replaces this shell (exec), so a SIGTERM reaches it.
bundle="${DDIM_EDGE_DIR:-dist/edge}"
if [ ! -f "$bundle/worker.js" ]; then
  echo "error: no edge bundle at $bundle/worker.js; run bun run build:edge first" >&2
  exit 2
fi
deno="$(bun edge/deno-binary.ts)" || exit 2
exec "$deno" serve --no-prompt --allow-net=127.0.0.1 --allow-read="$bundle" --allow-env=DDIM_TOKEN \
  --host 127.0.0.1 --port "${PORT:-8787}" "$bundle/worker.js"
