#!/usr/bin/env bash
# Installs the Debian 12 packages Holdfast needs to build, run and test, and
# only those that are missing: running it twice installs nothing the second
# time.  `--check` installs nothing and exits 1 if anything is missing.
set -euo pipefail

PACKAGES=(
  # build (libsrt: the GnuTLS flavour, the one GStreamer's srt plugin links;
  # two flavours in one process share symbol names and deadlock)
  gcc make pkg-config libglib2.0-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libgstreamer-plugins-bad1.0-dev
  libsrt-gnutls-dev libsrtp2-dev libnice-dev libssl-dev
  libsoup-3.0-dev libjson-glib-dev
  # run: elements the relay and hf-push use
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  gstreamer1.0-x gstreamer1.0-tools fonts-dejavu-core
  # test peers
  ffmpeg srt-tools curl jq procps iproute2
  # /metrics is checked with Prometheus's promtool; the dashboard is driven
  # in headless Chromium through ChromeDriver
  prometheus chromium chromium-driver
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "missing: ${missing[*]}"
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when installing; a stale or empty list is
# the usual reason a fresh machine cannot find a package.
$SUDO apt-get update -q >&2
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
