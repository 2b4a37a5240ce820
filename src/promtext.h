/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A Prometheus exposition writer: the text format 0.0.4, or OpenMetrics 1.0.0 with the same calls.
 * It knows the formats, not what is measured: a caller opens a family (prom_family), builds each
 * series' labels (prom_label) and writes its samples, one family after another. Writes to a FILE
 * and never fails on its own: the caller checks ferror() at the end. No allocation, no logging.
 */
#ifndef NVMXD_PROMTEXT_H
#define NVMXD_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum prom_format {
	PROM_TEXT,	  /* text/plain; version=0.0.4 */
	PROM_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

const char *prom_content_type(enum prom_format fmt);

/* Which format an HTTP Accept header asks for (NULL: text). */
enum prom_format prom_negotiate(const char *accept);

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM, PROM_INFO };

struct prom_writer {
	FILE *f;
	enum prom_format fmt;
	char family[128]; /* the open family's name as TYPE names it */
	char sample[128]; /* the name of its plain samples */
};

/*
 * Opens a family: # HELP and # TYPE (and # UNIT in OpenMetrics, when unit is not NULL). name is
 * the base name: a counter's samples get _total and an info's _info, in both formats.
 */
void prom_family(struct prom_writer *w, const char *name, enum prom_type type, const char *unit,
		 const char *help);

/*
 * Appends name="value" to the label list in labels[len] (a C string, "" for none), the value
 * escaped. A list that does not fit is cut short, never overrun: a label without room for its
 * name="" is left out, a value is cut on a whole character and keeps its closing quote.
 */
void prom_label(char *labels, size_t len, const char *name, const char *value);

/* One sample of the open family (a counter, gauge or info); labels "" for none. */
void prom_sample_u64(struct prom_writer *w, const char *labels, uint64_t v);
void prom_sample_i64(struct prom_writer *w, const char *labels, int64_t v);
void prom_sample_double(struct prom_writer *w, const char *labels, double v);

/*
 * One series of the open histogram: buckets[i] observations fell in bucket i (not cumulative:
 * the writer makes them so), whose upper bound is le[i]; the last of the n buckets is +Inf, so
 * le has n - 1 bounds. Then _count and _sum.
 */
void prom_histogram(struct prom_writer *w, const char *labels, const double *le,
		    const uint64_t *buckets, size_t n, uint64_t count, double sum);

/* Ends the exposition (OpenMetrics: # EOF). */
void prom_end(struct prom_writer *w);

#endif /* NVMXD_PROMTEXT_H */
