// SPDX-License-Identifier: GPL-2.0
/* The input of replay, report and bitmap (load.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "load.h"
#include "nvmx/cmdline.h"
#include "nvmx/input.h"

static int load_json(const char *prog, struct nvmx_input *in, const char *path, bool keep_root,
		     struct nvmx_loaded *out)
{
	char err[512];

	out->json = true;
	if (!keep_root) {
		out->sum = nvmx_summary_read_json_input(in, path, err, sizeof(err));
	} else if (!nvmx_input_read_json(in, path, &out->root, err, sizeof(err))) {
		out->sum = nvmx_summary_from_json(out->root, path, err, sizeof(err));
	}
	nvmx_input_close(in);
	if (!out->sum) {
		fprintf(stderr, "%s: %s\n", prog, err);
		nvmx_loaded_free(out);
		return 2;
	}
	return 0;
}

int nvmx_load(const char *prog, const char *path, bool keep_root, struct nvmx_loaded *out)
{
	return nvmx_load_filtered(prog, path, keep_root, NULL, out);
}

int nvmx_load_filtered(const char *prog, const char *path, bool keep_root,
		       const struct nvmx_replay_filter *filter, struct nvmx_loaded *out)
{
	struct nvmx_input *in;
	char msg[768];
	int line_too, err;

	memset(out, 0, sizeof(*out));
	err = nvmx_input_open(path, &in);
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(-err));
		return 2;
	}
	err = nvmx_input_is_json(in);
	if (err < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(-err));
		nvmx_input_close(in);
		return 2;
	}
	if (err && nvmx_replay_filter_active(filter)) {
		nvmx_replay_filter_text(filter, msg, sizeof(msg));
		fprintf(stderr,
			"%s: %s: a JSON file (an attribution) has no vCPU threads to keep: %s "
			"needs a capture\n",
			prog, path, msg);
		nvmx_input_close(in);
		return 2;
	}
	if (err)
		return load_json(prog, in, path, keep_root, out);
	err = nvmx_replay_input(in, path, filter, &out->sum, &out->stats, NULL);
	if (err == -ESRCH) {
		nvmx_replay_no_match(filter, path, &out->stats, msg, sizeof(msg));
		fprintf(stderr, "%s: %s\n", prog, msg);
		return 2;
	}
	if (err) {
		const char *what = nvmx_replay_strerror(err, &line_too);

		if (line_too)
			fprintf(stderr, "%s: %s:%" PRIu64 ": %s\n", prog, path,
				out->stats.lines + 1, what);
		else
			fprintf(stderr, "%s: %s: %s\n", prog, path, what);
		return 2;
	}
	if (nvmx_replay_check(&out->stats, path, msg, sizeof(msg))) {
		fprintf(stderr, "%s: %s\n", prog, msg);
		nvmx_loaded_free(out);
		return 2;
	}
	nvmx_replay_write_malformed(stderr, path, &out->stats);
	return 0;
}

void nvmx_loaded_free(struct nvmx_loaded *l)
{
	nvmx_summary_free(l->sum);
	l->sum = NULL;
	json_object_put(l->root);
	l->root = NULL;
}

int nvmx_filter_opt(const char *prog, int c, const char *arg, struct nvmx_replay_filter *f)
{
	char *end;
	unsigned long long v;

	if (c == 'M') {
		if (!arg[0])
			return nvmx_usage_error(prog, "--vm: give a VM's NAME or PID");
		f->vm = arg;
		return 0;
	}
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end || errno || v > UINT32_MAX)
		return nvmx_usage_error(prog, "--vcpu %s: expected a vCPU number 0..%u", arg,
					UINT32_MAX);
	f->vcpu = (int64_t)v;
	return 0;
}
