// SPDX-License-Identifier: GPL-2.0
/*
 * Reading a capture record by record: text line by line, plain or xz-compressed, or a trace.dat
 * (each detected by content, once per file): trace_parse.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lzma.h>

#include "nvmx/input.h"
#include "trace_parse.h"

struct nvmx_reader {
	struct nvmx_input *in;
	bool xz;
	struct nvmx_trace_dat *dat; /* a trace.dat: its records, not lines */
	enum nvmx_text_format fmt;
	bool in_eof;
	bool out_eof;
	lzma_stream strm;
	uint8_t xin[1 << 16];
	uint8_t out[1 << 16];
	size_t out_pos, out_len;
	char *line;
	size_t line_len, line_cap;
};

static const uint8_t xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

int nvmx_reader_open(const char *path, struct nvmx_reader **out)
{
	struct nvmx_input *in;
	int err = nvmx_input_open(path, &in);

	*out = NULL;
	return err ? err : nvmx_reader_open_input(in, out);
}

int nvmx_reader_open_input(struct nvmx_input *in, struct nvmx_reader **out)
{
	struct nvmx_reader *r;
	const unsigned char *magic;
	size_t n;
	int err;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r) {
		nvmx_input_close(in);
		return -ENOMEM;
	}
	r->in = in;
	/* looked at, not consumed: a pipe cannot be rewound */
	err = nvmx_input_peek(in, NVMX_TRACE_DAT_MAGIC_LEN, &magic, &n);
	if (err)
		goto fail;
	if (n == NVMX_TRACE_DAT_MAGIC_LEN &&
	    !memcmp(magic, NVMX_TRACE_DAT_MAGIC, NVMX_TRACE_DAT_MAGIC_LEN)) {
		err = nvmx_trace_dat_open(nvmx_input_fd(in), &r->dat);
		if (err)
			goto fail;
		*out = r;
		return 0;
	}
	r->xz = n >= sizeof(xz_magic) && !memcmp(magic, xz_magic, sizeof(xz_magic));
	if (r->xz) {
		lzma_stream init = LZMA_STREAM_INIT;

		r->strm = init;
		/* several concatenated .xz streams (pxz, appended captures) are one file */
		if (lzma_stream_decoder(&r->strm, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
			err = -ENOMEM;
			goto fail;
		}
	}
	*out = r;
	return 0;
fail:
	nvmx_reader_close(r);
	return err;
}

/* Refills r->out; returns bytes available, 0 at the end, or -errno. */
static long refill(struct nvmx_reader *r)
{
	if (!r->xz) {
		ssize_t n = nvmx_input_read(r->in, r->out, sizeof(r->out));

		if (n < 0)
			return n;
		r->out_pos = 0;
		r->out_len = n;
		return (long)n;
	}
	if (r->out_eof)
		return 0;
	r->strm.next_out = r->out;
	r->strm.avail_out = sizeof(r->out);
	while (r->strm.avail_out == sizeof(r->out)) {
		lzma_ret ret;

		if (!r->strm.avail_in && !r->in_eof) {
			ssize_t n = nvmx_input_read(r->in, r->xin, sizeof(r->xin));

			if (n < 0)
				return n;
			if (!n)
				r->in_eof = true;
			r->strm.next_in = r->xin;
			r->strm.avail_in = (size_t)n;
		}
		ret = lzma_code(&r->strm, r->in_eof ? LZMA_FINISH : LZMA_RUN);
		if (ret == LZMA_STREAM_END) {
			r->out_eof = true;
			break;
		}
		if (ret == LZMA_BUF_ERROR && r->in_eof)
			return -EPROTO; /* the input ended inside a stream: truncated */
		if (ret != LZMA_OK)
			return ret == LZMA_MEM_ERROR ? -ENOMEM : -EBADMSG;
	}
	r->out_pos = 0;
	r->out_len = sizeof(r->out) - r->strm.avail_out;
	return (long)r->out_len;
}

long nvmx_reader_next(struct nvmx_reader *r, const char **line)
{
	if (r->dat)
		return -EINVAL; /* a trace.dat has records, not lines: nvmx_reader_next_record */
	r->line_len = 0;
	for (;;) {
		uint8_t *nl;
		size_t take;

		if (r->out_pos == r->out_len) {
			long n = refill(r);

			if (n < 0)
				return n;
			if (!n) {
				if (!r->line_len)
					return -1;
				break; /* last line without '\n' */
			}
		}
		nl = memchr(r->out + r->out_pos, '\n', r->out_len - r->out_pos);
		take = nl ? (size_t)(nl - (r->out + r->out_pos)) : r->out_len - r->out_pos;
		if (r->line_len + take > NVMX_LINE_MAX)
			return -EOVERFLOW; /* not a trace: its lines are < 1 KiB */
		if (r->line_len + take + 1 > r->line_cap) {
			size_t cap = r->line_cap ? r->line_cap : 256;
			char *p;

			while (cap < r->line_len + take + 1)
				cap *= 2;
			p = realloc(r->line, cap);
			if (!p)
				return -ENOMEM;
			r->line = p;
			r->line_cap = cap;
		}
		memcpy(r->line + r->line_len, r->out + r->out_pos, take);
		r->line_len += take;
		r->out_pos += take;
		if (nl) {
			r->out_pos++;
			break;
		}
	}
	r->line[r->line_len] = '\0';
	*line = r->line;
	return (long)r->line_len;
}

int nvmx_reader_next_record(struct nvmx_reader *r, struct nvmx_line *out)
{
	const char *line;
	long len;

	if (r->dat)
		return nvmx_trace_dat_next(r->dat, out);
	len = nvmx_reader_next(r, &line);
	if (len < 0)
		return (int)len;
	nvmx_parse_line_as(line, (size_t)len, &r->fmt, out);
	return 0;
}

void nvmx_reader_close(struct nvmx_reader *r)
{
	if (!r)
		return;
	nvmx_trace_dat_close(r->dat);
	if (r->xz)
		lzma_end(&r->strm);
	nvmx_input_close(r->in);
	free(r->line);
	free(r);
}
