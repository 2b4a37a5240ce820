// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxd's HTTP request path (src/http.c on libmicrohttpd, basic auth through src/auth.c and
 * src/webconfig.c) on any bytes: nvmxd's server, started as nvmxd starts it with a web-config of
 * one user (a cost-4 bcrypt hash of the password "fuzz": user fuzz, password fuzz), gets each
 * input as the bytes of one connection on 127.0.0.1, its end of writing closed. What it answers
 * must be HTTP; now and then a valid request must still be answered 200 (a request that breaks
 * the server for the next ones is a bug too). Without BPF maps: a scrape answers 500 ("reading
 * the BPF maps failed"), which is the routing and the refusal paths under test, not the metrics
 * (fuzz_promtext has the writer).
 */
#include <crypt.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "fuzz_common.h"
#include "http.h"
#include "webconfig.h"

static struct nvmxd_http *server;
static struct nvmxd_webconfig *wc;
static struct sockaddr_in addr;
static unsigned long n_inputs;

static const char *vm_name(void *ctx, uint32_t tgid)
{
	return "fuzz-vm";
}

static int summary_json(void *ctx, const struct nvmx_counters *c, FILE *out)
{
	return fputs("{}\n", out) < 0 ? -EIO : 0;
}

static bool bpf_stats(void *ctx)
{
	return false;
}

static struct nvmxd_http_source src = {
	.maps = { .threads = -1, .slots = -1, .exits = -1, .msrs = -1, .ports = -1, .self = -1 },
	.vm_name = vm_name,
	.summary_json = summary_json,
	.bpf_stats = bpf_stats,
	.uid = 65534,
	.gid = 65534,
	.kver = 0x060c00,
};

/* One connection: data sent, writing shut, the answer (up to cap bytes) read to the end. */
static size_t exchange(const uint8_t *data, size_t size, char *answer, size_t cap)
{
	struct timeval tv = { .tv_sec = 15 };
	size_t got = 0, sent = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("fuzz_http: connecting to nvmxd's server");
		abort();
	}
	/* the server may close early (a refused request): what it did not read is not an error */
	while (sent < size && (n = send(fd, data + sent, size - sent, MSG_NOSIGNAL)) > 0)
		sent += (size_t)n;
	(void)shutdown(fd, SHUT_WR);
	while (got + 1 < cap && (n = recv(fd, answer + got, cap - 1 - got, 0)) > 0)
		got += (size_t)n;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		fprintf(stderr, "fuzz_http: no answer within %ld s\n", (long)tv.tv_sec);
		abort();
	}
	answer[got] = '\0';
	close(fd);
	return got;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/nvmx-fuzz-http-XXXXXX", path[64], bound[64], err[256], setting[64];
	const char *hash;
	struct crypt_data cd = { 0 };
	int fd;
	FILE *f;

	if (!mkdtemp(dir) || !crypt_gensalt_rn("$2b$", 4, NULL, 0, setting, sizeof(setting)) ||
	    !(hash = crypt_r("fuzz", setting, &cd)) || hash[0] == '*')
		abort();
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	f = fopen(path, "w");
	if (!f || fprintf(f, "basic_auth_users:\n  fuzz: '%s'\n", hash) < 0 || fclose(f) ||
	    nvmxd_webconfig_load(path, &wc, err, sizeof(err)) ||
	    nvmxd_http_listen("127.0.0.1:0", &fd, bound, sizeof(bound), err, sizeof(err)) ||
	    nvmxd_http_start(&server, fd, bound, wc, &src, err, sizeof(err))) {
		fprintf(stderr, "fuzz_http: starting nvmxd's server: %s\n", err);
		abort();
	}
	unlink(path);
	rmdir(dir);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((uint16_t)atoi(strrchr(bound, ':') + 1));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char healthy[] = "GET /-/healthy HTTP/1.1\r\nHost: x\r\n"
				      "Authorization: Basic ZnV6ejpmdXp6\r\n\r\n";
	static char answer[1 << 16];
	size_t got = exchange(data, size, answer, sizeof(answer));

	if (got && strncmp(answer, "HTTP/1.", 7)) {
		fprintf(stderr, "fuzz_http: the answer is not HTTP: %.80s\n", answer);
		abort();
	}
	if (++n_inputs % 64 == 0) {
		/*
		 * A connection closed unanswered is nvmxd's per-address limit while the threads of
		 * the last connections end (a busy machine): a few tries, 0.1 s apart.
		 */
		for (int try = 0; try < 20; try++) {
			got = exchange((const uint8_t *)healthy, strlen(healthy), answer,
				       sizeof(answer));
			if (got)
				break;
			usleep(100000);
		}
		if (strncmp(answer, "HTTP/1.1 200", 12)) {
			fprintf(stderr,
				"fuzz_http: a valid request is not answered 200 after %lu "
				"inputs: %.80s\n",
				n_inputs, answer);
			abort();
		}
	}
	return 0;
}
