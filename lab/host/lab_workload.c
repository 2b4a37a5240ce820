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

/*
 * A generator program: $env_name, else the build tree's (build) when nvmx runs from its build
 * tree, else name in the installation's libexec directory; access(mode) must allow it (X_OK: the
 * host runs it; R_OK: the arm64 one is only copied). hint says how to get it when it is missing.
 */
static int find_generator(const char *env_name, const char *build, const char *name, int mode,
			  const char *hint, char **out)
{
	const char *env = getenv(env_name);
	char exe[PATH_MAX];
	ssize_t n;

	*out = NULL;
	if (env && *env) {
		if (access(env, mode))
			return lab_fail(-errno, "%s=%s: %s", env_name, env, strerror(errno));
		*out = strdup(env);
		return *out ? 0 : lab_fail(-ENOMEM, "out of memory");
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return lab_fail(-errno, "/proc/self/exe: %s", strerror(errno));
	exe[n] = '\0';
	if (!strcmp(exe, NVMX_BUILD_EXE)) {
		if (asprintf(out, "%s", build) < 0)
			return lab_fail(-ENOMEM, "out of memory");
	} else {
		char *slash = strrchr(exe, '/');

		*slash = '\0';
		if (asprintf(out, "%s/%s/%s", exe, NVMX_LAB_LIBEXEC_FROM_BIN, name) < 0)
			return lab_fail(-ENOMEM, "out of memory");
	}
	if (access(*out, mode)) {
		int e = errno;

		lab_fail(-e, "the workload generator %s: %s (%s)", *out, strerror(e), hint);
		free(*out);
		*out = NULL;
		return -e;
	}
	return 0;
}

int lab_find_workload(char **out)
{
	return find_generator("NVMX_LAB_WORKLOAD", NVMX_LAB_WORKLOAD_BUILD, LAB_WORKLOAD_NAME, X_OK,
			      "build the target " LAB_WORKLOAD_NAME ", or set NVMX_LAB_WORKLOAD",
			      out);
}

int lab_find_workload_arm64(char **out)
{
	return find_generator(
		"NVMX_LAB_WORKLOAD_ARM64", NVMX_LAB_WORKLOAD_ARM64_BUILD, LAB_WORKLOAD_ARM64_NAME,
		R_OK,
		"a build tree's nvmx has it when CMake found aarch64-linux-gnu-gcc-12: "
		"install gcc-12-aarch64-linux-gnu and libc6-dev-arm64-cross, then "
		"configure again; it is not packaged: an installed nvmx needs "
		"NVMX_LAB_WORKLOAD_ARM64",
		out);
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
