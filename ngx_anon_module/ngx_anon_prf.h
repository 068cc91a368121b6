
/*
 * Copyright (C) ngx_anon authors
 */


#ifndef _NGX_ANON_PRF_H_INCLUDED_
#define _NGX_ANON_PRF_H_INCLUDED_


#include <stddef.h>


#define NGX_ANON_PRF_KEY_LEN  32             /* bytes, HMAC-SHA256 */


/*
 * A message for the PRF: fields each written as a two-byte big-endian
 * length and the bytes, so that no two field lists give the same message.
 * ngx_anon_prf_field() appends one field at "p" and returns the end;
 * fields longer than 65535 bytes are cut there.  A message needs the sum of
 * ngx_anon_prf_field_size() of its fields.
 */

#define ngx_anon_prf_field_size(len)  (2 + ((len) > 65535 ? 65535 : (len)))

unsigned char *ngx_anon_prf_field(unsigned char *p, const void *data,
    size_t len);

/*
 * HMAC-SHA256 of the message under the key, the first "nbytes" bytes
 * (at most 32) written to "hex" as 2 * nbytes lowercase hex digits.
 * Returns 0, or -1 if OpenSSL failed.
 */
int ngx_anon_prf_hex(const unsigned char *key, size_t key_len,
    const unsigned char *msg, size_t msg_len, unsigned char *hex,
    size_t nbytes);

/* the same, raw: "out" gets 32 bytes */
int ngx_anon_prf(const unsigned char *key, size_t key_len,
    const unsigned char *msg, size_t msg_len, unsigned char *out);


#endif /* _NGX_ANON_PRF_H_INCLUDED_ */
