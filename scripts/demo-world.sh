# SPDX-License-Identifier: Apache-2.0
# Builds and removes the demo's throwaway world (sourced by scripts/demo).
# Namespaces: sandbox (docker0, hydra1, eth0), three containers on docker0
# (buildkit, builder, desktop; the desktop also on hydra1) and "host", the far
# end of the sandbox's own eth0.
DEMO=${DEMO_PREFIX:-hydra-demo}
SBX=$DEMO-sbx
CONTAINERS=(buildkit builder desktop)

world_down() {
  local ns
  for ns in "$SBX" "$DEMO-host" "${CONTAINERS[@]/#/$DEMO-}"; do
    ip netns del "$ns" 2>/dev/null || true
  done
}

world_up() {
  world_down
  ip netns add "$SBX"
  ip netns add "$DEMO-host"
  ip -n "$SBX" link set lo up
  # docker0 as the main dockerd makes it, with a fixed MAC and an IPv6 ULA.
  ip -n "$SBX" link add docker0 address 02:42:0a:d5:00:01 type bridge
  ip -n "$SBX" addr add 10.213.0.1/24 broadcast 10.213.0.255 dev docker0
  ip -n "$SBX" addr add fd00:d0c::1/64 dev docker0 nodad
  ip -n "$SBX" link set docker0 up
  local i=2 c
  for c in "${CONTAINERS[@]}"; do
    ip netns add "$DEMO-$c"
    ip -n "$DEMO-$c" link set lo up
    ip -n "$SBX" link add "veth-$c" type veth peer name eth0 netns "$DEMO-$c"
    ip -n "$SBX" link set "veth-$c" master docker0 up
    ip -n "$DEMO-$c" addr add "10.213.0.$i/24" dev eth0
    ip -n "$DEMO-$c" addr add "fd00:d0c::$i/64" dev eth0 nodad
    ip -n "$DEMO-$c" link set eth0 up
    ip -n "$DEMO-$c" route add default via 10.213.0.1
    i=$((i + 1))
  done
  # The sandbox's own eth0: a veth without a master, as in a container.
  ip -n "$SBX" link add eth0 type veth peer name uplink netns "$DEMO-host"
  ip -n "$SBX" addr add 192.0.2.2/24 dev eth0
  ip -n "$SBX" link set eth0 up
  ip -n "$DEMO-host" link set uplink up
  # A session bridge with the desktop's second leg on it.
  ip -n "$SBX" link add hydra1 type bridge
  ip -n "$SBX" addr add 10.200.1.1/24 dev hydra1
  ip -n "$SBX" link set hydra1 up
  ip -n "$SBX" link add vethb-h1 type veth peer name eth1 netns "$DEMO-desktop"
  ip -n "$SBX" link set vethb-h1 master hydra1 up
  ip -n "$DEMO-desktop" addr add 10.200.1.254/24 dev eth1
  ip -n "$DEMO-desktop" link set eth1 up
}

# Runs a command inside the sandbox namespace without `ip netns exec`, which
# would remount /sys.
in_sbx() { nsenter --net="/var/run/netns/$SBX" "$@"; }
