// SPDX-License-Identifier: GPL-2.0
/* nvmxd's Turtles breakdown: anomalies, the cycle-counter probe, the table (src/turtles.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/perf_event.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "nvmx/derive.h"
#include "nvmx/breakdown.h"
#include "nvmx/exit_reasons.h"
#include "turtles.h"

struct nvmxd_turtles {
	struct ring_buffer *rb;
	int *cycle_fds; /* per CPU, -1 for CPUs that are not online; NULL: no cycles */
	uint32_t ncpus;
	FILE *log;
	nvmxd_vm_name_fn name;
	void *ctx;
	uint64_t lost;
	char unit_line[256];
	char cycles_json[320];
};

static int on_anomaly(void *ctx, void *data, size_t size)
{
	struct nvmxd_turtles *t = ctx;
	const struct nvmx_anomaly *a = data;
	char rb[24];

	/* a new thread (struct nvmx_thread_seen): its VM named now, while it runs */
	if (size == sizeof(struct nvmx_thread_seen)) {
		if (t->name)
			(void)t->name(t->ctx, ((const struct nvmx_thread_seen *)data)->tgid);
		return 0;
	}
	if (size < sizeof(*a))
		return 0;
	t->lost++;
	if (!t->log)
		return 0;
	fprintf(t->log,
		"nvmxd: lost event: VM %s (pid %" PRIu32 ") vCPU %" PRIu32 " (thread %" PRIu32
		"): %s vector 0x%x interrupted by L2 exit %s %s at rip 0x%" PRIx64
		" was neither reinjected into L2 nor handed to L1\n",
		t->name ? t->name(t->ctx, a->tgid) : "?", a->tgid, a->vcpu_id, a->tid,
		nvmx_vec_type_name(a->type), a->vector, nvmx_isa_name(a->isa),
		nvmx_reason_name(a->isa, a->reason, rb, sizeof(rb)), (uint64_t)a->rip);
	return 0;
}

static void close_cycles(struct nvmxd_turtles *t)
{
	for (uint32_t i = 0; t->cycle_fds && i < t->ncpus; i++)
		if (t->cycle_fds[i] >= 0)
			close(t->cycle_fds[i]);
	free(t->cycle_fds);
	t->cycle_fds = NULL;
}

/*
 * Whether every online CPU has a hardware cycle counter: perf_event_open of
 * PERF_COUNT_HW_CPU_CYCLES, pinned (never multiplexed, so a read is a stamp), for all threads of
 * each CPU, guest time included (as a BPF perf-event array needs). Emulated CPUs (QEMU TCG,
 * Bochs) and paravirtual guests have none: ENOENT. CPUs not online (ENODEV) never run an event.
 */
static void probe_cycles(struct nvmxd_turtles *t)
{
	struct perf_event_attr attr;
	int ncpus = libbpf_num_possible_cpus(), fd, err = 0, opened = 0, cpu = 0;

	if (ncpus <= 0) {
		err = ncpus ? -ncpus : ENODEV;
		goto out;
	}
	t->cycle_fds = malloc((size_t)ncpus * sizeof(int));
	if (!t->cycle_fds) {
		err = ENOMEM;
		goto out;
	}
	t->ncpus = (uint32_t)ncpus;
	for (cpu = 0; cpu < ncpus; cpu++)
		t->cycle_fds[cpu] = -1;
	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_HARDWARE;
	attr.size = sizeof(attr);
	attr.config = PERF_COUNT_HW_CPU_CYCLES;
	attr.pinned = 1;
	for (cpu = 0; cpu < ncpus; cpu++) {
		fd = (int)syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd >= 0) {
			t->cycle_fds[cpu] = fd;
			opened++;
		} else if (errno != ENODEV) {
			err = errno;
			break;
		}
	}
	if (!err && !opened)
		err = ENODEV;
out:
	if (err) {
		close_cycles(t);
		t->ncpus = 0;
		snprintf(
			t->unit_line, sizeof(t->unit_line),
			"breakdown in ns; CPU cycles unavailable: no hardware cycle counter on CPU "
			"%d (perf_event_open: %s)",
			cpu, strerror(err));
		snprintf(t->cycles_json, sizeof(t->cycles_json),
			 "{\"available\": false, \"reason\": \"perf_event_open cycles on CPU %d: "
			 "%s\", \"unit\": \"ns\"}",
			 cpu, strerror(err));
		return;
	}
	snprintf(t->unit_line, sizeof(t->unit_line),
		 "breakdown in ns, and in CPU cycles (hardware counters on %d CPUs) for the round "
		 "trips whose boundaries all ran on one CPU",
		 opened);
	snprintf(t->cycles_json, sizeof(t->cycles_json),
		 "{\"available\": true, \"cpus\": %d, \"unit\": \"ns and cycles\"}", opened);
}

int nvmxd_turtles_new(FILE *log, nvmxd_vm_name_fn name, void *ctx, struct nvmxd_turtles **out)
{
	struct nvmxd_turtles *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->log = log;
	t->name = name;
	t->ctx = ctx;
	probe_cycles(t);
	*out = t;
	return 0;
}

uint32_t nvmxd_turtles_cycles_cpus(const struct nvmxd_turtles *t)
{
	return t && t->cycle_fds ? t->ncpus : 0;
}

int nvmxd_turtles_start(struct nvmxd_turtles *t, int anomalies_fd, int cycles_fd)
{
	t->rb = ring_buffer__new(anomalies_fd, on_anomaly, t, NULL);
	if (!t->rb)
		return -errno;
	for (uint32_t cpu = 0; t->cycle_fds && cpu < t->ncpus; cpu++) {
		if (t->cycle_fds[cpu] < 0)
			continue;
		if (bpf_map_update_elem(cycles_fd, &cpu, &t->cycle_fds[cpu], BPF_ANY))
			return -errno;
	}
	return 0;
}

int nvmxd_turtles_poll(struct nvmxd_turtles *t)
{
	return t ? ring_buffer__consume(t->rb) : 0;
}

uint64_t nvmxd_turtles_lost_events(const struct nvmxd_turtles *t)
{
	return t ? t->lost : 0;
}

const char *nvmxd_turtles_unit_line(const struct nvmxd_turtles *t)
{
	return t ? t->unit_line : "breakdown in ns";
}

const char *nvmxd_turtles_cycles_json(const struct nvmxd_turtles *t)
{
	return t ? t->cycles_json
		 : "{\"available\": false, \"reason\": \"not probed\", "
		   "\"unit\": \"ns\"}";
}

void nvmxd_turtles_print(const struct nvmx_counters *c, uint32_t tgid, const char *indent, FILE *f)
{
	struct nvmx_bd_value *v = malloc(sizeof(*v));

	/* per VM: each (VM, reason, kind) once, summed over the VM's vCPU threads */
	for (size_t i = 0; v && i < c->n_bds; i++) {
		const struct nvmx_bd_key *key = &c->bds[i].key;
		const __u64 *s = v->sum_ns;
		char rbuf[24];
		const char *rb;

		if ((tgid && key->tgid != tgid) || !nvmx_counters_bd_of_process(c, i, v) ||
		    !v->count)
			continue;
		rb = nvmx_reason_name(key->isa, key->reason, rbuf, sizeof(rbuf));
		if (key->kind != NVMX_BD_ROUND_TRIP) {
			fprintf(f, "%s%-20s L0-handled%s %8" PRIu64 "  mean %.1f us\n", indent, rb,
				key->kind == NVMX_BD_L0_TO_VMM ? " (to VMM)" : "        ",
				(uint64_t)v->count, nvmx_mean(s[0], v->count) / 1e3);
			continue;
		}
		fprintf(f,
			"%s%-20s round trips %8" PRIu64 "  mean %.1f us: L0exit %.0f%%, reflect "
			"%.0f%%, L1hdl %.0f%%, L1svc %.0f%%, L0entry %.0f%%, mult %.2f\n",
			indent, rb, (uint64_t)v->count,
			nvmx_mean(s[NVMX_RT_ROUND_TRIP], v->count) / 1e3,
			100 * nvmx_share(s[NVMX_RT_L0_EXIT], s[0]),
			100 * nvmx_share(s[NVMX_RT_L0_REFLECT], s[0]),
			100 * nvmx_share(s[NVMX_RT_L1_HANDLER], s[0]),
			100 * nvmx_share(s[NVMX_RT_L1_EXIT_SERVICE], s[0]),
			100 * nvmx_share(s[NVMX_RT_L0_ENTRY_EMULATION], s[0]),
			nvmx_exit_multiplication(nvmx_counters_bd_l1_exits(c, key, true),
						 v->count));
	}
	if (!v)
		fprintf(f, "%s(breakdown not shown: out of memory)\n", indent);
	free(v);
}

void nvmxd_turtles_free(struct nvmxd_turtles *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	close_cycles(t);
	free(t);
}
