# test/integration/clusters/wan_link.sh: the emulated WAN between two network
# namespaces, for the tests that run each cluster in its own namespace
# (netem_lag.sh, fanout_netns.sh). Source it after lib.sh.
#
# The link delays every frame 40 ms ± 10 ms (uniform) and loses 1 % of them,
# each way (a round trip of ~80 ms). It is
#   - a veth pair with `tc netem delay 40ms 10ms loss 1%` on both ends where
#     the kernel has sch_netem, else
#   - one TAP device in each namespace joined by wan_emulator.py, a userspace
#     emulator with netem's semantics for those parameters (this machine's and
#     CI's kernels have no sch_netem and cannot load modules).
# CCDR_WAN=userspace forces the emulator where netem exists; CCDR_WAN_SEED
# seeds its draws.
#
#   wan_link_can_run SCRIPT   exits 77 (skip) without root and iproute2
#   wan_link_up NS_A NS_B IP_A IP_B TAG
#       creates both namespaces and the link (IP_A/24 in NS_A, IP_B/24 in
#       NS_B); exits 77 when neither netem nor TAP devices are available.
#       Sets wan_dev_a, wan_dev_b (the link's device in each namespace),
#       wan_emulation (what carries the link, for the printed figures) and
#       wan_emu_pid (the emulator's PID, empty with netem).
#   wan_link_counts  one line of the link's frame counters per direction
#   wan_emulator_stop  stops the emulator by PID (before lib.sh's cleanup,
#       which SIGKILLs the jobs it finds left)
#   wan_link_down    wan_emulator_stop, then deletes the namespaces (which
#       removes the veth or TAP devices); safe to call more than once and
#       before wan_link_up. Call it from the test's EXIT trap.

wan_link_can_run() {
  if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
    echo "SKIPPED: $1 needs root and iproute2 (network namespaces)"
    exit 77
  fi
}

wan_ns_a="" wan_ns_b="" wan_root_veth="" wan_dev_a="" wan_dev_b="" wan_emulation="" wan_emu_pid=""

wan_link_up() {
  local ns_a="$1" ns_b="$2" ip_a="$3" ip_b="$4" tag="$5"
  modprobe sch_netem 2>/dev/null || true
  ip netns add "$ns_a"
  wan_ns_a="$ns_a"  # set once created: wan_link_down deletes only what this test made
  ip netns add "$ns_b"
  wan_ns_b="$ns_b"
  for ns in "$ns_a" "$ns_b"; do ip -n "$ns" link set lo up; done
  if [ "${CCDR_WAN:-}" != userspace ] && command -v tc >/dev/null; then
    ip link add "va$tag" type veth peer name "vb$tag"
    wan_root_veth="va$tag"  # in the root namespace until moved: wan_link_down removes it there
    ip link set "va$tag" netns "$ns_a"
    ip link set "vb$tag" netns "$ns_b"
    if tc -n "$ns_a" qdisc add dev "va$tag" root netem delay 40ms 10ms loss 1% 2>"$work/tc.err" &&
      tc -n "$ns_b" qdisc add dev "vb$tag" root netem delay 40ms 10ms loss 1% 2>>"$work/tc.err"; then
      wan_dev_a="va$tag" wan_dev_b="vb$tag"
      wan_emulation="tc netem"
    else
      echo "tc netem is not available ($(tr '\n' ' ' <"$work/tc.err")): using the userspace emulator"
      ip -n "$ns_a" link del "va$tag"  # removes both ends
    fi
  fi
  if [ -z "$wan_emulation" ]; then
    if [ ! -c /dev/net/tun ]; then
      echo "SKIPPED: neither tc netem nor /dev/net/tun (TAP devices for the userspace emulator) is available"
      exit 77
    fi
    wan_dev_a="ta$tag" wan_dev_b="tb$tag"
    if ! ip -n "$ns_a" tuntap add dev "$wan_dev_a" mode tap 2>"$work/tap.err" ||
      ! ip -n "$ns_b" tuntap add dev "$wan_dev_b" mode tap 2>>"$work/tap.err"; then
      echo "SKIPPED: no tc netem, and TAP devices cannot be created: $(tr '\n' ' ' <"$work/tap.err")"
      exit 77
    fi
    wan_emulation="userspace emulator on TAP devices (this kernel has no sch_netem)"
  fi
  ip -n "$ns_a" addr add "$ip_a/24" dev "$wan_dev_a"
  ip -n "$ns_b" addr add "$ip_b/24" dev "$wan_dev_b"
  ip -n "$ns_a" link set "$wan_dev_a" up
  ip -n "$ns_b" link set "$wan_dev_b" up
  if [ "$wan_emulation" != "tc netem" ]; then
    python3 "$(dirname "${BASH_SOURCE[0]}")/wan_emulator.py" --ns-a "$ns_a" --tap-a "$wan_dev_a" \
      --ns-b "$ns_b" --tap-b "$wan_dev_b" --delay-ms 40 --jitter-ms 10 --loss 0.01 --rt-priority 10 \
      --seed "${CCDR_WAN_SEED:-$tag}" --stats "$work/wan.json" >"$work/wan.out" 2>&1 &
    wan_emu_pid=$!
    for _ in $(seq 100); do [ -s "$work/wan.json" ] && break; wan_alive "$wan_emu_pid" || break; sleep 0.1; done
    [ -s "$work/wan.json" ] || { cat "$work/wan.out" >&2; fail "wan_emulator.py did not start"; }
  fi
  echo "link: $wan_emulation, 40 ms ± 10 ms and 1 % loss each way, $ip_a ($ns_a) <-> $ip_b ($ns_b)"
}

# wan_alive PID: PID runs and is not a zombie.
wan_alive() { [ -n "$1" ] && [ -e "/proc/$1" ] && ! grep -q ') Z ' "/proc/$1/stat" 2>/dev/null; }

wan_link_counts() {
  if [ -n "$wan_emu_pid" ]; then
    # The emulator's counters now (SIGUSR1 rewrites the file).
    rm -f "$work/wan.json"
    kill -USR1 "$wan_emu_pid"
    for _ in $(seq 50); do [ -s "$work/wan.json" ] && break; sleep 0.1; done
    python3 - "$work/wan.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("; ".join("%s %d forwarded, %d lost (%.2f %%), %d dropped at the queue limit, %d sent > 5 ms late (max %.1f ms)"
                % (w.replace("_to_", "->").upper(), s[w]["forwarded"], s[w]["lost"],
                   100.0 * s[w]["lost"] / max(1, s[w]["received"]), s[w]["dropped_queue_full"],
                   s[w]["late_over_5ms"], s[w]["late_ms_max"])
                for w in ("a_to_b", "b_to_a")))
PY
  else
    local pair
    for pair in "$wan_ns_a $wan_dev_a A->B" "$wan_ns_b $wan_dev_b B->A"; do
      set -- $pair
      tc -s -n "$1" qdisc show dev "$2" | awk -v w="$3" '/Sent/ { gsub(/[(,]/, " "); print w, $4, "sent,", $7, "dropped;" ; exit }'
    done | tr '\n' ' '
    echo
  fi
}

wan_emulator_stop() {
  if wan_alive "$wan_emu_pid"; then stop_pid "$wan_emu_pid"; fi
  [ -z "$wan_emu_pid" ] || wait "$wan_emu_pid" 2>/dev/null || true
  wan_emu_pid=""
}

wan_link_down() {
  wan_emulator_stop
  [ -z "$wan_ns_a" ] || ip netns del "$wan_ns_a" 2>/dev/null || true
  [ -z "$wan_ns_b" ] || ip netns del "$wan_ns_b" 2>/dev/null || true
  wan_ns_a="" wan_ns_b=""
  [ -z "$wan_root_veth" ] || ! ip link show "$wan_root_veth" >/dev/null 2>&1 || ip link del "$wan_root_veth" || true
  wan_root_veth=""
}
