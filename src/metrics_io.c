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

/*
 * One series of an MSR or port family: a VM name and a key without its process, with the sum of
 * the values of every process of that name.
 */
struct io_row {
	struct nvmxd_io_series s;
	struct nvmx_io_value v;
};

static int cmp_series(const struct nvmxd_io_series *a, const struct nvmxd_io_series *b)
{
	int r = strcmp(a->vm, b->vm);

	return r ? r : memcmp(&a->key, &b->key, sizeof(a->key));
}

static int cmp_row(const void *a, const void *b)
{
	return cmp_series(&((const struct io_row *)a)->s, &((const struct io_row *)b)->s);
}

static int cmp_row_cost(const void *pa, const void *pb)
{
	return cmp_io_value(&(*(const struct io_row *const *)pa)->v,
			    &(*(const struct io_row *const *)pb)->v);
}

/*
 * The series of the MSR (port false) or port keys: each key named by its process's VM, the
 * process taken out of it, and same-named processes summed; sorted, *n of them. NULL: no memory.
 */
static struct io_row *io_rows(const struct nvmxd_metrics_in *in, bool port, size_t *n)
{
	const struct nvmx_counters *c = in->counts;
	size_t m = port ? c->n_ports : c->n_msrs;
	struct io_row *r = calloc(m ? m : 1, sizeof(*r));

	*n = 0;
	if (!r)
		return NULL;
	for (size_t i = 0; i < m; i++) {
		struct io_row *e = &r[i];

		if (port) {
			e->s.key.port = c->ports[i].key;
			e->s.key.port.tgid = 0;
			e->s.vm = in->vm_name(in->ctx, c->ports[i].key.tgid);
			e->v = c->ports[i].v;
		} else {
			e->s.key.msr = c->msrs[i].key;
			e->s.key.msr.tgid = 0;
			e->s.vm = in->vm_name(in->ctx, c->msrs[i].key.tgid);
			e->v = c->msrs[i].v;
		}
	}
	if (m > 1)
		qsort(r, m, sizeof(*r), cmp_row);
	for (size_t i = 0; i < m; i++) {
		if (*n && !cmp_row(&r[*n - 1], &r[i])) {
			r[*n - 1].v.count += r[i].v.count;
			r[*n - 1].v.timed += r[i].v.timed;
			r[*n - 1].v.sum_ns += r[i].v.sum_ns;
		} else {
			r[(*n)++] = r[i];
		}
	}
	return r;
}

static bool exported(const struct nvmxd_io_series *set, size_t n, const struct nvmxd_io_series *s)
{
	for (size_t i = 0; i < n; i++)
		if (!cmp_series(&set[i], s))
			return true;
	return false;
}

/*
 * Admits the costliest series not yet exported while there is room (never removes one). Every
 * series with anything counted is admitted while there is room, so a series only ever lands in
 * "other" once the set is full and "other" never goes down. Without memory for the ranking,
 * series are admitted in their sorted order: still every one while there is room.
 */
static void io_top_update(struct nvmxd_io_series *set, size_t *n_set, const struct io_row *r,
			  size_t n)
{
	/* once a set is full nothing joins it: no ranking to do at every scrape */
	const struct io_row **rank =
		*n_set < NVMXD_IO_TOP ? calloc(n ? n : 1, sizeof(*rank)) : NULL;

	for (size_t i = 0; rank && i < n; i++)
		rank[i] = &r[i];
	if (rank && n > 1)
		qsort(rank, n, sizeof(*rank), cmp_row_cost);
	for (size_t i = 0; i < n && *n_set < NVMXD_IO_TOP; i++) {
		const struct io_row *e = rank ? rank[i] : &r[i];

		if ((e->v.count || e->v.timed) && !exported(set, *n_set, &e->s))
			set[(*n_set)++] = e->s;
	}
	free(rank);
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

/* One "other" series per VM, isa and handler: the series beyond the exported ones. */
struct io_other {
	const char *vm;
	__u32 isa, by;
	struct nvmx_io_value v;
};

/* o has room for one per row (there are never more); the rows come sorted by VM. */
static void other_add(struct io_other *o, size_t *n, const char *vm, __u32 isa, __u32 by,
		      const struct nvmx_io_value *v)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (o[i].isa == isa && o[i].by == by && !strcmp(o[i].vm, vm))
			break;
	if (i == *n) {
		memset(&o[i], 0, sizeof(o[i]));
		o[i].vm = vm;
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

static void msr_labels(char *l, size_t len, const char *vm, const struct nvmx_msr_key *k,
		       uint32_t kver)
{
	const char *name = k->msr == NVMX_MODEL_MSR_UNKNOWN ? NULL : nvmx_msr_name(k->msr);
	char buf[32];

	l[0] = '\0';
	prom_label(l, len, "vm", vm);
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

static void port_labels(char *l, size_t len, const char *vm, const struct nvmx_port_key *k,
			uint32_t kver)
{
	const char *name = nvmx_port_name(k->port);
	char buf[32];

	l[0] = '\0';
	prom_label(l, len, "vm", vm);
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
	prom_label(l, len, "vm", o->vm);
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

/*
 * The three families of the MSR (port false) or port series: the exported ones one by one, the
 * rest summed into "other". Without memory for the rows, the families are written empty.
 */
static void write_io(struct prom_writer *w, const struct nvmxd_metrics_in *in, bool port,
		     const struct io_row *r, size_t n, const struct nvmxd_io_series *set,
		     size_t n_set)
{
	struct io_other *other = calloc(n ? n : 1, sizeof(*other));
	char l[512], help[512];
	size_t n_other;

	for (size_t f = 0; f < sizeof(io_fams) / sizeof(io_fams[0]); f++) {
		snprintf(help, sizeof(help),
			 "%s exits by VM, %s and handler (exit L2: handled_by L0 or L1; exit L1: "
			 "L1's own), with KVM's bitmap mechanism (nvmx bitmap): %s. The first %d "
			 "series by cost, then %s=\"other\" per VM.",
			 port ? "Port I/O" : "RDMSR/WRMSR",
			 port ? "port, direction, size (bytes)" : "MSR", io_fams[f].what,
			 NVMXD_IO_TOP, port ? "port" : "msr");
		prom_family(w, port ? io_fams[f].port_name : io_fams[f].msr_name, io_fams[f].type,
			    io_fams[f].unit, help);
		n_other = 0;
		for (size_t i = 0; i < n && other; i++) {
			const union nvmxd_io_key *k = &r[i].s.key;

			if (!exported(set, n_set, &r[i].s)) {
				other_add(other, &n_other, r[i].s.vm,
					  port ? k->port.isa : k->msr.isa,
					  port ? k->port.handled_by : k->msr.handled_by, &r[i].v);
				continue;
			}
			if (port)
				port_labels(l, sizeof(l), r[i].s.vm, &k->port, in->kver);
			else
				msr_labels(l, sizeof(l), r[i].s.vm, &k->msr, in->kver);
			io_sample(w, l, &r[i].v, io_fams[f].f);
		}
		for (size_t i = 0; i < n_other; i++) {
			other_labels(l, sizeof(l), port ? "port" : "msr", &other[i]);
			io_sample(w, l, &other[i].v, io_fams[f].f);
		}
	}
	free(other);
}

void nvmxd_metrics_write_io(struct prom_writer *w, const struct nvmxd_metrics_in *in)
{
	struct nvmxd_io_top scratch = { 0 }, *top = in->io_top ? in->io_top : &scratch;
	size_t n_msrs, n_ports;
	struct io_row *msrs = io_rows(in, false, &n_msrs);
	struct io_row *ports = io_rows(in, true, &n_ports);

	io_top_update(top->msrs, &top->n_msrs, msrs, n_msrs);
	io_top_update(top->ports, &top->n_ports, ports, n_ports);
	write_io(w, in, false, msrs, n_msrs, top->msrs, top->n_msrs);
	write_io(w, in, true, ports, n_ports, top->ports, top->n_ports);
	free(msrs);
	free(ports);
}
