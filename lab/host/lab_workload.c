// SPDX-License-Identifier: GPL-2.0
/*
 * The workload generator (lab/workload) as the host uses it (lab_plan.h): where it is, whether it
 * accepts a spec (in milliseconds, before anything boots), and its list of elements.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab_l1.h"
#include "lab_plan.h"

int lab_find_workload(char **out)
{
	const char *env = getenv("NVMX_LAB_WORKLOAD");
	char exe[PATH_MAX];
	ssize_t n;

	*out = NULL;
	if (env && *env) {
		if (access(env, X_OK))
			return lab_fail(-errno, "NVMX_LAB_WORKLOAD=%s: %s", env, strerror(errno));
		*out = strdup(env);
		return *out ? 0 : lab_fail(-ENOMEM, "out of memory");
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return lab_fail(-errno, "/proc/self/exe: %s", strerror(errno));
	exe[n] = '\0';
	if (!strcmp(exe, NVMX_BUILD_EXE)) {
		if (asprintf(out, "%s", NVMX_LAB_WORKLOAD_BUILD) < 0)
			return lab_fail(-ENOMEM, "out of memory");
	} else {
		char *slash = strrchr(exe, '/');

		*slash = '\0';
		if (asprintf(out, "%s/%s/%s", exe, NVMX_LAB_LIBEXEC_FROM_BIN, LAB_WORKLOAD_NAME) <
		    0)
			return lab_fail(-ENOMEM, "out of memory");
	}
	if (access(*out, X_OK)) {
		int e = errno;

		lab_fail(-e,
			 "the workload generator %s: %s (build the target %s, or set "
			 "NVMX_LAB_WORKLOAD)",
			 *out, strerror(e), LAB_WORKLOAD_NAME);
		free(*out);
		*out = NULL;
		return -e;
	}
	return 0;
}

int lab_workloads_list(FILE *f, enum lab_l1 l1, char *err, size_t err_len)
{
	struct lab_buf out = { 0 };
	char *workload = NULL;
	const char *args[3];
	int r;

	r = lab_find_workload(&workload);
	if (!r && l1 == LAB_L1_KVM) {
		char *generator = workload;

		r = lab_find_runner(generator, &workload);
		free(generator);
	}
	if (!r) {
		args[0] = workload;
		args[1] = "--list";
		args[2] = NULL;
		r = lab_run_tool(args, NULL, &out, false, NULL);
	}
	if (r) {
		snprintf(err, err_len, "%s", lab_error());
		free(workload);
		return LAB_CANNOT_RUN;
	}
	fwrite(out.data, 1, out.len, f);
	lab_buf_free(&out);
	free(workload);
	return 0;
}

int lab_check_workload_spec(const char *workload, enum nvmx_isa isa, const char *spec)
{
	const char *argv[] = { workload,  "--isa", isa == NVMX_ISA_VMX ? "vmx" : "svm",
			       "--check", spec,	   NULL };
	struct lab_buf err = { 0 };
	int r;

	r = lab_run_tool(argv, NULL, NULL, true, &err);
	if (r > 0) {
		char *nl = err.data ? strchr(err.data, '\n') : NULL;

		if (nl)
			*nl = '\0';
		r = lab_fail(-EINVAL, "--workload %s: %s", spec,
			     err.len ? err.data : "rejected by the workload generator");
	}
	lab_buf_free(&err);
	return r;
}
