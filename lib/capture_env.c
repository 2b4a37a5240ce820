// SPDX-License-Identifier: GPL-2.0
/* The header and the loss statistics of a tracefs capture: include/nvmx/capture_env.h. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "nvmx/capture_env.h"

const char *const nvmx_capture_events[] = {
	"kvm_exit",
	"kvm_entry",
	"kvm_nested_vmexit",
	"kvm_nested_vmexit_inject",
	"kvm_nested_vmenter",
	"kvm_nested_vmenter_failed",
	"kvm_nested_intr_vmexit",
	"kvm_userspace_exit",
	"kvm_msr",
	"kvm_inj_virq",
	"kvm_inj_exception",
};
const size_t nvmx_capture_events_n = sizeof(nvmx_capture_events) / sizeof(nvmx_capture_events[0]);

/* The file's first line, without its newline, into buf; 0 or -errno. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int err = 0;

	buf[0] = '\0';
	if (!f)
		return -errno;
	errno = 0;
	if (!fgets(buf, (int)len, f) && ferror(f))
		err = errno ? -errno : -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return err;
}

static bool exists(const char *root, const char *path)
{
	char p[512];
	DIR *d;

	snprintf(p, sizeof(p), "%s/%s", root, path);
	d = opendir(p);
	if (d)
		closedir(d);
	return d != NULL;
}

/* Whether /proc/cpuinfo's flags name flag (a whole word). */
static bool cpu_flag(const char *root, const char *flag)
{
	char path[512], line[8192];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/cpuinfo", root);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *save = NULL, *w;

		if (strncmp(line, "flags", 5))
			continue;
		for (w = strtok_r(strchr(line, ':') ? strchr(line, ':') + 1 : line, " \t\n", &save);
		     w; w = strtok_r(NULL, " \t\n", &save))
			if (!strcmp(w, flag)) {
				found = true;
				break;
			}
	}
	fclose(f);
	return found;
}

static int cmp_param(const void *a, const void *b)
{
	return strcmp(((const struct nvmx_env_param *)a)->name,
		      ((const struct nvmx_env_param *)b)->name);
}

static void read_params(const char *root, const char *module, struct nvmx_capture_env *env)
{
	char dir[512];
	size_t first = env->n_params;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/sys/module/%s/parameters", root, module);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct nvmx_env_param *p;
		char path[1024];
		int err;

		if (de->d_name[0] == '.')
			continue;
		if (env->n_params == NVMX_ENV_PARAMS_MAX) {
			env->params_left_out++;
			continue;
		}
		p = &env->params[env->n_params++];
		if ((size_t)snprintf(p->name, sizeof(p->name), "%s.%s", module, de->d_name) >=
		    sizeof(p->name)) {
			env->n_params--; /* no parameter has such a name: counted, not listed */
			env->params_left_out++;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		err = read_line(path, p->value, sizeof(p->value));
		if (err)
			snprintf(p->value, sizeof(p->value), "(unreadable: %s)", strerror(-err));
	}
	closedir(d);
	qsort(env->params + first, env->n_params - first, sizeof(env->params[0]), cmp_param);
}

void nvmx_capture_env_read(const char *root, struct nvmx_capture_env *env)
{
	static const char *const modules[] = { "kvm", "kvm_amd", "kvm_intel" };
	struct utsname u;

	if (!root || !*root)
		root = "";
	memset(env, 0, sizeof(*env));
	if (uname(&u)) {
		snprintf(env->release, sizeof(env->release), "(uname: %s)", strerror(errno));
	} else {
		/* uname's fields are 65 bytes: they fit */
		memcpy(env->release, u.release, strnlen(u.release, sizeof(u.release)));
		memcpy(env->version, u.version, strnlen(u.version, sizeof(u.version)));
		memcpy(env->machine, u.machine, strnlen(u.machine, sizeof(u.machine)));
	}
	if (exists(root, "sys/module/kvm_amd")) {
		snprintf(env->isa, sizeof(env->isa), "svm");
		snprintf(env->isa_from, sizeof(env->isa_from), "kvm_amd loaded");
	} else if (exists(root, "sys/module/kvm_intel")) {
		snprintf(env->isa, sizeof(env->isa), "vmx");
		snprintf(env->isa_from, sizeof(env->isa_from), "kvm_intel loaded");
	} else if (cpu_flag(root, "svm")) {
		snprintf(env->isa, sizeof(env->isa), "svm");
		snprintf(env->isa_from, sizeof(env->isa_from), "cpu flag svm; no kvm_amd loaded");
	} else if (cpu_flag(root, "vmx")) {
		snprintf(env->isa, sizeof(env->isa), "vmx");
		snprintf(env->isa_from, sizeof(env->isa_from), "cpu flag vmx; no kvm_intel loaded");
	} else {
		snprintf(env->isa, sizeof(env->isa), "unknown");
		snprintf(env->isa_from, sizeof(env->isa_from),
			 "no kvm_amd or kvm_intel loaded, no svm or vmx cpu flag");
	}
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
		read_params(root, modules[i], env);
}

static void names(FILE *out, const char *what, const char *const *v, size_t n)
{
	fprintf(out, "# %s:", what);
	if (!n)
		fputs(" none", out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, " %s", v[i]);
	fputc('\n', out);
}

int nvmx_capture_write_header(FILE *out, const struct nvmx_capture_env *env,
			      const struct nvmx_capture_info *info)
{
	time_t t = (time_t)info->start_realtime_s;
	char when[64] = "unknown";
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	errno = 0;
	fprintf(out,
		"# tracer: nop\n"
		"# written by %s: the KVM events nvmx's model reads, as tracefs trace_pipe prints "
		"them\n"
		"# (lost events as \"CPU:N [LOST K EVENTS]\" lines); nvmx replay reads it\n"
		"# nvmx-version: %s\n"
		"# kernel: %s %s %s\n"
		"# isa: %s (%s)\n",
		info->writer, info->nvmx_version, env->release, env->version, env->machine,
		env->isa, env->isa_from);
	for (size_t i = 0; i < env->n_params; i++)
		fprintf(out, "# param: %s=%s\n", env->params[i].name, env->params[i].value);
	if (!env->n_params)
		fputs("# param: none (no kvm module loaded)\n", out);
	if (env->params_left_out)
		fprintf(out, "# param: %zu more not listed\n", env->params_left_out);
	names(out, "events", info->enabled, info->n_enabled);
	names(out, "events-missing", info->missing, info->n_missing);
	fprintf(out,
		"# tasks: %s\n"
		"# clock: %s\n"
		"# buffer-kb: %ld per CPU\n"
		"# tracefs: %s\n"
		"# start: %s\n"
		"#\n",
		info->pid_filter ? info->pid_filter : "all", info->clock, info->buffer_kb,
		info->tracefs, when);
	if (fflush(out) == EOF || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}

/* The number after "key:" at the start of a line of text, if there is one. */
static bool field(const char *text, const char *key, uint64_t *v)
{
	size_t kl = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		char *end;

		if (strncmp(p, key, kl) || p[kl] != ':')
			continue;
		errno = 0;
		*v = strtoull(p + kl + 1, &end, 10);
		return !errno && end != p + kl + 1;
	}
	return false;
}

int nvmx_tracefs_stats_parse(const char *text, struct nvmx_tracefs_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!field(text, "overrun", &st->overrun))
		return -EINVAL;
	(void)field(text, "entries", &st->entries);
	(void)field(text, "commit overrun", &st->commit_overrun);
	(void)field(text, "dropped events", &st->dropped);
	(void)field(text, "read events", &st->read);
	return 0;
}

uint64_t nvmx_tracefs_stats_lost(const struct nvmx_tracefs_stats *st)
{
	return st->overrun + st->commit_overrun + st->dropped;
}
