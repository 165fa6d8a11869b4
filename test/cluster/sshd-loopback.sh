#!/usr/bin/env bash
# An sshd on 127.0.0.1 for the cluster tests' ssh route, with a key pair made for the test:
#   test/cluster/sshd-loopback.sh start DIR   writes DIR/id_ed25519(.pub), DIR/sshd_config, host keys,
#                                             starts sshd on 127.0.0.1:$SSHD_PORT (default 2222) and
#                                             prints the ssh options a client needs
#   test/cluster/sshd-loopback.sh stop DIR
# The key is authorised for the current user only through DIR/authorized_keys (AuthorizedKeysFile),
# so ~/.ssh is left alone. Needs Debian's openssh-server (installed if missing, as root).
set -euo pipefail
cmd="${1:-}"
dir="${2:-}"
port="${SSHD_PORT:-2222}"
[ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

case "$cmd" in
  start)
    if [ ! -x /usr/sbin/sshd ]; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq && apt-get install -y -qq openssh-server openssh-client >/dev/null
    fi
    mkdir -p "$dir" /run/sshd
    chmod 700 "$dir"
    [ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519"
    [ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/id_ed25519"
    cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
    chmod 600 "$dir/authorized_keys"
    cat >"$dir/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $port
HostKey $dir/host_ed25519
AuthorizedKeysFile $dir/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PidFile $dir/sshd.pid
Subsystem sftp internal-sftp
CONF
    /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
    for _ in $(seq 1 40); do
      if ssh -p "$port" -i "$dir/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o LogLevel=ERROR 127.0.0.1 true 2>/dev/null; then
        echo "-p $port -i $dir/id_ed25519 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
        exit 0
      fi
      sleep 0.25
    done
    echo "sshd-loopback: sshd did not accept the test key; see $dir/sshd.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$dir/sshd.pid" ]; then kill "$(cat "$dir/sshd.pid")" 2>/dev/null || true; fi
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
