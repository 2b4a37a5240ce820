// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx's MSR and port exit families (src/metrics.h): the bounded top offenders, with the numbers
 * of nvmx bitmap.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nvmx/bitmap_rules.h"
#include "nvmx/exit_reasons.h"
#include "metrics.h"

static int cmp_io_value(const struct nvmx_io_value *a, const struct nvmx_io_value *b)
{
	if (a->sum_ns != b->sum_ns)
		return a->sum_ns > b->sum_ns ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return 0;
}

static int cmp_msr_cost(const void *pa, const void *pb)
{
	return cmp_io_value(&(*(const struct nvmx_counters_msr *const *)pa)->v,
			    &(*(const struct nvmx_counters_msr *const *)pb)->v);
}

static int cmp_port_cost(const void *pa, const void *pb)
{
	return cmp_io_value(&(*(const struct nvmx_counters_port *const *)pa)->v,
			    &(*(const struct nvmx_counters_port *const *)pb)->v);
}

static bool msr_exported(const struct nvmxd_io_top *t, const struct nvmx_msr_key *k)
{
	for (size_t i = 0; i < t->n_msrs; i++)
		if (!memcmp(&t->msrs[i], k, sizeof(*k)))
			return true;
	return false;
}

static bool port_exported(const struct nvmxd_io_top *t, const struct nvmx_port_key *k)
{
	for (size_t i = 0; i < t->n_ports; i++)
		if (!memcmp(&t->ports[i], k, sizeof(*k)))
			return true;
	return false;
}

/*
 * Admits the costliest keys not yet exported while there is room (never removes one). Every key
 * with anything counted is admitted while there is room, so a key only ever lands in "other"
 * once the set is full and "other" never goes down. Without memory for the ranking, keys are
 * admitted in map order: still every key while there is room.
 */
static void io_top_update(struct nvmxd_io_top *t, const struct nvmx_counters *c)
{
	/* once a set is full nothing joins it: no ranking to do at every scrape */
	bool msrs = t->n_msrs < NVMXD_IO_TOP, ports = t->n_ports < NVMXD_IO_TOP;
	const struct nvmx_counters_msr **ms =
		msrs ? calloc(c->n_msrs ? c->n_msrs : 1, sizeof(*ms)) : NULL;
	const struct nvmx_counters_port **ps =
		ports ? calloc(c->n_ports ? c->n_ports : 1, sizeof(*ps)) : NULL;

	for (size_t i = 0; ms && i < c->n_msrs; i++)
		ms[i] = &c->msrs[i];
	if (ms && c->n_msrs > 1)
		qsort(ms, c->n_msrs, sizeof(*ms), cmp_msr_cost);
	for (size_t i = 0; i < c->n_msrs && t->n_msrs < NVMXD_IO_TOP; i++) {
		const struct nvmx_counters_msr *m = ms ? ms[i] : &c->msrs[i];

		if ((m->v.count || m->v.timed) && !msr_exported(t, &m->key))
			t->msrs[t->n_msrs++] = m->key;
	}
	for (size_t i = 0; ps && i < c->n_ports; i++)
		ps[i] = &c->ports[i];
	if (ps && c->n_ports > 1)
		qsort(ps, c->n_ports, sizeof(*ps), cmp_port_cost);
	for (size_t i = 0; i < c->n_ports && t->n_ports < NVMXD_IO_TOP; i++) {
		const struct nvmx_counters_port *p = ps ? ps[i] : &c->ports[i];

		if ((p->v.count || p->v.timed) && !port_exported(t, &p->key))
			t->ports[t->n_ports++] = p->key;
	}
	free(ms);
	free(ps);
}

/* handled_by of an MSR/port key as a label: an L2 exit's handler, or L1's own exit */
static const char *io_exit_level(__u32 by)
{
	return by == NVMX_V_BY_NONE ? "L1" : "L2";
}

static const char *io_handler(__u32 by)
{
	return by == NVMX_V_BY_L1 ? "L1" : by == NVMX_V_BY_L0 ? "L0" : "none";
}

static int summary_handler(__u32 by)
{
	return by == NVMX_V_BY_L1   ? NVMX_HANDLED_BY_L1
	       : by == NVMX_V_BY_L0 ? NVMX_HANDLED_BY_L0
				    : NVMX_HANDLED_BY_NONE;
}

/* One "other" series per isa and handler: the keys beyond the exported ones. */
struct io_other {
	__u32 isa, by;
	struct nvmx_io_value v;
};

static void other_add(struct io_other *o, size_t *n, size_t cap, __u32 isa, __u32 by,
		      const struct nvmx_io_value *v)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (o[i].isa == isa && o[i].by == by)
			break;
	if (i == *n) {
		if (*n == cap)
			return; /* 3 isas x 3 handlers: cannot happen */
		memset(&o[i], 0, sizeof(o[i]));
		o[i].isa = isa;
		o[i].by = by;
		(*n)++;
	}
	o[i].v.count += v->count;
	o[i].v.timed += v->timed;
	o[i].v.sum_ns += v->sum_ns;
}

enum io_value_field { IO_COUNT, IO_TIMED, IO_SECONDS };

static void io_sample(struct prom_writer *w, const char *l, const struct nvmx_io_value *v,
		      enum io_value_field f)
{
	if (f == IO_SECONDS)
		prom_sample_double(w, l, (double)v->sum_ns / 1e9);
	else
		prom_sample_u64(w, l, f == IO_COUNT ? v->count : v->timed);
}

static void msr_labels(char *l, size_t len, const struct nvmx_msr_key *k, uint32_t kver)
{
	const char *name = k->msr == NVMX_MODEL_MSR_UNKNOWN ? NULL : nvmx_msr_name(k->msr);
	char buf[32];

	l[0] = '\0';
	prom_label(l, len, "isa", nvmx_isa_name(k->isa));
	if (k->msr == NVMX_MODEL_MSR_UNKNOWN)
		snprintf(buf, sizeof(buf), "unknown");
	else
		snprintf(buf, sizeof(buf), "0x%" PRIx32, k->msr);
	prom_label(l, len, "msr", buf);
	prom_label(l, len, "name", name ? name : "");
	prom_label(l, len, "access", k->write ? "write" : "read");
	prom_label(l, len, "exit", io_exit_level(k->handled_by));
	prom_label(l, len, "handled_by", io_handler(k->handled_by));
	prom_label(l, len, "mechanism",
		   nvmx_bm_mechanism_id(nvmx_bm_msr_access_mechanism(
			   k->isa, k->msr, k->write, summary_handler(k->handled_by), kver)));
}

static void port_labels(char *l, size_t len, const struct nvmx_port_key *k, uint32_t kver)
{
	const char *name = nvmx_port_name(k->port);
	char buf[32];

	l[0] = '\0';
	prom_label(l, len, "isa", nvmx_isa_name(k->isa));
	snprintf(buf, sizeof(buf), "0x%" PRIx32, (uint32_t)k->port);
	prom_label(l, len, "port", buf);
	prom_label(l, len, "name", name ? name : "");
	prom_label(l, len, "direction", k->in ? "in" : "out");
	snprintf(buf, sizeof(buf), "%u", (unsigned int)k->size);
	prom_label(l, len, "size", buf);
	prom_label(l, len, "exit", io_exit_level(k->handled_by));
	prom_label(l, len, "handled_by", io_handler(k->handled_by));
	prom_label(l, len, "mechanism",
		   nvmx_bm_mechanism_id(nvmx_bm_port_mechanism(
			   k->isa, k->port, summary_handler(k->handled_by), kver)));
}

static void other_labels(char *l, size_t len, const char *what, const struct io_other *o)
{
	l[0] = '\0';
	prom_label(l, len, "isa", nvmx_isa_name(o->isa));
	prom_label(l, len, what, "other");
	prom_label(l, len, "exit", io_exit_level(o->by));
	prom_label(l, len, "handled_by", io_handler(o->by));
}

/* The three families of MSR exits and of port exits: what each one's value is. */
static const struct io_family {
	const char *msr_name, *port_name, *unit, *what;
	enum prom_type type;
	enum io_value_field f;
} io_fams[] = {
	{ "nvmx_msr_exits", "nvmx_io_exits", NULL, "how many", PROM_COUNTER, IO_COUNT },
	{ "nvmx_msr_exits_timed", "nvmx_io_exits_timed", NULL,
	  "how many have a cost (reflected: complete round trips)", PROM_COUNTER, IO_TIMED },
	{ "nvmx_msr_exit_cost_seconds", "nvmx_io_exit_cost_seconds", "seconds",
	  "the cost of the timed exits: L0's handling (kvm_exit -> kvm_entry), for a "
	  "reflected exit its whole round trip",
	  PROM_COUNTER, IO_SECONDS },
};

static void write_msrs(struct prom_writer *w, const struct nvmxd_metrics_in *in,
		       const struct nvmxd_io_top *top)
{
	const struct nvmx_counters *c = in->counts;
	struct io_other other[9];
	char l[512], help[512];
	size_t n_other;

	for (size_t f = 0; f < sizeof(io_fams) / sizeof(io_fams[0]); f++) {
		snprintf(help, sizeof(help),
			 "RDMSR/WRMSR exits, all VMs, by MSR and handler (exit L2: handled_by L0 "
			 "or L1; "
			 "exit L1: L1's own), with KVM's bitmap mechanism (nvmx bitmap): %s. The "
			 "first %d keys by cost, then msr=\"other\".",
			 io_fams[f].what, NVMXD_IO_TOP);
		prom_family(w, io_fams[f].msr_name, io_fams[f].type, io_fams[f].unit, help);
		n_other = 0;
		for (size_t i = 0; i < c->n_msrs; i++) {
			const struct nvmx_counters_msr *m = &c->msrs[i];

			if (!msr_exported(top, &m->key)) {
				other_add(other, &n_other, 9, m->key.isa, m->key.handled_by, &m->v);
				continue;
			}
			msr_labels(l, sizeof(l), &m->key, in->kver);
			io_sample(w, l, &m->v, io_fams[f].f);
		}
		for (size_t i = 0; i < n_other; i++) {
			other_labels(l, sizeof(l), "msr", &other[i]);
			io_sample(w, l, &other[i].v, io_fams[f].f);
		}
	}
}

static void write_ports(struct prom_writer *w, const struct nvmxd_metrics_in *in,
			const struct nvmxd_io_top *top)
{
	const struct nvmx_counters *c = in->counts;
	struct io_other other[9];
	char l[512], help[512];
	size_t n_other;

	for (size_t f = 0; f < sizeof(io_fams) / sizeof(io_fams[0]); f++) {
		snprintf(
			help, sizeof(help),
			"Port I/O exits, all VMs, by port, direction, size (bytes) and handler "
			"(exit "
			"L2: handled_by L0 or L1; exit L1: L1's own), with KVM's bitmap mechanism: "
			"%s. The first %d keys by cost, then port=\"other\".",
			io_fams[f].what, NVMXD_IO_TOP);
		prom_family(w, io_fams[f].port_name, io_fams[f].type, io_fams[f].unit, help);
		n_other = 0;
		for (size_t i = 0; i < c->n_ports; i++) {
			const struct nvmx_counters_port *p = &c->ports[i];

			if (!port_exported(top, &p->key)) {
				other_add(other, &n_other, 9, p->key.isa, p->key.handled_by, &p->v);
				continue;
			}
			port_labels(l, sizeof(l), &p->key, in->kver);
			io_sample(w, l, &p->v, io_fams[f].f);
		}
		for (size_t i = 0; i < n_other; i++) {
			other_labels(l, sizeof(l), "port", &other[i]);
			io_sample(w, l, &other[i].v, io_fams[f].f);
		}
	}
}

void nvmxd_metrics_write_io(struct prom_writer *w, const struct nvmxd_metrics_in *in)
{
	struct nvmxd_io_top scratch = { 0 }, *top = in->io_top ? in->io_top : &scratch;

	io_top_update(top, in->counts);
	write_msrs(w, in, top);
	write_ports(w, in, top);
}
