// SPDX-License-Identifier: GPL-2.0
/* The attributed counts and their JSON form, schema 1 (see include/nvmx/summary.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "nvmx/exit_reasons.h"
#include "nvmx/summary.h"
#include "summary_int.h"

struct nvmx_summary *nvmx_summary_new(void)
{
	return calloc(1, sizeof(struct nvmx_summary));
}

void nvmx_summary_free(struct nvmx_summary *s)
{
	if (!s)
		return;
	free(s->exits);
	free(s->msrs);
	free(s->ports);
	for (size_t i = 0; i < s->n_bds; i++)
		free(s->bds[i].l1);
	free(s->bds);
	free(s->vecs);
	free(s);
}

/* Grows *arr (of n elements, cap capacity) by one slot at index at. */
static int insert_slot(void **arr, size_t *n, size_t *cap, size_t elem, size_t at)
{
	char *a = *arr;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;

		a = realloc(a, ncap * elem);
		if (!a)
			return -ENOMEM;
		*arr = a;
		*cap = ncap;
	}
	memmove(a + (at + 1) * elem, a + at * elem, (*n - at) * elem);
	memset(a + at * elem, 0, elem);
	(*n)++;
	return 0;
}

#define CMP(a, b)                                  \
	do {                                       \
		if ((a) != (b))                    \
			return (a) < (b) ? -1 : 1; \
	} while (0)

static int cmp_exit(const struct nvmx_summary_exit *a, const struct nvmx_summary_exit *b)
{
	CMP(a->kind, b->kind);
	CMP(a->isa, b->isa);
	CMP(a->reason, b->reason);
	CMP(a->handled_by, b->handled_by);
	return 0;
}

static int cmp_msr(const struct nvmx_summary_msr *a, const struct nvmx_summary_msr *b)
{
	CMP(a->isa, b->isa);
	CMP(a->msr, b->msr);
	CMP(a->write, b->write);
	CMP(a->handled_by, b->handled_by);
	return 0;
}

static int cmp_port(const struct nvmx_summary_port *a, const struct nvmx_summary_port *b)
{
	CMP(a->isa, b->isa);
	CMP(a->port, b->port);
	CMP(a->in, b->in);
	CMP(a->size, b->size);
	CMP(a->handled_by, b->handled_by);
	return 0;
}

/*
 * Finds key in the sorted array: returns its index with *found set, or the index where it
 * belongs. The arrays stay sorted, so the JSON order is stable without a sort at write time.
 */
#define DEFINE_FIND(name, type, cmp)                                                \
	static size_t name(const type *arr, size_t n, const type *key, bool *found) \
	{                                                                           \
		size_t lo = 0, hi = n;                                              \
		while (lo < hi) {                                                   \
			size_t mid = lo + (hi - lo) / 2;                            \
			int c = cmp(&arr[mid], key);                                \
			if (!c) {                                                   \
				*found = true;                                      \
				return mid;                                         \
			}                                                           \
			if (c < 0)                                                  \
				lo = mid + 1;                                       \
			else                                                        \
				hi = mid;                                           \
		}                                                                   \
		*found = false;                                                     \
		return lo;                                                          \
	}

DEFINE_FIND(find_exit, struct nvmx_summary_exit, cmp_exit)
DEFINE_FIND(find_msr, struct nvmx_summary_msr, cmp_msr)
DEFINE_FIND(find_port, struct nvmx_summary_port, cmp_port)

int nvmx_summary_add_exit(struct nvmx_summary *s, enum nvmx_kind kind, uint32_t isa,
			  uint32_t reason, enum nvmx_handler handled_by, uint64_t count)
{
	struct nvmx_summary_exit key = { kind, isa, reason, handled_by, 0 };
	bool found;
	size_t at;
	int err;

	if (!count)
		return 0;
	at = find_exit(s->exits, s->n_exits, &key, &found);
	if (!found) {
		err = insert_slot((void **)&s->exits, &s->n_exits, &s->cap_exits, sizeof(key), at);
		if (err)
			return err;
		s->exits[at] = key;
	}
	s->exits[at].count += count;
	return 0;
}

void nvmx_summary_add_nested_entries(struct nvmx_summary *s, uint64_t count)
{
	s->nested_entries += count;
	s->has_nested_entries = true;
}

void nvmx_summary_add_failed_entries(struct nvmx_summary *s, uint64_t count)
{
	s->failed_entries += count;
}

void nvmx_summary_add_unattributed(struct nvmx_summary *s, uint64_t count)
{
	s->unattributed += count;
}

/* The entry of key, made (with zero counts) if absent; NULL when out of memory. */
static struct nvmx_summary_msr *msr_entry(struct nvmx_summary *s,
					  const struct nvmx_summary_msr *key)
{
	bool found;
	size_t at = find_msr(s->msrs, s->n_msrs, key, &found);

	if (!found) {
		if (insert_slot((void **)&s->msrs, &s->n_msrs, &s->cap_msrs, sizeof(*key), at))
			return NULL;
		s->msrs[at] = *key;
	}
	return &s->msrs[at];
}

static struct nvmx_summary_port *port_entry(struct nvmx_summary *s,
					    const struct nvmx_summary_port *key)
{
	bool found;
	size_t at = find_port(s->ports, s->n_ports, key, &found);

	if (!found) {
		if (insert_slot((void **)&s->ports, &s->n_ports, &s->cap_ports, sizeof(*key), at))
			return NULL;
		s->ports[at] = *key;
	}
	return &s->ports[at];
}

int nvmx_summary_add_msr(struct nvmx_summary *s, uint32_t isa, uint32_t msr, bool write,
			 enum nvmx_handler handled_by, uint64_t count)
{
	struct nvmx_summary_msr key = { isa, msr, write, handled_by, 0, 0, 0 }, *m;

	if (!count)
		return 0;
	m = msr_entry(s, &key);
	if (!m)
		return -ENOMEM;
	m->count += count;
	return 0;
}

int nvmx_summary_add_msr_cost(struct nvmx_summary *s, uint32_t isa, uint32_t msr, bool write,
			      enum nvmx_handler handled_by, uint64_t timed, uint64_t sum_ns)
{
	struct nvmx_summary_msr key = { isa, msr, write, handled_by, 0, 0, 0 }, *m;

	if (!timed)
		return 0;
	m = msr_entry(s, &key);
	if (!m)
		return -ENOMEM;
	m->timed += timed;
	m->sum_ns += sum_ns;
	return 0;
}

int nvmx_summary_add_port(struct nvmx_summary *s, uint32_t isa, uint16_t port, bool in,
			  uint8_t size, enum nvmx_handler handled_by, uint64_t count)
{
	struct nvmx_summary_port key = { isa, port, in, size, handled_by, 0, 0, 0 }, *p;

	if (!count)
		return 0;
	p = port_entry(s, &key);
	if (!p)
		return -ENOMEM;
	p->count += count;
	return 0;
}

int nvmx_summary_add_port_cost(struct nvmx_summary *s, uint32_t isa, uint16_t port, bool in,
			       uint8_t size, enum nvmx_handler handled_by, uint64_t timed,
			       uint64_t sum_ns)
{
	struct nvmx_summary_port key = { isa, port, in, size, handled_by, 0, 0, 0 }, *p;

	if (!timed)
		return 0;
	p = port_entry(s, &key);
	if (!p)
		return -ENOMEM;
	p->timed += timed;
	p->sum_ns += sum_ns;
	return 0;
}

size_t nvmx_summary_exits(const struct nvmx_summary *s, const struct nvmx_summary_exit **entries)
{
	*entries = s->exits;
	return s->n_exits;
}

size_t nvmx_summary_msrs(const struct nvmx_summary *s, const struct nvmx_summary_msr **entries)
{
	*entries = s->msrs;
	return s->n_msrs;
}

size_t nvmx_summary_ports(const struct nvmx_summary *s, const struct nvmx_summary_port **entries)
{
	*entries = s->ports;
	return s->n_ports;
}

uint64_t nvmx_summary_exit_count(const struct nvmx_summary *s, enum nvmx_kind kind, uint32_t isa,
				 uint32_t reason, enum nvmx_handler handled_by)
{
	struct nvmx_summary_exit key = { kind, isa, reason, handled_by, 0 };
	bool found;
	size_t at = find_exit(s->exits, s->n_exits, &key, &found);

	return found ? s->exits[at].count : 0;
}

uint64_t nvmx_summary_msr_count(const struct nvmx_summary *s, uint32_t isa, uint32_t msr,
				bool write, enum nvmx_handler handled_by)
{
	struct nvmx_summary_msr key = { isa, msr, write, handled_by, 0, 0, 0 };
	bool found;
	size_t at = find_msr(s->msrs, s->n_msrs, &key, &found);

	return found ? s->msrs[at].count : 0;
}

uint64_t nvmx_summary_port_count(const struct nvmx_summary *s, uint32_t isa, uint16_t port, bool in,
				 uint8_t size, enum nvmx_handler handled_by)
{
	struct nvmx_summary_port key = { isa, port, in, size, handled_by, 0, 0, 0 };
	bool found;
	size_t at = find_port(s->ports, s->n_ports, &key, &found);

	return found ? s->ports[at].count : 0;
}

uint64_t nvmx_summary_nested_entries(const struct nvmx_summary *s)
{
	return s->nested_entries;
}

uint64_t nvmx_summary_failed_entries(const struct nvmx_summary *s)
{
	return s->failed_entries;
}

uint64_t nvmx_summary_unattributed(const struct nvmx_summary *s)
{
	return s->unattributed;
}

/* ---- the Turtles breakdown and interrupted event deliveries (include/nvmx/breakdown.h) ---- */

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int cmp3(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t b0, uint32_t b1, uint32_t b2)
{
	if (a0 != b0)
		return a0 < b0 ? -1 : 1;
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	if (a2 != b2)
		return a2 < b2 ? -1 : 1;
	return 0;
}

/* The entry of (isa, reason, kind), created (sorted in) when create is set; NULL: none/ENOMEM. */
static struct nvmx_bd_entry *bd_entry(struct nvmx_summary *s, uint32_t isa, uint32_t reason,
				      uint32_t kind, bool create)
{
	size_t at = 0;

	for (; at < s->n_bds; at++) {
		const struct nvmx_bd_entry *e = &s->bds[at];
		int c = cmp3(e->isa, e->reason, e->kind, isa, reason, kind);

		if (!c)
			return &s->bds[at];
		if (c > 0)
			break;
	}
	if (!create || grow((void **)&s->bds, &s->cap_bds, s->n_bds, sizeof(*s->bds)))
		return NULL;
	memmove(&s->bds[at + 1], &s->bds[at], (s->n_bds - at) * sizeof(*s->bds));
	memset(&s->bds[at], 0, sizeof(*s->bds));
	s->bds[at].isa = isa;
	s->bds[at].reason = reason;
	s->bds[at].kind = kind;
	s->n_bds++;
	return &s->bds[at];
}

int nvmx_summary_add_breakdown(struct nvmx_summary *s, uint32_t isa, uint32_t reason, uint32_t kind,
			       uint64_t count, const uint64_t *sum_ns, const uint64_t *buckets)
{
	struct nvmx_bd_entry *e;

	if (kind >= NVMX_BD_KINDS)
		return -EINVAL;
	if (!count)
		return 0;
	e = bd_entry(s, isa, reason, kind, true);
	if (!e)
		return -ENOMEM;
	e->count += count;
	for (uint32_t i = 0; sum_ns && i < NVMX_RT_PARTS; i++)
		e->sum_ns[i] += sum_ns[i];
	for (uint32_t i = 0; buckets && i < NVMX_HIST_BUCKETS; i++)
		e->buckets[i] += buckets[i];
	return 0;
}

int nvmx_summary_add_breakdown_cycles(struct nvmx_summary *s, uint32_t isa, uint32_t reason,
				      uint64_t count, const uint64_t *sum_cycles)
{
	struct nvmx_bd_entry *e;

	if (!count)
		return 0;
	e = bd_entry(s, isa, reason, NVMX_BD_ROUND_TRIP, true);
	if (!e)
		return -ENOMEM;
	e->cycles_count += count;
	for (uint32_t i = 0; i < NVMX_RT_PARTS; i++)
		e->sum_cycles[i] += sum_cycles[i];
	return 0;
}

int nvmx_summary_add_breakdown_l1(struct nvmx_summary *s, uint32_t isa, uint32_t reason,
				  uint32_t l1_reason, uint64_t count)
{
	struct nvmx_bd_entry *e;
	size_t at = 0;

	if (!count)
		return 0;
	e = bd_entry(s, isa, reason, NVMX_BD_ROUND_TRIP, true);
	if (!e)
		return -ENOMEM;
	for (; at < e->n_l1 && e->l1[at].reason < l1_reason; at++)
		;
	if (at == e->n_l1 || e->l1[at].reason != l1_reason) {
		if (grow((void **)&e->l1, &e->cap_l1, e->n_l1, sizeof(*e->l1)))
			return -ENOMEM;
		memmove(&e->l1[at + 1], &e->l1[at], (e->n_l1 - at) * sizeof(*e->l1));
		e->l1[at].reason = l1_reason;
		e->l1[at].count = 0;
		e->n_l1++;
	}
	e->l1[at].count += count;
	return 0;
}

static int cmp_vec(const struct nvmx_vec_entry *a, uint32_t isa, uint32_t type, uint32_t vector,
		   uint32_t outcome)
{
	int c = cmp3(a->isa, a->type, a->vector, isa, type, vector);

	if (c)
		return c;
	return a->outcome == outcome ? 0 : a->outcome < outcome ? -1 : 1;
}

int nvmx_summary_add_vectoring(struct nvmx_summary *s, uint32_t isa, uint32_t type, uint32_t vector,
			       uint32_t outcome, uint64_t count)
{
	size_t at = 0;
	int c = 1;

	if (type >= NVMX_VEC_TYPES || outcome >= NVMX_VEC_OUTCOMES || vector > 0xff)
		return -EINVAL;
	if (!count)
		return 0;
	for (; at < s->n_vecs; at++) {
		c = cmp_vec(&s->vecs[at], isa, type, vector, outcome);
		if (c >= 0)
			break;
	}
	if (at == s->n_vecs || c) {
		if (grow((void **)&s->vecs, &s->cap_vecs, s->n_vecs, sizeof(*s->vecs)))
			return -ENOMEM;
		memmove(&s->vecs[at + 1], &s->vecs[at], (s->n_vecs - at) * sizeof(*s->vecs));
		s->vecs[at] = (struct nvmx_vec_entry){ isa, type, vector, outcome, 0 };
		s->n_vecs++;
	}
	s->vecs[at].count += count;
	return 0;
}

size_t nvmx_summary_breakdowns(const struct nvmx_summary *s, const struct nvmx_bd_entry **out)
{
	*out = s->bds;
	return s->n_bds;
}

size_t nvmx_summary_vectorings(const struct nvmx_summary *s, const struct nvmx_vec_entry **out)
{
	*out = s->vecs;
	return s->n_vecs;
}

const struct nvmx_bd_entry *nvmx_summary_breakdown_find(const struct nvmx_summary *s, uint32_t isa,
							uint32_t reason, uint32_t kind)
{
	return bd_entry((struct nvmx_summary *)s, isa, reason, kind, false);
}

uint64_t nvmx_summary_vectoring_count(const struct nvmx_summary *s, uint32_t isa, uint32_t type,
				      uint32_t vector, uint32_t outcome)
{
	for (size_t i = 0; i < s->n_vecs; i++)
		if (!cmp_vec(&s->vecs[i], isa, type, vector, outcome))
			return s->vecs[i].count;
	return 0;
}

/*
 * Exits whose number the workload does not fix: asynchronous events (interrupts, NMI, SMI, INIT,
 * SIPI and their windows, timers) and L0's own paging (NPF, EPT, #PF with shadow paging), PAUSE
 * (pause-loop exiting depends on timing). Numbers from <asm/svm.h> / <asm/vmx.h>.
 */
bool nvmx_reason_certain(uint32_t isa, uint32_t reason)
{
	if (isa == NVMX_ISA_SVM) {
		switch (reason) {
		case 0x060:	 /* SVM_EXIT_INTR */
		case 0x061:	 /* SVM_EXIT_NMI */
		case 0x062:	 /* SVM_EXIT_SMI */
		case 0x063:	 /* SVM_EXIT_INIT */
		case 0x064:	 /* SVM_EXIT_VINTR */
		case 0x040 + 14: /* SVM_EXIT_EXCP_BASE + PF_VECTOR */
		case 0x077:	 /* SVM_EXIT_PAUSE */
		case 0x400:	 /* SVM_EXIT_NPF */
			return false;
		default:
			return true;
		}
	}
	if (isa == NVMX_ISA_VMX) {
		switch (reason & 0xffff) {
		case 0:	 /* EXIT_REASON_EXCEPTION_NMI */
		case 1:	 /* EXIT_REASON_EXTERNAL_INTERRUPT */
		case 2:	 /* EXIT_REASON_TRIPLE_FAULT */
		case 3:	 /* EXIT_REASON_INIT_SIGNAL */
		case 4:	 /* EXIT_REASON_SIPI_SIGNAL */
		case 7:	 /* EXIT_REASON_INTERRUPT_WINDOW */
		case 8:	 /* EXIT_REASON_NMI_WINDOW */
		case 40: /* EXIT_REASON_PAUSE_INSTRUCTION */
		case 48: /* EXIT_REASON_EPT_VIOLATION */
		case 49: /* EXIT_REASON_EPT_MISCONFIG */
		case 52: /* EXIT_REASON_PREEMPTION_TIMER */
		case 62: /* EXIT_REASON_PML_FULL */
			return false;
		default:
			return true;
		}
	}
	return false;
}

bool nvmx_exit_certain(enum nvmx_kind kind, uint32_t isa, uint32_t reason)
{
	if (kind == NVMX_KIND_SYNTHESIZED_TO_L1)
		return isa == NVMX_ISA_VMX || isa == NVMX_ISA_SVM;
	return nvmx_reason_certain(isa, reason);
}

bool nvmx_msr_certain(const struct nvmx_summary_msr *m)
{
	return m->msr != NVMX_MSR_UNKNOWN && m->isa != NVMX_ISA_UNKNOWN;
}

bool nvmx_port_certain(const struct nvmx_summary_port *p)
{
	return p->isa != NVMX_ISA_UNKNOWN;
}

const char *nvmx_handler_name(enum nvmx_handler h)
{
	return h == NVMX_HANDLED_BY_L0 ? "L0" : h == NVMX_HANDLED_BY_L1 ? "L1" : "none";
}

const char *const nvmx_kind_keys[] = {
	[NVMX_KIND_L2_EXIT] = "l2_exits",
	[NVMX_KIND_L1_EXIT] = "l1_exits",
	[NVMX_KIND_SYNTHESIZED_TO_L1] = "synthesized_to_l1",
};

/* ---- comparing ---- */

/* Where differences go, and what the two sides are called in them. */
struct cmp {
	FILE *out;
	const char *a, *b;
};

static void diff_line(const struct cmp *diffs, const char *what, uint64_t a, uint64_t b)
{
	if (diffs->out)
		fprintf(diffs->out, "%s: %s %" PRIu64 ", %s %" PRIu64 "\n", what, diffs->a, a,
			diffs->b, b);
}

static void exit_label(const struct nvmx_summary_exit *e, char *buf, size_t len)
{
	char rb[24];
	const char *name = nvmx_reason_name(e->isa, e->reason, rb, sizeof(rb));

	if (e->kind == NVMX_KIND_L2_EXIT)
		snprintf(buf, len, "%s %s %s %s", nvmx_kind_keys[e->kind], nvmx_isa_name(e->isa),
			 name, nvmx_handler_name(e->handled_by));
	else
		snprintf(buf, len, "%s %s %s", nvmx_kind_keys[e->kind], nvmx_isa_name(e->isa),
			 name);
}

/* An MSR/port entry's handler in a diff line: L2 exits by L0 or L1, or L1's own exits. */
static const char *io_level_name(enum nvmx_handler h)
{
	return h == NVMX_HANDLED_BY_NONE ? "L1-exit" : nvmx_handler_name(h);
}

static void msr_label(const struct nvmx_summary_msr *m, char *buf, size_t len)
{
	char ms[16];

	if (m->msr == NVMX_MSR_UNKNOWN)
		snprintf(ms, sizeof(ms), "unknown");
	else
		snprintf(ms, sizeof(ms), "0x%x", m->msr);
	snprintf(buf, len, "msrs %s %s %s %s", nvmx_isa_name(m->isa), ms,
		 m->write ? "write" : "read", io_level_name(m->handled_by));
}

static void port_label(const struct nvmx_summary_port *p, char *buf, size_t len)
{
	snprintf(buf, len, "ports %s 0x%x %s %u %s", nvmx_isa_name(p->isa), p->port,
		 p->in ? "in" : "out", p->size, io_level_name(p->handled_by));
}

static int compare_exits(const struct nvmx_summary *t, const struct nvmx_summary *o, bool all,
			 const struct cmp *diffs)
{
	char label[128];
	int n = 0;
	bool found;
	size_t at;

	for (size_t i = 0; i < t->n_exits; i++) {
		const struct nvmx_summary_exit *e = &t->exits[i];
		uint64_t seen;

		if (!all && !nvmx_exit_certain(e->kind, e->isa, e->reason))
			continue;
		at = find_exit(o->exits, o->n_exits, e, &found);
		seen = found ? o->exits[at].count : 0;
		if (seen != e->count) {
			exit_label(e, label, sizeof(label));
			diff_line(diffs, label, e->count, seen);
			n++;
		}
	}
	for (size_t i = 0; i < o->n_exits; i++) {
		const struct nvmx_summary_exit *e = &o->exits[i];

		if (!all && !nvmx_exit_certain(e->kind, e->isa, e->reason))
			continue;
		find_exit(t->exits, t->n_exits, e, &found);
		if (!found) {
			exit_label(e, label, sizeof(label));
			diff_line(diffs, label, 0, e->count);
			n++;
		}
	}
	return n;
}

/*
 * A tracefs capture cannot see the index of a reflected RDMSR/WRMSR (it lives in guest RCX), so it
 * reports msr "unknown" for (isa, access, L1). Truth's L1 entries without an exact observed match
 * are summed against that observed "unknown" entry.
 */
static int compare_msrs(const struct nvmx_summary *t, const struct nvmx_summary *o,
			const struct cmp *diffs)
{
	uint64_t sums[16]; /* per observed unknown L1 entry, by index below */
	const struct nvmx_summary_msr *unknowns[16];
	size_t n_unknown = 0;
	char label[128];
	int n = 0;
	bool found;
	size_t at;

	for (size_t i = 0; i < o->n_msrs && n_unknown < 16; i++)
		if (o->msrs[i].msr == NVMX_MSR_UNKNOWN &&
		    o->msrs[i].handled_by == NVMX_HANDLED_BY_L1) {
			unknowns[n_unknown] = &o->msrs[i];
			sums[n_unknown++] = 0;
		}
	for (size_t i = 0; i < t->n_msrs; i++) {
		const struct nvmx_summary_msr *m = &t->msrs[i];
		size_t u;

		if (m->msr == NVMX_MSR_UNKNOWN) {
			/* a truth as blind as the observation: its count joins the sum */
			at = find_msr(o->msrs, o->n_msrs, m, &found);
			for (u = 0; found && u < n_unknown; u++)
				if (unknowns[u] == &o->msrs[at])
					sums[u] += m->count;
			continue;
		}
		if (!nvmx_msr_certain(m))
			continue;
		at = find_msr(o->msrs, o->n_msrs, m, &found);
		if (found) {
			if (o->msrs[at].count != m->count) {
				msr_label(m, label, sizeof(label));
				diff_line(diffs, label, m->count, o->msrs[at].count);
				n++;
			}
			continue;
		}
		for (u = 0; u < n_unknown; u++)
			if (m->handled_by == NVMX_HANDLED_BY_L1 && unknowns[u]->isa == m->isa &&
			    unknowns[u]->write == m->write)
				break;
		if (u < n_unknown) {
			sums[u] += m->count;
			continue;
		}
		msr_label(m, label, sizeof(label));
		diff_line(diffs, label, m->count, 0);
		n++;
	}
	for (size_t u = 0; u < n_unknown; u++)
		if (sums[u] != unknowns[u]->count) {
			msr_label(unknowns[u], label, sizeof(label));
			diff_line(diffs, label, sums[u], unknowns[u]->count);
			n++;
		}
	for (size_t i = 0; i < o->n_msrs; i++) {
		const struct nvmx_summary_msr *m = &o->msrs[i];

		if (!nvmx_msr_certain(m))
			continue;
		find_msr(t->msrs, t->n_msrs, m, &found);
		if (!found) {
			msr_label(m, label, sizeof(label));
			diff_line(diffs, label, 0, m->count);
			n++;
		}
	}
	return n;
}

static int compare_ports(const struct nvmx_summary *t, const struct nvmx_summary *o, bool all,
			 const struct cmp *diffs)
{
	char label[128];
	int n = 0;
	bool found;
	size_t at;

	for (size_t i = 0; i < t->n_ports; i++) {
		const struct nvmx_summary_port *p = &t->ports[i];
		uint64_t seen;

		if (!all && !nvmx_port_certain(p))
			continue;
		at = find_port(o->ports, o->n_ports, p, &found);
		seen = found ? o->ports[at].count : 0;
		if (seen != p->count) {
			port_label(p, label, sizeof(label));
			diff_line(diffs, label, p->count, seen);
			n++;
		}
	}
	for (size_t i = 0; i < o->n_ports; i++) {
		const struct nvmx_summary_port *p = &o->ports[i];

		if (!all && !nvmx_port_certain(p))
			continue;
		find_port(t->ports, t->n_ports, p, &found);
		if (!found) {
			port_label(p, label, sizeof(label));
			diff_line(diffs, label, 0, p->count);
			n++;
		}
	}
	return n;
}

int nvmx_summary_compare_certain(const struct nvmx_summary *truth,
				 const struct nvmx_summary *observed, FILE *out)
{
	const struct cmp c = { out, "truth", "observed" }, *diffs = &c;
	int n = compare_exits(truth, observed, false, diffs);

	n += compare_msrs(truth, observed, diffs);
	n += compare_ports(truth, observed, false, diffs);
	if (truth->has_nested_entries && truth->nested_entries != observed->nested_entries) {
		diff_line(diffs, "nested_entries", truth->nested_entries, observed->nested_entries);
		n++;
	}
	n += nvmx_bd_compare(truth, observed, false, "truth", "observed", out);
	return n;
}

/* Whether s has an "unknown" entry of m's group (isa, access, handler): a side blind to indexes. */
static bool has_unknown_of(const struct nvmx_summary *s, const struct nvmx_summary_msr *m)
{
	struct nvmx_summary_msr k = *m;
	bool found;

	k.msr = NVMX_MSR_UNKNOWN;
	find_msr(s->msrs, s->n_msrs, &k, &found);
	return found;
}

/*
 * Entries of a that b cannot tell apart: a knows the index, b counted the same group as
 * "unknown" (a tracefs capture never sees a reflected access's RCX; nvmxd does) and a has no
 * unknown entry of its own in that group. They are compared as the group's sum.
 */
static bool folded(const struct nvmx_summary *a, const struct nvmx_summary *b,
		   const struct nvmx_summary_msr *m)
{
	return m->msr != NVMX_MSR_UNKNOWN && has_unknown_of(b, m) && !has_unknown_of(a, m);
}

/* One side's sum for an "unknown" entry: its own unknown count plus what it folds into it. */
static uint64_t group_sum(const struct nvmx_summary *s, const struct nvmx_summary *other,
			  const struct nvmx_summary_msr *unknown)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < s->n_msrs; i++) {
		const struct nvmx_summary_msr *m = &s->msrs[i];

		if (m->isa != unknown->isa || m->write != unknown->write ||
		    m->handled_by != unknown->handled_by)
			continue;
		if (m->msr == NVMX_MSR_UNKNOWN || folded(s, other, m))
			sum += m->count;
	}
	return sum;
}

/*
 * Every MSR entry by its exact key: two observations of the same events. Where one side knows
 * indexes the other saw as "unknown", the group's sums are compared instead.
 */
static int compare_msrs_exact(const struct nvmx_summary *a, const struct nvmx_summary *b,
			      const struct cmp *diffs)
{
	char label[128];
	int n = 0;
	bool found;
	size_t at;

	for (size_t i = 0; i < a->n_msrs; i++) {
		const struct nvmx_summary_msr *m = &a->msrs[i];
		uint64_t seen, want = m->count;

		if (folded(a, b, m))
			continue;
		at = find_msr(b->msrs, b->n_msrs, m, &found);
		seen = found ? b->msrs[at].count : 0;
		if (m->msr == NVMX_MSR_UNKNOWN) {
			want = group_sum(a, b, m);
			seen = group_sum(b, a, m);
		}
		if (seen != want) {
			msr_label(m, label, sizeof(label));
			diff_line(diffs, label, want, seen);
			n++;
		}
	}
	for (size_t i = 0; i < b->n_msrs; i++) {
		const struct nvmx_summary_msr *m = &b->msrs[i];

		if (folded(b, a, m))
			continue;
		find_msr(a->msrs, a->n_msrs, m, &found);
		if (!found) {
			uint64_t want = 0, seen = m->count;

			if (m->msr == NVMX_MSR_UNKNOWN) {
				want = group_sum(a, b, m);
				seen = group_sum(b, a, m);
				if (want == seen)
					continue;
			}
			msr_label(m, label, sizeof(label));
			diff_line(diffs, label, want, seen);
			n++;
		}
	}
	return n;
}

int nvmx_summary_compare_all(const struct nvmx_summary *a, const struct nvmx_summary *b,
			     const char *a_name, const char *b_name, FILE *out)
{
	const struct cmp c = { out, a_name, b_name }, *diffs = &c;
	int n = compare_exits(a, b, true, diffs);

	n += compare_msrs_exact(a, b, diffs);
	n += compare_ports(a, b, true, diffs);
	if (a->nested_entries != b->nested_entries) {
		diff_line(diffs, "nested_entries", a->nested_entries, b->nested_entries);
		n++;
	}
	if (nvmx_summary_failed_entries(a) != nvmx_summary_failed_entries(b)) {
		diff_line(diffs, "nested_entries_failed", nvmx_summary_failed_entries(a),
			  nvmx_summary_failed_entries(b));
		n++;
	}
	if (a->unattributed != b->unattributed) {
		diff_line(diffs, "unattributed", a->unattributed, b->unattributed);
		n++;
	}
	n += nvmx_bd_compare(a, b, true, a_name, b_name, out);
	return n;
}
