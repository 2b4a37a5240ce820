// SPDX-License-Identifier: GPL-2.0
/*
 * The lab's stop grace follows an nvmxd --linger in --exec (lab/host/lab_plan.c, issue 17): with
 * the fixed 30 s, `--linger 40` had nvmxd killed before its last scrape.
 */
#include <criterion/criterion.h>

#include "lab.h"
#include "lab_plan.h"
#include "lab_util.h"

static unsigned int grace_of(const char *exec)
{
	struct lab_options o;
	struct lab_plan p;
	unsigned int s;

	lab_options_init(&o);
	o.kernel = "6.12";
	o.iterations = 10;
	o.workload = "cpuid";
	o.out = "/nonexistent/plan-only";
	o.exec = exec;
	cr_assert_eq(lab_plan_init(&p, &o), 0, "exec '%s': %s", exec ? exec : "(none)",
		     lab_error());
	s = p.stop_timeout_s;
	lab_plan_free(&p);
	return s;
}

Test(lab_plan, the_stop_grace_follows_nvmxds_linger)
{
	cr_assert_eq(grace_of(NULL), LAB_EXEC_STOP_TIMEOUT_S);
	cr_assert_eq(grace_of("nvmxd --listen 10.0.2.15:9477 --ready $NVMX_LAB_OUT/ready"),
		     LAB_EXEC_STOP_TIMEOUT_S);
	cr_assert_eq(grace_of("nvmxd --listen 10.0.2.15:9477 --linger 40"),
		     LAB_EXEC_STOP_TIMEOUT_S + 40);
	cr_assert_eq(grace_of("nvmxd --linger=2.5 --listen 10.0.2.15:9477"),
		     LAB_EXEC_STOP_TIMEOUT_S + 3);
	/* not a --linger: another option's name, no number */
	cr_assert_eq(grace_of("nvmxd --lingering 40 --linger x"), LAB_EXEC_STOP_TIMEOUT_S);
}
