/* SPDX-License-Identifier: BSD-3-Clause */
#include "digest.h"

#include <nettle/md5.h>
#include <string.h>

/* MD5 of the parts joined with ':', in hex. */
static void md5_hex(const char *const *parts, unsigned n, char out[DIGEST_HEX])
{
	static const char digits[] = "0123456789abcdef";
	struct md5_ctx ctx;
	uint8_t d[MD5_DIGEST_SIZE];

	md5_init(&ctx);
	for (unsigned i = 0; i < n; i++) {
		if (i)
			md5_update(&ctx, 1, (const uint8_t *)":");
		md5_update(&ctx, strlen(parts[i]), (const uint8_t *)parts[i]);
	}
	md5_digest(&ctx, sizeof(d), d);
	for (unsigned i = 0; i < MD5_DIGEST_SIZE; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[32] = 0;
}

void digest_response(const char *user, const char *realm, const char *password,
		     const char *method, const char *uri, const char *nonce,
		     char out[DIGEST_HEX])
{
	char ha1[DIGEST_HEX], ha2[DIGEST_HEX];

	md5_hex((const char *[]){ user, realm, password }, 3, ha1);
	md5_hex((const char *[]){ method, uri }, 2, ha2);
	md5_hex((const char *[]){ ha1, nonce, ha2 }, 3, out);
}
