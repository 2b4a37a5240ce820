// SPDX-License-Identifier: GPL-2.0
/* Basic authentication with a cache of verified credentials (src/auth.h). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <gnutls/crypto.h>

#include "auth.h"
#include "nvmx/util.h"

#define KEY_LEN 32 /* SHA-256 */

/* a verified credential */
struct entry {
	unsigned char key[KEY_LEN];
	uint64_t expires_ns; /* 0: empty */
};

struct nvmxd_auth {
	const struct nvmxd_webconfig *wc;
	unsigned char salt[16];
	pthread_mutex_t cache_lock;  /* the cache */
	pthread_mutex_t bcrypt_lock; /* one bcrypt check at a time */
	bool stopping;		     /* nvmxd_auth_stop(): no more checks */
	struct entry cache[NVMXD_AUTH_CACHE];
};

int nvmxd_auth_new(const struct nvmxd_webconfig *wc, struct nvmxd_auth **out)
{
	struct nvmxd_auth *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (!a)
		return -ENOMEM;
	if (getrandom(a->salt, sizeof(a->salt), 0) != (ssize_t)sizeof(a->salt)) {
		free(a);
		return -EIO;
	}
	a->wc = wc;
	pthread_mutex_init(&a->cache_lock, NULL);
	pthread_mutex_init(&a->bcrypt_lock, NULL);
	*out = a;
	return 0;
}

void nvmxd_auth_free(struct nvmxd_auth *a)
{
	if (!a)
		return;
	pthread_mutex_destroy(&a->cache_lock);
	pthread_mutex_destroy(&a->bcrypt_lock);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

void nvmxd_auth_stop(struct nvmxd_auth *a)
{
	if (a)
		__atomic_store_n(&a->stopping, true, __ATOMIC_RELAXED);
}

/* SHA-256 of salt, user, NUL, password: what the cache is keyed by. 0 or -1. */
static int cache_key(const struct nvmxd_auth *a, const char *user, const char *password,
		     unsigned char key[KEY_LEN])
{
	size_t ul = strlen(user), pl = strlen(password), n = sizeof(a->salt) + ul + 1 + pl;
	unsigned char *buf = malloc(n);
	int e;

	if (!buf)
		return -1;
	memcpy(buf, a->salt, sizeof(a->salt));
	memcpy(buf + sizeof(a->salt), user, ul + 1);
	memcpy(buf + sizeof(a->salt) + ul + 1, password, pl);
	e = gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, n, key);
	explicit_bzero(buf, n);
	free(buf);
	return e ? -1 : 0;
}

static bool key_eq(const unsigned char *x, const unsigned char *y)
{
	unsigned char d = 0;

	for (size_t i = 0; i < KEY_LEN; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* whether key is cached and not expired */
static bool cache_get(struct nvmxd_auth *a, const unsigned char *key, uint64_t now)
{
	bool r = false;

	pthread_mutex_lock(&a->cache_lock);
	for (size_t i = 0; i < NVMXD_AUTH_CACHE; i++) {
		struct entry *e = &a->cache[i];

		if (e->expires_ns > now && key_eq(e->key, key)) {
			r = true;
			break;
		}
	}
	pthread_mutex_unlock(&a->cache_lock);
	return r;
}

/* into an expired or empty slot, else over the one that expires first */
static void cache_put(struct nvmxd_auth *a, const unsigned char *key, uint64_t now)
{
	struct entry *victim = &a->cache[0];

	pthread_mutex_lock(&a->cache_lock);
	for (size_t i = 0; i < NVMXD_AUTH_CACHE; i++) {
		struct entry *e = &a->cache[i];

		if (e->expires_ns <= now || key_eq(e->key, key)) {
			victim = e;
			break;
		}
		if (e->expires_ns < victim->expires_ns)
			victim = e;
	}
	memcpy(victim->key, key, KEY_LEN);
	victim->expires_ns = now + (uint64_t)NVMXD_AUTH_CACHE_S * 1000000000ull;
	pthread_mutex_unlock(&a->cache_lock);
}

bool nvmxd_auth_check(struct nvmxd_auth *a, const char *user, const char *password)
{
	const struct nvmxd_webconfig *wc = a->wc;
	const struct nvmxd_web_user *u = NULL;
	unsigned char key[KEY_LEN];
	uint64_t now = nvmx_mono_ns();
	bool ok;

	if (!user || !password || !wc || !wc->n_users)
		return false;
	if (cache_key(a, user, password, key))
		return false;
	if (cache_get(a, key, now))
		return true;
	for (size_t i = 0; i < wc->n_users && !u; i++)
		if (!strcmp(wc->users[i].name, user))
			u = &wc->users[i];
	pthread_mutex_lock(&a->bcrypt_lock);
	if (__atomic_load_n(&a->stopping, __ATOMIC_RELAXED)) {
		/* refused uncached: a queue of checks must not hold up the end */
		pthread_mutex_unlock(&a->bcrypt_lock);
		explicit_bzero(key, sizeof(key));
		return false;
	}
	/* an unknown user costs a check against a real hash too: no timing tells it apart */
	ok = nvmxd_webconfig_check_hash(u ? u->hash : wc->users[0].hash, password) && u;
	pthread_mutex_unlock(&a->bcrypt_lock);
	/* only what was verified: a flood of wrong passwords must not evict the right ones */
	if (ok)
		cache_put(a, key, nvmx_mono_ns());
	explicit_bzero(key, sizeof(key));
	return ok;
}
