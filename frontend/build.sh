#!/usr/bin/env bash
# Build Cluster Exchange's front-end assets into static/dist/ (committed).
#
#   bash frontend/build.sh      # from anywhere
#
# 1. npm ci (exact versions from package-lock.json; optional deps such as
#    sass's file watcher are skipped, they are only needed for --watch)
# 2. Sass: frontend/src/site.scss -> static/dist/site.css (compressed)
# 3. Copy GOV.UK Frontend's JavaScript and our two small scripts
# 4. Copy our icons and web app manifest to static/dist/assets/
# 5. Draw the map of Great Britain (frontend/src/map/build-gb-map.mjs), written to
#    templates/dashboards/_gb_outline.html and dashboards/gb_map.json
set -euo pipefail

frontend="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$frontend")"
dist="$root/static/dist"
govuk="$frontend/node_modules/govuk-frontend/dist/govuk"

cd "$frontend"

echo "==> npm ci"
npm ci --no-audit --no-fund --omit=optional

echo "==> Cleaning $dist"
rm -rf "$dist"
mkdir -p "$dist/assets/images"

echo "==> Compiling Sass"
# --quiet-deps silences deprecation warnings coming from govuk-frontend.
npx --no-install sass \
  --pkg-importer=node \
  --style=compressed \
  --no-source-map \
  --quiet-deps \
  src/site.scss "$dist/site.css"

echo "==> Copying JavaScript"
cp "$govuk/govuk-frontend.min.js" "$dist/govuk-frontend.min.js"
# Ship the source map too: the .min.js references it, and Django's
# ManifestStaticFilesStorage fails collectstatic on missing references.
cp "$govuk/govuk-frontend.min.js.map" "$dist/govuk-frontend.min.js.map"
cp src/js/init.js "$dist/init.js"
cp src/js/js-enabled.js "$dist/js-enabled.js"

echo "==> Copying assets"
cp src/assets/manifest.json "$dist/assets/manifest.json"
cp src/assets/images/* "$dist/assets/images/"

# Guard: every url() in the CSS must point at a file we ship.
missing=0
while IFS= read -r url; do
  case "$url" in
    /static/dist/*)
      if [ ! -f "$dist/${url#/static/dist/}" ]; then
        echo "ERROR: site.css references missing file $url" >&2
        missing=1
      fi
      ;;
    data:*) ;;
    *)
      echo "ERROR: site.css references unexpected URL $url" >&2
      missing=1
      ;;
  esac
done < <(grep -o 'url([^)]*)' "$dist/site.css" | sed -E 's/^url\(["'"'"']?//; s/["'"'"']?\)$//' | sort -u)
if grep -q 'GDS Transport\|@font-face' "$dist/site.css"; then
  echo "ERROR: site.css still contains GDS Transport / @font-face" >&2
  missing=1
fi
[ "$missing" -eq 0 ] || exit 1

echo "==> Drawing the map of Great Britain"
node src/map/build-gb-map.mjs

echo "==> Built:"
(cd "$dist" && find . -type f | sort | sed 's|^\./|  static/dist/|')
