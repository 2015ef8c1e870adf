// SPDX-License-Identifier: BSD-3-Clause
// Unit tests that need DPDK (hashes, rings, mempools, devices) start a
// small EAL of their own: ordinary memory, no PCI, a file prefix of its own.
#pragma once

#include <rte_eal.h>
#include <rte_lcore.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void eal_test_start(void)
{
	char prefix[64];
	char *argv[] = {"unit-test", "--no-huge", "-m", "128", "--no-pci",
		"--log-level", "3", "-l", "0", "--file-prefix", prefix, NULL};

	snprintf(prefix, sizeof(prefix), "psw-unit-%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "cannot start the EAL\n");
		exit(1);
	}
}
