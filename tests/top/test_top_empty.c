// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxtop's data layer with nothing in it (a capture's first refresh, an idle nvmxd): sorting an
 * empty sample and building its view must not hand qsort/qsort_r a NULL array (UBSan: nonnull
 * argument). top_data.c is compiled into this test with -fsanitize=undefined, no recovery.
 */
#include <criterion/criterion.h>

#include "top_data.h"

Test(top_empty, an_empty_sample_sorts_and_builds_an_empty_view)
{
	struct top_sample s = { 0 };
	struct top_view v = { 0 };

	top_sample_sort(&s);
	cr_assert_eq(s.n_entries, 0);
	cr_assert_eq(top_view_build(&v, NULL, &s, NULL, TOP_SORT_L2, false, false), 0);
	cr_assert_eq(v.n_vms, 0);
	top_view_free(&v);
	top_sample_free(&s);
}
