// SPDX-License-Identifier: GPL-2.0
/*
 * lab_run() (lab.h): one run of the nested lab.
 *
 * The plan (lab_plan.c) checks the options; the workload generator checks each spec
 * (lab_workload.c); a stock Debian kernel is fetched (lab_kernel.c); an initramfs with busybox,
 * the KVM modules, the workload generator and /init is built (lab_guest.c, lab_initramfs.c,
 * lab/init.sh); an emulator backend boots it (lab_backend.h: QEMU for SVM, Bochs for VMX) while
 * the console is read (lab_console.c); then what the workload knows it did (truth.json) is
 * compared with what nvmx attributes from the trace (observed.json, lab_compare.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "nvmx/exit_reasons.h"

#include "lab_l1.h"
#include "lab_plan.h"

/* Removes out/NAME for each NAME of the NULL-terminated list. */
static int remove_each(const char *out, const char *const *names)
{
	char path[PATH_MAX];

	for (size_t i = 0; names[i]; i++) {
		int r = lab_path_join(path, out, names[i]);

		if (!r)
			r = lab_rm_rf(path);
		if (r)
			return r;
	}
	return 0;
}

/* Removes the results of an earlier run so that none of them can pass for this one's. */
static int clear_results(const char *out)
{
	/* the host's own; what the guest hands back is lab_guest_results */
	static const char *const names[] = { "observed.json",  "trace.txt.xz",
					     "console.log",    "exec",
					     "lab.json",       ".guest",
					     "initramfs.cpio", NULL };
	char path[PATH_MAX];
	int r = remove_each(out, lab_guest_results);

	if (!r)
		r = remove_each(out, names);
	if (r)
		return r;
	for (int i = 1; i <= LAB_MAX_CONFIGS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "config-%d", i);
		r = lab_path_join(path, out, name);
		if (!r)
			r = lab_rm_rf(path);
		if (r)
			return r;
	}
	return lab_path_join(path, out, "configs.txt") ? -ENAMETOOLONG : lab_rm_rf(path);
}

/*
 * L0 unpacks the initramfs into its rootfs, a tmpfs of half the memory the kernel manages while
 * the initramfs image itself is still reserved: a too large one fails to unpack ("write error")
 * and /init is missing or truncated. Measured with 234 MiB (perf and bpftrace shipped): 620 MiB
 * fail, 860 and 1024 MiB boot. Refuse before the boot, with what --mem would do.
 */
static int check_initramfs_fits(const char *initramfs, unsigned int mem_mb)
{
	unsigned long long size_mb, need_mb;
	struct stat st;

	if (stat(initramfs, &st))
		return lab_fail(-errno, "%s: %s", initramfs, strerror(errno));
	size_mb = ((unsigned long long)st.st_size + (1 << 20) - 1) >> 20;
	need_mb = 3 * size_mb + 128;
	lab_progress("initramfs: %llu MiB", size_mb);
	if (mem_mb < need_mb)
		return lab_fail(-E2BIG,
				"the initramfs is %llu MiB (with --ship's files): L0 unpacks it "
				"into a tmpfs of half its memory beside it and needs --mem %llu "
				"or more (--mem is %u)",
				size_mb, need_mb, mem_mb);
	return 0;
}

/* The run of a checked plan: its status; the reason it cannot run is also printed here. */
/*
 * lab.json in the output: what ran (kernel package, emulator, ISA, L1, iterations, vCPUs, and
 * each configuration's workload and module parameters), so that a reader of the output (nvmx
 * bench run --from) needs no other word on how it was made.
 */
static int write_run_description(const struct lab_plan *o, const struct lab_result *result,
				 const char *out_dir)
{
	struct json_object *d = json_object_new_object(), *configs = json_object_new_array();
	char path[PATH_MAX];
	int r = 0;

	if (!d || !configs) {
		json_object_put(d);
		json_object_put(configs);
		return lab_fail(-ENOMEM, "lab.json: out of memory");
	}
	json_object_object_add(d, "kernel", json_object_new_string(result->kernel));
	json_object_object_add(d, "emulator", json_object_new_string(result->emulator));
	json_object_object_add(d, "clock", json_object_new_string(result->clock));
	json_object_object_add(d, "isa", json_object_new_string(nvmx_isa_name(o->isa)));
	json_object_object_add(d, "l1",
			       json_object_new_string(o->l1 == LAB_L1_KVM ? "kvm" : "minimal"));
	json_object_object_add(d, "iterations", json_object_new_int64((int64_t)o->iterations));
	json_object_object_add(d, "vcpus", json_object_new_int((int)o->vcpus));
	for (size_t i = 0; i < o->n_configs; i++) {
		struct json_object *c = json_object_new_object(), *params = json_object_new_array();
		char buf[256];

		for (size_t k = 0; k < o->configs[i].n_params; k++) {
			const struct lab_param *p = &o->configs[i].params[k];

			snprintf(buf, sizeof(buf), "%s.%s=%s", p->module, p->name, p->value);
			json_object_array_add(params, json_object_new_string(buf));
		}
		json_object_object_add(c, "workload",
				       json_object_new_string(o->configs[i].workload));
		json_object_object_add(c, "params", params);
		json_object_object_add(c, "dir", json_object_new_string(o->configs[i].dir));
		json_object_array_add(configs, c);
	}
	json_object_object_add(d, "configs", configs);
	configs = json_object_new_array();
	for (size_t k = 0; k < o->n_params; k++) {
		char buf[256];

		snprintf(buf, sizeof(buf), "%s.%s=%s", o->params[k].module, o->params[k].name,
			 o->params[k].value);
		json_object_array_add(configs, json_object_new_string(buf));
	}
	json_object_object_add(d, "params", configs);
	if (snprintf(path, sizeof(path), "%s/lab.json", out_dir) >= (int)sizeof(path) ||
	    json_object_to_file_ext(path, d, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED))
		r = lab_fail(-EIO, "%s/lab.json: cannot write it", out_dir);
	json_object_put(d);
	return r;
}

/*
 * Moves what the guest wrote from guest_dir into out_dir: the --exec command's output and, with
 * one configuration, the workload's results. Stops at the first move that fails.
 */
static int keep_guest_output(const struct lab_plan *o, const char *guest_dir, const char *out_dir)
{
	int r = lab_move_if_exists(guest_dir, out_dir, "exec");

	for (size_t i = 0; !r && o->n_configs == 1 && lab_guest_results[i]; i++)
		r = lab_move_if_exists(guest_dir, out_dir, lab_guest_results[i]);
	return r;
}

static int run(struct lab_plan *o, struct lab_result *result)
{
	char out_dir[PATH_MAX], guest_dir[PATH_MAX] = "", initramfs[PATH_MAX] = "";
	char console_log[PATH_MAX];
	/* arm64: about 1.5 ms per forwarded exit under TCG (docs/lab.md) */
	double per_iteration_s = o->isa == NVMX_ISA_SVM ? 0.25 : 0.05;
	bool arm64 = o->isa == NVMX_ISA_ARM64;
	const struct lab_backend *b = o->backend;
	struct lab_kernel *k = NULL;
	char *cache = NULL, *workload = NULL;
	struct lab_console con;
	char icount[32] = "";
	struct lab_guest g;
	int r;

	lab_console_init(&con, o);
	r = arm64 ? lab_find_workload_arm64(&workload) : lab_find_workload(&workload);
	if (!r && o->l1 == LAB_L1_KVM) {
		char *generator = workload;

		/* L2 is the runner, in L1; the initramfs carries it instead of the generator */
		r = lab_find_runner(generator, &workload);
		free(generator);
	}
	/* --l2 linux has no workload SPEC: L2 boots Linux */
	for (size_t i = 0; !r && o->l2 != LAB_L2_LINUX && i < o->n_configs; i++)
		r = arm64 ? lab_check_workload_spec_arm64(o->configs[i].workload)
			  : lab_check_workload_spec(workload, o->isa, o->configs[i].workload);
	if (!r)
		r = b->check();
	if (!r)
		r = lab_mkdir_p(o->out, 0755);
	if (r)
		goto cannot_run;
	if (!realpath(o->out, out_dir)) {
		r = lab_fail(-errno, "%s: %s", o->out, strerror(errno));
		goto cannot_run;
	}
	r = clear_results(out_dir);
	if (r)
		goto cannot_run;
	if (snprintf(guest_dir, sizeof(guest_dir), "%s/.guest", out_dir) >= PATH_MAX ||
	    snprintf(initramfs, sizeof(initramfs), "%s/initramfs.cpio", out_dir) >= PATH_MAX ||
	    snprintf(console_log, sizeof(console_log), "%s/console.log", out_dir) >= PATH_MAX) {
		r = lab_fail(-ENAMETOOLONG, "%s: path too long", out_dir);
		goto cannot_run;
	}
	r = lab_mkdir_p(guest_dir, 0755);
	if (!r)
		r = lab_cache_dir(&cache);
	if (!r)
		r = lab_mkdir_p(cache, 0755);
	if (!r && arm64)
		r = lab_arm64_fetch_tools(o, cache);
	if (!r)
		r = arm64 ? lab_kernel_fetch_arm64(o->kernel, cache, &k)
			  : lab_kernel_fetch(o->kernel, cache, &k);
	if (r)
		goto cannot_run;
	lab_progress("fetch: kernel %s = %s %s", o->kernel, k->package, k->version);
	snprintf(result->kernel, sizeof(result->kernel), "%s %s", k->package, k->version);
	r = lab_build_initramfs(initramfs, o, k, workload);
	if (!r)
		r = check_initramfs_fits(initramfs, o->mem_mb);
	if (r)
		goto cannot_run;

	g = (struct lab_guest){
		.vmlinuz = k->vmlinuz,
		.initramfs = initramfs,
		.result_dir = guest_dir,
		.console_log = console_log,
		.vcpus = o->vcpus,
		.mem_mb = o->mem_mb,
		.forward_host_port = o->forward_host,
		.forward_guest_port = o->forward_guest,
		/*
		 * Bochs boots in about a minute, QEMU in seconds; then the configurations run,
		 * after an --exec command that may take its --ready-timeout (L0's clock: about
		 * wall time, unless --icount; a small SHIFT makes it slower, see --help).
		 */
		.timeout_s = o->timeout_s
				     ? o->timeout_s
				     : (o->isa == NVMX_ISA_VMX ? 420.0 : 180.0) +
					       (o->l1 != LAB_L1_KVM	 ? 0
						: o->isa == NVMX_ISA_VMX ? LAB_L1_BOOT_VMX_S
									 : LAB_L1_BOOT_S) +
					       (o->l2 == LAB_L2_LINUX ? LAB_L2_LINUX_BOOT_S : 0) +
					       (double)o->ready_timeout_s +
					       (double)o->n_configs * (double)o->iterations *
						       per_iteration_s,
		.icount_shift = o->icount_shift,
		.kernel_release = k->release,
		.emulator = o->emulator,
	};
	/* an nvmxd --linger in --exec lengthens the stop grace (lab_plan.h): the run too */
	if (!o->timeout_s)
		g.timeout_s += o->stop_timeout_s - LAB_EXEC_STOP_TIMEOUT_S;
	if (g.icount_shift >= 0)
		snprintf(icount, sizeof(icount), ", icount shift=%d", g.icount_shift);
	lab_progress("booting: firmware (%s, %u vCPU, %u MiB%s, timeout %.0f s; console in %s)",
		     b->name, g.vcpus, g.mem_mb, icount, g.timeout_s, console_log);
	result->emulator = b->name;
	if (g.icount_shift >= 0)
		snprintf(result->clock, sizeof(result->clock), "icount shift=%d", g.icount_shift);
	else
		snprintf(result->clock, sizeof(result->clock), "%s", b->clock);
	r = b->run(&g, lab_console_line, &con);
	if (r) {
		/*
		 * What the guest wrote so far (QEMU's 9p share fills as it runs: L1's live console
		 * with --l1 kvm, the --exec command's output) shows where a guest that hung stopped:
		 * kept, and the run's error with it. Bochs's results are on its disk: none here.
		 */
		char err[sizeof(result->error)];

		snprintf(err, sizeof(err), "%s", lab_error());
		(void)keep_guest_output(o, guest_dir, out_dir);
		lab_fail(r, "%s", err);
		goto cannot_run;
	}
	r = b->collect(&g);
	/* What the guest wrote explains its errors: keep it even when the run failed. */
	if (!r)
		r = keep_guest_output(o, guest_dir, out_dir);
	if (r)
		goto cannot_run;
	if (con.error[0]) {
		r = lab_fail(-EIO, "in the guest: %s (see %s)", con.error, console_log);
		goto cannot_run;
	}
	if (!con.done) {
		r = lab_fail(
			-EIO,
			"the guest powered off after stage '%s' without finishing%s%s (see %s)",
			con.last_stage[0] ? con.last_stage : "(none: /init never ran)",
			con.panic[0] ? ": " : "", con.panic, console_log);
		goto cannot_run;
	}
	r = write_run_description(o, result, out_dir);
	if (r)
		goto cannot_run;
	if (o->exec && con.exec_killed)
		fprintf(stderr,
			"nvmx lab: warning: --exec command did not exit within %u s of "
			"SIGINT and was killed\n",
			o->stop_timeout_s);
	if (o->n_configs == 1) {
		r = lab_config_result(o, &con, 0, out_dir, guest_dir);
		if (r < 0)
			goto cannot_run;
	} else {
		r = lab_configs_result(o, &con, out_dir, guest_dir);
		if (r == LAB_CANNOT_RUN)
			snprintf(result->error, sizeof(result->error), "%s", lab_error());
	}
out:
	if (!o->keep && guest_dir[0]) {
		(void)lab_rm_rf(guest_dir);
		(void)lab_rm_rf(initramfs);
	}
	lab_progress("finished: exit %d", r);
	lab_kernel_free(k);
	lab_console_free(&con);
	free(cache);
	free(workload);
	return r;
cannot_run:
	snprintf(result->error, sizeof(result->error), "%s", lab_error());
	fprintf(stderr, "nvmx lab: cannot run: %s\n", result->error);
	r = LAB_CANNOT_RUN;
	goto out;
}

int lab_run(const struct lab_options *opts, struct lab_result *result)
{
	struct lab_result ignored;
	struct lab_plan plan;
	int r;

	if (!result)
		result = &ignored;
	*result = (struct lab_result){ 0 };
	lab_progress_restart();
	r = lab_plan_init(&plan, opts);
	if (r) {
		snprintf(result->error, sizeof(result->error), "%s", lab_error());
		fprintf(stderr, "nvmx lab run: %s\n", result->error);
		r = LAB_CANNOT_RUN;
	} else {
		r = run(&plan, result);
	}
	lab_plan_free(&plan);
	return r;
}
