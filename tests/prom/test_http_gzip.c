// SPDX-License-Identifier: GPL-2.0
/*
 * nvmxd's gzip (src/http.h): which Accept-Encoding values take gzip (RFC 9110's q values, "*",
 * case, spaces), and that a gzipped body inflates back to itself with zlib's gzip reader. No
 * root, no network (host_serve.sh asks a live nvmxd with curl).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "http.h"

Test(http_gzip, accept_encoding)
{
	static const struct {
		const char *v;
		bool gzip;
	} cases[] = {
		{ NULL, false },
		{ "", false },
		{ "identity", false },
		{ "gzip", true },
		{ "GZip", true },
		{ "x-gzip", true },
		{ "deflate, gzip", true },
		{ "gzip, deflate, br", true }, /* curl --compressed */
		{ " deflate ,  gzip ;q=0.5 ", true },
		{ "gzip;q=0", false },
		{ "gzip; q=0.0", false },
		{ "gzip;q=0.001", true },
		{ "*", true },
		{ "*;q=0", false },
		{ "*, gzip;q=0", false },
		{ "gzip;q=0, *", false },
		{ "br, *;q=0.1", true },
		{ "gzipx", false },
		{ "xgzip", false },
		{ "deflate;q=1, br", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(nvmxd_http_accepts_gzip(cases[i].v), cases[i].gzip,
			     "Accept-Encoding: '%s': expected %s",
			     cases[i].v ? cases[i].v : "(none)",
			     cases[i].gzip ? "gzip" : "no gzip");
}

static void round_trip(const char *in, size_t len)
{
	char *z = NULL, *back = malloc(len + 1);
	size_t zlen = 0;
	z_stream s = { 0 };

	cr_assert_not_null(back);
	cr_assert_eq(nvmxd_http_gzip(in, len, &z, &zlen), 0);
	cr_assert_geq(zlen, 18, "a gzip member has a 10-byte header and an 8-byte trailer");
	cr_expect_eq((unsigned char)z[0], 0x1f);
	cr_expect_eq((unsigned char)z[1], 0x8b);
	cr_assert_eq(inflateInit2(&s, 16 + 15), Z_OK); /* gzip only */
	s.next_in = (Bytef *)z;
	s.avail_in = (uInt)zlen;
	s.next_out = (Bytef *)back;
	s.avail_out = (uInt)len + 1;
	cr_expect_eq(inflate(&s, Z_FINISH), Z_STREAM_END);
	cr_expect_eq(s.total_out, len);
	cr_expect_eq(memcmp(back, in, len), 0);
	inflateEnd(&s);
	free(z);
	free(back);
}

Test(http_gzip, round_trip)
{
	size_t n = 300000;
	char *big = malloc(n);

	cr_assert_not_null(big);
	round_trip("", 0);
	round_trip("nvmx_l2_exits_total{vm=\"a\"} 1\n", 31);
	/* a scrape-like text, and bytes that do not compress */
	for (size_t i = 0; i < n; i++)
		big[i] = "nvmx_l2_exits_total{vm=\"vm-a\",le=\"1e-06\"} 12345\n"[i % 49];
	round_trip(big, n);
	srand(1);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)rand();
	round_trip(big, n);
	free(big);
}
