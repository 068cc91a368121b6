
/*
 * Copyright (C) ngx_anon authors
 */


#include <string.h>

#include <openssl/crypto.h>

#include "ngx_anon_prf.h"


/*
 * SHA-256 as FIPS 180-4 gives it: the functions of section 4.1.2, the
 * constants of 4.2.2 and 5.3.3, the padding of 5.1.1 and the computation
 * of 6.2.2, with the message schedule kept as the last 16 words.
 */

#define ngx_anon_prf_rotr(x, n)  (((x) >> (n)) | ((x) << (32 - (n))))

/* Ch(x, y, z) = (x & y) ^ (~x & z): where x has a 1, y, else z */

#define ngx_anon_prf_ch(x, y, z)  ((z) ^ ((x) & ((y) ^ (z))))

/*
 * The sigma functions as one rotation of another, ROTR^a(ROTR^b(x)) being
 * ROTR^(a+b)(x): fewer copies of x to rotate.  ROTR^2 ^ ROTR^13 ^ ROTR^22
 * is ROTR^2(x ^ ROTR^11(x ^ ROTR^9(x))), and so on; the schedule's
 * sigmas keep their shift apart.
 */

#define ngx_anon_prf_bsig0(x)                                                 \
    ngx_anon_prf_rotr((x) ^ ngx_anon_prf_rotr((x) ^ ngx_anon_prf_rotr(x, 9),  \
                                              11), 2)

#define ngx_anon_prf_bsig1(x)                                                 \
    ngx_anon_prf_rotr((x) ^ ngx_anon_prf_rotr((x) ^ ngx_anon_prf_rotr(x, 14), \
                                              5), 6)

#define ngx_anon_prf_ssig0(x)                                                 \
    (ngx_anon_prf_rotr((x) ^ ngx_anon_prf_rotr(x, 11), 7) ^ ((x) >> 3))

#define ngx_anon_prf_ssig1(x)                                                 \
    (ngx_anon_prf_rotr((x) ^ ngx_anon_prf_rotr(x, 2), 17) ^ ((x) >> 10))

/*
 * The word of round n + j (j < 16): the message word in the first 16
 * rounds, then W[t] computed over W[t - 16] in its slot.
 */

#define ngx_anon_prf_w(n, j)                                                  \
    ((n) == 0 ? w[j]                                                          \
              : (w[j] += ngx_anon_prf_ssig1(w[((j) + 14) & 15])               \
                         + w[((j) + 9) & 15]                                  \
                         + ngx_anon_prf_ssig0(w[((j) + 1) & 15])))

/*
 * One round, the working variables named in their turn instead of moved:
 * the new "a" is written to "h", the new "e" to "d".  Maj(a, b, c) is
 * b ^ ((a ^ b) & (b ^ c)), and b ^ c is the a ^ b of the round before:
 * "x" gets a ^ b, "y" has b ^ c, and the next round swaps them.
 */

#define ngx_anon_prf_round(a, b, c, d, e, f, g, h, n, j, x, y)                \
    t = h + ngx_anon_prf_bsig1(e) + ngx_anon_prf_ch(e, f, g)                  \
        + ngx_anon_prf_k[(n) + (j)] + ngx_anon_prf_w(n, j);                   \
    d += t;                                                                   \
    x = a ^ b;                                                                \
    h = t + ngx_anon_prf_bsig0(a) + (b ^ (x & y))

/* 16 rounds from round n: the names come back to where they started */

#define ngx_anon_prf_rounds(n)                                                \
    ngx_anon_prf_round(a, b, c, d, e, f, g, h, n, 0, x, y);                   \
    ngx_anon_prf_round(h, a, b, c, d, e, f, g, n, 1, y, x);                   \
    ngx_anon_prf_round(g, h, a, b, c, d, e, f, n, 2, x, y);                   \
    ngx_anon_prf_round(f, g, h, a, b, c, d, e, n, 3, y, x);                   \
    ngx_anon_prf_round(e, f, g, h, a, b, c, d, n, 4, x, y);                   \
    ngx_anon_prf_round(d, e, f, g, h, a, b, c, n, 5, y, x);                   \
    ngx_anon_prf_round(c, d, e, f, g, h, a, b, n, 6, x, y);                   \
    ngx_anon_prf_round(b, c, d, e, f, g, h, a, n, 7, y, x);                   \
    ngx_anon_prf_round(a, b, c, d, e, f, g, h, n, 8, x, y);                   \
    ngx_anon_prf_round(h, a, b, c, d, e, f, g, n, 9, y, x);                   \
    ngx_anon_prf_round(g, h, a, b, c, d, e, f, n, 10, x, y);                  \
    ngx_anon_prf_round(f, g, h, a, b, c, d, e, n, 11, y, x);                  \
    ngx_anon_prf_round(e, f, g, h, a, b, c, d, n, 12, x, y);                  \
    ngx_anon_prf_round(d, e, f, g, h, a, b, c, n, 13, y, x);                  \
    ngx_anon_prf_round(c, d, e, f, g, h, a, b, n, 14, x, y);                  \
    ngx_anon_prf_round(b, c, d, e, f, g, h, a, n, 15, y, x)


#define NGX_ANON_PRF_BLOCK  64


/*
 * The hash value and the scratch of a computation, one place for all of
 * it, so that what was derived from a key can be wiped.
 */

typedef struct {
    uint32_t       h[8];
    uint32_t       w[16];
    unsigned char  buf[2 * NGX_ANON_PRF_BLOCK];
} ngx_anon_prf_sha256_t;


static void ngx_anon_prf_sha256_block(ngx_anon_prf_sha256_t *ctx,
    const unsigned char *p);
static void ngx_anon_prf_sha256_end(ngx_anon_prf_sha256_t *ctx,
    const unsigned char *p, size_t len, uint64_t done, unsigned char *out);


/*
 * The first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes (FIPS 180-4 4.2.2).
 */

static const uint32_t  ngx_anon_prf_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
    0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
    0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
    0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
    0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};


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
        memcpy(ctx.h, ngx_anon_prf_iv, sizeof(ctx.h));
        ngx_anon_prf_sha256_end(&ctx, key, key_len, 0, pad);

    } else if (key_len) {
        memcpy(pad, key, key_len);
    }

    for (i = 0; i < NGX_ANON_PRF_BLOCK; i++) {
        pad[i] ^= 0x36;
    }

    memcpy(ctx.h, ngx_anon_prf_iv, sizeof(ctx.h));
    ngx_anon_prf_sha256_block(&ctx, pad);
    memcpy(k->inner, ctx.h, sizeof(k->inner));

    for (i = 0; i < NGX_ANON_PRF_BLOCK; i++) {
        pad[i] ^= 0x36 ^ 0x5c;
    }

    memcpy(ctx.h, ngx_anon_prf_iv, sizeof(ctx.h));
    ngx_anon_prf_sha256_block(&ctx, pad);
    memcpy(k->outer, ctx.h, sizeof(k->outer));

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

    memcpy(ctx.h, k->inner, sizeof(ctx.h));
    ngx_anon_prf_sha256_end(&ctx, msg, msg_len, NGX_ANON_PRF_BLOCK, inner);

    memcpy(ctx.h, k->outer, sizeof(ctx.h));
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

    memcpy(ctx.h, ngx_anon_prf_iv, sizeof(ctx.h));
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
 * The rest of a message after "done" bytes in ctx->h: its whole blocks,
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
        ngx_anon_prf_sha256_block(ctx, p);
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

    ngx_anon_prf_sha256_block(ctx, ctx->buf);

    if (n > NGX_ANON_PRF_BLOCK) {
        ngx_anon_prf_sha256_block(ctx, ctx->buf + NGX_ANON_PRF_BLOCK);
    }

    for (i = 0; i < 8; i++) {
        v = ctx->h[i];

        *out++ = (unsigned char) (v >> 24);
        *out++ = (unsigned char) (v >> 16);
        *out++ = (unsigned char) (v >> 8);
        *out++ = (unsigned char) v;
    }
}


/* one 64-byte block into ctx->h */

static void
ngx_anon_prf_sha256_block(ngx_anon_prf_sha256_t *ctx, const unsigned char *p)
{
    size_t    i;
    uint32_t  a, b, c, d, e, f, g, h, t, x, y, *w;

    w = ctx->w;

    for (i = 0; i < 16; i++) {
        w[i] = (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
               | (uint32_t) p[2] << 8 | p[3];
        p += 4;
    }

    a = ctx->h[0];
    b = ctx->h[1];
    c = ctx->h[2];
    d = ctx->h[3];
    e = ctx->h[4];
    f = ctx->h[5];
    g = ctx->h[6];
    h = ctx->h[7];

    y = b ^ c;

    ngx_anon_prf_rounds(0);
    ngx_anon_prf_rounds(16);
    ngx_anon_prf_rounds(32);
    ngx_anon_prf_rounds(48);

    ctx->h[0] += a;
    ctx->h[1] += b;
    ctx->h[2] += c;
    ctx->h[3] += d;
    ctx->h[4] += e;
    ctx->h[5] += f;
    ctx->h[6] += g;
    ctx->h[7] += h;
}
