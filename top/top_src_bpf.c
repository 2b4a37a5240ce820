// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxtop standalone: nvmx's BPF programs loaded by nvmxtop itself through nvmxd's loader
 * (src/loader.h: the same programs, tp_btf where the kernel has them, and the same maps) and
 * read with nvmxd_core's map reading (src/collect.h) at each sample; VMs named as nvmxd names
 * them (src/vm_name.h).
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
#include "loader.h"
#include "top_source.h"
#include "vm_name.h"
#include "nvmx/util.h"

struct bpf_source {
	struct top_source src;
	struct nvmx_loader *loader;
	struct nvmx_counters counts;
	struct nvmxd_maps maps;
	struct top_sample names; /* VM names, kept while the VMs run */
	int stats_fd;
	bool finished;
};

static int fill(struct bpf_source *bs, struct top_sample *out)
{
	const struct nvmx_counters *c = &bs->counts;
	int err;

	top_sample_reset(out);
	for (size_t i = 0; i < c->n_exits; i++) {
		char name[64];

		if (top_sample_name(&bs->names, c->exits[i].key.tgid))
			continue;
		nvmxd_read_vm_name(c->exits[i].key.tgid, name, sizeof(name));
		err = top_sample_set_name(&bs->names, c->exits[i].key.tgid, name);
		if (err)
			return err;
	}
	err = top_sample_add_counters(out, c, false);
	if (err)
		return err;
	for (size_t i = 0; i < bs->names.n_names; i++) {
		err = top_sample_set_name(out, bs->names.names[i].tgid, bs->names.names[i].name);
		if (err)
			return err;
	}
	out->time_ns = nvmx_mono_ns();
	out->lost_events = nvmx_counters_lost(c);
	out->overhead_known = bs->stats_fd >= 0;
	out->bpf_run_ns = 0;
	for (size_t i = 0; i < nvmx_loader__prog_count(bs->loader) && out->overhead_known; i++) {
		const struct nvmx_loader_prog *p = nvmx_loader__prog(bs->loader, i);
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		/* libbpf 1.1 has no bpf_prog_get_info_by_fd (1.2+); this is the same call */
		if (p->attached && !bpf_obj_get_info_by_fd(p->fd, &info, &len))
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
	nvmx_loader__detach(bs->loader);
	bs->finished = true;
	err = nvmxd_counts_read(&bs->counts, &bs->maps);
	if (!err)
		err = nvmxd_counts_end(&bs->counts, bs->maps.threads, bs->maps.slots,
				       nvmx_mono_ns(), NULL);
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

	nvmx_loader__destroy(bs->loader);
	nvmx_counters_free(&bs->counts);
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

/* With -v: the loader's lines as nvmxd prints them, before the display starts. */
static void loader_log(void *ctx, enum nvmx_loader_log_level level, const char *line)
{
	fprintf(stderr, "nvmxtop: %s\n", line);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* a full-screen display cannot take libbpf's lines: errors come back as errno */
	return 0;
}

static int libbpf_warnings(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* -v: what a failed load says (the verifier's log), not libbpf's debug output */
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

/* The loader's steps (nvmxd's: probe → open → load → attach). Sets why on failure. */
static int setup(struct bpf_source *bs, bool bpf_stats, bool verbose)
{
	const struct nvmx_loader_opts lo = {
		.who = "nvmxtop",
		.log = verbose ? loader_log : NULL,
	};
	char *why = bs->src.why;
	size_t wl = sizeof(bs->src.why), missing, attached;
	int err;

	if (geteuid() != 0) {
		snprintf(why, wl,
			 "standalone mode loads BPF programs and needs root (CAP_BPF and "
			 "CAP_PERFMON): run nvmxtop as root, or connect to a running nvmxd");
		return -EPERM;
	}
	libbpf_set_print(verbose ? libbpf_warnings : libbpf_quiet);
	bs->loader = nvmx_loader__new(&lo);
	if (!bs->loader)
		return -ENOMEM;
	err = nvmx_loader__probe(bs->loader);
	if (!err)
		err = nvmx_loader__load(bs->loader);
	if (!err && bpf_stats) {
		bs->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (bs->stats_fd < 0)
			bs->stats_fd = -1; /* the header then says the overhead is not known */
	}
	if (!err)
		err = nvmx_loader__attach(bs->loader);
	if (err == -ENOENT)
		snprintf(why, wl,
			 "%.300s (nvmxtop has nothing to show here: to see nested exits without a "
			 "nested-capable host, run the lab: nvmx up --lab)",
			 nvmx_loader__error(bs->loader));
	else if (err)
		snprintf(why, wl, "%s", nvmx_loader__error(bs->loader));
	if (err)
		return err;
	bs->maps = nvmx_loader__maps(bs->loader).counts;
	attached = nvmx_loader__attached(bs->loader, &missing);
	snprintf(bs->src.what, sizeof(bs->src.what), "standalone BPF, %zu/%zu programs", attached,
		 attached + missing);
	return 0;
}

int top_source_bpf_new(bool bpf_stats, bool verbose, const char *ready_path,
		       struct top_source **out, char *why, size_t why_len)
{
	struct bpf_source *bs = calloc(1, sizeof(*bs));
	int err;

	*out = NULL;
	if (!bs)
		return -ENOMEM;
	bs->src.ops = &bpf_ops;
	bs->src.live = true;
	bs->stats_fd = -1;
	err = setup(bs, bpf_stats, verbose);
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
