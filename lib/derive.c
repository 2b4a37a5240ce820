// SPDX-License-Identifier: GPL-2.0
/* include/nvmx/derive.h: the glossary's derived quantities (docs/model.md). */
#include <linux/types.h>

#include "nvmx/breakdown.h"
#include "nvmx/derive.h"

double nvmx_mean(uint64_t sum, uint64_t count)
{
	return count ? (double)sum / (double)count : 0;
}

double nvmx_share(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : 0;
}

double nvmx_exit_multiplication(uint64_t l1_exits_in_round_trips, uint64_t round_trips)
{
	return nvmx_mean(l1_exits_in_round_trips, round_trips);
}

double nvmx_l0_exits_per_round_trip(uint64_t l1_exits_in_round_trips, uint64_t round_trips)
{
	return round_trips ? nvmx_exit_multiplication(l1_exits_in_round_trips, round_trips) + 2 : 0;
}

double nvmx_reflected_share(uint64_t handled_by_l0, uint64_t handled_by_l1)
{
	return nvmx_share(handled_by_l1, handled_by_l0 + handled_by_l1);
}

uint64_t nvmx_bd_l1_exits(const struct nvmx_bd_entry *e)
{
	uint64_t n = 0;

	for (size_t k = 0; k < e->n_l1; k++)
		n += e->l1[k].count;
	return n;
}

void nvmx_summary_round_trip_totals(const struct nvmx_summary *s, uint64_t *round_trips,
				    uint64_t *l1_exits)
{
	const struct nvmx_bd_entry *e;
	size_t n = nvmx_summary_breakdowns(s, &e);

	*round_trips = 0;
	*l1_exits = 0;
	for (size_t i = 0; i < n; i++) {
		if (e[i].kind != NVMX_BD_ROUND_TRIP)
			continue;
		*round_trips += e[i].count;
		*l1_exits += nvmx_bd_l1_exits(&e[i]);
	}
}
