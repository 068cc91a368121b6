
/*
 * Copyright (C) ngx_anon authors
 */


#ifndef _NGX_ANON_PRF_H_INCLUDED_
#define _NGX_ANON_PRF_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


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
 * HMAC-SHA256 (RFC 2104, FIPS 180-4) with the per-key work done once.
 *
 * ngx_anon_prf_init() takes a key of any length (longer than 64 bytes:
 * hashed first) and keeps the SHA-256 states after the key's ipad and
 * opad blocks; a MAC under it then costs the message's blocks plus one.
 * The state is the caller's: no pointers, nothing allocated, so it can be
 * copied, put in shared memory, or dropped; it is worth as much as the
 * key, so ngx_anon_prf_key_clear() wipes it when it is no longer needed.
 */

typedef struct {
    uint32_t  inner[8];   /* after the block key ^ ipad */
    uint32_t  outer[8];   /* after the block key ^ opad */
} ngx_anon_prf_key_t;

void ngx_anon_prf_init(ngx_anon_prf_key_t *k, const unsigned char *key,
    size_t key_len);

/* the MAC of the message: "out" gets 32 bytes */
void ngx_anon_prf_mac(const ngx_anon_prf_key_t *k, const unsigned char *msg,
    size_t msg_len, unsigned char *out);

/*
 * The first "nbytes" bytes of the MAC (more than 32 are taken as 32),
 * written to "hex" as 2 * nbytes lowercase hex digits.
 */
void ngx_anon_prf_mac_hex(const ngx_anon_prf_key_t *k,
    const unsigned char *msg, size_t msg_len, unsigned char *hex,
    size_t nbytes);

void ngx_anon_prf_key_clear(ngx_anon_prf_key_t *k);

/* SHA-256 of the data: "out" gets 32 bytes */
void ngx_anon_prf_sha256(const unsigned char *data, size_t len,
    unsigned char *out);


/*
 * One-shot forms, the key set up for every call.
 *
 * HMAC-SHA256 of the message under the key, the first "nbytes" bytes
 * (at most 32) written to "hex" as 2 * nbytes lowercase hex digits.
 * Returns 0, or -1 if nbytes is more than 32 (nothing is written then).
 */
int ngx_anon_prf_hex(const unsigned char *key, size_t key_len,
    const unsigned char *msg, size_t msg_len, unsigned char *hex,
    size_t nbytes);

/* the same, raw: "out" gets 32 bytes; returns 0 */
int ngx_anon_prf(const unsigned char *key, size_t key_len,
    const unsigned char *msg, size_t msg_len, unsigned char *out);

#endif /* _NGX_ANON_PRF_H_INCLUDED_ */
