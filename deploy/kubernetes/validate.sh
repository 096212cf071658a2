#!/usr/bin/env bash
# Validates deploy/kubernetes/*.yaml offline (no cluster): the Kubernetes API schemas (kubernetes-models + ajv, from
# npm, versions locked in validate/package-lock.json) and Cohortly's rules; then proves the checks can fail by running
# them on validate/fixtures/invalid, where every manifest must be refused. Needs node and npm (Debian's nodejs, npm).
set -euo pipefail
cd "$(dirname "$0")/validate"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
node validate.mjs ..
node validate.mjs --expect-invalid fixtures/invalid
