#!/usr/bin/env bash
# Builds the container image (make image) and runs docker/test_image.py against it with podman.
# Installs podman and runc from Debian's packages when they are missing and this is root; if podman
# cannot be installed or cannot run a container here, says so and skips (exit 0, "SKIPPED" line).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

skip() {
  echo "image test SKIPPED: $*"
  exit 0
}

if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing podman and runc (Debian packages)"
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman runc) >/tmp/sqs-local-podman-install.log 2>&1 ||
      skip "podman could not be installed (see /tmp/sqs-local-podman-install.log)"
  else
    skip "podman is not installed and cannot be installed here (needs root and apt-get)"
  fi
fi

make image
podman="podman --runtime runc --cgroup-manager cgroupfs"
limits="--ulimit nofile=20000:20000 --ulimit nproc=1000:1000"
if ! $podman run --rm $limits sqs-local:latest --version >/dev/null 2>/tmp/sqs-local-podman-run.log; then
  skip "podman cannot run a container on this machine: $(tail -1 /tmp/sqs-local-podman-run.log)"
fi

# boto3 from the compat suite's virtualenv (compat-tests/run.sh makes it).
python="$root/compat-tests/.venv/bin/python"
[ -x "$python" ] || { python3 -m venv compat-tests/.venv && compat-tests/.venv/bin/pip install --quiet -r compat-tests/python/requirements.txt; }
# podman-compose parses docker/compose.yml as a compose tool would (test_image.py says when it is missing).
[ -x compat-tests/.venv/bin/podman-compose ] || compat-tests/.venv/bin/pip install --quiet podman-compose ||
  echo "podman-compose could not be installed from PyPI: compose.yml gets the structural check only"
"$python" docker/test_image.py
