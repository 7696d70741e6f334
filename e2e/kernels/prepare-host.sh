#!/usr/bin/env bash
# Makes this machine ready to boot kernel-matrix guests, and prints the directory of the guest
# kernel (the last line on stdout; everything else goes to stderr).
#   usage: e2e/kernels/prepare-host.sh            (root; idempotent, quick when all is there)
# Installs with apt what is missing of qemu-system-x86 and busybox-static, then takes Debian's
# kernel package (what linux-image-amd64 depends on, or $KOKER_KERNEL_PACKAGE) with
# `apt-get download`: unpacked, never installed, into $KOKER_KERNELS_CACHE/<package>/
# (default /var/cache/koker/kernels), trimmed of drivers a virtual machine has no use for,
# with a module index, and the base initramfs the guests start from (boot-guest.sh).
# A kernel directory counts once its `ready` file exists; it is never changed afterwards, so
# guests of other runs may boot from it while this runs again.
set -euo pipefail
umask 022

cache=${KOKER_KERNELS_CACHE:-/var/cache/koker/kernels}
say() { echo "prepare-host: $*" >&2; }

[ "$(id -u)" = 0 ] || { say "needs root (apt-get, and the guest's initramfs holds device nodes)"; exit 1; }

missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
# The static build: the initramfs has no C library for busybox to link against.
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# The kernel a Debian machine would install now (the meta package names the ABI, e.g.
# linux-image-6.1.0-57-amd64). Without package lists, apt-get update first.
kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
package=${KOKER_KERNEL_PACKAGE:-$(kernel_package)}
if [ -z "$package" ]; then
  apt-get update -qq >&2
  package=$(kernel_package)
fi
[ -n "$package" ] || { say "apt knows no linux-image-amd64 (is this Debian, with its main archive in the sources?)"; exit 1; }
dir=$cache/$package
if [ -f "$dir/ready" ]; then
  echo "$dir"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # one preparation at a time; the second finds the first one's result
if [ -f "$dir/ready" ]; then
  echo "$dir"
  exit 0
fi

work=$(mktemp -d "$cache/.new.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
say "downloading $package (Debian's kernel, unpacked here, not installed)"
(cd "$work" && apt-get download -qq -o APT::Sandbox::User=root "$package" >&2) || {
  apt-get update -qq >&2
  (cd "$work" && apt-get download -qq -o APT::Sandbox::User=root "$package" >&2)
}
dpkg-deb -x "$work"/"$package"_*.deb "$work/tree"
rm -f "$work"/*.deb
release=$(ls "$work/tree/lib/modules")
[ -f "$work/tree/boot/vmlinuz-$release" ] || { say "$package holds no boot/vmlinuz-$release"; exit 1; }

# Hardware a QEMU guest without devices never meets: about half the package's size.
modules=$work/tree/lib/modules/$release
rm -rf "$modules/kernel/sound" "$modules/kernel/drivers/"{gpu,media,infiniband,usb,scsi,iio,hwmon,bluetooth,staging,input,hid,isdn,mmc,nfc,platform,thunderbolt,video} \
  "$modules/kernel/drivers/net/"{wireless,ethernet,can,usb,wwan} "$modules/kernel/net/"{bluetooth,mac80211,wireless}
# The guest loads the rest on demand (veth, bridge, nf_tables, ...) with busybox modprobe,
# which reads this index.
/bin/busybox depmod -b "$work/tree" "$release"

# The base initramfs: busybox, the modules the guest needs before it reaches the host's files
# (virtio PCI, 9p over virtio, overlayfs) with everything they depend on, their own index, and a
# console. guest-init.sh and the command come in a second archive per boot.
boot=(virtio_pci virtio_rng 9pnet_virtio 9p overlay)
root=$work/initramfs
mkdir -p "$root"/{bin,dev,proc,sys,lib/modules/"$release"}
cp /bin/busybox "$root/bin/busybox"
mknod -m 600 "$root/dev/console" c 5 1
# modules.dep lines are "kernel/a/b.ko: kernel/c.ko kernel/d.ko", paths relative to $modules.
for name in "${boot[@]}"; do
  line=$(grep -E "/${name//_/[-_]}\.ko(\.[a-z]+)?:" "$modules/modules.dep" || true)
  if [ -z "$line" ]; then
    # Built into this kernel (no module): nothing to load.
    grep -qE "/${name//_/[-_]}\.ko" "$modules/modules.builtin" 2>/dev/null || say "warning: $name is neither a module nor built in"
    continue
  fi
  for file in ${line/:/}; do
    mkdir -p "$root/lib/modules/$release/$(dirname "$file")"
    cp "$modules/$file" "$root/lib/modules/$release/$file"
  done
done
cp "$modules"/modules.builtin* "$root/lib/modules/$release/" 2>/dev/null || true
/bin/busybox depmod -b "$root" "$release"
(cd "$root" && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$work/base.cpio.gz"
rm -rf "$root"
echo "$release" >"$work/release"
touch "$work/ready"
mv -T "$work" "$dir"
trap - EXIT

say "ready: $dir (kernel $release)"
echo "$dir"
