
/*
 * Copyright (C) ngx_anon authors
 */


#ifndef _NGX_ANON_ARGS_H_INCLUDED_
#define _NGX_ANON_ARGS_H_INCLUDED_


#include <stddef.h>

#include "ngx_anon_bsn.h"
#include "ngx_anon_scrub.h"


typedef struct {
    const unsigned char  *data;
    size_t                len;
} ngx_anon_name_t;


/*
 * The sizes of the buffers ngx_anon_args_scrub() needs for len bytes; the
 * work space holds a decoded value and its scrubbed text.
 */

#define ngx_anon_args_dst_size(len)   (6 * (len) + 1)
#define ngx_anon_args_work_size(len)                                         \
    ((len) + ngx_anon_scrub_max_size(len) + 1)


/*
 * Whether the query string "src" (without "?") has an argument with one of
 * the names: a cheap test before ngx_anon_args_scrub().
 */
int ngx_anon_args_match(const unsigned char *src, size_t len,
    const ngx_anon_name_t *names, size_t nnames);

/*
 * Truncate every address in the values of the named arguments of a query
 * string or a form-encoded body.  Arguments are separated by "&"; names
 * match after percent-decoding, case-insensitively.  A value is decoded
 * (percent-escapes until none is left, so that no depth of encoding can
 * hide an address; "+" of the input as a space) and scrubbed with
 * ngx_anon_scrub(); if that changes it, the value is replaced by the
 * percent-encoded scrubbed text, otherwise the original bytes are kept.
 * Names are decoded the same way.
 *
 * "dst" holds ngx_anon_args_dst_size(len) bytes, "work" is scratch space
 * of ngx_anon_args_work_size(len) bytes.  Returns the length written to
 * dst; 0 with len > 0 means nothing changed and nothing needs rewriting.
 */
size_t ngx_anon_args_scrub(unsigned char *dst, const unsigned char *src,
    size_t len, const ngx_anon_name_t *names, size_t nnames,
    unsigned prefix4, unsigned prefix6, unsigned char *work);

/*
 * The same, with BSNs in the scrubbed values replaced too (see
 * ngx_anon_bsn_scrub()), in larger buffers: a pseudonym may be longer than
 * the number it replaces.  With "addresses" 0, addresses are left as
 * they are and only BSNs are replaced.
 */

#define ngx_anon_args_bsn_dst_size(len)                                      \
    ((len) + 9 * ngx_anon_scrub_max_size(len) + 1)
#define ngx_anon_args_bsn_work_size(len)                                     \
    ((len) + 4 * ngx_anon_scrub_max_size(len) + 1)

size_t ngx_anon_args_scrub_bsn(unsigned char *dst, const unsigned char *src,
    size_t len, const ngx_anon_name_t *names, size_t nnames, int addresses,
    unsigned prefix4, unsigned prefix6, const ngx_anon_bsn_t *bsn,
    unsigned char *work);

/*
 * Percent-encode everything but the unreserved characters of RFC 3986
 * (a URI component).  With dst NULL, only the output length is returned.
 */
size_t ngx_anon_args_encode(unsigned char *dst, const unsigned char *src,
    size_t len);


#endif /* _NGX_ANON_ARGS_H_INCLUDED_ */
