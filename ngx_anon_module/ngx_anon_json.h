
/*
 * Copyright (C) ngx_anon authors
 */


#ifndef _NGX_ANON_JSON_H_INCLUDED_
#define _NGX_ANON_JSON_H_INCLUDED_


#include <stddef.h>

#include "ngx_anon_args.h"


#define ngx_anon_json_dst_size(len)   (6 * (len) + 1)
#define ngx_anon_json_work_size(len)                                         \
    ((len) + ngx_anon_args_dst_size(len) + ngx_anon_args_work_size(len))


/*
 * Scrub the query strings inside the string literals of a JSON text, such
 * as Matomo's bulk tracking body {"requests": ["?idsite=1&cip=...", ...]}.
 * Every string literal is unescaped; the part after its first "?" (or all
 * of it, if it has no "?") is scrubbed with ngx_anon_args_scrub(), and a
 * changed string is written back, escaped.  Everything outside string
 * literals is copied unchanged; the text need not be valid JSON, and an
 * unterminated string is treated as running to the end.
 *
 * "dst" holds ngx_anon_json_dst_size(len) bytes, "work" is scratch space of
 * ngx_anon_json_work_size(len) bytes.  Returns the length written to dst;
 * 0 with len > 0 means nothing changed.
 */
size_t ngx_anon_json_scrub(unsigned char *dst, const unsigned char *src,
    size_t len, const ngx_anon_name_t *names, size_t nnames,
    unsigned prefix4, unsigned prefix6, unsigned char *work);


#endif /* _NGX_ANON_JSON_H_INCLUDED_ */
