# Shared shell helpers for the project's scripts. Source it; it defines functions only.

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs Debian packages that are missing, once per run (apt-get update only when needed).
ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  if [ ! -f /tmp/.tpc-apt-updated ]; then
    $sudo apt-get update -qq || die "apt-get update failed"
    touch /tmp/.tpc-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# Picks a free loopback TCP port (the kernel's choice), printed on stdout.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Checks a native file of a release artifact: no GLIBC_ symbol version past the 2.17 floor,
# stripped, and for the library the SONAME given. Dies naming the file as NAME.
#   check_native FILE SONAME [NAME]
check_native() {
  local elf=$1 want=$2 name=${3:-$1} newest soname
  newest=$(objdump -T "$elf" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
  if [ -n "$newest" ] && [ "$(printf '%s\n2.17\n' "$newest" | sort -V | tail -1)" != 2.17 ]; then
    die "$name needs GLIBC_$newest, past the 2.17 floor"
  fi
  if file -b "$elf" | grep -q 'not stripped'; then die "$name is not stripped"; fi
  if file -b "$elf" | grep -q 'shared object' && [[ "$elf" == *libtemporal_payload_codec* ]]; then
    soname=$(readelf -d "$elf" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
    [ "$soname" = "$want" ] || die "$name has SONAME '$soname', not $want"
  fi
}
