/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The value parsers' byte classes (sip_scan_internal.h), filled once at
 * start. Their own file, built for any x86-64: the paths' objects use them
 * and sip_scan.c calls the paths, so here neither depends on the other
 * (tests/layout: no circle between files); and a constructor in a path's
 * object would be compiled for that path's instructions and run them at
 * every start, on every CPU.
 */
#include <stdlib.h>
#include <string.h>

#include "sip_scan_internal.h"

struct slb_byte_class slb_token_class, slb_param_class, slb_word_class, slb_addr_class,
	slb_qtext_class, slb_addr_plain_class;

__attribute__((constructor)) static void init_byte_classes(void)
{
	static const char word_extra[] = "-.!%*_+`'~()<>:\\\"/[]?{}";

	for (unsigned c = 0; c < 256; c++) {
		bool alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
			     (c >= 'a' && c <= 'z');

		slb_token_class.in[c] = slb_token_char[c];
		slb_param_class.in[c] = slb_token_char[c] || c == ':' || c == '[' || c == ']';
		slb_word_class.in[c] =
			alnum || (c && memchr(word_extra, (int)c, sizeof(word_extra) - 1));
		slb_addr_class.in[c] = c != ';' && c != ',' && c != '"' && c != '<';
		slb_qtext_class.in[c] = c != '"' && c != '\\';
		slb_addr_plain_class.in[c] = slb_addr_class.in[c] && c != '>' && c != '\\';
	}
	/* Fixed sets that fit the nibble scheme; a failure is a bug here. */
	if (!slb_byte_class_init(&slb_token_class) || !slb_byte_class_init(&slb_param_class) ||
	    !slb_byte_class_init(&slb_word_class) || !slb_byte_class_init(&slb_addr_class) ||
	    !slb_byte_class_init(&slb_addr_plain_class) ||
	    !slb_byte_class_init(&slb_qtext_class))
		abort();
}
