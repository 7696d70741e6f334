#!/bin/sh
# The same per-container steps as koker's bridge driver, with iproute2, N times:
#   sh bench/net/iproute2-cycle.sh BRIDGE PREFIX N   (PREFIX like 10.123.45: address PREFIX.250)
set -e
bridge=$1 prefix=$2 count=$3
i=0
while [ "$i" -lt "$count" ]; do
  ns=koker-bn$$-$i host=veth$$x$i
  ip netns add "$ns"
  ip link add "$host" mtu 1500 type veth peer name eth0 netns "$ns" mtu 1500
  ip link set "$host" master "$bridge"
  ip -n "$ns" addr add "$prefix.250/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "$prefix.1"
  ip -n "$ns" link set lo up
  ip link set "$host" up
  ip link del "$host"
  ip netns del "$ns"
  i=$((i + 1))
done
