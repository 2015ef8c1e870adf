#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Prepares a Debian 12 host for pswitch: Debian's packages, hugepages, and a
# build in ./build. Run as root. Safe to run again.
#   deploy/host-setup.sh [--no-build] [--hugepages N]
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
hugepages=1024
while [ $# -gt 0 ]; do
	case "$1" in
	--no-build) build=0 ;;
	--hugepages) hugepages="$2"; shift ;;
	*) echo "usage: $0 [--no-build] [--hugepages N]" >&2; exit 2 ;;
	esac
	shift
done

if [ "$(id -u)" != 0 ]; then
	echo "host-setup: run as root (DPDK needs hugepages and device access)" >&2
	exit 1
fi

packages=(
	# build
	gcc clang libclang-rt-14-dev meson ninja-build pkg-config
	dpdk libdpdk-dev dpdk-dev libnuma-dev libjansson-dev libnl-3-dev
	libnl-route-3-dev liburcu-dev libcurl4-openssl-dev libevent-dev libyaml-dev
	# tests and tools
	libcmocka-dev python3 python3-scapy jq iproute2 procps
	# the CNI plugin's end-to-end tests: a real runtime and IPAM plugin
	podman containernetworking-plugins runc busybox-static
	# the suite's API server and the real clients that prove it
	python3-cryptography python3-yaml python3-kubernetes
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "host-setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# kubectl: the machines this runs on have a current one on PATH; elsewhere
# Debian's (kubernetes-client, older, enough for apply/get/delete)
if ! command -v kubectl >/dev/null; then
	apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null ||
		echo "host-setup: no kubectl; its tests are skipped" >&2
fi

# Hugepages: benchmarks want them; everything also runs without (--no-huge).
if ! mount | grep -q 'type hugetlbfs'; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
fi
have=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
if [ "$have" -lt "$hugepages" ]; then
	echo "$hugepages" > /proc/sys/vm/nr_hugepages 2>/dev/null || true
fi
echo "host-setup: $(grep HugePages_Free /proc/meminfo | awk '{print $2}') hugepages of 2 MiB free"

if [ "$build" = 1 ]; then
	[ -d build ] || meson setup build >/dev/null
	ninja -C build
fi
