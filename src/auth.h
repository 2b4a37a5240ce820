/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Basic authentication at scrape speed, much as exporter-toolkit does it (web/handler.go): a
 * credential a bcrypt check verified is cached, keyed by a SHA-256 of the presented user and
 * password (with a per-process random salt; the password itself is never kept),
 * NVMXD_AUTH_CACHE entries at most, each for NVMXD_AUTH_CACHE_S seconds. Unlike exporter-toolkit,
 * refusals are not cached: a flood of wrong passwords cannot evict the right ones. An unknown user is checked against a configured user's
 * hash anyway and refused, so the time taken does not tell which users exist. One bcrypt check
 * at a time (a mutex): a flood of wrong passwords takes one core, not every one, and a cached
 * credential never waits for it. Thread-safe. No logging.
 */
#ifndef NVMXD_AUTH_H
#define NVMXD_AUTH_H

#include <stdbool.h>

#include "webconfig.h"

#define NVMXD_AUTH_CACHE   128
#define NVMXD_AUTH_CACHE_S 300

struct nvmxd_auth;

/* wc must outlive the result. Returns 0 or a negative errno. */
int nvmxd_auth_new(const struct nvmxd_webconfig *wc, struct nvmxd_auth **out);
void nvmxd_auth_free(struct nvmxd_auth *a);

/*
 * From now on, credentials not in the cache are refused without a bcrypt check: when the server
 * stops, connections queued behind a flood of checks end at once (SIGTERM is not held up by
 * them). Thread-safe.
 */
void nvmxd_auth_stop(struct nvmxd_auth *a);

/* Whether user and password are those of a configured user. NULLs are refused. */
bool nvmxd_auth_check(struct nvmxd_auth *a, const char *user, const char *password);

#endif /* NVMXD_AUTH_H */
