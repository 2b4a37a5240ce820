// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxtop's column titles at every terminal width from 60 to 200, rates and totals: the title line
 * fits the width and is exactly as wide as the layout's columns, so no title is pushed out (issue
 * 17: at 80 columns "VM / vCPU / reason  (per s)" was wider than the name column and cut "L1 own"
 * and "synth"). At 80 columns both are shown.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "top_fmt.h"

Test(top_titles, the_title_line_fits_and_keeps_its_columns)
{
	char buf[512];

	for (int rate = 0; rate < 2; rate++) {
		for (int w = 60; w <= 200; w++) {
			struct top_fmt f = { .width = w, .rate = rate };
			size_t len;

			top_fmt_titles(&f, buf, sizeof(buf));
			len = strlen(buf);
			cr_assert_leq(len, (size_t)w, "width %d, rate %d: %zu columns: '%s'", w,
				      rate, len, buf);
			if (w == 80) {
				cr_assert(strstr(buf, "L1 own"), "80 columns: '%s'", buf);
				cr_assert(strstr(buf, " synth"), "80 columns: '%s'", buf);
			}
		}
	}
}
