// SPDX-License-Identifier: BSD-3-Clause
#include "pmds/pmd_load.h"
#include "pmd.h"
#include "pmds/pmd_ctl.h"
#include "ports/port_ctl.h"

#include <string.h>

static struct load_window pmd_busy[PSW_MAX_PMDS], pmd_total[PSW_MAX_PMDS];
static unsigned slot, n_samples;

static void window_close(struct load_window *w, uint64_t counter)
{
	w->sample[slot] = counter - w->last;
	w->last = counter;
}

static uint64_t window_sum(const struct load_window *w, uint64_t counter)
{
	uint64_t sum = counter - w->last;

	for (unsigned i = 0; i < PMD_LOAD_INTERVALS; i++)
		sum += w->sample[i];
	return sum;
}

// The PMDs write their counters as they go: a racy read of an aligned
// 64-bit counter is a value it had.
static uint64_t busy_now(unsigned pmd)
{
	return *(volatile const uint64_t *)&pmd_ctl_get(pmd)->stats.busy_cycles;
}

static uint64_t total_now(unsigned pmd)
{
	return busy_now(pmd) + *(volatile const uint64_t *)&pmd_ctl_get(pmd)->stats.idle_cycles;
}

static uint64_t rxq_busy_now(const struct psw_port *p, uint16_t q)
{
	return *(volatile const uint64_t *)&p->rxq_stats[q].busy_cycles;
}

void pmd_load_sample(void)
{
	const struct port_table *t = dp_published()->ports;

	for (unsigned p = 0; p < pmd_ctl_count(); p++) {
		window_close(&pmd_busy[p], busy_now(p));
		window_close(&pmd_total[p], total_now(p));
	}
	for (uint32_t i = 0; t != NULL && i < t->n; i++) {
		const struct psw_port *port = t->by_ofport[t->ofports[i]];
		struct port_ctl *c = port->ctl;

		for (uint16_t q = 0; q < port->nb_rxq; q++)
			window_close(&c->rxq_load[q], rxq_busy_now(port, q));
	}
	slot = (slot + 1) % PMD_LOAD_INTERVALS;
	if (n_samples < PMD_LOAD_INTERVALS)
		n_samples++;
}

uint64_t pmd_load_rxq(const struct psw_port *p, uint16_t q)
{
	const struct port_ctl *c = p->ctl;

	return window_sum(&c->rxq_load[q], rxq_busy_now(p, q));
}

uint64_t pmd_load_busy(unsigned pmd)
{
	return window_sum(&pmd_busy[pmd], busy_now(pmd));
}

uint64_t pmd_load_total(unsigned pmd)
{
	return window_sum(&pmd_total[pmd], total_now(pmd));
}

unsigned pmd_load_samples(void)
{
	return n_samples;
}
