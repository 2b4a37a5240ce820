// SPDX-License-Identifier: GPL-2.0
/*
 * The trace reader, parser and replay (lib/trace_reader.c, trace_parse.c, replay.c) on any bytes:
 * a tracefs `trace`, trace-cmd report output, perf script output or an nvmxd --record, plain or
 * .xz. Every line goes through nvmx_parse_line_as() in the grammar its first event line set (as
 * the reader does); the whole input through nvmx_replay_path(), whose summary must come
 * back unchanged through its own JSON (schema 1), and through the incremental replay nvmxtop
 * --replay steps (the same verdicts in another order of calls).
 */
#include <errno.h>

#include <linux/types.h>

#include "fuzz_common.h"
#include "nvmx/replay.h"
#include "nvmx/summary.h"
#include "trace_parse.h"

static struct fuzz_file in_file, json_file;

static void parse_lines(const uint8_t *data, size_t size)
{
	enum nvmx_text_format fmt = NVMX_TEXT_UNKNOWN;
	struct nvmx_line l;
	size_t start = 0;

	for (size_t i = 0; i <= size; i++)
		if (i == size || data[i] == '\n') {
			nvmx_parse_line_as((const char *)data + start, i - start, &fmt, &l);
			if (l.type == NVMX_LINE_MALFORMED &&
			    !memchr(l.expected, '\0', sizeof(l.expected)))
				abort(); /* an unterminated message */
			start = i + 1;
		}
}

/* The summary written as JSON reads back as the same counts. */
static void json_round_trip(const struct nvmx_summary *s)
{
	struct nvmx_summary *back;
	char *text = NULL, err[512];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f || nvmx_summary_write_json(s, f) || fclose(f))
		abort();
	fuzz_file_set(&json_file, (const uint8_t *)text, len);
	back = nvmx_summary_read_json(json_file.path, err, sizeof(err));
	if (!back) {
		fprintf(stderr, "replay's JSON does not read back: %s\n%s\n", err, text);
		abort();
	}
	if (nvmx_summary_compare_all(s, back, "replayed", "read back", stderr)) {
		fprintf(stderr, "replay's JSON reads back as other counts\n%s\n", text);
		abort();
	}
	nvmx_summary_free(back);
	free(text);
}

static int count_verdict(void *ctx, uint32_t tid, const struct nvmx_verdict *v)
{
	(*(uint64_t *)ctx)++;
	return 0;
}

static void replay_steps(void)
{
	struct nvmx_replay *r;
	uint64_t verdicts = 0, ts;
	int more = 1;

	if (nvmx_replay_open(in_file.path, NULL, count_verdict, &verdicts, &r))
		return;
	/* a few steps of trace time, as nvmxtop --replay refreshes, then to the end */
	for (int step = 0; step < 4 && more == 1; step++) {
		if (nvmx_replay_next_ts(r, &ts))
			break;
		more = nvmx_replay_until(r, ts + 1000);
	}
	if (more == 1)
		(void)nvmx_replay_until(r, UINT64_MAX);
	(void)nvmx_replay_get_stats(r);
	nvmx_replay_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nvmx_replay_stats st;
	struct nvmx_summary *s = NULL;
	static FILE *null;
	char msg[512];
	int err;

	if (!null && !(null = fopen("/dev/null", "w")))
		abort();
	parse_lines(data, size);
	fuzz_file_set(&in_file, data, size);
	memset(&st, 0, sizeof(st));
	err = nvmx_replay_path(in_file.path, &s, &st, null);
	if (err) {
		int line_too;

		if (s || !nvmx_replay_strerror(err, &line_too))
			abort();
		return 0;
	}
	(void)nvmx_replay_check(&st, in_file.path, msg, sizeof(msg));
	nvmx_replay_write_malformed(null, in_file.path, &st);
	json_round_trip(s);
	nvmx_summary_free(s);
	replay_steps();
	return 0;
}
