// SPDX-License-Identifier: GPL-2.0
/*
 * The plan of a run (lab_plan.h): struct lab_options checked as `nvmx lab run` checks its command
 * line, its --param and --config strings parsed, its --ship paths refused before anything boots
 * when L0 could not have them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab_l1.h"
#include "lab_plan.h"

static int parse_ulong(const char *opt, const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return lab_fail(-EINVAL, "%s %s: expected a number from %lu to %lu", opt, s, min,
				max);
	*out = v;
	return 0;
}

static bool all_chars_in(const char *s, const char *extra)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !strchr(extra, *s))
			return false;
	return true;
}

static int parse_param_into(struct lab_param **params, size_t *n_params, const char *arg,
			    const char *kvm_module, bool vendor_only)
{
	const char *dot = strchr(arg, '.'), *eq = strchr(arg, '=');
	struct lab_param *p;

	if (!dot || !eq || eq < dot)
		return lab_fail(-EINVAL, "--param %s: expected MODULE.NAME=VALUE", arg);
	p = realloc(*params, (*n_params + 1) * sizeof(*p));
	if (!p)
		return lab_fail(-ENOMEM, "out of memory");
	*params = p;
	p = &p[*n_params];
	p->module = strndup(arg, (size_t)(dot - arg));
	p->name = strndup(dot + 1, (size_t)(eq - dot - 1));
	p->value = strdup(eq + 1);
	(*n_params)++;
	if (!p->module || !p->name || !p->value)
		return lab_fail(-ENOMEM, "out of memory");
	for (char *c = p->module; *c; c++)
		if (*c == '-')
			*c = '_';
	if (vendor_only && strcmp(p->module, kvm_module))
		return lab_fail(-EINVAL,
				"--config parameter %s: only %s is reloaded between configurations "
				"(give kvm.* with --param)",
				arg, kvm_module);
	if (strcmp(p->module, kvm_module) && strcmp(p->module, "kvm"))
		return lab_fail(-EINVAL, "--param %s: only %s and kvm take parameters here", arg,
				kvm_module);
	if (!all_chars_in(p->name, "_"))
		return lab_fail(-EINVAL, "--param %s: bad parameter name '%s'", arg, p->name);
	/* The value lands on an insmod line in a shell script. */
	if (!all_chars_in(p->value, "_.,+-"))
		return lab_fail(-EINVAL, "--param %s: value '%s' must be letters, digits, '_.,+-'",
				arg, p->value);
	return 0;
}

static int parse_param(struct lab_plan *o, const char *arg, const char *kvm_module)
{
	return parse_param_into(&o->params, &o->n_params, arg, kvm_module, false);
}

static void free_params(struct lab_param *params, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(params[i].module);
		free(params[i].name);
		free(params[i].value);
	}
	free(params);
}

void lab_plan_free(struct lab_plan *o)
{
	free(o->busybox);
	free(o->emulator);
	lab_strv_free(&o->ships);
	free_params(o->params, o->n_params);
	for (size_t i = 0; i < o->n_configs; i++) {
		free(o->configs[i].workload);
		free_params(o->configs[i].params, o->configs[i].n_params);
	}
}

/* --config 'SPEC;MODULE.NAME=VAL;...': a workload and the vendor module parameters it runs with. */
static int parse_config(struct lab_plan *o, const char *arg, const char *kvm_module)
{
	struct lab_config *c;
	char *copy, *save = NULL, *tok;
	int r = 0;

	if (o->n_configs == LAB_MAX_CONFIGS)
		return lab_fail(-E2BIG, "--config: at most %d configurations per boot",
				LAB_MAX_CONFIGS);
	c = &o->configs[o->n_configs++];
	copy = strdup(arg);
	if (!copy)
		return lab_fail(-ENOMEM, "out of memory");
	tok = strtok_r(copy, ";", &save);
	if (!tok || strchr(tok, '=') == tok) {
		free(copy);
		return lab_fail(-EINVAL, "--config %s: expected SPEC[;MODULE.NAME=VAL]...", arg);
	}
	c->workload = strdup(tok);
	if (!c->workload)
		r = lab_fail(-ENOMEM, "out of memory");
	while (!r && (tok = strtok_r(NULL, ";", &save)))
		r = parse_param_into(&c->params, &c->n_params, tok, kvm_module, true);
	snprintf(c->dir, sizeof(c->dir), "config-%zu", o->n_configs);
	free(copy);
	return r;
}

/*
 * --ship PATH: an absolute path to a regular file, to the same path in L0, where it must not
 * replace or hide the lab's own files. Checked here so that a wrong one fails before the boot.
 */
static int check_ship(const char *path)
{
	static const char *const reserved[] = { "/bin",		"/init", "/lab",
						"/lib/modules", "/out",	 "/proc",
						"/sys",		"/dev",	 NULL };
	size_t len = strlen(path);
	struct stat st;

	if (path[0] != '/')
		return lab_fail(-EINVAL,
				"--ship %s: expected an absolute path (L0 gets the file at the "
				"same path)",
				path);
	if (strstr(path, "/./") || strstr(path, "/../") || strstr(path, "//") ||
	    (len >= 2 && !strcmp(path + len - 2, "/.")) ||
	    (len >= 3 && !strcmp(path + len - 3, "/..")))
		return lab_fail(-EINVAL, "--ship %s: expected a path without '.', '..' or '//'",
				path);
	for (size_t i = 0; reserved[i]; i++) {
		size_t n = strlen(reserved[i]);

		if (!strncmp(path, reserved[i], n) && (!path[n] || path[n] == '/'))
			return lab_fail(-EINVAL,
					"--ship %s: %s is the lab's own in L0 (busybox's /bin, "
					"/init, /lab, the modules) or mounted over (/proc, /sys, "
					"/dev, /out); ship it from elsewhere, e.g. /usr/bin",
					path, reserved[i]);
	}
	if (stat(path, &st))
		return lab_fail(-errno, "--ship %s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return lab_fail(-EISDIR,
				"--ship %s: is a directory (--ship takes files: ship each one)",
				path);
	if (!S_ISREG(st.st_mode))
		return lab_fail(-EINVAL, "--ship %s: not a regular file", path);
	if (access(path, R_OK))
		return lab_fail(-errno, "--ship %s: %s", path, strerror(errno));
	return 0;
}

bool lab_same_module(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if ((*a == '-' ? '_' : *a) != (*b == '-' ? '_' : *b))
			return false;
	return !*a && !*b;
}

const struct lab_param *lab_config_param(const struct lab_config *c, const char *module,
					 const char *name)
{
	for (size_t i = 0; i < c->n_params; i++)
		if (!strcmp(c->params[i].module, module) && !strcmp(c->params[i].name, name))
			return &c->params[i];
	return NULL;
}

void lab_options_init(struct lab_options *o)
{
	*o = (struct lab_options){ .isa = NVMX_ISA_SVM, .vcpus = 1, .icount_shift = LAB_NO_ICOUNT };
}

int lab_parse_number(const char *opt, const char *s, unsigned long min, unsigned long max,
		     unsigned long *out, char *err, size_t err_len)
{
	int r = parse_ulong(opt, s, min, max, out);

	if (r)
		snprintf(err, err_len, "%s", lab_error());
	return r;
}

/* A number given as a number (struct lab_options), refused with the message of its option. */
static int check_number(const char *opt, unsigned long v, unsigned long min, unsigned long max)
{
	if (v < min || v > max)
		return lab_fail(-EINVAL, "%s %lu: expected a number from %lu to %lu", opt, v, min,
				max);
	return 0;
}

/*
 * The --linger SECONDS (or --linger=SECONDS) of an nvmxd in an --exec command, rounded up; 0 when
 * there is none. nvmxd keeps serving that long after SIGINT, so the lab's stop grace must follow
 * it: with the grace alone (30 s), `--linger 40` had nvmxd killed before its last scrape.
 */
static unsigned int exec_linger_s(const char *exec)
{
	const char *p = exec;
	unsigned int max = 0;

	while (p && (p = strstr(p, "--linger"))) {
		char *end;
		double v;

		p += strlen("--linger");
		if (*p != ' ' && *p != '=')
			continue;
		v = strtod(p + 1, &end);
		if (end == p + 1 || !(v > 0) || v > LAB_TIMEOUT_S_MAX)
			continue;
		if ((unsigned int)v + ((double)(unsigned int)v < v) > max)
			max = (unsigned int)v + ((double)(unsigned int)v < v);
	}
	return max;
}

/* What the command line checks as it reads each option, for callers that fill o themselves. */
static int check_numbers(const struct lab_options *o)
{
	int r = 0;

	if (o->iterations)
		r = check_number("--iterations", o->iterations, 1, LAB_ITERATIONS_MAX);
	if (!r)
		r = check_number("--vcpus", o->vcpus, 1, LAB_VCPUS_MAX);
	if (!r && o->ready_timeout_s)
		r = check_number("--ready-timeout", o->ready_timeout_s, 1, LAB_TIMEOUT_S_MAX);
	if (!r && o->icount_shift != LAB_NO_ICOUNT)
		r = check_number("--icount", (unsigned long)o->icount_shift, 0,
				 LAB_ICOUNT_SHIFT_MAX);
	if (!r && (o->forward_host_port || o->forward_guest_port))
		r = check_number("--forward", o->forward_host_port, 1, 65535);
	if (!r && (o->forward_host_port || o->forward_guest_port))
		r = check_number("--forward", o->forward_guest_port, 1, 65535);
	if (!r && o->timeout_s &&
	    (o->timeout_s < LAB_TIMEOUT_S_MIN || o->timeout_s > LAB_TIMEOUT_S_MAX))
		r = lab_fail(-EINVAL, "--timeout %.0f: expected a number from %d to %d",
			     o->timeout_s, LAB_TIMEOUT_S_MIN, LAB_TIMEOUT_S_MAX);
	if (!r && o->buffer_kb)
		r = check_number("--buffer-kb", o->buffer_kb, LAB_BUFFER_KB_MIN, LAB_BUFFER_KB_MAX);
	if (!r)
		r = o->mem_mb ? check_number("--mem", o->mem_mb, LAB_MEM_MB_MIN, LAB_MEM_MB_MAX)
			      : 0;
	return r;
}

/*
 * --isa arm64 runs the arm64 workload generator (lab/arm64) as L1 in one configuration, on one
 * vCPU: the options of the other L1s, of several configurations and of KVM's x86 modules are
 * not for it (yet). --exec and --ship are (an arm64 nvmxd live in L0: tests/lab-arm64).
 */
static int check_arm64(const struct lab_options *o)
{
	const char *what = o->l1 != LAB_L1_MINIMAL ? "--l1 kvm"
			   : o->n_configs	   ? "--config"
			   : o->n_params	   ? "--param"
			   : o->vcpus != 1	   ? "--vcpus above 1"
			   : o->icount_shift >= 0  ? "--icount"
			   : o->forward_host_port  ? "--forward"
						   : NULL;

	return what ? lab_fail(-EOPNOTSUPP, "%s: not supported yet with --isa arm64", what) : 0;
}

int lab_plan_init(struct lab_plan *p, const struct lab_options *o)
{
	const struct lab_backend *backend;
	int r;

	*p = (struct lab_plan){
		.isa = o->isa,
		.l1 = o->l1,
		.l2 = o->l2,
		.kernel = o->kernel,
		.iterations = o->iterations,
		.vcpus = o->vcpus,
		.mem_mb = o->mem_mb,
		.exec = o->exec,
		.ready_timeout_s = o->ready_timeout_s,
		.stop_timeout_s = LAB_EXEC_STOP_TIMEOUT_S + exec_linger_s(o->exec),
		.icount_shift = o->icount_shift,
		.forward_host = o->forward_host_port,
		.forward_guest = o->forward_guest_port,
		.out = o->out,
		.timeout_s = o->timeout_s,
		.buffer_kb = o->buffer_kb,
		.keep = o->keep,
	};
	r = check_numbers(o);
	for (size_t i = 0; !r && i < o->n_ships; i++) {
		r = check_ship(o->ships[i]);
		if (!r)
			r = lab_strv_push(&p->ships, o->ships[i]);
	}
	if (r)
		return r;
	if (o->isa == NVMX_ISA_ARM64)
		r = check_arm64(o);
	if (r)
		return r;
	backend = lab_backend_for_isa(o->isa);
	if (!backend)
		return -EOPNOTSUPP;
	p->backend = backend;
	for (size_t i = 0; !r && i < o->n_params; i++)
		r = parse_param(p, o->params[i], backend->kvm_module);
	for (size_t i = 0; !r && i < o->n_configs; i++)
		r = parse_config(p, o->configs[i], backend->kvm_module);
	if (!r && p->forward_host && !backend->net_modules[0])
		r = lab_fail(-EOPNOTSUPP, "--forward: the %s backend has no network",
			     backend->name);
	if (!r && p->icount_shift >= 0 && !backend->icount)
		r = lab_fail(-EOPNOTSUPP,
			     "--icount: QEMU only; the %s backend (--isa %s) has no -icount "
			     "(Bochs's clock follows instructions already)",
			     backend->name,
			     p->isa == NVMX_ISA_VMX	? "vmx"
			     : p->isa == NVMX_ISA_ARM64 ? "arm64"
							: "svm");
	if (!r && p->ready_timeout_s && !p->exec)
		r = lab_fail(-EINVAL, "--ready-timeout: only with --exec (nothing else creates "
				      "ready)");
	if (!r && p->l1 == LAB_L1_KVM && p->n_configs)
		r = lab_fail(-EOPNOTSUPP, "--l1 kvm: not supported yet with --config");
	if (!r && p->l1 == LAB_L1_KVM && p->vcpus != 1)
		r = lab_fail(-EOPNOTSUPP, "--l1 kvm: not supported yet with --vcpus above 1");
	/* --l2 linux: L2 boots Linux once; no workload, no iterations (lab_l1.h). */
	if (!r && p->l2 == LAB_L2_LINUX && p->l1 != LAB_L1_KVM)
		r = lab_fail(-EINVAL, "--l2 linux: only with --l1 kvm (L2 runs under L1's KVM)");
	if (!r && p->l2 == LAB_L2_LINUX && (o->workload || p->n_configs))
		r = lab_fail(-EINVAL, "--l2 linux: no --workload or --config (L2 boots Linux to "
				      "power-off)");
	if (!r && p->l2 == LAB_L2_LINUX && p->iterations)
		r = lab_fail(-EINVAL, "--l2 linux: no --iterations (L2 boots once)");
	if (!p->mem_mb) /* --mem's default */
		p->mem_mb = p->l2 == LAB_L2_LINUX ? LAB_L2_LINUX_L0_MEM_MB : LAB_MEM_MB_DEFAULT;
	if (!r && p->l2 == LAB_L2_LINUX && p->mem_mb < LAB_L2_LINUX_L0_MEM_MB)
		r = lab_fail(-EINVAL,
			     "--mem %u: --l2 linux needs at least %d MiB in L0 (L1 has %d MiB, "
			     "the trace buffer %d KiB)",
			     p->mem_mb, LAB_L2_LINUX_L0_MEM_MB, LAB_L1_LINUX_MEM_MB,
			     LAB_L2_LINUX_BUFFER_KB);
	if (!r && p->l2 == LAB_L2_LINUX) {
		p->configs[0].workload = strdup(LAB_L2_LINUX_WORKLOAD);
		snprintf(p->configs[0].dir, sizeof(p->configs[0].dir), ".");
		p->n_configs = 1;
		p->iterations = 1;
		if (!p->configs[0].workload)
			r = lab_fail(-ENOMEM, "out of memory");
	}
	if (!r && p->n_configs && o->workload)
		r = lab_fail(-EINVAL, "--workload and --config exclude each other (a --config "
				      "names its own workload)");
	if (!r && !p->n_configs && o->workload) {
		p->configs[0].workload = strdup(o->workload);
		snprintf(p->configs[0].dir, sizeof(p->configs[0].dir), ".");
		p->n_configs = 1;
		if (!p->configs[0].workload)
			r = lab_fail(-ENOMEM, "out of memory");
	}
	if (r)
		return r;
	if (!p->kernel)
		r = lab_fail(-EINVAL, "--kernel is required (%s)",
			     p->isa == NVMX_ISA_ARM64 ? "7.3 with --isa arm64"
						      : lab_kernel_series_list());
	else if (p->isa == NVMX_ISA_ARM64 && !lab_kernel_series_known_arm64(p->kernel))
		r = lab_fail(-EINVAL,
			     "--kernel %s: --isa arm64 runs 7.3 (trixie-backports' arm64 "
			     "kernel; nested virtualization needs a newer kernel than 6.12)",
			     p->kernel);
	else if (p->isa != NVMX_ISA_ARM64 && !lab_kernel_series_known(p->kernel))
		r = lab_fail(-EINVAL, "--kernel %s: expected one of %s", p->kernel,
			     lab_kernel_series_list());
	else if (!p->n_configs)
		r = lab_fail(-EINVAL, "--workload or --config is required ('nvmx lab workloads' "
				      "lists elements)");
	else if (!p->iterations)
		r = lab_fail(-EINVAL, "--iterations is required");
	else if (!p->out)
		r = lab_fail(-EINVAL, "--out is required");
	else if (strchr(p->out, ','))
		r = lab_fail(-EINVAL, "--out %s: the emulator cannot share a path with a comma",
			     p->out);
	return r;
}
