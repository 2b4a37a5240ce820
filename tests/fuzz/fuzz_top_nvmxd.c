// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxtop --connect's reader of nvmxd's JSON (top/top_src_nvmxd.c: the body of GET
 * /api/v1/summary) on any bytes, then what nvmxtop does with a sample: the view against no
 * previous sample and against a real nvmxd document's (counts that went down: an nvmxd
 * restarted), the batch text, the L1-exit view and the JSON line.
 * The reader's static functions are compiled in here (the file is included), its HTTP client is
 * not used: the body is the input.
 */
#include "fuzz_common.h"

#include "../../top/top_src_nvmxd.c"
#include "top_out.h"

static struct nvmxd_source ns = { .http = { .where = "fuzz:0", .host = "fuzz", .port = "0" } };
static struct top_sample real;
static FILE *null;

/* nvmxd_sample() without the request: the body parsed as nvmxtop parses it. */
static int sample_of(const char *body, struct top_sample *out)
{
	struct json_object *doc = json_tokener_parse(body);
	int err;

	if (!doc)
		return bad_doc(&ns, "not JSON");
	top_sample_reset(out);
	err = parse_summary(&ns, doc, out);
	json_object_put(doc);
	if (err)
		return err;
	top_sample_sort(out);
	return 0;
}

static void show(const struct top_sample *prev, const struct top_sample *cur)
{
	struct top_where w = { .what = "fuzz", .refresh = 2, .since_start_s = 2 };
	struct top_filter filter = { .vm = "1", .reason = "io" };
	struct top_view v = { 0 };

	if (top_view_build(&v, prev, cur, NULL, TOP_SORT_L2, false, true) == 0) {
		(void)top_print_text(null, &v, &w, NULL);
		(void)top_print_l1_text(null, &v);
		(void)top_print_json(null, &v, &w);
	}
	top_view_free(&v);
	memset(&v, 0, sizeof(v));
	if (top_view_build(&v, prev, cur, &filter, TOP_SORT_COST, true, false) == 0)
		(void)top_print_text(null, &v, &w, "note");
	top_view_free(&v);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];
	struct json_object *doc;

	null = fopen("/dev/null", "w");
	if (!null || nvmx_json_read_path(NVMX_FUZZ_CORPUS "/top_nvmxd/real-7.3-lab.json", &doc, err,
					 sizeof(err))) {
		fprintf(stderr, "fuzz_top_nvmxd: the real nvmxd document: %s\n", err);
		abort();
	}
	if (parse_summary(&ns, doc, &real)) {
		fprintf(stderr, "fuzz_top_nvmxd: the real nvmxd document is refused: %s\n",
			ns.src.why);
		abort();
	}
	top_sample_sort(&real);
	json_object_put(doc);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct top_sample cur = { 0 };
	char *body = fuzz_strndup(data, size);
	int err = sample_of(body, &cur);

	if (!err) {
		show(NULL, &cur);
		show(&real, &cur);
		show(&cur, &real);
	} else if (err == -EPROTO && !ns.src.why[0]) {
		abort(); /* refused without saying why */
	}
	ns.src.why[0] = '\0';
	top_sample_free(&cur);
	free(body);
	return 0;
}
