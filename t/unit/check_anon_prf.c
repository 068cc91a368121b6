
/*
 * Copyright (C) ngx_anon authors
 */


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_anon_prf.h"
#include "check_anon.h"


#define check_prf_nelts(a)  (sizeof(a) / sizeof((a)[0]))


/* a known answer: key and message as bytes, the MAC as hex */

typedef struct {
    const char  *name;
    size_t       key_len;
    const char  *key;         /* key_len bytes; NULL: key_byte repeated */
    int          key_byte;
    size_t       msg_len;
    const char  *msg;         /* msg_len bytes; NULL: msg_byte repeated */
    int          msg_byte;
    size_t       nbytes;      /* of the MAC given, at most 32 */
    const char  *mac;
} check_prf_kat_t;


/*
 * RFC 4231, "Identifiers and Test Vectors for HMAC-SHA-224, HMAC-SHA-256,
 * HMAC-SHA-384, and HMAC-SHA-512", section 4, the HMAC-SHA-256 results of
 * test cases 1 to 7.  Test case 5 gives only the first 128 bits.
 */

static const check_prf_kat_t  check_prf_rfc4231[] = {

    { "RFC 4231 4.2 (test case 1)",
      20, NULL, 0x0b,
      8, "Hi There", 0,
      32, "b0344c61d8db38535ca8afceaf0bf12b"
          "881dc200c9833da726e9376c2e32cff7" },

    { "RFC 4231 4.3 (test case 2)",
      4, "Jefe", 0,
      28, "what do ya want for nothing?", 0,
      32, "5bdcc146bf60754e6a042426089575c7"
          "5a003f089d2739839dec58b964ec3843" },

    { "RFC 4231 4.4 (test case 3)",
      20, NULL, 0xaa,
      50, NULL, 0xdd,
      32, "773ea91e36800e46854db8ebd09181a7"
          "2959098b3ef8c122d9635514ced565fe" },

    { "RFC 4231 4.5 (test case 4)",
      25, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
          "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19", 0,
      50, NULL, 0xcd,
      32, "82558a389a443c0ea4cc819899f2083a"
          "85f0faa3e578f8077a2e3ff46729665b" },

    { "RFC 4231 4.6 (test case 5, truncated to 128 bits)",
      20, NULL, 0x0c,
      20, "Test With Truncation", 0,
      16, "a3b6167473100ee06e0c796c2955552b" },

    { "RFC 4231 4.7 (test case 6)",
      131, NULL, 0xaa,
      54, "Test Using Larger Than Block-Size Key - Hash Key First", 0,
      32, "60e431591ee0b67f0d8a26aacbf5b77f"
          "8e0bc6213728c5140546040f0ee37f54" },

    { "RFC 4231 4.8 (test case 7)",
      131, NULL, 0xaa,
      152, "This is a test using a larger than block-size key and a larger "
           "than block-size data. The key needs to be hashed before being "
           "used by the HMAC algorithm.", 0,
      32, "9b09ffa71b942fcb27635fbcd5b0e944"
          "bfdc63644f0713938a7f51535c3a35e2" },

    /* an empty key and message, a widely published value */

    { "empty key, empty message",
      0, "", 0,
      0, "", 0,
      32, "b613679a0814d9ec772f95d778c35fc5"
          "ff1697c493715653c6c712144292c5ad" },
};


static void
check_prf_bytes(unsigned char *dst, size_t len, const char *src, int byte)
{
    if (src) {
        memcpy(dst, src, len);

    } else {
        memset(dst, byte, len);
    }
}


static void
check_prf_to_hex(const unsigned char *mac, size_t n, char *hex)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        sprintf(hex + 2 * i, "%02x", mac[i]);
    }

    hex[2 * n] = '\0';
}


START_TEST(test_rfc4231)
{
    int                     rc;
    char                    hex[2 * NGX_ANON_PRF_KEY_LEN + 1];
    unsigned char           key[256], msg[256];
    unsigned char           mac[NGX_ANON_PRF_KEY_LEN + 8];
    unsigned char           out[2 * NGX_ANON_PRF_KEY_LEN + 8];
    ngx_anon_prf_key_t      k;
    const check_prf_kat_t  *kat;

    kat = &check_prf_rfc4231[_i];

    ck_assert(strlen(kat->mac) == 2 * kat->nbytes);
    ck_assert(kat->key == NULL || kat->key_len == 0
              || strlen(kat->key) == kat->key_len);
    ck_assert(kat->msg == NULL || strlen(kat->msg) == kat->msg_len);

    check_prf_bytes(key, kat->key_len, kat->key, kat->key_byte);
    check_prf_bytes(msg, kat->msg_len, kat->msg, kat->msg_byte);

    /* raw: 32 bytes, nothing after them */

    memset(mac, 0xa5, sizeof(mac));

    rc = ngx_anon_prf(key, kat->key_len, msg, kat->msg_len, mac);

    ck_assert_int_eq(rc, 0);

    check_prf_to_hex(mac, kat->nbytes, hex);
    ck_assert_msg(strcmp(hex, kat->mac) == 0, "%s: %s, expected %s",
                  kat->name, hex, kat->mac);

    ck_assert_uint_eq(mac[NGX_ANON_PRF_KEY_LEN], 0xa5);

    /* hex: 2 * nbytes lowercase digits, the same bytes */

    memset(out, 'Q', sizeof(out));

    rc = ngx_anon_prf_hex(key, kat->key_len, msg, kat->msg_len, out,
                          kat->nbytes);

    ck_assert_int_eq(rc, 0);
    ck_assert_msg(memcmp(out, kat->mac, 2 * kat->nbytes) == 0,
                  "%s: hex %.*s, expected %s", kat->name,
                  (int) (2 * kat->nbytes), out, kat->mac);
    ck_assert_uint_eq(out[2 * kat->nbytes], 'Q');

    /* the keyed state: the same MAC, raw and as hex */

    ngx_anon_prf_init(&k, key, kat->key_len);

    memset(mac, 0xa5, sizeof(mac));
    ngx_anon_prf_mac(&k, msg, kat->msg_len, mac);

    check_prf_to_hex(mac, kat->nbytes, hex);
    ck_assert_msg(strcmp(hex, kat->mac) == 0, "%s: keyed %s, expected %s",
                  kat->name, hex, kat->mac);
    ck_assert_uint_eq(mac[NGX_ANON_PRF_KEY_LEN], 0xa5);

    memset(out, 'Q', sizeof(out));
    ngx_anon_prf_mac_hex(&k, msg, kat->msg_len, out, kat->nbytes);

    ck_assert_msg(memcmp(out, kat->mac, 2 * kat->nbytes) == 0,
                  "%s: keyed hex %.*s, expected %s", kat->name,
                  (int) (2 * kat->nbytes), out, kat->mac);
    ck_assert_uint_eq(out[2 * kat->nbytes], 'Q');

    ngx_anon_prf_key_clear(&k);
}
END_TEST


START_TEST(test_field)
{
    size_t          i;
    unsigned char  *p, *buf;

    ck_assert_uint_eq(ngx_anon_prf_field_size(0), 2);
    ck_assert_uint_eq(ngx_anon_prf_field_size(3), 5);
    ck_assert_uint_eq(ngx_anon_prf_field_size(255), 257);
    ck_assert_uint_eq(ngx_anon_prf_field_size(65535), 65537);
    ck_assert_uint_eq(ngx_anon_prf_field_size(65536), 65537);
    ck_assert_uint_eq(ngx_anon_prf_field_size(1000000), 65537);

    buf = malloc(70000 + 2 + 16);
    ck_assert_ptr_nonnull(buf);

    /* two bytes of length, big-endian, then the bytes */

    memset(buf, 0xa5, 64);
    p = ngx_anon_prf_field(buf, "abc", 3);
    ck_assert_ptr_eq(p, buf + 5);
    ck_assert(memcmp(buf, "\x00\x03" "abc", 5) == 0);
    ck_assert_uint_eq(buf[5], 0xa5);

    /* an empty field is its length alone */

    memset(buf, 0xa5, 64);
    p = ngx_anon_prf_field(buf, "", 0);
    ck_assert_ptr_eq(p, buf + 2);
    ck_assert(memcmp(buf, "\x00\x00", 2) == 0);
    ck_assert_uint_eq(buf[2], 0xa5);

    p = ngx_anon_prf_field(buf, NULL, 0);
    ck_assert_ptr_eq(p, buf + 2);

    /* fields one after another */

    memset(buf, 0xa5, 64);
    p = ngx_anon_prf_field(buf, "visitor", 7);
    p = ngx_anon_prf_field(p, "a\0b", 3);
    ck_assert_ptr_eq(p, buf + 9 + 5);
    ck_assert(memcmp(buf, "\x00\x07" "visitor" "\x00\x03" "a\0b", 14) == 0);

    /* the high byte: 256, 4660 (0x1234) */

    for (i = 0; i < 4660; i++) {
        buf[70000 - 4660 + i] = (unsigned char) i;
    }

    p = ngx_anon_prf_field(buf, buf + 70000 - 4660, 256);
    ck_assert_ptr_eq(p, buf + 258);
    ck_assert_uint_eq(buf[0], 0x01);
    ck_assert_uint_eq(buf[1], 0x00);

    p = ngx_anon_prf_field(buf, buf + 70000 - 4660, 4660);
    ck_assert_ptr_eq(p, buf + 4662);
    ck_assert_uint_eq(buf[0], 0x12);
    ck_assert_uint_eq(buf[1], 0x34);
    ck_assert_uint_eq(buf[2 + 4659], (unsigned char) 4659);

    free(buf);
}
END_TEST


START_TEST(test_field_cut)
{
    size_t          i, len;
    unsigned char  *p, *buf, *data;

    static const size_t  lens[] = { 65534, 65535, 65536, 65537, 70000 };

    /* fields longer than 65535 bytes are cut there */

    data = malloc(70000);
    buf = malloc(2 + 70000 + 16);
    ck_assert_ptr_nonnull(data);
    ck_assert_ptr_nonnull(buf);

    for (i = 0; i < 70000; i++) {
        data[i] = (unsigned char) (i * 7 + 1);
    }

    len = lens[_i];

    memset(buf, 0xa5, 2 + 70000 + 16);

    p = ngx_anon_prf_field(buf, data, len);

    if (len > 65535) {
        len = 65535;
    }

    ck_assert_ptr_eq(p, buf + 2 + len);
    ck_assert_uint_eq(buf[0], len >> 8);
    ck_assert_uint_eq(buf[1], len & 0xff);
    ck_assert(memcmp(buf + 2, data, len) == 0);
    ck_assert_uint_eq(buf[2 + len], 0xa5);
    ck_assert_uint_eq((size_t) (p - buf), ngx_anon_prf_field_size(lens[_i]));

    free(data);
    free(buf);
}
END_TEST


/*
 * The pseudonym messages of the module, built with ngx_anon_prf_field()
 * under the key 00 01 .. 1f; the bytes and MACs were computed with
 * Python's hmac module.
 */

START_TEST(test_messages)
{
    size_t          i;
    char            hex[2 * NGX_ANON_PRF_KEY_LEN + 1], msg_hex[2 * 128 + 1];
    unsigned char   key[NGX_ANON_PRF_KEY_LEN], msg[128], *p;
    unsigned char   mac[NGX_ANON_PRF_KEY_LEN], out[40];

    static const unsigned char  addr[16] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1
    };

    static const char  visitor_msg[] =
        "000776697369746f72000e7777772e6578616d706c652e6e6c0010000000000000"
        "00000000ffffc0000201001f4d6f7a696c6c612f352e3020285831313b204c696e"
        "7578207838365f363429";

    for (i = 0; i < sizeof(key); i++) {
        key[i] = (unsigned char) i;
    }

    /* $anon_visitor_id: "visitor", server name, address, User-Agent */

    p = ngx_anon_prf_field(msg, "visitor", 7);
    p = ngx_anon_prf_field(p, "www.example.nl", 14);
    p = ngx_anon_prf_field(p, addr, 16);
    p = ngx_anon_prf_field(p, "Mozilla/5.0 (X11; Linux x86_64)", 31);

    ck_assert_uint_eq((size_t) (p - msg), sizeof(visitor_msg) / 2);

    check_prf_to_hex(msg, p - msg, msg_hex);
    ck_assert_str_eq(msg_hex, visitor_msg);

    ck_assert_int_eq(ngx_anon_prf(key, sizeof(key), msg, p - msg, mac), 0);
    check_prf_to_hex(mac, sizeof(mac), hex);
    ck_assert_str_eq(hex, "c5cd820f25b0397f757e2ae20f1045fc"
                          "c21ed581dba0f33eb629a6ff35ab6f15");

    memset(out, 'Q', sizeof(out));
    ck_assert_int_eq(ngx_anon_prf_hex(key, sizeof(key), msg, p - msg, out, 8),
                     0);
    ck_assert(memcmp(out, "c5cd820f25b0397f", 16) == 0);
    ck_assert_uint_eq(out[16], 'Q');

    /* anon_bsn pseudonymize: "bsn", the nine digits */

    p = ngx_anon_prf_field(msg, "bsn", 3);
    p = ngx_anon_prf_field(p, "123456782", 9);

    ck_assert_uint_eq((size_t) (p - msg), 16);
    ck_assert(memcmp(msg, "\x00\x03" "bsn" "\x00\x09" "123456782", 16) == 0);

    ck_assert_int_eq(ngx_anon_prf_hex(key, sizeof(key), msg, p - msg, out, 8),
                     0);
    ck_assert(memcmp(out, "15418dd625eb7cf6", 16) == 0);

    /* the key of a period from a key file: "ngx_anon period", the number */

    p = ngx_anon_prf_field(msg, "ngx_anon period", 15);
    memcpy(p, "20415", 5);
    p += 5;

    ck_assert_int_eq(ngx_anon_prf((const unsigned char *) "0123456789abcdef",
                                  16, msg, p - msg, mac), 0);
    check_prf_to_hex(mac, sizeof(mac), hex);
    ck_assert_str_eq(hex, "211261f4263cffeed45a0d6730cf77c1"
                          "e460a38e669b720577bb65b0d1663afe");
}
END_TEST


START_TEST(test_separation)
{
    unsigned char  key[NGX_ANON_PRF_KEY_LEN], m1[16], m2[16], *p1, *p2;
    unsigned char  h1[16], h2[16];

    memset(key, 0x42, sizeof(key));

    /* ("ab", "c") and ("a", "bc") are different messages */

    p1 = ngx_anon_prf_field(m1, "ab", 2);
    p1 = ngx_anon_prf_field(p1, "c", 1);
    p2 = ngx_anon_prf_field(m2, "a", 1);
    p2 = ngx_anon_prf_field(p2, "bc", 2);

    ck_assert_uint_eq((size_t) (p1 - m1), (size_t) (p2 - m2));
    ck_assert(memcmp(m1, m2, p1 - m1) != 0);

    ck_assert_int_eq(ngx_anon_prf_hex(key, sizeof(key), m1, p1 - m1, h1, 8),
                     0);
    ck_assert_int_eq(ngx_anon_prf_hex(key, sizeof(key), m2, p2 - m2, h2, 8),
                     0);
    ck_assert(memcmp(h1, h2, 16) != 0);

    /* the key matters: one bit */

    key[31] ^= 1;
    ck_assert_int_eq(ngx_anon_prf_hex(key, sizeof(key), m1, p1 - m1, h2, 8),
                     0);
    ck_assert(memcmp(h1, h2, 16) != 0);
}
END_TEST


START_TEST(test_hex)
{
    size_t          i, n;
    unsigned char   key[NGX_ANON_PRF_KEY_LEN], msg[4];
    unsigned char   mac[NGX_ANON_PRF_KEY_LEN], out[80];
    char            hex[2 * NGX_ANON_PRF_KEY_LEN + 1];
    uint64_t        state;

    /* every length from 0 to 32: a prefix of the MAC, lowercase */

    state = 0x9e3779b97f4a7c15ULL;

    for (i = 0; i < sizeof(key); i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        key[i] = (unsigned char) (state >> 56);
    }

    memcpy(msg, "\x00\x02hi", 4);

    ck_assert_int_eq(ngx_anon_prf(key, sizeof(key), msg, 4, mac), 0);
    check_prf_to_hex(mac, sizeof(mac), hex);

    for (n = 0; n <= NGX_ANON_PRF_KEY_LEN; n++) {
        memset(out, 'Q', sizeof(out));

        ck_assert_int_eq(ngx_anon_prf_hex(key, sizeof(key), msg, 4, out, n),
                         0);

        ck_assert_msg(memcmp(out, hex, 2 * n) == 0, "nbytes %zu", n);
        ck_assert_msg(out[2 * n] == 'Q', "nbytes %zu: written past", n);

        for (i = 0; i < 2 * n; i++) {
            ck_assert_msg((out[i] >= '0' && out[i] <= '9')
                          || (out[i] >= 'a' && out[i] <= 'f'),
                          "nbytes %zu: '%c'", n, out[i]);
        }
    }

    /* more than 32 bytes: an error, nothing written */

    memset(out, 'Q', sizeof(out));

    ck_assert_int_eq(ngx_anon_prf_hex(key, sizeof(key), msg, 4, out, 33), -1);
    ck_assert_int_eq(ngx_anon_prf_hex(key, sizeof(key), msg, 4, out, 40), -1);

    for (i = 0; i < sizeof(out); i++) {
        ck_assert_uint_eq(out[i], 'Q');
    }

    /* the same message and key, the same result: no state kept */

    memset(out, 'Q', sizeof(out));
    ck_assert_int_eq(ngx_anon_prf_hex(key, sizeof(key), msg, 4, out, 32), 0);
    ck_assert(memcmp(out, hex, 64) == 0);
}
END_TEST


/*
 * SHA-256 examples: FIPS 180-4's (NIST's "SHA256.pdf" examples, the one-
 * and two-block messages), FIPS 180-2 appendix B.3 (a million "a"), and
 * the empty message.
 */

typedef struct {
    const char  *name;
    size_t       len;
    const char  *msg;         /* len bytes; NULL: byte repeated */
    int          byte;
    const char  *digest;
} check_prf_sha256_kat_t;


static const check_prf_sha256_kat_t  check_prf_sha256_kats[] = {

    { "empty message",
      0, "", 0,
      "e3b0c44298fc1c149afbf4c8996fb924"
      "27ae41e4649b934ca495991b7852b855" },

    { "\"abc\" (one block)",
      3, "abc", 0,
      "ba7816bf8f01cfea414140de5dae2223"
      "b00361a396177a9cb410ff61f20015ad" },

    { "448 bits (two blocks)",
      56, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 0,
      "248d6a61d20638b8e5c026930c3e6039"
      "a33ce45964ff2167f6ecedd419db06c1" },

    { "one million \"a\"",
      1000000, NULL, 'a',
      "cdc76e5c9914fb9281a1c7e284d73e67"
      "f1809a48a497200e046d39ccc7112cd0" },
};


START_TEST(test_sha256_kat)
{
    char                           hex[2 * NGX_ANON_PRF_KEY_LEN + 1];
    unsigned char                 *msg, *out;
    const check_prf_sha256_kat_t  *kat;

    kat = &check_prf_sha256_kats[_i];

    ck_assert(kat->msg == NULL || strlen(kat->msg) == kat->len);

    /* the message and the digest end where reading or writing faults */

    msg = check_anon_guard_alloc(kat->len);
    out = check_anon_guard_alloc(NGX_ANON_PRF_KEY_LEN);

    check_prf_bytes(msg, kat->len, kat->msg, kat->byte);

    ngx_anon_prf_sha256(msg, kat->len, out);

    check_prf_to_hex(out, NGX_ANON_PRF_KEY_LEN, hex);
    ck_assert_msg(strcmp(hex, kat->digest) == 0, "%s: %s, expected %s",
                  kat->name, hex, kat->digest);

    check_anon_guard_free(msg, kat->len);
    check_anon_guard_free(out, NGX_ANON_PRF_KEY_LEN);
}
END_TEST


/* SHA-256 of every length to 1100 bytes against OpenSSL's */

START_TEST(test_sha256_lengths)
{
    size_t         len, i;
    uint64_t       state;
    unsigned int   n;
    unsigned char  digest[NGX_ANON_PRF_KEY_LEN], *buf, *msg;
    unsigned char  expected[EVP_MAX_MD_SIZE];

    static const size_t  max = 1100;

    state = 0x5eed5eed12345678ULL;

    buf = check_anon_guard_alloc(max);

    for (i = 0; i < max; i++) {
        buf[i] = (unsigned char) check_anon_rand(&state);
    }

    for (len = 0; len <= max; len++) {
        msg = buf + max - len;

        n = 0;
        ck_assert(EVP_Digest(msg, len, expected, &n, EVP_sha256(), NULL)
                  == 1);
        ck_assert_uint_eq(n, NGX_ANON_PRF_KEY_LEN);

        ngx_anon_prf_sha256(msg, len, digest);

        ck_assert_msg(memcmp(digest, expected, sizeof(digest)) == 0,
                      "length %zu", len);
    }

    check_anon_guard_free(buf, max);
}
END_TEST


/*
 * One MAC through every way to it against OpenSSL's HMAC(): the keyed
 * state, raw and as hex of "nbytes" bytes, and the one-shot functions.
 * The key, the message and the outputs end at a page that faults.
 */

#define CHECK_PRF_MAX_KEY  200
#define CHECK_PRF_MAX_MSG  300


typedef struct {
    unsigned char  *key;      /* CHECK_PRF_MAX_KEY bytes, guarded */
    unsigned char  *msg;      /* CHECK_PRF_MAX_MSG bytes, guarded */
    unsigned char  *raw;      /* 32 bytes, guarded */
    unsigned char  *hex[2 * NGX_ANON_PRF_KEY_LEN + 1];    /* n: n bytes */
} check_prf_bufs_t;


static void
check_prf_bufs_alloc(check_prf_bufs_t *b)
{
    size_t  n;

    b->key = check_anon_guard_alloc(CHECK_PRF_MAX_KEY);
    b->msg = check_anon_guard_alloc(CHECK_PRF_MAX_MSG);
    b->raw = check_anon_guard_alloc(NGX_ANON_PRF_KEY_LEN);

    for (n = 0; n <= 2 * NGX_ANON_PRF_KEY_LEN; n++) {
        b->hex[n] = check_anon_guard_alloc(n);
    }
}


static void
check_prf_bufs_free(check_prf_bufs_t *b)
{
    size_t  n;

    check_anon_guard_free(b->key, CHECK_PRF_MAX_KEY);
    check_anon_guard_free(b->msg, CHECK_PRF_MAX_MSG);
    check_anon_guard_free(b->raw, NGX_ANON_PRF_KEY_LEN);

    for (n = 0; n <= 2 * NGX_ANON_PRF_KEY_LEN; n++) {
        check_anon_guard_free(b->hex[n], n);
    }
}


static void
check_prf_compare(check_prf_bufs_t *b, const ngx_anon_prf_key_t *k,
    size_t key_len, size_t msg_len, size_t nbytes)
{
    char                  hex[2 * NGX_ANON_PRF_KEY_LEN + 1];
    unsigned int          n;
    unsigned char         expected[EVP_MAX_MD_SIZE], *out;
    ngx_anon_prf_key_t    copy;
    const unsigned char  *key, *msg;

    key = b->key + CHECK_PRF_MAX_KEY - key_len;
    msg = b->msg + CHECK_PRF_MAX_MSG - msg_len;

    n = 0;
    ck_assert(HMAC(EVP_sha256(), key, (int) key_len, msg, msg_len, expected,
                   &n)
              != NULL);
    ck_assert_uint_eq(n, NGX_ANON_PRF_KEY_LEN);

    check_prf_to_hex(expected, nbytes, hex);

    /* the keyed state, which the MAC leaves as it is */

    memcpy(&copy, k, sizeof(ngx_anon_prf_key_t));

    ngx_anon_prf_mac(k, msg, msg_len, b->raw);
    ck_assert_msg(memcmp(b->raw, expected, NGX_ANON_PRF_KEY_LEN) == 0,
                  "keyed: key %zu bytes, message %zu bytes", key_len,
                  msg_len);

    out = b->hex[2 * nbytes];
    ngx_anon_prf_mac_hex(k, msg, msg_len, out, nbytes);
    ck_assert_msg(memcmp(out, hex, 2 * nbytes) == 0,
                  "keyed hex: key %zu bytes, message %zu bytes, nbytes %zu",
                  key_len, msg_len, nbytes);

    ck_assert(memcmp(&copy, k, sizeof(ngx_anon_prf_key_t)) == 0);

    /* the one-shot functions */

    memset(b->raw, 0, NGX_ANON_PRF_KEY_LEN);
    ck_assert_int_eq(ngx_anon_prf(key, key_len, msg, msg_len, b->raw), 0);
    ck_assert_msg(memcmp(b->raw, expected, NGX_ANON_PRF_KEY_LEN) == 0,
                  "one-shot: key %zu bytes, message %zu bytes", key_len,
                  msg_len);

    memset(out, 0, 2 * nbytes);
    ck_assert_int_eq(ngx_anon_prf_hex(key, key_len, msg, msg_len, out,
                                      nbytes),
                     0);
    ck_assert_msg(memcmp(out, hex, 2 * nbytes) == 0,
                  "one-shot hex: key %zu bytes, message %zu bytes, "
                  "nbytes %zu", key_len, msg_len, nbytes);
}


/*
 * Random keys of 0 to 200 bytes, each with three random messages of 0 to
 * 300 bytes: 500 keys a run, 8 runs.
 */

START_TEST(test_random)
{
    size_t              i, j, m, key_len, msg_len;
    uint64_t            state;
    check_prf_bufs_t    b;
    ngx_anon_prf_key_t  k;

    state = 0x243f6a8885a308d3ULL ^ ((uint64_t) (_i + 1) << 32);

    check_prf_bufs_alloc(&b);

    for (i = 0; i < 500; i++) {
        key_len = check_anon_rand(&state) % (CHECK_PRF_MAX_KEY + 1);

        for (j = 0; j < CHECK_PRF_MAX_KEY; j++) {
            b.key[j] = (unsigned char) check_anon_rand(&state);
        }

        memset(&k, 0xa5, sizeof(k));
        ngx_anon_prf_init(&k, b.key + CHECK_PRF_MAX_KEY - key_len, key_len);

        for (m = 0; m < 3; m++) {
            msg_len = check_anon_rand(&state) % (CHECK_PRF_MAX_MSG + 1);

            for (j = 0; j < CHECK_PRF_MAX_MSG; j++) {
                b.msg[j] = (unsigned char) check_anon_rand(&state);
            }

            check_prf_compare(&b, &k, key_len, msg_len,
                              check_anon_rand(&state)
                              % (NGX_ANON_PRF_KEY_LEN + 1));
        }

        ngx_anon_prf_key_clear(&k);
    }

    check_prf_bufs_free(&b);
}
END_TEST


/*
 * Every message length from 0 to 300 under keys of the lengths around the
 * block: padding in the last block or one more, keys hashed or not.
 */

START_TEST(test_lengths)
{
    size_t              j, key_len, msg_len;
    uint64_t            state;
    check_prf_bufs_t    b;
    ngx_anon_prf_key_t  k;

    static const size_t  key_lens[] = {
        0, 1, 20, 31, 32, 33, 55, 56, 63, 64, 65, 119, 120, 128, 129, 200
    };

    key_len = key_lens[_i];
    state = 0x13198a2e03707344ULL + _i;

    check_prf_bufs_alloc(&b);

    for (j = 0; j < CHECK_PRF_MAX_KEY; j++) {
        b.key[j] = (unsigned char) check_anon_rand(&state);
    }

    for (j = 0; j < CHECK_PRF_MAX_MSG; j++) {
        b.msg[j] = (unsigned char) check_anon_rand(&state);
    }

    ngx_anon_prf_init(&k, b.key + CHECK_PRF_MAX_KEY - key_len, key_len);

    for (msg_len = 0; msg_len <= CHECK_PRF_MAX_MSG; msg_len++) {
        check_prf_compare(&b, &k, key_len, msg_len,
                          msg_len % (NGX_ANON_PRF_KEY_LEN + 1));
    }

    ngx_anon_prf_key_clear(&k);

    check_prf_bufs_free(&b);
}
END_TEST


START_TEST(test_key_state)
{
    size_t              i;
    char                expected[2 * NGX_ANON_PRF_KEY_LEN + 1];
    unsigned char       key[150], long_key[NGX_ANON_PRF_KEY_LEN], *hex;
    unsigned char       mac1[NGX_ANON_PRF_KEY_LEN], mac2[NGX_ANON_PRF_KEY_LEN];
    ngx_anon_prf_key_t  k, k2;

    static const size_t  over[] = { 33, 64, 1000, (size_t) -1 };

    /* the size promised: two SHA-256 states, nothing else */

    ck_assert_uint_eq(sizeof(ngx_anon_prf_key_t), 64);

    for (i = 0; i < sizeof(key); i++) {
        key[i] = (unsigned char) (i * 13 + 5);
    }

    /* what was in the state before does not matter */

    memset(&k, 0x00, sizeof(k));
    ngx_anon_prf_init(&k, key, 32);
    memset(&k2, 0xff, sizeof(k2));
    ngx_anon_prf_init(&k2, key, 32);
    ck_assert(memcmp(&k, &k2, sizeof(k)) == 0);

    /* a copy works the same: no pointers into itself */

    memcpy(&k2, &k, sizeof(k));
    ngx_anon_prf_mac(&k, (const unsigned char *) "msg", 3, mac1);
    ngx_anon_prf_key_clear(&k);
    ngx_anon_prf_mac(&k2, (const unsigned char *) "msg", 3, mac2);
    ck_assert(memcmp(mac1, mac2, sizeof(mac1)) == 0);

    /* cleared: all zero */

    for (i = 0; i < sizeof(k); i++) {
        ck_assert_uint_eq(((unsigned char *) &k)[i], 0);
    }

    /* an empty message and an empty key may be NULL */

    ngx_anon_prf_mac(&k2, NULL, 0, mac1);
    ngx_anon_prf_mac(&k2, (const unsigned char *) "", 0, mac2);
    ck_assert(memcmp(mac1, mac2, sizeof(mac1)) == 0);

    ngx_anon_prf_init(&k, NULL, 0);
    ngx_anon_prf_init(&k2, (const unsigned char *) "", 0);
    ck_assert(memcmp(&k, &k2, sizeof(k)) == 0);

    /* a key longer than a block is its SHA-256 (RFC 2104); 64 bytes not */

    ngx_anon_prf_init(&k, key, 65);
    ngx_anon_prf_sha256(key, 65, long_key);
    ngx_anon_prf_init(&k2, long_key, sizeof(long_key));
    ck_assert(memcmp(&k, &k2, sizeof(k)) == 0);

    ngx_anon_prf_init(&k, key, 150);
    ngx_anon_prf_sha256(key, 150, long_key);
    ngx_anon_prf_init(&k2, long_key, sizeof(long_key));
    ck_assert(memcmp(&k, &k2, sizeof(k)) == 0);

    ngx_anon_prf_init(&k, key, 64);
    ngx_anon_prf_sha256(key, 64, long_key);
    ngx_anon_prf_init(&k2, long_key, sizeof(long_key));
    ck_assert(memcmp(&k, &k2, sizeof(k)) != 0);

    /* trailing zeros of a short key do not change it (RFC 2104) */

    memset(key + 20, 0, 44);
    ngx_anon_prf_init(&k, key, 20);
    ngx_anon_prf_init(&k2, key, 64);
    ck_assert(memcmp(&k, &k2, sizeof(k)) == 0);

    /* more than 32 bytes of hex: 64 digits, nothing past them */

    hex = check_anon_guard_alloc(2 * NGX_ANON_PRF_KEY_LEN);

    ngx_anon_prf_mac(&k, (const unsigned char *) "0123456789", 10, mac1);
    check_prf_to_hex(mac1, sizeof(mac1), expected);

    for (i = 0; i < check_prf_nelts(over); i++) {
        memset(hex, 'Q', 2 * NGX_ANON_PRF_KEY_LEN);
        ngx_anon_prf_mac_hex(&k, (const unsigned char *) "0123456789", 10,
                             hex, over[i]);
        ck_assert_msg(memcmp(hex, expected, 2 * NGX_ANON_PRF_KEY_LEN) == 0,
                      "nbytes %zu", over[i]);
    }

    check_anon_guard_free(hex, 2 * NGX_ANON_PRF_KEY_LEN);
}
END_TEST


Suite *
ngx_anon_prf_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("ngx_anon_prf");

    tc = tcase_create("core");
    tcase_add_loop_test(tc, test_rfc4231, 0,
                        check_prf_nelts(check_prf_rfc4231));
    tcase_add_test(tc, test_field);
    tcase_add_loop_test(tc, test_field_cut, 0, 5);
    tcase_add_test(tc, test_messages);
    tcase_add_test(tc, test_separation);
    tcase_add_test(tc, test_hex);
    suite_add_tcase(s, tc);

    tc = tcase_create("keyed");
    tcase_add_loop_test(tc, test_sha256_kat, 0,
                        check_prf_nelts(check_prf_sha256_kats));
    tcase_add_test(tc, test_sha256_lengths);
    tcase_add_loop_test(tc, test_random, 0, 8);
    tcase_add_loop_test(tc, test_lengths, 0, 16);
    tcase_add_test(tc, test_key_state);
    suite_add_tcase(s, tc);

    return s;
}
