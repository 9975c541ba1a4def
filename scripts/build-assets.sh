#!/usr/bin/env bash
# Builds Senco's front-end assets into assets/dist/ (served at /assets/).
#
#   assets/dist/senco.css                  Sass build of govuk-frontend + Senco styles
#   assets/dist/govuk-frontend.min.js(.map) GOV.UK Frontend's ES module bundle
#   assets/dist/init.mjs                   Senco's module that initialises it
#   assets/dist/manifest.json              web app manifest
#   assets/dist/images/                    Senco's favicons (not GOV.UK's crown)
#
# Idempotent; runs from any working directory. Needs node and npm.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

step() { printf 'build-assets: %s\n' "$*"; }
die() { printf 'build-assets: error: %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || die "node is not installed (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 || die "npm is not installed (Debian: apt-get install npm)"
[ -f package-lock.json ] || die "package-lock.json is missing in $repo"

# 1. Node modules, only when missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ] \
   || [ ! -f node_modules/govuk-frontend/package.json ] || [ ! -x node_modules/.bin/sass ]; then
  step "installing node modules (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules
else
  step "node modules up to date"
fi

gf="node_modules/govuk-frontend/dist/govuk"
[ -f "$gf/govuk-frontend.min.js" ] || die "$gf/govuk-frontend.min.js not found: is govuk-frontend installed?"

dist="assets/dist"
mkdir -p "$dist/images"

# 2. Stylesheet. Written to a temporary file first so a failed build never
#    leaves a half-written senco.css behind.
step "compiling assets/scss/senco.scss -> $dist/senco.css"
node_modules/.bin/sass --no-source-map --style=compressed --load-path=node_modules \
  assets/scss/senco.scss "$dist/senco.css.tmp"
mv -f "$dist/senco.css.tmp" "$dist/senco.css"
if grep -q "GDS Transport" "$dist/senco.css"; then
  die "$dist/senco.css names the GDS Transport font: check \$govuk-font-family in senco.scss"
fi
if grep -Eq "govuk-crest|crown[^_a-z-]*\.(svg|png)" "$dist/senco.css"; then
  die "$dist/senco.css references the GOV.UK crest or crown"
fi

# 3. Scripts.
step "copying govuk-frontend.min.js and init.mjs -> $dist/"
cp -f "$gf/govuk-frontend.min.js" "$dist/govuk-frontend.min.js"
if [ -f "$gf/govuk-frontend.min.js.map" ]; then
  cp -f "$gf/govuk-frontend.min.js.map" "$dist/govuk-frontend.min.js.map"
fi
cp -f assets/js/init.mjs "$dist/init.mjs"

# 4. Icons and manifest. Senco's own: govuk-frontend's favicons, touch icons
#    and mask icon all show the crown, which only GOV.UK may use.
step "copying favicons and manifest -> $dist/"
for f in favicon.ico favicon.svg apple-touch-icon.png; do
  cp -f "assets/images/$f" "$dist/images/$f"
done
cp -f assets/manifest.json "$dist/manifest.json"
# Leftovers from older builds that copied GOV.UK's images.
rm -f "$dist"/images/govuk-* "$dist"/images/*crest* "$dist"/images/*crown*

step "done: $(du -sh "$dist" | cut -f1) in $dist"
