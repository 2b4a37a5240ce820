// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxtop standalone: nvmx's BPF programs loaded by nvmxtop itself, with nvmxd_core's probing
 * (src/probe.h) and map reading (src/collect.h), the same steps as nvmxd: probe → open → load
 * the programs whose tracepoints exist → attach → read the per-CPU maps at each sample.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collect.h"
#include "probe.h"
#include "nvmx.skel.h"
#include "top_source.h"
#include "nvmx/util.h"

#define N_TPS 9

struct bpf_source {
	struct top_source src;
	struct nvmx_bpf *skel;
	struct nvmxd_tp tps[N_TPS];
	struct bpf_program *progs[N_TPS];
	struct bpf_link *links[N_TPS];
	struct nvmxd_counts counts;
	struct nvmxd_maps maps;
	struct top_sample names; /* VM names, kept while the VMs run */
	int stats_fd;
	bool finished;
};


/* QEMU's -name guest=X, else /proc/PID/comm: the name a VM is known by. */
static void read_vm_name(uint32_t tgid, char *out, size_t len)
{
	char path[64], buf[4096];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/cmdline", tgid);
	f = fopen(path, "re");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	for (size_t i = 0; i < n; i += strlen(buf + i) + 1) {
		const char *arg = buf + i, *v = arg + strlen(arg) + 1;

		if ((strcmp(arg, "-name") && strcmp(arg, "--name")) || v >= buf + n)
			continue;
		if (!strncmp(v, "guest=", 6))
			v += 6;
		snprintf(out, len, "%.*s", (int)strcspn(v, ","), v);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/comm", tgid);
	f = fopen(path, "re");
	if (f && fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(out, len, "%s", buf);
	} else {
		snprintf(out, len, "(exited before it was named)");
	}
	if (f)
		fclose(f);
}


static void detach(struct bpf_source *bs)
{
	for (size_t i = 0; i < N_TPS; i++) {
		bpf_link__destroy(bs->links[i]);
		bs->links[i] = NULL;
	}
}

static int fill(struct bpf_source *bs, struct top_sample *out)
{
	const struct nvmxd_counts *c = &bs->counts;
	int err;

	top_sample_reset(out);
	for (size_t i = 0; i < c->n_exits; i++) {
		const struct nvmxd_exit *x = &c->exits[i];
		struct top_entry e = {
			.tgid = x->key.tgid,
			.tid = x->key.tid,
			.isa = x->key.isa,
			.reason = x->key.reason,
			.outcome = x->key.outcome,
			.count = x->hist.count,
			.sum_ns = x->hist.sum_ns,
		};
		char name[64];

		if (!top_sample_name(&bs->names, e.tgid)) {
			read_vm_name(e.tgid, name, sizeof(name));
			err = top_sample_set_name(&bs->names, e.tgid, name);
			if (err)
				return err;
		}
		err = top_sample_add(out, &e);
		if (err)
			return err;
	}
	/* the complete round trips: per VM in the maps, so VM-wide entries (tid 0) */
	for (size_t i = 0; i < c->n_bds; i++) {
		const struct nvmxd_bd *b = &c->bds[i];
		struct top_entry e = {
			.tgid = b->key.tgid,
			.tid = 0,
			.isa = b->key.isa,
			.reason = b->key.reason,
			.outcome = TOP_ROUND_TRIP,
			.count = b->v.count,
			.sum_ns = b->v.sum_ns[NVMX_RT_ROUND_TRIP],
		};

		if (b->key.kind != NVMX_BD_ROUND_TRIP || !b->v.count)
			continue;
		for (uint32_t p = 0; p < TOP_RT_PARTS; p++)
			e.part_ns[p] = b->v.sum_ns[p];
		for (size_t k = 0; k < c->n_bd_l1s; k++) {
			const struct nvmx_bd_l1_key *lk = (const void *)c->bd_l1s[k].key;

			if (lk->tgid == e.tgid && lk->isa == e.isa && lk->reason == e.reason)
				e.l1_exits += c->bd_l1s[k].count;
		}
		err = top_sample_add(out, &e);
		if (err)
			return err;
	}
	for (size_t i = 0; i < bs->names.n_names; i++) {
		err = top_sample_set_name(out, bs->names.names[i].tgid, bs->names.names[i].name);
		if (err)
			return err;
	}
	out->time_ns = nvmx_mono_ns();
	out->lost_events = nvmxd_counts_update_failures(c);
	out->overhead_known = bs->stats_fd >= 0;
	out->bpf_run_ns = 0;
	for (size_t i = 0; i < N_TPS && out->overhead_known; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bs->links[i] || bs->finished ? bpf_program__fd(bs->progs[i]) : -1;

		memset(&info, 0, sizeof(info));
		/* libbpf 1.1 has no bpf_prog_get_info_by_fd (1.2+); this is the same call */
		if (fd >= 0 && bs->tps[i].present && !bpf_obj_get_info_by_fd(fd, &info, &len))
			out->bpf_run_ns += info.run_time_ns;
	}
	if (!c->n_exits && !nvmx_kvm_nested_enabled())
		snprintf(
			bs->src.note, sizeof(bs->src.note),
			"no nested exits: this host's KVM runs no nested guests (neither kvm_intel "
			"nor kvm_amd is loaded with nested=1). To see some, run the nested lab: "
			"nvmx up --lab");
	else if (!c->n_exits)
		snprintf(bs->src.note, sizeof(bs->src.note),
			 "no nested exits yet: nested guests are enabled, but no L1 hypervisor has "
			 "run an L2 guest since nvmxtop started");
	else
		bs->src.note[0] = '\0';
	return 0;
}

static int bpf_sample(struct top_source *src, struct top_sample *out)
{
	struct bpf_source *bs = (struct bpf_source *)src;
	int err;

	if (!bs->finished) {
		err = nvmxd_counts_read(&bs->counts, &bs->maps);
		if (err) {
			snprintf(src->why, sizeof(src->why), "reading nvmx's BPF maps failed: %s",
				 strerror(-err));
			return err;
		}
	}
	return fill(bs, out);
}

static int bpf_finish(struct top_source *src, struct top_sample *out)
{
	struct bpf_source *bs = (struct bpf_source *)src;
	int err;

	if (bs->finished)
		return fill(bs, out);
	/* no event may change the state map while undecided exits are ended (as nvmxd) */
	detach(bs);
	bs->finished = true;
	err = nvmxd_counts_read(&bs->counts, &bs->maps);
	if (!err)
		err = nvmxd_counts_end(&bs->counts, bs->maps.threads, bs->maps.slots, nvmx_mono_ns(),
				       NULL);
	if (err) {
		snprintf(src->why, sizeof(src->why), "reading nvmx's BPF maps failed: %s",
			 strerror(-err));
		return err;
	}
	err = fill(bs, out);
	out->ended = true;
	return err;
}

static void bpf_free(struct top_source *src)
{
	struct bpf_source *bs = (struct bpf_source *)src;

	detach(bs);
	nvmx_bpf__destroy(bs->skel);
	nvmxd_counts_free(&bs->counts);
	top_sample_free(&bs->names);
	if (bs->stats_fd >= 0)
		close(bs->stats_fd);
	free(bs);
}

static const struct top_source_ops bpf_ops = {
	.sample = bpf_sample,
	.finish = bpf_finish,
	.free = bpf_free,
};

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* a full-screen display cannot take libbpf's lines: errors come back as errno */
	return 0;
}

/* Probe → open → load → attach. Sets why on failure. */
static int setup(struct bpf_source *bs, bool bpf_stats)
{
	struct nvmx_bpf *s;
	char tracefs[128];
	const char *btf_where;
	bool mounted;
	size_t present = 0, attached = 0;
	char *why = bs->src.why;
	size_t wl = sizeof(bs->src.why);
	int err;

	if (geteuid() != 0) {
		snprintf(why, wl,
			 "standalone mode loads BPF programs and needs root (CAP_BPF and "
			 "CAP_PERFMON): run nvmxtop as root, or connect to a running nvmxd");
		return -EPERM;
	}
	err = nvmxd_tracefs(tracefs, sizeof(tracefs), &mounted);
	if (err) {
		snprintf(why, wl, "no tracefs (and mounting it failed: %s)", strerror(-err));
		return err;
	}
	if (!nvmxd_kvm_events_exist(tracefs)) {
		snprintf(why, wl,
			 "no KVM on this host (%s/events/kvm is missing: KVM is neither built in "
			 "nor "
			 "loaded). nvmxtop has nothing to show here; to see nested exits without a "
			 "nested-capable host, run the lab: nvmx up --lab",
			 tracefs);
		return -ENOENT;
	}
	libbpf_set_print(libbpf_quiet);
	bs->skel = s = nvmx_bpf__open();
	if (!s) {
		err = -errno;
		snprintf(why, wl, "opening the BPF object failed: %s", strerror(-err));
		return err;
	}
	{
		const struct {
			const char *event, *btf_type;
			struct bpf_program *prog;
		} t[N_TPS] = {
			{ "kvm_exit", "trace_event_raw_kvm_exit", s->progs.nvmx_kvm_exit },
			{ "kvm_nested_vmexit", "trace_event_raw_kvm_nested_vmexit",
			  s->progs.nvmx_kvm_nested_vmexit },
			{ "kvm_nested_vmexit_inject", "trace_event_raw_kvm_nested_vmexit_inject",
			  s->progs.nvmx_kvm_nested_vmexit_inject },
			{ "kvm_nested_vmenter", "trace_event_raw_kvm_nested_vmenter",
			  s->progs.nvmx_kvm_nested_vmenter },
			{ "kvm_nested_vmenter_failed", NULL,
			  s->progs.nvmx_kvm_nested_vmenter_failed },
			{ "kvm_nested_intr_vmexit", NULL, s->progs.nvmx_kvm_nested_intr_vmexit },
			{ "kvm_entry", "trace_event_raw_kvm_entry", s->progs.nvmx_kvm_entry },
			{ "kvm_userspace_exit", "trace_event_raw_kvm_userspace_exit",
			  s->progs.nvmx_kvm_userspace_exit },
			{ "kvm_msr", "trace_event_raw_kvm_msr", s->progs.nvmx_kvm_msr },
		};

		for (size_t i = 0; i < N_TPS; i++) {
			memset(&bs->tps[i], 0, sizeof(bs->tps[i]));
			bs->tps[i].event = t[i].event;
			bs->tps[i].btf_type = t[i].btf_type;
			bs->progs[i] = t[i].prog;
		}
	}
	err = nvmxd_probe_tracepoints(tracefs, bs->tps, N_TPS, &btf_where);
	if (err) {
		snprintf(why, wl, "probing the kernel failed: %s", strerror(-err));
		return err;
	}
	/* the smallest ring buffer the kernel takes: nvmxtop records nothing */
	err = bpf_map__set_max_entries(s->maps.nvmx_events, (__u32)sysconf(_SC_PAGESIZE));
	if (err) {
		snprintf(why, wl, "sizing the ring buffer failed: %s", strerror(-err));
		return err;
	}
	/* only the classic programs of the table: nvmxtop shows no MSR detail (no RCX program) */
	nvmxd_autoload_none(s->obj);
	for (size_t i = 0; i < N_TPS; i++) {
		bpf_program__set_autoload(bs->progs[i], bs->tps[i].present);
		present += bs->tps[i].present;
	}
	if (!present) {
		snprintf(why, wl,
			 "none of nvmx's KVM tracepoints can be used on this kernel (%s: %s)",
			 bs->tps[0].event, bs->tps[0].missing);
		return -ENOENT;
	}
	err = nvmx_bpf__load(s);
	if (err) {
		snprintf(why, wl,
			 "loading the BPF programs failed: %s (nvmxd -v shows libbpf's log)",
			 strerror(-err));
		return err;
	}
	if (bpf_stats) {
		bs->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (bs->stats_fd < 0)
			bs->stats_fd = -1; /* the header then says the overhead is not known */
	}
	for (size_t i = 0; i < N_TPS; i++) {
		if (!bs->tps[i].present)
			continue;
		bs->links[i] = bpf_program__attach(bs->progs[i]);
		if (!bs->links[i]) {
			bs->tps[i].present = false;
			snprintf(bs->tps[i].missing, sizeof(bs->tps[i].missing),
				 "attach failed: %s", strerror(errno));
			continue;
		}
		attached++;
	}
	if (!attached) {
		snprintf(why, wl, "no nvmx program could be attached (%s: %s)", bs->tps[0].event,
			 bs->tps[0].missing);
		return -ENOENT;
	}
	bs->maps.threads = bpf_map__fd(s->maps.nvmx_threads);
	bs->maps.slots = bpf_map__fd(s->maps.nvmx_slots);
	bs->maps.exits = bpf_map__fd(s->maps.nvmx_exits);
	bs->maps.msrs = bpf_map__fd(s->maps.nvmx_msrs);
	bs->maps.ports = bpf_map__fd(s->maps.nvmx_ports);
	bs->maps.self = bpf_map__fd(s->maps.nvmx_self);
	bs->maps.breakdown = bpf_map__fd(s->maps.nvmx_breakdown);
	bs->maps.bd_l1 = bpf_map__fd(s->maps.nvmx_bd_l1);
	snprintf(bs->src.what, sizeof(bs->src.what), "standalone BPF, %zu/%d tracepoints", attached,
		 N_TPS);
	return 0;
}

int top_source_bpf_new(bool bpf_stats, const char *ready_path, struct top_source **out, char *why,
		       size_t why_len)
{
	struct bpf_source *bs = calloc(1, sizeof(*bs));
	int err;

	*out = NULL;
	if (!bs)
		return -ENOMEM;
	bs->src.ops = &bpf_ops;
	bs->src.live = true;
	bs->stats_fd = -1;
	err = setup(bs, bpf_stats);
	if (!err && ready_path) {
		int fd = open(ready_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0) {
			err = -errno;
			snprintf(bs->src.why, sizeof(bs->src.why), "cannot create %s: %s",
				 ready_path, strerror(errno));
		} else {
			close(fd);
		}
	}
	if (err) {
		snprintf(why, why_len, "%s", bs->src.why);
		bpf_free(&bs->src);
		return err;
	}
	*out = &bs->src;
	return 0;
}
