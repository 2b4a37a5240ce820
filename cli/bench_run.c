// SPDX-License-Identifier: GPL-2.0
/*
 * nvmx bench run: a workload R times with nvmxd collecting, into one result file (docs/ci.md).
 *
 * In the lab, one boot runs the workload R times (lab_run() with R configurations of SPEC, as
 * `nvmx lab run --config SPEC` R times; nvmxd in L0 via --exec); each repeat is its own VMM
 * process, so nvmxd's "vms" holds one summary per repeat. With `-- CMD` (a real nested host), nvmxd is started around each of the R runs of CMD.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "commands.h"
#include "lab.h"
#include "nvmx/exit_reasons.h"
#include "paths.h"

/*
 * No intr: under icount, L1 took one or two more of the VMM's MSIs than were sent in 2 of 15
 * repeats (2 of 3 boots), which fails the lab's truth check (docs/ci.md); not under the wall
 * clock, where 80 boots with intr ran clean. Reflected CPUIDs and L0-handled OUTs remain.
 */
#define BENCH_DEFAULT_WORKLOAD	 "cpuid,io-out-l0,mult=2"
#define BENCH_DEFAULT_ITERATIONS "500"
/*
 * --isa vmx: a Bochs boot with nvmxd takes about 4 minutes, nvmxd's load most of it; 200
 * iterations keep a repeat near 4 s (docs/ci.md: the VMX false-alarm run was made with them).
 */
#define BENCH_VMX_DEFAULT_ITERATIONS "200"
#define BENCH_DEFAULT_REPEATS	     5
/*
 * --l1 kvm: the runner's elements (nvmx lab workloads --l1 kvm), one reflected exit of each of
 * three reasons (cpuid, io, msr). The lab runs one L1 per boot, so each repeat is a boot (60-95 s
 * with nvmxd live, docs/lab.md): fewer repeats and iterations than the minimal L1's.
 */
#define BENCH_KVM_WORKLOAD   "cpuid,io-out,rdmsr-l1"
#define BENCH_KVM_ITERATIONS "200"
#define BENCH_KVM_REPEATS    3
#define BENCH_MAX_REPEATS    100
#define BENCH_MAX_PARAMS     32
/*
 * QEMU -icount shift=4,sleep=off: L0's clock counts instructions (16 ns each), so the lab's
 * times repeat between boots whatever the host's load (docs/ci.md: the false-alarm run).
 */
#define BENCH_DEFAULT_ICOUNT 4
/*
 * --l1 kvm: shift 0 (1 ns an instruction, L0's clock about 4 times slower than wall time). With
 * shift 4 L1 never finished its boot (8 minutes, where shift 0 took 28 s for L1 and the runner,
 * docs/ci.md). With 0 it still does in 1 of 20 boots on 6.1 and 6.12, and in every boot of a
 * 7.3 L1: QEMU delivers an interrupt that L0's KVM injected into L1 a second time, ignoring
 * L1's IF, when the icount budget runs out; L1's timer handler then spins on the lock its first
 * run holds, and the spin stops L0's clock (docs/ci.md, "KVM as L1"; shift 4 looks the same).
 * A QEMU bug: lab/l1-kvm.sh narrows its window (L1 without paravirtual EOI), it does not
 * close it.
 */
#define BENCH_KVM_ICOUNT 0
/* --exec nvmxd's ready, in L0's clock under icount (run_lab()) */
#define BENCH_ICOUNT_READY_S 900

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nvmx bench run [OPTIONS] -o RESULT.json              (the lab)\n"
		"       nvmx bench run --l1 kvm [OPTIONS] -o RESULT.json     (the lab, KVM as L1)\n"
		"       nvmx bench run [OPTIONS] -o RESULT.json -- CMD [ARG]...  (a nested host)\n"
		"\n"
		"Runs a nested workload R times with nvmxd counting, and writes one result file:\n"
		"per exit reason counts, reflect share, exit multiplication, the Turtles "
		"breakdown\n"
		"(means and p50/p99 of the round trips and their parts, L0-handled exits), each\n"
		"with its R values, and the environment (kernel, CPU, kvm module parameters, nvmx\n"
		"version). `nvmx bench compare BASE NEW` then says whether NEW regressed.\n"
		"\n"
		"Without CMD, the nested lab (nvmx lab: QEMU with nested SVM, or Bochs with\n"
		"nested VMX with --isa vmx): one boot runs the lab workload R times (nvmx lab\n"
		"run --config SPEC, R times) with nvmxd in L0;\n"
		"each repeat is its own VMM process, so nvmxd counts it apart. The lab also "
		"checks\n"
		"every certain count against the workload's truth: a mismatch fails the run.\n"
		"With --l1 kvm, L1 is Linux KVM (L0's kernel, under QEMU in L0) and L2 the lab's\n"
		"runner (nvmx lab run --l1 kvm): one boot per repeat, as the lab runs one L1 a\n"
		"boot. Its metrics add what L1 does inside each reflected round trip, per L1\n"
		"exit reason (count.rt_l1.*, ratio.mult.*.l1.*, time.rt.*.l1.*.service_ns).\n"
		"With -- CMD, on a host whose KVM runs nested guests (as root): for each repeat,\n"
		"nvmxd starts, CMD runs, nvmxd stops; CMD must exit 0.\n"
		"\n"
		"Options:\n"
		"  -o, --out FILE        the result file (required)\n"
		"  -r, --repeats R       runs of the workload (default %d; --l1 kvm %d boots):\n"
		"                        compare uses their median and spread\n"
		"      --l1 minimal|kvm  lab L1: the workload generator's minimal L1 (default),\n"
		"                        or Linux KVM running the runner as L2. The result\n"
		"                        records it; compare refuses two L1s\n"
		"  -w, --workload SPEC   lab workload elements (default %s;\n"
		"                        --l1 kvm %s;\n"
		"                        `nvmx lab workloads [--l1 kvm]` lists them)\n"
		"  -n, --iterations N    lab iterations per run (default %s; --l1 kvm %s;\n"
		"                        --isa vmx %s)\n"
		"  -k, --kernel SERIES  lab L0 kernel: 6.1, 6.12, 7.3, newest (default 6.12)\n"
		"      --isa svm|vmx     lab ISA: svm under QEMU (default), or vmx under\n"
		"                        Bochs, whose clock counts instructions (100 M a\n"
		"                        second) by itself: no --icount, no --no-icount; a\n"
		"                        boot with nvmxd takes about 4 minutes\n"
		"      --icount SHIFT    lab L0's clock counts instructions, 2^SHIFT ns each\n"
		"                        (QEMU -icount shift=SHIFT,sleep=off; 0-5, default %d,\n"
		"                        --l1 kvm %d: with 4 L1 deadlocked in its boot):\n"
		"                        times repeat between boots within about 2 %%, whatever\n"
		"                        the host's load, so compare flags a rise over 3 %%\n"
		"                        (not with the intr element: L1 may take MSIs twice)\n"
		"      --no-icount       lab L0's clock is the host's wall clock: times follow\n"
		"                        the host's load, and compare's time thresholds are loose\n"
		"                        (a round trip must quadruple). The result records the\n"
		"                        clock (workload \"clock\"); compare refuses two clocks\n"
		"      --vcpus V         lab vCPUs (default 1)\n"
		"      --param M.N=V     lab module parameter, e.g. kvm_amd.npt=0 or, with\n"
		"                        --isa vmx, kvm_intel.enable_shadow_vmcs=0 (repeatable)\n"
		"      --lab-out DIR     keep the lab's directory in DIR (default: a temporary\n"
		"                        directory, removed after a successful run)\n"
		"      --from DIR        run nothing: the metrics of a lab output that exists\n"
		"                        (nvmx lab run --out DIR with nvmxd --json\n"
		"                        $NVMX_LAB_OUT/nvmxd.json in --exec); its lab.json says\n"
		"                        the kernel, workload and iterations, one repeat per\n"
		"                        configuration (-w, -n, -k, -r, --param do not apply)\n"
		"      --configs I-J     with --from: only configurations I to J (from 1) are\n"
		"                        the repeats, e.g. of a boot of --config A three times\n"
		"                        then --config 'A;kvm_intel.enable_shadow_vmcs=0' three\n"
		"                        times: --configs 1-3 and --configs 4-6, two results;\n"
		"                        their times differ by their places in the boot (up to\n"
		"                        4 %% under Bochs): compare times of separate boots\n"
		"      --name NAME       a label stored in the result (e.g. a commit id)\n"
		"\n"
		"Exit status: 0 the result is written; 1 the workload or the lab's truth check\n"
		"failed; 2 it cannot run (bad options, no nvmxd, the lab cannot boot).\n"
		"\n"
		"Examples (the default CI bench, about 50 s: nvmxd loads in L0 in about 25 s;\n"
		"KVM as L1 on 6.1, 3 boots of 1-2 minutes each):\n"
		"  nvmx bench run -o new.json && nvmx bench compare base.json new.json\n"
		"  nvmx bench run --l1 kvm --kernel 6.1 -o kvm-6.1.json\n",
		BENCH_DEFAULT_REPEATS, BENCH_KVM_REPEATS, BENCH_DEFAULT_WORKLOAD,
		BENCH_KVM_WORKLOAD, BENCH_DEFAULT_ITERATIONS, BENCH_KVM_ITERATIONS,
		BENCH_VMX_DEFAULT_ITERATIONS, BENCH_DEFAULT_ICOUNT, BENCH_KVM_ICOUNT);
	fputs(NVMX_USAGE_COMMON, f);
}

struct opts {
	const char *out, *workload, *iterations, *kernel, *vcpus, *lab_out, *name, *from;
	const char *params[BENCH_MAX_PARAMS];
	int n_params, repeats, icount_shift; /* LAB_NO_ICOUNT: --no-icount */
	bool icount_set;		     /* --icount or --no-icount given */
	enum lab_l1 l1;			     /* --l1 */
	bool workload_set, iterations_set, repeats_set;
	enum nvmx_isa isa; /* --isa: NVMX_ISA_VMX runs Bochs */
	int first, last;   /* --configs FIRST-LAST of --from; 0: all */
	char **cmd;
};

/*
 * The lab's SPEC is L2's elements and L1's behaviour (mult=K: K exits of L1 per handled exit).
 * The workload that must match between BASE and NEW is L2's part; L1 is the system under test,
 * like L0's kernel, and goes to "env" ("l1": "nvmx-lab-workload ISA mult=K"). With --l1 kvm the
 * runner has no mult: SPEC is all L2's; which L1 ran is the workload's "l1" (minimal or kvm).
 */
static int split_spec(const char *full, enum lab_l1 kind, const char *isa, char *spec, size_t slen,
		      char *l1, size_t l1len)
{
	char buf[1024], *tok, *save;
	size_t n = 0;
	const char *mult = "mult=1";

	if (snprintf(buf, sizeof(buf), "%s", full) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	spec[0] = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strncmp(tok, "mult=", 5)) {
			mult = full + (tok - buf);
			continue;
		}
		n += (size_t)snprintf(spec + n, slen - n, "%s%s", n ? "," : "", tok);
		if (n >= slen)
			return -ENAMETOOLONG;
	}
	if (kind == LAB_L1_KVM)
		snprintf(l1, l1len, "Linux KVM (L0's kernel) under QEMU in L0");
	else
		snprintf(l1, l1len, "nvmx-lab-workload %s %.*s", isa, (int)strcspn(mult, ","),
			 mult);
	return 0;
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
}

static void host_cpu_model(char *out, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(out, len, "unknown");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			chomp(colon + 2);
			snprintf(out, len, "%s", colon + 2);
			break;
		}
	}
	if (f)
		fclose(f);
}

/*
 * What the lab ran: kernel package and emulator; its console: the kvm module parameters as L0
 * read them back for configurations first to last (1-based; /init prints "nvmx-lab: config N"
 * before each configuration's).
 */
static int lab_env(const struct lab_result *lab, const char *console, int first, int last,
		   struct json_object *env)
{
	struct json_object *params = json_object_new_object();
	char line[1024], cpu[256];
	int config = 0;
	FILE *f;

	if (!params)
		return -ENOMEM;
	json_object_object_add(env, "kernel", json_object_new_string(lab->kernel));
	json_object_object_add(env, "emulator", json_object_new_string(lab->emulator));
	f = fopen(console, "r");
	if (!f) {
		fprintf(stderr, "nvmx bench: %s: %s\n", console, strerror(errno));
		json_object_put(params);
		return -EIO;
	}
	/* read back per configuration: the last value read is the one the repeats ran with */
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "nvmx-lab: param "), *eq,
		     *c = strstr(line, "nvmx-lab: config ");

		if (c)
			config = atoi(c + strlen("nvmx-lab: config "));
		/* the boot's own read-back, before configuration 1, is configuration 1's */
		if (!p || (config ? config : 1) < first || (config ? config : 1) > last)
			continue;
		chomp(p);
		p += strlen("nvmx-lab: param ");
		eq = strchr(p, '=');
		if (!eq)
			continue;
		*eq = 0;
		json_object_object_add(params, p, json_object_new_string(eq + 1));
	}
	fclose(f);
	host_cpu_model(cpu, sizeof(cpu));
	json_object_object_add(env, "cpu_model", json_object_new_string(cpu));
	json_object_object_add(env, "kvm_params", params);
	return json_object_object_length(params) ? 0 : -ENOENT;
}

/* The local host: uname, /proc/cpuinfo, /sys/module/kvm*\/parameters. */
static void host_env(struct json_object *env)
{
	static const char *const mods[] = { "kvm", "kvm_amd", "kvm_intel" };
	struct json_object *params = json_object_new_object();
	struct utsname u;
	char cpu[256], path[PATH_MAX], line[256];

	if (!uname(&u)) {
		snprintf(path, sizeof(path), "%s %s", u.release, u.version);
		json_object_object_add(env, "kernel", json_object_new_string(path));
	}
	host_cpu_model(cpu, sizeof(cpu));
	json_object_object_add(env, "cpu_model", json_object_new_string(cpu));
	json_object_object_add(env, "emulator", json_object_new_string("none"));
	for (size_t m = 0; m < sizeof(mods) / sizeof(mods[0]); m++) {
		FILE *ls;
		char cmd[PATH_MAX];

		snprintf(cmd, sizeof(cmd), "ls /sys/module/%s/parameters 2>/dev/null", mods[m]);
		ls = popen(cmd, "r");
		while (ls && fgets(line, sizeof(line), ls)) {
			char val[256] = "", key[300];
			FILE *f;

			chomp(line);
			snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", mods[m], line);
			f = fopen(path, "r");
			if (!f || !fgets(val, sizeof(val), f)) {
				if (f)
					fclose(f);
				continue;
			}
			fclose(f);
			chomp(val);
			snprintf(key, sizeof(key), "%s.%s", mods[m], line);
			json_object_object_add(params, key, json_object_new_string(val));
		}
		if (ls)
			pclose(ls);
	}
	json_object_object_add(env, "kvm_params", params);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int cmp_pid(const void *a, const void *b)
{
	struct json_object *const *x = a, *const *y = b;
	struct json_object *px, *py;

	json_object_object_get_ex(*x, "pid", &px);
	json_object_object_get_ex(*y, "pid", &py);
	return json_object_get_int(px) - json_object_get_int(py);
}

static int lab_metrics(char (*dirs)[PATH_MAX], int n_dirs, const struct lab_result *lab,
		       int n_configs, int first, int repeats, bool l1_certain,
		       struct json_object *res);

static void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * The minimal L1: one boot, one configuration per repeat (each its own VMM process). --l1 kvm:
 * the lab runs one L1 per boot, so one boot per repeat, each into DIR/repeat-N.
 */
static int run_lab(const struct opts *o, const char *nvmxd, struct json_object *res)
{
	char dir_buf[] = "/tmp/nvmx-bench.XXXXXX";
	char exec_cmd[PATH_MAX + 256], err[256];
	const char *dir = o->lab_out, *configs[BENCH_MAX_REPEATS];
	bool kvm = o->l1 == LAB_L1_KVM;
	int boots = kvm ? o->repeats : 1, r = 0;
	char(*dirs)[PATH_MAX];
	struct lab_options lab;
	struct lab_result result;
	unsigned long vcpus = 1;

	if (!dir && !(dir = mkdtemp(dir_buf))) {
		fprintf(stderr, "nvmx bench: mkdtemp: %s\n", strerror(errno));
		return 2;
	}
	dirs = calloc((size_t)boots, sizeof(*dirs));
	if (!dirs) {
		fprintf(stderr, "nvmx bench: out of memory\n");
		return 2;
	}
	snprintf(exec_cmd, sizeof(exec_cmd),
		 "%s --interval 3600 --json $NVMX_LAB_OUT/nvmxd.json --ready $NVMX_LAB_OUT/ready",
		 nvmxd);
	lab_options_init(&lab);
	lab.kernel = o->kernel;
	lab.isa = o->isa;
	lab.icount_shift = o->icount_shift;
	/*
	 * nvmxd loads and attaches in 20-30 s of wall time, but under icount L0's clock runs
	 * ahead: 133-136 s of it with shift 4 (bench/overhead/l0_bench.sh), past the lab's 60 s.
	 */
	if (o->icount_shift != LAB_NO_ICOUNT || o->isa == NVMX_ISA_VMX)
		lab.ready_timeout_s = BENCH_ICOUNT_READY_S;
	lab.params = o->params;
	lab.n_params = (size_t)o->n_params;
	lab.l1 = o->l1;
	if (kvm) {
		lab.workload = o->workload;
	} else {
		for (int i = 0; i < o->repeats; i++)
			configs[i] = o->workload;
		lab.configs = configs;
		lab.n_configs = (size_t)o->repeats;
	}
	lab.exec = exec_cmd;
	if (kvm)
		fprintf(stderr,
			"nvmx bench: the lab with KVM as L1, %d repeats of %s x %s, one boot each, "
			"in %s/repeat-N\n",
			o->repeats, o->workload, o->iterations, dir);
	else
		fprintf(stderr, "nvmx bench: the lab, %d repeats of %s x %s in one boot, in %s\n",
			o->repeats, o->workload, o->iterations, dir);
	r = lab_parse_number("--iterations", o->iterations, 1, LAB_ITERATIONS_MAX, &lab.iterations,
			     err, sizeof(err));
	if (!r)
		r = lab_parse_number("--vcpus", o->vcpus, 1, LAB_VCPUS_MAX, &vcpus, err,
				     sizeof(err));
	lab.vcpus = (unsigned int)vcpus;
	if (r) {
		fprintf(stderr, "nvmx lab run: %s\n", err);
		r = LAB_CANNOT_RUN;
	}
	for (int i = 0; i < boots && !r; i++) {
		if (kvm) {
			snprintf(dirs[i], sizeof(dirs[i]), "%s/repeat-%d", dir, i + 1);
			fprintf(stderr, "nvmx bench: repeat %d of %d: its own boot\n", i + 1,
				boots);
		} else {
			snprintf(dirs[i], sizeof(dirs[i]), "%s", dir);
		}
		lab.out = dirs[i];
		r = lab_run(&lab, &result);
	}
	if (r) {
		fprintf(stderr, "nvmx bench: nvmx lab run exited %d (its reason is above)\n", r);
		free(dirs);
		return r;
	}
	r = lab_metrics(dirs, boots, &result, kvm ? 1 : o->repeats, 1, o->repeats, !kvm, res);
	if (!r && !o->lab_out)
		rm_tree(dir);
	free(dirs);
	return r;
}

/*
 * The metrics of lab outputs (nvmx lab run --out) dirs, each of n_configs configurations (one VM
 * each, in the order they ran): the first one's console's kvm parameters, and nvmxd's JSON
 * (DIR/exec/nvmxd.json). In each, configurations first (1-based) to first + repeats / n_dirs - 1
 * are repeats: one boot of all the repeats (the minimal L1), or one boot per repeat (KVM as L1).
 */
static int lab_metrics(char (*dirs)[PATH_MAX], int n_dirs, const struct lab_result *lab,
		       int n_configs, int first, int repeats, bool l1_certain,
		       struct json_object *res)
{
	char path[PATH_MAX + 64];
	struct json_object *env = json_object_new_object();
	struct json_object *metrics = json_object_new_object(), *sorted[BENCH_MAX_REPEATS];
	int rep = 0, per_dir = repeats / n_dirs;

	snprintf(path, sizeof(path), "%s/console.log", dirs[0]);
	if (lab_env(lab, path, first, first + per_dir - 1, env)) {
		fprintf(stderr, "nvmx bench: no kvm module parameters in %s\n", path);
		return 2;
	}
	for (int d = 0; d < n_dirs; d++) {
		struct json_object *live, *vms;
		int n_vms = 0;

		snprintf(path, sizeof(path), "%s/exec/nvmxd.json", dirs[d]);
		live = json_object_from_file(path);
		if (!live || !json_object_object_get_ex(live, "vms", &vms) ||
		    !json_object_is_type(vms, json_type_array)) {
			fprintf(stderr, "nvmx bench: %s: no \"vms\" array (%s)\n", path,
				json_util_get_last_err() ?: "not nvmxd's JSON");
			return 2;
		}
		for (size_t i = 0; i < json_object_array_length(vms); i++) {
			/*
			 * L0 runs no VMM but the workload (or L1's QEMU); nvmxd names a VM at its
			 * next interval, so a short repeat may be "(exited before it was named)":
			 * every VM is a repeat.
			 */
			if (n_vms < BENCH_MAX_REPEATS)
				sorted[n_vms++] = json_object_array_get_idx(vms, i);
		}
		if (n_vms != n_configs) {
			fprintf(stderr,
				"nvmx bench: %s: %d VMs, expected one per configuration (%d)\n",
				path, n_vms, n_configs);
			return 2;
		}
		qsort(sorted, (size_t)n_vms, sizeof(sorted[0]), cmp_pid);
		for (int i = 0; i < per_dir; i++, rep++) {
			struct json_object *s;

			if (!json_object_object_get_ex(sorted[first - 1 + i], "summary", &s) ||
			    nvmx_bench_add_summary(metrics, s, rep, repeats, l1_certain)) {
				fprintf(stderr,
					"nvmx bench: %s: vms[repeat %d]: not a summary of schema "
					"1\n",
					path, rep + 1);
				return 2;
			}
		}
		json_object_put(live);
	}
	/*
	 * L0's clock is part of the workload: times of an instruction clock and of the wall
	 * clock are not comparable, and compare's thresholds differ between them.
	 */
	json_object_object_add(json_object_object_get(res, "workload"), "clock",
			       json_object_new_string(lab->clock));
	json_object_object_add(res, "env", env);
	json_object_object_add(res, "metrics", metrics);
	return 0;
}

static int wait_file(const char *path, pid_t pid, int seconds)
{
	for (int i = 0; i < seconds * 10; i++) {
		if (!access(path, F_OK))
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -ECHILD;
		usleep(100000);
	}
	return -ETIMEDOUT;
}

static int run_host(const struct opts *o, const char *nvmxd, struct json_object *res)
{
	char dir[] = "/tmp/nvmx-bench.XXXXXX", json[PATH_MAX], ready[PATH_MAX];
	struct json_object *env = json_object_new_object(), *metrics = json_object_new_object();
	int r = 0;

	if (!mkdtemp(dir)) {
		fprintf(stderr, "nvmx bench: mkdtemp: %s\n", strerror(errno));
		return 2;
	}
	host_env(env);
	for (int i = 0; i < o->repeats && !r; i++) {
		struct json_object *s;
		pid_t d, c;
		int st = 0;

		snprintf(json, sizeof(json), "%s/nvmxd-%d.json", dir, i);
		snprintf(ready, sizeof(ready), "%s/ready-%d", dir, i);
		d = fork();
		if (!d) {
			execl(nvmxd, nvmxd, "--interval", "3600", "--json", json, "--ready", ready,
			      (char *)NULL);
			fprintf(stderr, "nvmx bench: cannot run %s: %s\n", nvmxd, strerror(errno));
			_exit(2);
		}
		if (d < 0 || wait_file(ready, d, 60)) {
			fprintf(stderr,
				"nvmx bench: nvmxd did not become ready (is this root, with "
				"KVM loaded?)\n");
			if (d > 0) {
				kill(d, SIGTERM);
				waitpid(d, NULL, 0);
			}
			return 2;
		}
		fprintf(stderr, "nvmx bench: repeat %d of %d: %s\n", i + 1, o->repeats, o->cmd[0]);
		c = fork();
		if (!c) {
			execvp(o->cmd[0], o->cmd);
			fprintf(stderr, "nvmx bench: cannot run %s: %s\n", o->cmd[0],
				strerror(errno));
			_exit(127);
		}
		if (c < 0 || waitpid(c, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "nvmx bench: %s failed (status %d) in repeat %d\n",
				o->cmd[0], c > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1, i + 1);
			r = 1;
		}
		kill(d, SIGINT);
		if (waitpid(d, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "nvmx bench: nvmxd failed in repeat %d\n", i + 1);
			return 2;
		}
		if (r)
			break;
		s = json_object_from_file(json);
		if (!s || nvmx_bench_add_summary(metrics, s, i, o->repeats, true)) {
			fprintf(stderr, "nvmx bench: %s: not a summary of schema 1\n", json);
			return 2;
		}
		json_object_put(s);
		unlink(json);
		unlink(ready);
	}
	rmdir(dir);
	json_object_object_add(res, "env", env);
	json_object_object_add(res, "metrics", metrics);
	return r;
}

/* One string of a JSON object, or NULL. */
static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

/*
 * --from DIR: what DIR/lab.json says ran becomes the options (workload, iterations, vCPUs, one
 * repeat per configuration, all of one workload) and the lab's result (kernel, emulator).
 * *doc keeps the strings alive. 0, or 2 with one line saying what is wrong.
 */
static int read_from(struct opts *o, struct json_object **doc, struct lab_result *lab, char *iters,
		     size_t iters_len, char *vcpus, size_t vcpus_len, int *n_configs)
{
	char path[PATH_MAX + 16];
	struct json_object *configs, *v;
	const char *w, *k, *e, *params;
	size_t n;

	snprintf(path, sizeof(path), "%s/lab.json", o->from);
	*doc = json_object_from_file(path);
	if (!*doc) {
		fprintf(stderr, "nvmx bench run: --from %s: cannot read %s (%s)\n", o->from, path,
			access(path, F_OK) ? "no such file: not a lab output of this nvmx"
					   : "not JSON");
		return 2;
	}
	k = str_of(*doc, "kernel");
	e = str_of(*doc, "emulator");
	if (!k || !e || !json_object_object_get_ex(*doc, "configs", &configs) ||
	    !json_object_is_type(configs, json_type_array) ||
	    !(n = json_object_array_length(configs)) || n > BENCH_MAX_REPEATS) {
		fprintf(stderr, "nvmx bench run: %s: no kernel, emulator or configs (1 to %d)\n",
			path, BENCH_MAX_REPEATS);
		return 2;
	}
	*n_configs = (int)n;
	if (!o->first) {
		o->first = 1;
		o->last = (int)n;
	} else if ((size_t)o->last > n) {
		fprintf(stderr, "nvmx bench run: --configs %d-%d: %s has %zu configurations\n",
			o->first, o->last, path, n);
		return 2;
	}
	/* the repeats: one workload, one set of module parameters */
	v = json_object_array_get_idx(configs, o->first - 1);
	w = str_of(v, "workload");
	params = json_object_to_json_string(json_object_object_get(v, "params"));
	params = params ? strdup(params) : NULL;
	for (int i = o->first; w && params && i <= o->last; i++) {
		const char *wi = str_of(json_object_array_get_idx(configs, i - 1), "workload");
		const char *pi = json_object_to_json_string(json_object_object_get(
			json_object_array_get_idx(configs, i - 1), "params"));

		if (!wi || strcmp(wi, w) || strcmp(pi, params)) {
			fprintf(stderr,
				"nvmx bench run: %s: configuration %d runs '%s' with %s, not '%s' "
				"with %s: not repeats of one configuration\n",
				path, i, wi ? wi : "(none)", pi, w, params);
			free((void *)params);
			return 2;
		}
	}
	free((void *)params);
	if (!w) {
		fprintf(stderr, "nvmx bench run: %s: no workload\n", path);
		return 2;
	}
	snprintf(lab->kernel, sizeof(lab->kernel), "%s", k);
	lab->emulator = e;
	/* an output of an nvmx before lab.json said its clock: unknown, wall-clock thresholds */
	snprintf(lab->clock, sizeof(lab->clock), "%s", str_of(*doc, "clock") ?: "unknown");
	o->workload = w;
	o->repeats = o->last - o->first + 1;
	/* an output of an nvmx before lab.json said its L1: the minimal L1, the only one then */
	o->l1 = str_of(*doc, "l1") && !strcmp(str_of(*doc, "l1"), "kvm") ? LAB_L1_KVM
									 : LAB_L1_MINIMAL;
	snprintf(iters, iters_len, "%" PRId64,
		 json_object_object_get_ex(*doc, "iterations", &v) ? json_object_get_int64(v) : 0);
	snprintf(vcpus, vcpus_len, "%" PRId64,
		 json_object_object_get_ex(*doc, "vcpus", &v) ? json_object_get_int64(v) : 0);
	o->iterations = iters;
	o->vcpus = vcpus;
	return 0;
}

int nvmx_bench_run(int argc, char **argv)
{
	static const struct option options[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "repeats", required_argument, NULL, 'r' },
		{ "workload", required_argument, NULL, 'w' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "vcpus", required_argument, NULL, 'c' },
		{ "param", required_argument, NULL, 'p' },
		{ "lab-out", required_argument, NULL, 'L' },
		{ "from", required_argument, NULL, 'F' },
		{ "name", required_argument, NULL, 'N' },
		{ "icount", required_argument, NULL, 'I' },
		{ "no-icount", no_argument, NULL, 'W' },
		{ "l1", required_argument, NULL, 'l' },
		{ "isa", required_argument, NULL, 'A' },
		{ "configs", required_argument, NULL, 'C' },
		NVMX_COMMON_LONGOPTS,
	};
	const char *p = "nvmx bench run";
	struct opts o = { .workload = BENCH_DEFAULT_WORKLOAD,
			  .iterations = NULL,
			  .kernel = "6.12",
			  .vcpus = "1",
			  .repeats = BENCH_DEFAULT_REPEATS,
			  .isa = NVMX_ISA_SVM,
			  .icount_shift = BENCH_DEFAULT_ICOUNT };
	struct json_object *res, *wl, *from_doc = NULL;
	struct lab_result from_lab = { 0 };
	char nvmxd[PATH_MAX], tmp[PATH_MAX + 8], date[64], *end, spec[1024], l1[1100];
	char iters[32], vcpus_s[32], err[256];
	unsigned long shift;
	uint32_t isa;
	int from_n_configs = 0;
	char c;
	time_t now = time(NULL);
	int opt, r;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:ho:r:w:n:k:", options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			o.out = optarg;
			break;
		case 'r':
			o.repeats = (int)strtol(optarg, &end, 10);
			if (*end || o.repeats < 1 || o.repeats > BENCH_MAX_REPEATS)
				return nvmx_usage_error(p, "--repeats: 1 to %d, not '%s'",
							BENCH_MAX_REPEATS, optarg);
			o.repeats_set = true;
			break;
		case 'w':
			o.workload = optarg;
			o.workload_set = true;
			break;
		case 'n':
			o.iterations = optarg;
			o.iterations_set = true;
			break;
		case 'l':
			if (!strcmp(optarg, "kvm"))
				o.l1 = LAB_L1_KVM;
			else if (!strcmp(optarg, "minimal"))
				o.l1 = LAB_L1_MINIMAL;
			else
				return nvmx_usage_error(p, "--l1 %s: expected minimal or kvm",
							optarg);
			break;
		case 'k':
			o.kernel = optarg;
			break;
		case 'c':
			o.vcpus = optarg;
			break;
		case 'p':
			if (o.n_params == BENCH_MAX_PARAMS)
				return nvmx_usage_error(p, "at most %d --param", BENCH_MAX_PARAMS);
			o.params[o.n_params++] = optarg;
			break;
		case 'L':
			o.lab_out = optarg;
			break;
		case 'F':
			o.from = optarg;
			break;
		case 'N':
			o.name = optarg;
			break;
		case 'I':
			if (lab_parse_number("--icount", optarg, 0, LAB_ICOUNT_SHIFT_MAX, &shift,
					     err, sizeof(err)))
				return nvmx_usage_error(p, "%s", err);
			o.icount_shift = (int)shift;
			o.icount_set = true;
			break;
		case 'W':
			o.icount_shift = LAB_NO_ICOUNT;
			o.icount_set = true;
			break;
		case 'C':
			if (sscanf(optarg, "%d-%d%c", &o.first, &o.last, &c) != 2 || o.first < 1 ||
			    o.last < o.first || o.last > BENCH_MAX_REPEATS)
				return nvmx_usage_error(
					p,
					"--configs %s: FIRST-LAST, 1 <= FIRST <= LAST "
					"<= %d",
					optarg, BENCH_MAX_REPEATS);
			break;
		case 'A':
			if (nvmx_isa_from_name(optarg, &isa) || isa == NVMX_ISA_UNKNOWN)
				return nvmx_usage_error(p, "--isa %s: expected svm or vmx", optarg);
			o.isa = (enum nvmx_isa)isa;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return nvmx_print_version("nvmx");
		default:
			return nvmx_getopt_error(p, opt, argv);
		}
	}
	if (optind < argc && !strcmp(argv[optind - 1], "--"))
		o.cmd = argv + optind;
	else if (optind < argc)
		return nvmx_usage_error(p, "unexpected '%s' (a command goes after --)",
					argv[optind]);
	if (!o.out)
		return nvmx_usage_error(p, "-o RESULT.json is required");
	if (o.from && (o.cmd || o.lab_out))
		return nvmx_usage_error(p, "--from reads a lab output: no command, no --lab-out");
	if (o.l1 == LAB_L1_KVM && (o.from || o.cmd))
		return nvmx_usage_error(p, "--l1 kvm is the lab's: not with --from (its lab.json "
					   "says the L1) or a command");
	if (o.l1 == LAB_L1_KVM && o.isa == NVMX_ISA_VMX)
		return nvmx_usage_error(p, "--l1 kvm with --isa vmx: not supported (one boot of "
					   "KVM as L1 under Bochs takes about 16 minutes)");
	if (o.l1 == LAB_L1_KVM) {
		o.workload = o.workload_set ? o.workload : BENCH_KVM_WORKLOAD;
		o.iterations = o.iterations_set ? o.iterations : BENCH_KVM_ITERATIONS;
		o.repeats = o.repeats_set ? o.repeats : BENCH_KVM_REPEATS;
		o.icount_shift = o.icount_set ? o.icount_shift : BENCH_KVM_ICOUNT;
	}
	if (o.first && !o.from)
		return nvmx_usage_error(p,
					"--configs selects configurations of --from's lab output");
	if (o.icount_set && (o.from || o.cmd))
		return nvmx_usage_error(p, "--icount and --no-icount set the lab's clock: not with "
					   "--from or a command");
	if (o.icount_set && o.isa == NVMX_ISA_VMX)
		return nvmx_usage_error(p, "--icount and --no-icount are QEMU's: with --isa vmx, "
					   "Bochs's clock counts instructions already");
	if (o.isa == NVMX_ISA_VMX && (o.from || o.cmd))
		return nvmx_usage_error(p, "--isa vmx runs the lab: not with --from (its lab.json "
					   "says the ISA) or a command");
	if (o.isa == NVMX_ISA_VMX)
		o.icount_shift = LAB_NO_ICOUNT;
	if (!o.iterations)
		o.iterations = o.isa == NVMX_ISA_VMX ? BENCH_VMX_DEFAULT_ITERATIONS
						     : BENCH_DEFAULT_ITERATIONS;
	if (o.from) {
		r = read_from(&o, &from_doc, &from_lab, iters, sizeof(iters), vcpus_s,
			      sizeof(vcpus_s), &from_n_configs);
		if (r)
			return r;
	}
	r = o.from ? 0 : nvmx_find_nvmxd(nvmxd, sizeof(nvmxd));
	if (r) {
		fprintf(stderr, "nvmx bench run: no nvmxd (%s): set NVMX_NVMXD=PATH\n",
			strerror(-r));
		return 2;
	}
	res = json_object_new_object();
	wl = json_object_new_object();
	json_object_object_add(res, "nvmx_bench", json_object_new_int(NVMX_BENCH_SCHEMA));
	json_object_object_add(res, "nvmx_version", json_object_new_string(NVMX_VERSION));
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	json_object_object_add(res, "date", json_object_new_string(date));
	if (o.name)
		json_object_object_add(res, "name", json_object_new_string(o.name));
	json_object_object_add(res, "repeats", json_object_new_int(o.repeats));
	if (o.cmd) {
		char cmd[4096] = "";
		size_t len = 0;

		for (char **a = o.cmd; *a && len < sizeof(cmd); a++)
			len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, "%s%s",
						a == o.cmd ? "" : " ", *a);
		json_object_object_add(wl, "source", json_object_new_string("command"));
		json_object_object_add(wl, "command", json_object_new_string(cmd));
		/* a real host's L0 clock is its own: wall time, as --no-icount in the lab */
		json_object_object_add(wl, "clock", json_object_new_string("wall"));
	} else {
		json_object_object_add(wl, "source", json_object_new_string("lab"));
		const char *isa_name = nvmx_isa_name(o.isa);

		if (o.from && str_of(from_doc, "isa"))
			isa_name = str_of(from_doc, "isa");
		json_object_object_add(wl, "isa", json_object_new_string(isa_name));
		r = split_spec(o.workload, o.l1, isa_name, spec, sizeof(spec), l1, sizeof(l1));
		if (r) {
			fprintf(stderr, "nvmx bench run: --workload too long\n");
			json_object_put(res);
			json_object_put(wl);
			return 2;
		}
		json_object_object_add(wl, "spec", json_object_new_string(spec));
		/* the L1 is compared as the clock is: compare refuses two L1s in one line */
		json_object_object_add(
			wl, "l1", json_object_new_string(o.l1 == LAB_L1_KVM ? "kvm" : "minimal"));
		json_object_object_add(wl, "iterations",
				       json_object_new_int((int)strtol(o.iterations, NULL, 10)));
		json_object_object_add(wl, "vcpus",
				       json_object_new_int((int)strtol(o.vcpus, NULL, 10)));
	}
	json_object_object_add(res, "workload", wl);
	if (o.from) {
		char(*dir)[PATH_MAX] = calloc(1, sizeof(*dir));

		r = 2;
		if (dir) {
			snprintf(dir[0], sizeof(dir[0]), "%s", o.from);
			r = lab_metrics(dir, 1, &from_lab, from_n_configs, o.first, o.repeats,
					o.l1 != LAB_L1_KVM, res);
			free(dir);
		}
	} else
		r = o.cmd ? run_host(&o, nvmxd, res) : run_lab(&o, nvmxd, res);
	if (!r && !o.cmd)
		json_object_object_add(json_object_object_get(res, "env"), "l1",
				       json_object_new_string(l1));
	if (!r) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", o.out);
		if (json_object_to_file_ext(tmp, res,
					    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED) ||
		    rename(tmp, o.out)) {
			fprintf(stderr, "nvmx bench run: cannot write %s: %s\n", o.out,
				strerror(errno));
			r = 2;
		} else {
			fprintf(stderr, "nvmx bench: %d repeats, %d metrics written to %s\n",
				o.repeats,
				json_object_object_length(json_object_object_get(res, "metrics")),
				o.out);
		}
	}
	json_object_put(res);
	json_object_put(from_doc);
	return r;
}
