// SPDX-License-Identifier: GPL-2.0
/*
 * The attributed counts of a run in memory (include/nvmx/summary.h), with its Turtles breakdown
 * and interrupted deliveries (include/nvmx/breakdown.h): sorted entries, adding, finding, and
 * which counts are certain. Their JSON is in summary_json_write.c and summary_json_read.c, their
 * comparison in summary_compare.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvmx/summary.h"
#include "nvmx/util.h"
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
	char *a;

	if (nvmx_grow(arr, cap, *n + 1, elem))
		return -ENOMEM;
	a = *arr;
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
#define DEFINE_FIND(name, type, cmp)                                         \
	size_t name(const type *arr, size_t n, const type *key, bool *found) \
	{                                                                    \
		size_t lo = 0, hi = n;                                       \
		while (lo < hi) {                                            \
			size_t mid = lo + (hi - lo) / 2;                     \
			int c = cmp(&arr[mid], key);                         \
			if (!c) {                                            \
				*found = true;                               \
				return mid;                                  \
			}                                                    \
			if (c < 0)                                           \
				lo = mid + 1;                                \
			else                                                 \
				hi = mid;                                    \
		}                                                            \
		*found = false;                                              \
		return lo;                                                   \
	}

DEFINE_FIND(nvmx_find_exit, struct nvmx_summary_exit, cmp_exit)
DEFINE_FIND(nvmx_find_msr, struct nvmx_summary_msr, cmp_msr)
DEFINE_FIND(nvmx_find_port, struct nvmx_summary_port, cmp_port)

int nvmx_summary_add_exit(struct nvmx_summary *s, enum nvmx_kind kind, uint32_t isa,
			  uint32_t reason, enum nvmx_handler handled_by, uint64_t count)
{
	struct nvmx_summary_exit key = { kind, isa, reason, handled_by, 0 };
	bool found;
	size_t at;
	int err;

	if (!count)
		return 0;
	at = nvmx_find_exit(s->exits, s->n_exits, &key, &found);
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

void nvmx_summary_set_l1_uncertain(struct nvmx_summary *s)
{
	s->l1_uncertain = true;
}

bool nvmx_summary_l1_certain(const struct nvmx_summary *s)
{
	return !s->l1_uncertain;
}

void nvmx_summary_set_filter(struct nvmx_summary *s, const struct nvmx_summary_filter *f)
{
	s->filter = *f;
	s->filtered = true;
}

const struct nvmx_summary_filter *nvmx_summary_get_filter(const struct nvmx_summary *s)
{
	return s->filtered ? &s->filter : NULL;
}

void nvmx_summary_add_failed_entries(struct nvmx_summary *s, uint64_t count)
{
	s->failed_entries += count;
}

void nvmx_summary_add_unattributed(struct nvmx_summary *s, uint64_t count)
{
	s->unattributed += count;
}

void nvmx_summary_add_lost(struct nvmx_summary *s, uint64_t count)
{
	s->lost += count;
}

/* The entry of key, made (with zero counts) if absent; NULL when out of memory. */
static struct nvmx_summary_msr *msr_entry(struct nvmx_summary *s,
					  const struct nvmx_summary_msr *key)
{
	bool found;
	size_t at = nvmx_find_msr(s->msrs, s->n_msrs, key, &found);

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
	size_t at = nvmx_find_port(s->ports, s->n_ports, key, &found);

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
	size_t at = nvmx_find_exit(s->exits, s->n_exits, &key, &found);

	return found ? s->exits[at].count : 0;
}

uint64_t nvmx_summary_msr_count(const struct nvmx_summary *s, uint32_t isa, uint32_t msr,
				bool write, enum nvmx_handler handled_by)
{
	struct nvmx_summary_msr key = { isa, msr, write, handled_by, 0, 0, 0 };
	bool found;
	size_t at = nvmx_find_msr(s->msrs, s->n_msrs, &key, &found);

	return found ? s->msrs[at].count : 0;
}

uint64_t nvmx_summary_port_count(const struct nvmx_summary *s, uint32_t isa, uint16_t port, bool in,
				 uint8_t size, enum nvmx_handler handled_by)
{
	struct nvmx_summary_port key = { isa, port, in, size, handled_by, 0, 0, 0 };
	bool found;
	size_t at = nvmx_find_port(s->ports, s->n_ports, &key, &found);

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

uint64_t nvmx_summary_lost(const struct nvmx_summary *s)
{
	return s->lost;
}

/* ---- the Turtles breakdown and interrupted event deliveries (include/nvmx/breakdown.h) ---- */

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
	if (!create || insert_slot((void **)&s->bds, &s->n_bds, &s->cap_bds, sizeof(*s->bds), at))
		return NULL;
	s->bds[at].isa = isa;
	s->bds[at].reason = reason;
	s->bds[at].kind = kind;
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
				  uint32_t l1_reason, uint64_t count, uint64_t service_ns)
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
		if (insert_slot((void **)&e->l1, &e->n_l1, &e->cap_l1, sizeof(*e->l1), at))
			return -ENOMEM;
		e->l1[at].reason = l1_reason;
	}
	e->l1[at].count += count;
	e->l1[at].service_ns += service_ns;
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
		if (insert_slot((void **)&s->vecs, &s->n_vecs, &s->cap_vecs, sizeof(*s->vecs), at))
			return -ENOMEM;
		s->vecs[at] = (struct nvmx_vec_entry){ isa, type, vector, outcome, 0 };
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
	if (isa == NVMX_ISA_ARM64) {
		/*
		 * exit_decode.h's reasons: interrupts and SErrors come from L0's devices and
		 * timers, aborts to a lower level also from L0's own stage-2 paging (as NPF)
		 */
		switch (reason) {
		case 0x20:  /* ESR_ELx_EC_IABT_LOW */
		case 0x24:  /* ESR_ELx_EC_DABT_LOW */
		case 0x2f:  /* ESR_ELx_EC_SERROR */
		case 0x100: /* NVMX_ARM64_R_IRQ */
		case 0x101: /* NVMX_ARM64_R_SERROR (ARM_EXCEPTION_EL1_SERROR) */
		case 0x110: /* NVMX_ARM64_R_FIQ */
			return false;
		default:
			return true;
		}
	}
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
	/* arm64's follow their reason: an IRQ for L1 also comes from L0's timers */
	if (kind == NVMX_KIND_SYNTHESIZED_TO_L1 && isa != NVMX_ISA_ARM64)
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

const char *nvmx_exit_level_name(enum nvmx_handler h)
{
	return h == NVMX_HANDLED_BY_NONE ? "L1" : "L2";
}

const char *const nvmx_kind_keys[] = {
	[NVMX_KIND_L2_EXIT] = "l2_exits",
	[NVMX_KIND_L1_EXIT] = "l1_exits",
	[NVMX_KIND_SYNTHESIZED_TO_L1] = "synthesized_to_l1",
	[NVMX_KIND_INJECTED_TO_L1] = "injected_to_l1",
};
