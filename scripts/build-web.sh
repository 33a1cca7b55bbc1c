#!/usr/bin/env bash
# Rebuild the web app's scripts and styles (frontend/) into the Python package
# (src/deerin/web/static/), from the npm registry at the versions package-lock.json pins.
# Users never run this: the built files are committed and ship inside the package.
set -euo pipefail
cd "$(dirname "$0")/../frontend"
npm ci --no-audit --no-fund
rm -rf ../src/deerin/web/static
npm run build
