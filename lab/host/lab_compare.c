// SPDX-License-Identifier: GPL-2.0
/*
 * A run's results against the truth (lab_plan.h): every module parameter read back as asked, a
 * trace that lost no event, replayed (nvmx_replay_path(), as `nvmx replay`) into observed.json,
 * and every certain count compared with the workload's truth.json, per configuration.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab_plan.h"
#include "nvmx/replay.h"
#include "nvmx/summary.h"

/* Whether the guest's reading of a parameter ("Y", "1", "N", "0") matches what was asked. */
static bool param_value_matches(const char *asked, const char *read)
{
	static const char *const yes[] = { "1", "y", "Y", "true", NULL };
	static const char *const no[] = { "0", "n", "N", "false", NULL };
	int asked_class = 0, read_class = 0;

	for (int i = 0; yes[i]; i++) {
		asked_class |= !strcmp(asked, yes[i]) ? 1 : !strcmp(asked, no[i]) ? 2 : 0;
		read_class |= !strcmp(read, yes[i]) ? 1 : !strcmp(read, no[i]) ? 2 : 0;
	}
	if (asked_class && read_class)
		return asked_class == read_class;
	return !strcmp(asked, read);
}

static int check_param(const struct lab_param *p, const struct lab_strv *params)
{
	char key[256];
	const char *read = NULL;

	snprintf(key, sizeof(key), "%s.%s=", p->module, p->name);
	for (size_t j = 0; j < params->n; j++)
		if (!strncmp(params->v[j], key, strlen(key)))
			read = params->v[j] + strlen(key);
	if (!read)
		return lab_fail(-EINVAL,
				"parameter %s%s: the guest has no such parameter "
				"(see console.log)",
				key, p->value);
	if (!param_value_matches(p->value, read))
		return lab_fail(-EINVAL, "parameter %s%s: the module reads %s", key, p->value,
				read);
	return 0;
}

/*
 * Every parameter must read back as asked in the configuration it was asked for, else the
 * module silently ignored or refused it.
 */
static int check_params(const struct lab_plan *o, const struct lab_console *con, size_t ci)
{
	const struct lab_config *c = &o->configs[ci];
	const struct lab_strv *read = &con->config_params[ci + 1];
	int r = 0;

	for (size_t i = 0; !r && i < o->n_params; i++)
		if (!lab_config_param(c, o->params[i].module, o->params[i].name))
			r = check_param(&o->params[i], read);
	for (size_t i = 0; !r && i < c->n_params; i++)
		r = check_param(&c->params[i], read);
	return r;
}

/* "# entries-in-buffer/entries-written: 123/123   #P:1" in the trace header. */
static int check_trace_loss(const char *trace, unsigned long *entries)
{
	char line[512];
	FILE *f = fopen(trace, "re");
	unsigned long in_buffer, written;
	int found = 0;

	if (!f)
		return lab_fail(-errno, "%s: %s (the guest wrote no trace)", trace,
				strerror(errno));
	for (int i = 0; i < 20 && fgets(line, sizeof(line), f); i++) {
		if (sscanf(line, "# entries-in-buffer/entries-written: %lu/%lu", &in_buffer,
			   &written) == 2) {
			found = 1;
			break;
		}
	}
	fclose(f);
	if (!found)
		return lab_fail(-EINVAL, "%s: no entries-in-buffer/entries-written header", trace);
	*entries = in_buffer;
	if (in_buffer != written)
		return lab_fail(-ENOSPC,
				"the trace lost %lu of %lu events (buffer too small: raise "
				"--buffer-kb)",
				written - in_buffer, written);
	return 0;
}

/*
 * Compares truth with the replayed trace in out_dir: the exit status of the configuration.
 * Without truth (--l2 linux: nothing about L2 Linux's exits is certain), only observed.json.
 */
static int analyse(const char *out_dir, const char *guest_dir, bool has_truth)
{
	char trace[PATH_MAX], path[PATH_MAX], err[1024];
	struct nvmx_summary *truth = NULL, *observed = NULL;
	struct nvmx_replay_stats stats = { 0 };
	unsigned long entries = 0;
	FILE *f;
	int r, diffs;

	if (lab_path_join(trace, guest_dir, "trace.txt") ||
	    lab_path_join(path, out_dir, "trace.txt.xz"))
		return -ENAMETOOLONG;
	r = check_trace_loss(trace, &entries);
	if (r && r != -ENOSPC)
		return r;
	lab_progress("collecting: %lu trace events, compressing to %s", entries, path);
	{
		int xr = lab_xz_compress_file(trace, path);

		if (xr)
			return xr;
	}
	if (r)
		return r;

	lab_progress("comparing: replaying the trace");
	r = nvmx_replay_path(trace, &observed, &stats, stderr);
	if (r)
		return lab_fail(r, "%s: replay failed: %s", trace, strerror(-r));
	if (stats.lost_events) {
		r = lab_fail(-ENOSPC,
			     "%s: the capture says it lost %llu events (raise --buffer-kb)", trace,
			     (unsigned long long)stats.lost_events);
		goto out;
	}
	if (stats.malformed) {
		r = lab_fail(-EINVAL, "%s: %llu malformed lines (listed above)", trace,
			     (unsigned long long)stats.malformed);
		goto out;
	}
	r = lab_path_join(path, out_dir, "observed.json");
	if (r)
		goto out;
	f = fopen(path, "we");
	if (!f) {
		r = lab_fail(-errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	r = nvmx_summary_write_json(observed, f);
	if (fclose(f) && !r)
		r = -errno;
	if (r) {
		r = lab_fail(r, "%s: cannot write: %s", path, strerror(-r));
		goto out;
	}
	if (!has_truth) {
		lab_progress("comparing: no truth (--l2 linux: no exit of L2 Linux is certain); "
			     "%llu events replayed into observed.json; L0's own counts per reason: "
			     "kvm_nested_vmexit.hist, kvm_nested_vmexit_inject.hist",
			     (unsigned long long)stats.events);
		r = LAB_SAME;
		goto out;
	}
	r = lab_path_join(path, out_dir, "truth.json");
	if (r)
		goto out;
	truth = nvmx_summary_read_json(path, err, sizeof(err));
	if (!truth) {
		r = lab_fail(-EINVAL, "%s", err);
		goto out;
	}
	diffs = nvmx_summary_compare_certain(truth, observed, stderr);
	if (diffs) {
		lab_progress("comparing: %d certain count(s) differ between truth.json and "
			     "observed.json",
			     diffs);
		r = LAB_DIFFERENT;
	} else {
		lab_progress("comparing: every certain count of observed.json equals truth.json "
			     "(%llu events replayed)",
			     (unsigned long long)stats.events);
		r = LAB_SAME;
	}
out:
	nvmx_summary_free(truth);
	nvmx_summary_free(observed);
	return r;
}

/* What the guest writes to /out/CONFIG that DIR keeps (the trace is compressed instead). */
const char *const lab_guest_results[] = {
	"truth.json", "workload.stdout", "workload.stderr", "l1-console.log",
	/* --l2 linux: L0's hist counts (lab/l1-kvm.sh) */
	"kvm_nested_vmexit.hist", "kvm_nested_vmexit_inject.hist", "kvm_nested_vmexit.format",
	"kvm_nested_vmexit_inject.format",
	/* --l1 kvm with the runner element migrate */
	"nested-state-ioctls.hist", "l1-monitor1.log", "l1-monitor2.log",
	/* --isa arm64: the events' formats (lab/init.sh, LAB_FORMATS) */
	"formats", NULL
};

/* One configuration's results: its exit status (0 same, 1 differs, 2 cannot run). */
int lab_config_result(const struct lab_plan *o, const struct lab_console *con, size_t ci,
		      const char *out_dir, const char *guest_dir)
{
	const struct lab_config *c = &o->configs[ci];
	const struct lab_strv *err = &con->config_stderr[ci + 1];
	char cfg_out[PATH_MAX], cfg_guest[PATH_MAX];
	int r, exit_status = con->config_exit[ci + 1];

	if (!strcmp(c->dir, ".")) {
		snprintf(cfg_out, sizeof(cfg_out), "%s", out_dir);
		snprintf(cfg_guest, sizeof(cfg_guest), "%s", guest_dir);
	} else if (lab_path_join(cfg_out, out_dir, c->dir) ||
		   lab_path_join(cfg_guest, guest_dir, c->dir)) {
		return lab_fail(-ENAMETOOLONG, "%s: path too long", out_dir);
	}
	r = lab_mkdir_p(cfg_out, 0755);
	for (size_t i = 0; !r && lab_guest_results[i]; i++)
		r = lab_move_if_exists(cfg_guest, cfg_out, lab_guest_results[i]);
	if (r)
		return r;
	if (exit_status < 0)
		return lab_fail(-EIO, "the workload of '%s' did not run (see console.log)",
				c->workload);
	r = check_params(o, con, ci);
	if (r)
		return r;
	if (exit_status == 2)
		return lab_fail(-ENOTSUP, "the workload cannot run: %s",
				err->n ? err->v[0] : "(no reason given)");
	if (exit_status != 0) {
		fprintf(stderr, "nvmx lab: the workload failed with exit status %d%s%s\n",
			exit_status, err->n ? ": " : "", err->n ? err->v[0] : "");
		return LAB_DIFFERENT;
	}
	return analyse(cfg_out, cfg_guest, o->l2 != LAB_L2_LINUX);
}

/* Several configurations: one line each in DIR/configs.txt, and the worst status. */
int lab_configs_result(const struct lab_plan *o, const struct lab_console *con, const char *out_dir,
		       const char *guest_dir)
{
	struct lab_buf summary = { 0 };
	char path[PATH_MAX];
	int worst = LAB_SAME;

	for (size_t i = 0; i < o->n_configs; i++) {
		const struct lab_config *c = &o->configs[i];
		int r;

		if (o->n_configs > 1)
			lab_progress("config %zu (%s): comparing", i + 1, c->dir);
		r = lab_config_result(o, con, i, out_dir, guest_dir);
		if (r < 0) {
			fprintf(stderr, "nvmx lab: %s: cannot run: %s\n", c->dir, lab_error());
			r = LAB_CANNOT_RUN;
		}
		if (o->n_configs > 1)
			lab_progress("config %zu (%s): exit %d", i + 1, c->dir, r);
		(void)lab_buf_printf(&summary, "%s\t%d\t%s", c->dir, r, c->workload);
		for (size_t j = 0; j < c->n_params; j++)
			(void)lab_buf_printf(&summary, ";%s.%s=%s", c->params[j].module,
					     c->params[j].name, c->params[j].value);
		(void)lab_buf_printf(&summary, "\n");
		if (r == LAB_CANNOT_RUN || (r == LAB_DIFFERENT && worst == LAB_SAME))
			worst = r;
	}
	if (o->n_configs > 1 && !lab_path_join(path, out_dir, "configs.txt") && summary.data)
		(void)lab_write_file(path, summary.data, summary.len, 0644);
	lab_buf_free(&summary);
	return worst;
}
