#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A live demo, no cluster needed: pswitchd switches three DPDK "pods"
# (virtio-user processes) through vhost-user ports. Flows send pod1's UDP to
# pod2 and pod2's traffic back; everything else is L2-switched (NORMAL).
# Prints the switch's view with counters that moved, then stops all it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# --manifests DIR: the cluster's objects from DIR instead of the embedded
# deploy/demo-cluster.yaml
manifests=""
if [ "${1:-}" = --manifests ] && [ -n "${2:-}" ]; then
	manifests=$(realpath "$2")
elif [ $# -gt 0 ]; then
	echo "usage: $0 [--manifests DIR]" >&2
	exit 2
fi
[ -x build/pswitchd ] || deploy/host-setup.sh

run=$(mktemp -d /tmp/pswitch-demo.XXXXXX)
if [ -z "$manifests" ]; then
	manifests="$run/manifests"
	mkdir -p "$manifests"
	cp deploy/demo-cluster.yaml "$manifests/"
fi
ctl() { "$root/build/ctl/pswitchctl" --socket "$run/ctl.sock" "$@"; }
pids=()
netns=()
cleanup() {
	for n in "${netns[@]}"; do ip netns del "$n" 2>/dev/null || true; done
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$run"
}
trap cleanup EXIT

echo "== starting pswitchd (PMD on core 1, control on core 0)"
build/pswitchd --run-dir "$run" --control-socket "$run/ctl.sock" --file-prefix pswitch-demo \
	--no-restore --pmd-cores 1 --control-core 0 --memory 512 \
	--manifests "$manifests" --node-name demo-node >"$run/pswitchd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$run/ctl.sock" ] && ctl version >/dev/null 2>&1 && break; sleep 0.1; done
ctl version
echo "== the cluster, from $manifests"
ctl cluster
ctl nodes

echo "== adding pods' ports and flows"
for pod in pod1 pod2 pod3; do ctl add-port $pod vhost-user; done
ctl add-flows - <<FLOWS
# pod1's UDP goes to pod2, pod2 answers to pod1; the rest is an L2 switch
table=0,priority=100,in_port=pod1,udp,actions=output:pod2
table=0,priority=100,in_port=pod2,actions=output:pod1
table=0,priority=10,actions=NORMAL
FLOWS

frame() { # src dst dport
	/usr/bin/python3 -c "
from scapy.all import Ether, IP, UDP, raw
import sys
print(raw(Ether(src=sys.argv[1], dst=sys.argv[2]) / IP(src='10.244.0.1', dst='10.244.0.2') /
      UDP(sport=4000, dport=int(sys.argv[3])) / bytes(64)).hex())" "$@"
}
m1=02:00:0a:f4:00:01; m2=02:00:0a:f4:00:02; m3=02:00:0a:f4:00:03
f12=$(frame $m1 $m2 5000); f21=$(frame $m2 $m1 6000)
f3b=$(frame $m3 ff:ff:ff:ff:ff:ff 7000); f31=$(frame $m3 $m1 7001)

pod() { # name script...
	local name=$1; shift
	mkdir -p "$run/$name"
	printf '%s\n' "wait-file $run/go" "$@" > "$run/$name/script"
	build/tests/psw-peer --no-huge --core 0 --file-prefix "demo-$name" \
		--port "$name=$run/$name.sock" --script "$run/$name/script" --out "$run/$name" \
		--linger-ms 500 >"$run/$name/log" 2>&1 &
	pids+=($!)
}
echo "== starting three pods (virtio-user processes)"
pod pod1 "stream pod1 $f12 20000 4000"
pod pod2 "stream pod2 $f21 10000 4000"
pod pod3 "send pod3 $f3b 5" "sleep 200" "send pod3 $f31 10"
for _ in $(seq 200); do
	[ "$(ctl --json show | grep -c '"link": "up"')" = 3 ] && break
	sleep 0.1
done
touch "$run/go"
echo "== traffic for 4 seconds"
sleep 1
ctl pmd-stats-clear
sleep 2

echo; echo "== pswitchctl show"; ctl show
echo; echo "== pswitchctl dump-flows"; ctl dump-flows
echo; echo "== pswitchctl pmd-stats (the last 2 s)"; ctl pmd-stats
echo; echo "== pswitchctl drop-stats"; ctl drop-stats | grep -v " 0$" || echo "no drops"
echo; echo "== pswitchctl fdb-show"; ctl fdb-show
echo; echo "== pswitchctl trace in_port=pod3,dl_dst=$m1"; ctl trace "in_port=pod3,dl_dst=$m1"
for n in 1 2 3; do wait "${pids[$n]}" || true; done
echo; echo "== what the pods received"
for n in pod1 pod2 pod3; do
	printf '%s: ' $n
	/usr/bin/python3 -c "import json,sys; s=json.load(open(sys.argv[1]))[sys.argv[2]]; print('sent %d, received %d' % (s['tx'], s['rx']))" "$run/$n/summary.json" $n
done

echo; echo "== two ordinary pods (network namespaces) attached by pswitch-cni, as a runtime does"
cat > "$run/cni.conf" <<CONF
{"cniVersion": "1.0.0", "name": "demo", "type": "pswitch", "socket": "$run/ctl.sock",
 "stateDir": "$run/cni-state",
 "ipam": {"type": "host-local", "subnet": "10.244.1.0/24", "dataDir": "$run/ipam",
          "routes": [{"dst": "0.0.0.0/0"}]}}
CONF
cni() { # command pod
	env CNI_COMMAND=$1 CNI_CONTAINERID=demo-$2 CNI_NETNS=/var/run/netns/pswitch-demo-$2 \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=demo;K8S_POD_NAME=$2;K8S_POD_UID=demo-uid-$2" \
		CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni build/cni/pswitch-cni < "$run/cni.conf"
}
for p in web db; do
	ip netns add pswitch-demo-$p
	netns+=(pswitch-demo-$p)
	echo "-- ADD $p:"
	cni ADD $p 2>/dev/null | /usr/bin/python3 -c "import json,sys; r=json.load(sys.stdin); print('  interface %s in %s, MAC %s, address %s' % (r['interfaces'][1]['name'], r['interfaces'][1]['sandbox'], r['interfaces'][1]['mac'], r['ips'][0]['address']))"
done
db_ip=$(ip -n pswitch-demo-db -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)
echo "-- web pings db ($db_ip) through pswitchd:"
ip netns exec pswitch-demo-web busybox ping -c 3 -W 1 "$db_ip"
echo "-- bound to their Pod objects (pswitchctl pods; --all adds the other node's):"
ctl pods
ctl pods --all | grep cache || true
echo "-- their ports and port-security flows:"
ctl show | grep -A1 " psw"
ctl dump-flows | grep "cookie=0x50535700" || true
for p in web db; do cni DEL $p 2>/dev/null; done
echo "-- after DEL: $(ctl --json show | grep -c '"type": "af_packet"') kernel ports left"

ctl stop >/dev/null
wait "${pids[0]}" || true
echo "== pswitchd stopped; demo done"
