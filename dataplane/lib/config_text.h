/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The text of a configuration file and of the files it @includes, read by
 * siplb itself into one buffer that libconfig parses from memory
 * (config_read_string), with where each line of it came from. Only for
 * config.c: libconfig never opens a file, so nothing it would do on a
 * FIFO, a device or an unreadable file (block, or exit on a read error)
 * can happen; every file is checked here the same way: a regular file,
 * opened without blocking, at most SLB_CONFIG_MAX_BYTES in all.
 */
#ifndef SIPLB_CONFIG_TEXT_H
#define SIPLB_CONFIG_TEXT_H

#include <libconfig.h>
#include <stddef.h>

/* Bytes of configuration, the main file and its includes together: the
 * largest configuration siplb can use (1024 backends) is about 100 KiB,
 * and libconfig takes 50 MB (and 50 ms in siplbd) for 1 MiB of settings,
 * 750 MB for 16 MiB, inside siplbd's loop. */
#define SLB_CONFIG_MAX_BYTES (1u << 20)
/* @include within @include within ...: as deep as libconfig allows. */
#define SLB_CONFIG_MAX_INCLUDE_DEPTH 10

struct slb_config_text;

/* path and its includes (paths relative to the including file), or NULL
 * with "FILE: reason" or "FILE:LINE: reason" in err. */
struct slb_config_text *slb_config_text_read(const char *path, char *err, size_t errlen);

/* The whole text, NUL-terminated, without @include lines. */
const char *slb_config_text_buf(const struct slb_config_text *t);

/* The file (*file) and the line in it of line (1-based; 0: the main
 * file's line 0) of the text. */
unsigned slb_config_text_origin(const struct slb_config_text *t, unsigned line,
				const char **file);

void slb_config_text_free(struct slb_config_text *t);

/* The first member of group g whose name is not in known (NULL-terminated),
 * with the known names, comma-separated, in list; NULL when all are known.
 * For config.c and rules_config.c, which word their own messages. */
const config_setting_t *slb_config_unknown_key(const config_setting_t *g,
					       const char *const *known, char *list,
					       size_t len);

#endif
