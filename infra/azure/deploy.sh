#!/usr/bin/env bash
# Reflex on Azure in the required order: infrastructure → code (zip deploy) → event subscriptions.
# Usage: infra/azure/deploy.sh <policy.yaml> [enforce|dry-run] [location] [responder-app-client-id]
# Needs: az (logged in, subscription selected), node/npm, zip. Run from the repository root.
set -euo pipefail
policy="${1:?usage: deploy.sh <policy.yaml> [enforce|dry-run] [location]}"
mode="${2:-dry-run}"
location="${3:-westeurope}"
responder_app="${4:-}"
here="$(cd "$(dirname "$0")" && pwd)"
params="$(mktemp --suffix .json)"

# 1. Infrastructure (subscription scope): resource group, Function App, identity, custom role, system topics.
npx tsx "$here/parameters.ts" "$policy" "$mode" $responder_app > "$params"
out="$(az deployment sub create -n reflex -l "$location" -f "$here/main.bicep" -p @"$params" \
  --query properties.outputs -o json)"
rg="$(node -e 'console.log(JSON.parse(process.argv[1]).resourceGroupName.value)' "$out")"
app="$(node -e 'console.log(JSON.parse(process.argv[1]).functionAppName.value)' "$out")"

# 2. Code: build the Functions app and zip-deploy it (Flex Consumption one-deploy).
npm run build -w azure-functions
(cd azure-functions/dist && rm -f ../reflex-app.zip && zip -qr ../reflex-app.zip .)
az functionapp deployment source config-zip -g "$rg" -n "$app" --src azure-functions/reflex-app.zip

# 3. Event subscriptions (the function endpoint exists now).
az deployment group create -n reflex-events -g "$rg" -f "$here/events.bicep" -p functionAppName="$app"
echo "Reflex deployed: $app in $rg ($mode)"
