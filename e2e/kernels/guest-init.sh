#!/bin/busybox sh
# PID 1 of a kernel-matrix guest (boot-guest.sh puts it in the initramfs as /init).
# The guest gets the host's / read-only over 9p; a tmpfs-backed overlay on top of it becomes the
# guest's root, so the host's node, the checkout and the checks run unchanged and everything
# they write stays in guest memory. Then the cgroup layout asked for is mounted the way systemd
# would, the command runs (/cmd.sh, from the per-boot archive) and its status goes out on the
# second serial port before the guest powers off.
# Kernel command line: koker_layout=unified|legacy|hybrid  koker_modules=<host dir of lib/modules>
/bin/busybox mkdir -p /proc /sys /dev /host /upper /newroot
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

layout=
modules=
for arg in $(cat /proc/cmdline); do
  case $arg in
    koker_layout=*) layout=${arg#*=} ;;
    koker_modules=*) modules=${arg#*=} ;;
  esac
done

# The status line boot-guest.sh reads; 125 says the guest itself failed.
finish() {
  echo "status $1" >/dev/ttyS1
  sync
  poweroff -f
  sleep 60
}
fail() {
  echo "guest-init: $*"
  finish 125
}

# Dependencies come from the initramfs's own module index.
modprobe -a virtio_pci virtio_rng 9pnet_virtio 9p overlay || fail "cannot load the boot modules"
# The virtio device may show up a moment after its driver loads.
tries=0
until mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro host /host 2>/dev/null; do
  tries=$((tries + 1))
  [ $tries -lt 50 ] || fail "cannot mount the host's files (9p tag host)"
  sleep 0.1
done
mount -t tmpfs -o mode=0755 upper /upper
mkdir /upper/data /upper/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/upper/data,workdir=/upper/work /newroot ||
  fail "cannot mount the overlay root"

r=/newroot
mount -t proc proc $r/proc || fail "cannot mount proc"
mount -t sysfs sysfs $r/sys || fail "cannot mount sysfs"
mount -t devtmpfs devtmpfs $r/dev || fail "cannot mount /dev"
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $r/dev/pts
mount -t tmpfs -o mode=1777 shm $r/dev/shm
mount -t tmpfs -o mode=0755 run $r/run || fail "cannot mount /run"

# Like systemd: one hierarchy per v1 controller, cpu+cpuacct and net_cls+net_prio paired (with
# the single names as links), and a name=systemd hierarchy.
cg=$r/sys/fs/cgroup
mount_v1() {
  mount -t tmpfs -o mode=0755,nosuid,nodev,noexec cgroup $cg || fail "cannot mount the cgroup tmpfs"
  for controller in $(awk 'NR > 1 && $4 == 1 { print $1 }' /proc/cgroups); do
    case $controller in
      cpu | cpuacct) hierarchy=cpu,cpuacct ;;
      net_cls | net_prio) hierarchy=net_cls,net_prio ;;
      *) hierarchy=$controller ;;
    esac
    [ -d $cg/$hierarchy ] && continue
    mkdir $cg/$hierarchy
    mount -t cgroup -o nosuid,nodev,noexec,$hierarchy cgroup $cg/$hierarchy || fail "cannot mount the v1 $hierarchy hierarchy"
  done
  for pair in cpu,cpuacct net_cls,net_prio; do
    [ -d $cg/$pair ] || continue
    ln -s $pair $cg/${pair%,*}
    ln -s $pair $cg/${pair#*,}
  done
  mkdir $cg/systemd
  mount -t cgroup -o nosuid,nodev,noexec,none,name=systemd cgroup $cg/systemd || fail "cannot mount name=systemd"
}
case $layout in
  unified)
    mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 $cg || fail "cannot mount cgroup2"
    for controller in $(cat $cg/cgroup.controllers); do
      echo "+$controller" >$cg/cgroup.subtree_control || fail "cannot enable the $controller controller"
    done
    ;;
  legacy) mount_v1 ;;
  hybrid)
    mount_v1
    mkdir $cg/unified
    mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate cgroup2 $cg/unified || fail "cannot mount cgroup2 at unified"
    ;;
  *) fail "unknown koker_layout=$layout (unified, legacy, hybrid)" ;;
esac

# The rest of the kernel's modules (veth, bridge, nf_tables, ...) load on demand: the unpacked
# package seen through the share, read by busybox modprobe, which the kernel is told to call.
mkdir -p $r/run/guest
cp /bin/busybox $r/run/guest/busybox
if [ -n "$modules" ] && [ -d "$r$modules/$(uname -r)" ]; then
  mkdir -p $r/usr/lib/modules
  mount --bind "$r$modules" $r/usr/lib/modules
  printf '#!/run/guest/busybox sh\nexec /run/guest/busybox modprobe "$@"\n' >$r/run/guest/modprobe
  chmod 755 $r/run/guest/modprobe
  echo /run/guest/modprobe >/proc/sys/kernel/modprobe
fi

# Stage two runs in the new root with the host's shell; the initramfs is freed by switch_root.
cp /cmd.sh $r/run/guest/cmd.sh || fail "no /cmd.sh in the initramfs"
cat >$r/run/guest/stage2 <<EOF
#!/run/guest/busybox sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8 GUEST_CGLAYOUT=$layout
cd /
/bin/sh /run/guest/cmd.sh </dev/null
status=\$?
echo "status \$status" >/dev/ttyS1
/run/guest/busybox sync
/run/guest/busybox poweroff -f
/run/guest/busybox sleep 60
EOF
chmod 755 $r/run/guest/stage2
exec switch_root $r /run/guest/stage2 </dev/console >/dev/console 2>&1
