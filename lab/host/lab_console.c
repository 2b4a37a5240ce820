// SPDX-License-Identifier: GPL-2.0
/*
 * L0's serial console as the host reads it (lab_plan.h): progress from the boot's own messages
 * (GRUB, the first kernel line), and what /init (lab/init.sh) reports on lines "nvmx-lab: stage
 * NAME", "error WHAT", "param MODULE.NAME=VALUE", "config N", "workload-exit N",
 * "workload-stderr LINE", "exec-exit N" and "exec-killed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab_plan.h"

void lab_console_init(struct lab_console *con, const struct lab_plan *plan)
{
	*con = (struct lab_console){ .plan = plan, .workload_exit = -1, .exec_exit = -1 };
	for (size_t i = 0; i <= LAB_MAX_CONFIGS; i++)
		con->config_exit[i] = -1;
}

void lab_console_free(struct lab_console *con)
{
	lab_strv_free(&con->params);
	lab_strv_free(&con->workload_stderr);
	for (size_t i = 0; i <= LAB_MAX_CONFIGS; i++) {
		lab_strv_free(&con->config_params[i]);
		lab_strv_free(&con->config_stderr[i]);
	}
}

static const char *stage_progress(const char *stage)
{
	static const struct {
		const char *stage, *what;
	} stages[] = {
		{ "init", "booting: kernel up, /init running" },
		{ "modules", "booting: modules loaded" },
		{ "net", "booting: network up (10.0.2.15)" },
		{ "tracing", "booting: tracing ready" },
		{ "exec", "exec: started, waiting for $NVMX_LAB_OUT/ready" },
		{ "exec-ready", "exec: ready" },
		{ "workload", "workload running" },
		{ "l1-boot", "workload: L1 (KVM under QEMU in L0) booting" },
		{ "l1-save", "workload: L1 at its save point, saving it (QEMU migrate)" },
		{ "l1-restore", "workload: L1 saved, restoring it in a new QEMU (-incoming)" },
		{ "l1-restored", "workload: L1 restored and running" },
		{ "l1-done", "workload: L1 powered off" },
		{ "exec-stop", "exec: SIGINT sent" },
		{ "collecting", "collecting: copying the trace out" },
		{ "done", "collecting: guest done, powering off" },
	};

	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		if (!strcmp(stage, stages[i].stage))
			return stages[i].what;
	return NULL;
}

int lab_console_line(void *ctx, const char *line)
{
	struct lab_console *con = ctx;
	const char *m = strstr(line, "nvmx-lab: ");

	/* Bochs boots through GRUB, which says so on the serial console before the kernel. */
	if (!con->seen_grub && strstr(line, "Booting `")) {
		con->seen_grub = 1;
		lab_progress("booting: GRUB loading the kernel and initramfs");
	} else if (!con->seen_output && *line && !con->seen_grub) {
		con->seen_output = 1;
		lab_progress("booting: kernel (first console output)");
	} else if (!con->seen_output && line[0] == '[' && strchr(line, ']')) {
		con->seen_output = 1;
		lab_progress("booting: kernel (first kernel message)");
	}
	if (!con->panic[0] && strstr(line, "Kernel panic"))
		snprintf(con->panic, sizeof(con->panic), "%s", line);
	if (!m)
		return 0;
	m += strlen("nvmx-lab: ");
	if (!strncmp(m, "stage ", 6)) {
		/* "stage NAME @UPTIME": L0's own clock, emulated time under Bochs. */
		const char *at = strstr(m + 6, " @");
		const char *what;

		snprintf(con->last_stage, sizeof(con->last_stage), "%.*s",
			 at ? (int)(at - (m + 6)) : (int)strlen(m + 6), m + 6);
		what = stage_progress(con->last_stage);
		if (!strcmp(con->last_stage, "done"))
			con->done = 1;
		if (what)
			lab_progress("%s%s%s%s", what, at ? " (L0 uptime " : "", at ? at + 2 : "",
				     at ? " s)" : "");
		if (!strcmp(con->last_stage, "modules")) {
			for (size_t i = 0; i < con->params.n; i++)
				if (strstr(con->params.v[i], ".nested=") ||
				    strstr(con->params.v[i], ".npt=") ||
				    strstr(con->params.v[i], "kvm_intel.ept=") ||
				    strstr(con->params.v[i], ".enable_shadow_vmcs="))
					lab_progress("  %s", con->params.v[i]);
		}
	} else if (!strncmp(m, "error ", 6)) {
		snprintf(con->error, sizeof(con->error), "%s", m + 6);
		lab_progress("guest error: %s", m + 6);
	} else if (!strncmp(m, "config ", 7)) {
		int n = atoi(m + 7);

		if (n >= 1 && (size_t)n <= con->plan->n_configs) {
			con->config = n;
			if (con->plan->n_configs > 1)
				lab_progress("config %d of %zu: %s", n, con->plan->n_configs,
					     con->plan->configs[n - 1].workload);
		}
	} else if (!strncmp(m, "param ", 6)) {
		(void)lab_strv_push(con->config ? &con->config_params[con->config] : &con->params,
				    m + 6);
	} else if (!strncmp(m, "workload-exit ", 14)) {
		con->workload_exit = atoi(m + 14);
		if (con->config)
			con->config_exit[con->config] = con->workload_exit;
		lab_progress("workload exited with %d", con->workload_exit);
	} else if (!strncmp(m, "workload-stderr ", 16)) {
		(void)lab_strv_push(&con->workload_stderr, m + 16);
		if (con->config)
			(void)lab_strv_push(&con->config_stderr[con->config], m + 16);
		fprintf(stderr, "  workload: %s\n", m + 16);
	} else if (!strncmp(m, "exec-exit ", 10)) {
		con->exec_exit = atoi(m + 10);
		lab_progress("exec: exited with %d", con->exec_exit);
	} else if (!strcmp(m, "exec-killed")) {
		con->exec_killed = 1;
	}
	return 0;
}
