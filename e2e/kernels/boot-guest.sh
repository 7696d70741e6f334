#!/usr/bin/env bash
# Boots Debian's kernel in a QEMU guest with one cgroup layout and runs a shell command there.
#   usage: e2e/kernels/boot-guest.sh unified|legacy|hybrid 'COMMAND'     (root)
# The command runs with the host's /bin/sh in $GUEST_CWD (default: the current directory), as root,
# on the host's files seen read-only under a copy-on-write root in guest memory (guest-init.sh),
# with stdin from /dev/null and no network card. The guest's console (the kernel's messages and
# the command's output) streams to stdout as it comes.
# Exits with the command's status; 124 when the guest ran out of time, 125 when it failed itself.
# Environment: GUEST_TIMEOUT (seconds, 900), GUEST_MEM (MiB, 1024), GUEST_SMP (vCPUs, 2),
# GUEST_APPEND (more kernel arguments, e.g. loglevel=4). QEMU emulates the CPU (TCG): no KVM needed,
# and a VM without nested virtualisation runs it too.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
layout=${1:-}
command=${2:-}
case $layout in
  unified | legacy | hybrid) ;;
  *)
    echo "usage: $0 unified|legacy|hybrid 'COMMAND'" >&2
    exit 2
    ;;
esac
[ -n "$command" ] || {
  echo "usage: $0 $layout 'COMMAND'" >&2
  exit 2
}

kernel=$(bash "$here/prepare-host.sh" | tail -n 1) || exit 125
release=$(cat "$kernel/release")

work=$(mktemp -d /tmp/koker-guest.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The per-boot archive: this checkout's init, and the command in its directory. The kernel
# unpacks concatenated archives in order, over the base one.
mkdir "$work/boot"
cp "$here/guest-init.sh" "$work/boot/init"
chmod 755 "$work/boot/init"
cwd=${GUEST_CWD:-$PWD}
printf "cd '%s' || exit 125\n%s\n" "${cwd//\'/\'\\\'\'}" "$command" >"$work/boot/cmd.sh"
(cd "$work/boot" && printf '%s\n' init cmd.sh | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$work/boot.cpio.gz"
cat "$kernel/base.cpio.gz" "$work/boot.cpio.gz" >"$work/initrd"

# ttyS0 is the console (stdout); ttyS1 carries the command's status into a file.
timeout -k 5 "${GUEST_TIMEOUT:-900}" qemu-system-x86_64 \
  -machine q35 -accel tcg -cpu max -m "${GUEST_MEM:-1024}" -smp "${GUEST_SMP:-2}" \
  -nodefaults -no-user-config -display none -no-reboot \
  -serial stdio -serial "file:$work/status" \
  -kernel "$kernel/tree/boot/vmlinuz-$release" -initrd "$work/initrd" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 8250.nr_uarts=2 koker_layout=$layout koker_modules=$kernel/tree/lib/modules ${GUEST_APPEND:-}" \
  -device virtio-rng-pci \
  -virtfs "local,path=/,mount_tag=host,security_model=passthrough,readonly=on,multidevs=remap" \
  </dev/null 2>"$work/qemu.err"
qemu=$?
[ -s "$work/qemu.err" ] && cat "$work/qemu.err" >&2
status=$(grep -a -o 'status [0-9]*' "$work/status" 2>/dev/null | tail -n 1 | cut -d' ' -f2)
if [ -n "$status" ]; then exit "$status"; fi
if [ $qemu = 124 ]; then
  echo "boot-guest: the guest did not finish in ${GUEST_TIMEOUT:-900} s" >&2
  exit 124
fi
echo "boot-guest: the guest ended without a status (qemu exited $qemu)" >&2
exit 125
