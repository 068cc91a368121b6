
/*
 * Copyright (C) ngx_anon authors
 */


#include <string.h>

/* SHA256_Transform(): deprecated in OpenSSL 3.0, kept, as nginx does */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "ngx_anon_prf.h"


/*
 * SHA-256 (FIPS 180-4): the padding of 5.1.1 is ours, so that the states
 * after a key's ipad and opad blocks can be kept; each 64-byte block is
 * OpenSSL's SHA256_Transform(), which uses the CPU's SHA extensions where
 * it has them.
 */

#define NGX_ANON_PRF_BLOCK  64


/*
 * The hash value and the scratch of a computation, one place for all of
 * it, so that what was derived from a key can be wiped.
 */

typedef struct {
    SHA256_CTX     sha;                     /* sha.h: the hash value */
    unsigned char  buf[2 * NGX_ANON_PRF_BLOCK];
} ngx_anon_prf_sha256_t;


static void ngx_anon_prf_sha256_end(ngx_anon_prf_sha256_t *ctx,
    const unsigned char *p, size_t len, uint64_t done, unsigned char *out);


/*
 * The initial hash value: the first 32 bits of the fractional parts of the
 * square roots of the first 8 primes (5.3.3).
 */

static const uint32_t  ngx_anon_prf_iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};


unsigned char *
ngx_anon_prf_field(unsigned char *p, const void *data, size_t len)
{
    if (len > 65535) {
        len = 65535;
    }

    *p++ = (unsigned char) (len >> 8);
    *p++ = (unsigned char) (len & 0xff);

    if (len) {
        memcpy(p, data, len);
    }

    return p + len;
}


void
ngx_anon_prf_init(ngx_anon_prf_key_t *k, const unsigned char *key,
    size_t key_len)
{
    size_t                 i;
    unsigned char          pad[NGX_ANON_PRF_BLOCK];
    ngx_anon_prf_sha256_t  ctx;

    /* the key zero-filled to a block; a longer key is hashed first */

    memset(pad, 0, sizeof(pad));

    if (key_len > NGX_ANON_PRF_BLOCK) {
        memcpy(ctx.sha.h, ngx_anon_prf_iv, sizeof(ctx.sha.h));
        ngx_anon_prf_sha256_end(&ctx, key, key_len, 0, pad);

    } else if (key_len) {
        memcpy(pad, key, key_len);
    }

    for (i = 0; i < NGX_ANON_PRF_BLOCK; i++) {
        pad[i] ^= 0x36;
    }

    memcpy(ctx.sha.h, ngx_anon_prf_iv, sizeof(ctx.sha.h));
    SHA256_Transform(&ctx.sha, pad);
    memcpy(k->inner, ctx.sha.h, sizeof(k->inner));

    for (i = 0; i < NGX_ANON_PRF_BLOCK; i++) {
        pad[i] ^= 0x36 ^ 0x5c;
    }

    memcpy(ctx.sha.h, ngx_anon_prf_iv, sizeof(ctx.sha.h));
    SHA256_Transform(&ctx.sha, pad);
    memcpy(k->outer, ctx.sha.h, sizeof(k->outer));

    OPENSSL_cleanse(pad, sizeof(pad));
    OPENSSL_cleanse(&ctx, sizeof(ctx));
}


/*
 * The scratch is not wiped here: it holds the message, the states of
 * the key, which the caller keeps anyway, and what follows from them.
 */

void
ngx_anon_prf_mac(const ngx_anon_prf_key_t *k, const unsigned char *msg,
    size_t msg_len, unsigned char *out)
{
    unsigned char          inner[NGX_ANON_PRF_KEY_LEN];
    ngx_anon_prf_sha256_t  ctx;

    memcpy(ctx.sha.h, k->inner, sizeof(ctx.sha.h));
    ngx_anon_prf_sha256_end(&ctx, msg, msg_len, NGX_ANON_PRF_BLOCK, inner);

    memcpy(ctx.sha.h, k->outer, sizeof(ctx.sha.h));
    ngx_anon_prf_sha256_end(&ctx, inner, sizeof(inner), NGX_ANON_PRF_BLOCK,
                            out);
}


void
ngx_anon_prf_mac_hex(const ngx_anon_prf_key_t *k, const unsigned char *msg,
    size_t msg_len, unsigned char *hex, size_t nbytes)
{
    size_t             i;
    unsigned char      mac[NGX_ANON_PRF_KEY_LEN];
    static const char  digits[] = "0123456789abcdef";

    if (nbytes > NGX_ANON_PRF_KEY_LEN) {
        nbytes = NGX_ANON_PRF_KEY_LEN;
    }

    ngx_anon_prf_mac(k, msg, msg_len, mac);

    for (i = 0; i < nbytes; i++) {
        hex[2 * i] = digits[mac[i] >> 4];
        hex[2 * i + 1] = digits[mac[i] & 0x0f];
    }
}


void
ngx_anon_prf_key_clear(ngx_anon_prf_key_t *k)
{
    OPENSSL_cleanse(k, sizeof(ngx_anon_prf_key_t));
}


void
ngx_anon_prf_sha256(const unsigned char *data, size_t len,
    unsigned char *out)
{
    ngx_anon_prf_sha256_t  ctx;

    memcpy(ctx.sha.h, ngx_anon_prf_iv, sizeof(ctx.sha.h));
    ngx_anon_prf_sha256_end(&ctx, data, len, 0, out);
}


int
ngx_anon_prf(const unsigned char *key, size_t key_len,
    const unsigned char *msg, size_t msg_len, unsigned char *out)
{
    ngx_anon_prf_key_t  k;

    ngx_anon_prf_init(&k, key, key_len);
    ngx_anon_prf_mac(&k, msg, msg_len, out);
    ngx_anon_prf_key_clear(&k);

    return 0;
}


int
ngx_anon_prf_hex(const unsigned char *key, size_t key_len,
    const unsigned char *msg, size_t msg_len, unsigned char *hex,
    size_t nbytes)
{
    ngx_anon_prf_key_t  k;

    if (nbytes > NGX_ANON_PRF_KEY_LEN) {
        return -1;
    }

    ngx_anon_prf_init(&k, key, key_len);
    ngx_anon_prf_mac_hex(&k, msg, msg_len, hex, nbytes);
    ngx_anon_prf_key_clear(&k);

    return 0;
}


/*
 * The rest of a message after "done" bytes in ctx->sha.h: its whole blocks,
 * then the last bytes, the 1 bit, zeros and the length in bits in one
 * block or two; the hash value is written to "out" big-endian.
 */

static void
ngx_anon_prf_sha256_end(ngx_anon_prf_sha256_t *ctx, const unsigned char *p,
    size_t len, uint64_t done, unsigned char *out)
{
    size_t          i, n;
    uint32_t        v;
    uint64_t        bits;
    unsigned char  *q;

    bits = (done + len) << 3;

    while (len >= NGX_ANON_PRF_BLOCK) {
        SHA256_Transform(&ctx->sha, p);
        p += NGX_ANON_PRF_BLOCK;
        len -= NGX_ANON_PRF_BLOCK;
    }

    if (len) {
        memcpy(ctx->buf, p, len);
    }

    ctx->buf[len++] = 0x80;

    n = (len > NGX_ANON_PRF_BLOCK - 8) ? 2 * NGX_ANON_PRF_BLOCK
                                       : NGX_ANON_PRF_BLOCK;

    memset(ctx->buf + len, 0, n - 8 - len);

    q = ctx->buf + n - 8;

    for (i = 0; i < 8; i++) {
        q[i] = (unsigned char) (bits >> (56 - 8 * i));
    }

    SHA256_Transform(&ctx->sha, ctx->buf);

    if (n > NGX_ANON_PRF_BLOCK) {
        SHA256_Transform(&ctx->sha, ctx->buf + NGX_ANON_PRF_BLOCK);
    }

    for (i = 0; i < 8; i++) {
        v = ctx->sha.h[i];

        *out++ = (unsigned char) (v >> 24);
        *out++ = (unsigned char) (v >> 16);
        *out++ = (unsigned char) (v >> 8);
        *out++ = (unsigned char) v;
    }
}
