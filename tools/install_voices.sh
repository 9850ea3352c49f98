#!/usr/bin/env bash
# Install the speech synthesisers and recorded voices that the tts-timit corpus is spoken with.
#
# Quiet (no output, exit 0) when every package is already installed. Otherwise, as root on Debian, it
# enables the contrib and non-free components (mbrola is in contrib, its voices in non-free) and installs
# the packages. Anywhere else it prints the commands to run and exits 1, installing nothing.
set -euo pipefail

packages=(
  espeak-ng mbrola flite
  mbrola-us1 mbrola-us2 mbrola-us3 mbrola-en1
  mbrola-de1 mbrola-de2 mbrola-de3 mbrola-de4 mbrola-de5 mbrola-de6
  mbrola-fr1 mbrola-fr4 mbrola-af1 mbrola-nl2 mbrola-pl1 mbrola-ro1
  mbrola-sw1 mbrola-sw2 mbrola-hu1 mbrola-gr2
)
sources_file=/etc/apt/sources.list.d/contrib-nonfree.sources

if dpkg-query -W -f='${Status}\n' "${packages[@]}" 2>/dev/null | grep -c '^install ok installed$' \
    | grep -qx "${#packages[@]}"; then
  exit 0
fi

distro_id=""
codename="bookworm"
if [ -r /etc/os-release ]; then
  distro_id=$(. /etc/os-release && echo "${ID:-}")
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
fi

sources_text="Types: deb
URIs: http://deb.debian.org/debian
Suites: ${codename} ${codename}-updates
Components: contrib non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"

if [ "$distro_id" != debian ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  cat >&2 <<HINT
the speech voices are not installed; on Debian, as root, run:
  printf '%s\n' '${sources_text//$'\n'/"' '"}' > ${sources_file}
  apt-get update && apt-get install -y ${packages[*]}
(or run tools/install_voices.sh as root, which does exactly that)
HINT
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show mbrola-us1 >/dev/null 2>&1; then
  printf '%s\n' "$sources_text" > "$sources_file"
  apt-get update -q
fi
apt-get install -y -q "${packages[@]}"
