/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 2617 / RFC 3261 22.4 digest (MD5, no qop), as SIP registrars ask for it. */
#ifndef SIPLB_BENCH_DIGEST_H
#define SIPLB_BENCH_DIGEST_H

#define DIGEST_HEX 33 /* 32 hex digits and a NUL */

/* response = MD5(MD5(user:realm:password):nonce:MD5(method:uri)) in hex. */
void digest_response(const char *user, const char *realm, const char *password,
		     const char *method, const char *uri, const char *nonce,
		     char out[DIGEST_HEX]);

#endif
