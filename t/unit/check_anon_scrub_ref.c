
/*
 * Copyright (C) ngx_anon authors
 */


/*
 * ngx_anon_scrub() with its fast paths against the plain reference: the
 * same ngx_anon_scrub.c and ngx_anon_addr.c built a second time here with
 * NGX_ANON_SCRUB_REFERENCE and NGX_ANON_ADDR_REFERENCE, their functions
 * renamed.  Both must give the same length without dst and the same bytes
 * with it for every input and prefix.
 */


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <check.h>

#include "check_anon.h"


#define NGX_ANON_ADDR_REFERENCE        1
#define NGX_ANON_SCRUB_REFERENCE       1

#define ngx_anon_addr_kind6            ngx_anon_addr_kind6_reference
#define ngx_anon_addr_truncate4        ngx_anon_addr_truncate4_reference
#define ngx_anon_addr_truncate6        ngx_anon_addr_truncate6_reference
#define ngx_anon_addr_parse            ngx_anon_addr_parse_reference
#define ngx_anon_addr_format           ngx_anon_addr_format_reference
#define ngx_anon_addr_format4          ngx_anon_addr_format4_reference
#define ngx_anon_addr_truncate_text    ngx_anon_addr_truncate_text_reference
#define ngx_anon_scrub                 ngx_anon_scrub_reference

#include "../../ngx_anon_module/ngx_anon_addr.c"
#include "../../ngx_anon_module/ngx_anon_scrub.c"

#undef ngx_anon_addr_kind6
#undef ngx_anon_addr_truncate4
#undef ngx_anon_addr_truncate6
#undef ngx_anon_addr_parse
#undef ngx_anon_addr_format
#undef ngx_anon_addr_format4
#undef ngx_anon_addr_truncate_text
#undef ngx_anon_scrub


/* the real ones; their headers are already read under the other names */

size_t ngx_anon_addr_parse(const unsigned char *p, size_t len,
    unsigned char *addr);
size_t ngx_anon_addr_format(const unsigned char *addr, size_t alen,
    unsigned char *buf);
size_t ngx_anon_addr_format4(const unsigned char *a4, unsigned char *buf);
size_t ngx_anon_scrub(unsigned char *dst, const unsigned char *src,
    size_t len, unsigned prefix4, unsigned prefix6);


#define CHECK_REF_MAX        4096        /* longest input */
#define CHECK_REF_CORPUS     "t/fuzz/corpus/scrub"

#define check_ref_nelts(a)   (sizeof(a) / sizeof((a)[0]))


typedef struct {
    unsigned char  *src;                 /* CHECK_REF_MAX before a guard */
    unsigned char  *dst;                 /* the same for the output */
    unsigned char  *ref;
    unsigned long   cases;
} check_ref_t;


typedef struct {
    check_ref_t    *cr;
    uint64_t        state;
} check_ref_corpus_t;


static void check_ref_init(check_ref_t *cr);
static void check_ref_free(check_ref_t *cr);
static void check_ref_one(check_ref_t *cr, const unsigned char *in,
    size_t len, unsigned prefix4, unsigned prefix6);
static void check_ref_prefixes(check_ref_t *cr, uint64_t *state,
    const unsigned char *in, size_t len);
static void check_ref_corpus_file(void *ctx, const unsigned char *data,
    size_t n);
static size_t check_ref_random(uint64_t *state, unsigned char *buf,
    size_t size);
static size_t check_ref_mutate(uint64_t *state, unsigned char *buf,
    size_t len, size_t size);


/* inputs of the differential tests */

static const char  *check_ref_lines[] = {
    "122.187.228.235 - - [10/Jun/2024:06:13:22 +0200] \"GET /documenten/"
    "rapporten/2024/05/14/jaarverslag HTTP/1.1\" 200 3852 \"https://www."
    "bing.com/\" \"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36\"\n",
    "2a01:a340:a68c:6543:aaad:cbe6:d106:26f8 - - [10/Jun/2024:06:13:24 "
    "+0200] \"GET /contact HTTP/1.1\" 304 0 \"-\" \"Mozilla/5.0 (Windows "
    "NT 10.0; Win64; x64) AppleWebKit/537.36 Edg/126.0.0.0\"\n",
    "2804:4ea9:b231:7a24::fc - - [10/Jun/2024:06:13:26 +0200] \"GET /piwik"
    ".php?idsite=1&rec=1&action_name=Home&r=482913 HTTP/1.1\" 200 12525 "
    "\"-\" \"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Version/17.5 "
    "Safari/605.1.15\"\n",
    "203.0.113.7, 198.51.100.23, 192.0.2.200",
    "198.51.100.77",
    "198.51.100.7:4711, [2001:db8::1]:443, ::ffff:198.51.100.7",
    "for=192.0.2.60;proto=http;by=203.0.113.43",
    "2024/06/10 06:13:22 [error] 1234#1234: *5 connect() failed (111: "
    "Connection refused) while connecting to upstream, client: 10.1.2.3, "
    "server: example.org, request: \"GET / HTTP/1.1\", upstream: "
    "\"http://[2001:db8::17]:8080/\", host: \"example.org\"\n",
    "010.001.002.003 1.2.3.4.5 1198.51.100.7 120.0.6099.109 256.1.2.3 "
    "1.2.3.4: 1.2.3.4:: :1.2.3.4 1.2.3.4. 12:34:56.789 ::1 ::ffff:1.2.3.4",
    "2023:13:55:36 cafe:babe:dead:beef:1:2 1:2:3:4:5:6:7:8 2001:db8:cafe",
    "fe80::1%eth0 [::]:80 0.0.0.0:0 255.255.255.255:65535 64:ff9b::1.2.3.4"
};


static const unsigned char  check_ref_alphabet[] =
    "0123456789012345678901234567890123456789"
    "..........::::::::abcdefABCDEFxyzXG"
    " , , []/-\"=;%\t\n\r\x80\xc3\xa9\xff";


START_TEST(test_ref_corpus)
{
    check_ref_t         cr;
    unsigned char       buf[CHECK_REF_MAX];
    check_ref_corpus_t  ctx;

    check_ref_init(&cr);

    ctx.cr = &cr;
    ctx.state = 0x5eed0001;

    check_anon_corpus(CHECK_REF_CORPUS, buf, sizeof(buf),
                      check_ref_corpus_file, &ctx);

    ck_assert_uint_gt(cr.cases, 0);

    check_ref_free(&cr);
}
END_TEST


/* a corpus file as the fuzz target reads it, and the whole of it */

static void
check_ref_corpus_file(void *ctx, const unsigned char *data, size_t n)
{
    unsigned             prefix4, prefix6;
    check_ref_corpus_t  *c;

    c = ctx;

    if (n >= 3) {
        prefix4 = (data[0] & 0x80) ? 16 : (data[0] & 0x7f) % 33;
        prefix6 = (data[1] & 0x80) ? 32 : (data[1] & 0x7f) % 129;
        check_ref_one(c->cr, data + 3, n - 3, prefix4, prefix6);
    }

    check_ref_prefixes(c->cr, &c->state, data, n);
}


START_TEST(test_ref_random)
{
    size_t         n, i;
    unsigned       prefix4, prefix6;
    uint64_t       state;
    check_ref_t    cr;
    unsigned char  buf[CHECK_REF_MAX];

    check_ref_init(&cr);
    state = 0x5eed0002 + (uint64_t) _i;

    for (i = 0; i < 100000; i++) {
        n = check_ref_random(&state, buf, (i % 16 == 0) ? 600 : 64);
        check_anon_prefixes(&state, &prefix4, &prefix6);
        check_ref_one(&cr, buf, n, prefix4, prefix6);
    }

    check_ref_free(&cr);
}
END_TEST


START_TEST(test_ref_text)
{
    size_t         n, i;
    unsigned       prefix4, prefix6;
    uint64_t       state;
    check_ref_t    cr;
    unsigned char  buf[CHECK_REF_MAX];

    check_ref_init(&cr);
    state = 0x5eed0003;

    for (i = 0; i < 100000; i++) {
        n = check_anon_random_text(&state, buf, (i % 8 == 0) ? 1000 : 200);
        check_anon_prefixes(&state, &prefix4, &prefix6);
        check_ref_one(&cr, buf, n, prefix4, prefix6);
    }

    check_ref_free(&cr);
}
END_TEST


START_TEST(test_ref_mutations)
{
    size_t          n, i, k, m;
    unsigned        prefix4, prefix6;
    uint64_t        state, r;
    const char     *line;
    check_ref_t     cr;
    unsigned char   buf[CHECK_REF_MAX];

    check_ref_init(&cr);
    state = 0x5eed0004;

    for (i = 0; i < 100000; i++) {
        r = check_anon_rand(&state);

        /* one to four lines or lists, glued */

        n = 0;
        k = 1 + (size_t) (r % 4);

        while (k--) {
            r = check_anon_rand(&state);
            line = check_ref_lines[r % check_ref_nelts(check_ref_lines)];
            m = strlen(line);

            if (n + m > sizeof(buf) / 2) {
                break;
            }

            memcpy(buf + n, line, m);
            n += m;
        }

        n = check_ref_mutate(&state, buf, n, sizeof(buf));

        check_anon_prefixes(&state, &prefix4, &prefix6);
        check_ref_one(&cr, buf, n, prefix4, prefix6);
    }

    check_ref_free(&cr);
}
END_TEST


START_TEST(test_ref_all_prefixes)
{
    size_t         i, n, len;
    unsigned       prefix4, prefix6;
    uint64_t       state;
    check_ref_t    cr;
    unsigned char  buf[CHECK_REF_MAX];

    check_ref_init(&cr);
    state = 0x5eed0005;

    for (i = 0; i < check_ref_nelts(check_ref_lines); i++) {
        len = strlen(check_ref_lines[i]);

        for (prefix4 = 0; prefix4 <= 33; prefix4++) {
            for (prefix6 = 0; prefix6 <= 129; prefix6++) {
                check_ref_one(&cr, (const unsigned char *) check_ref_lines[i],
                              len, prefix4, prefix6);
            }
        }
    }

    /* random text, all IPv4 prefixes, sampled IPv6 ones */

    for (i = 0; i < 2000; i++) {
        n = check_ref_random(&state, buf, 80);

        for (prefix4 = 0; prefix4 <= 32; prefix4++) {
            prefix6 = (unsigned) (check_anon_rand(&state) % 129);
            check_ref_one(&cr, buf, n, prefix4, prefix6);
        }
    }

    check_ref_free(&cr);
}
END_TEST


/* every length and position of a quad next to the end of a block */

START_TEST(test_ref_positions)
{
    size_t         i, j, n, pad;
    check_ref_t    cr;
    unsigned char  buf[256];

    static const char  *pieces[] = {
        "1.2.3.4", "255.255.255.255", "198.51.100.7:80", "010.01.1.001",
        "2001:db8::1", "2023:13:55:36", "5.0", "::ffff:1.2.3.4",
        "1.2.3.4.5", "1.2.3.", "1:2", "cafe.1.2.3.4"
    };

    check_ref_init(&cr);

    for (i = 0; i < check_ref_nelts(pieces); i++) {
        n = strlen(pieces[i]);

        for (pad = 0; pad < 100; pad++) {
            for (j = 0; j < 4; j++) {
                memset(buf, "x 9a"[j], pad);
                memcpy(buf + pad, pieces[i], n);

                check_ref_one(&cr, buf, pad + n, 16, 32);
                check_ref_one(&cr, buf, pad + n, 8, 24);

                buf[pad + n] = "x ,9"[j];
                memcpy(buf + pad + n + 1, pieces[i], n);

                check_ref_one(&cr, buf, pad + 2 * n + 1, 16, 32);
                check_ref_one(&cr, buf, pad + 2 * n + 1, 0, 0);
            }
        }
    }

    check_ref_free(&cr);
}
END_TEST


/* the faster ngx_anon_addr_parse(), ngx_anon_addr_format() and _format4() */

START_TEST(test_ref_addr)
{
    size_t         i, n, m, k;
    uint64_t       state, r;
    unsigned char  a[16], b[16], in[64], t1[NGX_ANON_ADDR_STRLEN + 8],
                   t2[NGX_ANON_ADDR_STRLEN + 8];

    state = 0x5eed0006;

    for (i = 0; i < 400000; i++) {
        r = check_anon_rand(&state);

        if (r & 1) {
            n = check_anon_random_address(&state, in);

        } else {
            n = check_ref_random(&state, in, 24);
        }

        memset(a, 0x11, 16);
        memset(b, 0x11, 16);

        m = ngx_anon_addr_parse(in, n, a);
        k = ngx_anon_addr_parse_reference(in, n, b);

        if (m != k || memcmp(a, b, 16) != 0) {
            ck_abort_msg("parse \"%s\": %zu, %zu", check_anon_escape(in, n),
                         m, k);
        }

        for (k = 0; k < 16; k++) {
            a[k] = (unsigned char) (check_anon_rand(&state) >> 40);

            if ((r >> (8 + k)) & (r >> 32) & 1) {
                a[k] = 0;
            }
        }

        memset(t1, 0x5a, sizeof(t1));
        memset(t2, 0x5a, sizeof(t2));

        m = ngx_anon_addr_format(a, (r & 2) ? 4 : 16, t1);
        k = ngx_anon_addr_format_reference(a, (r & 2) ? 4 : 16, t2);

        ck_assert_uint_eq(m, k);
        ck_assert_mem_eq(t1, t2, sizeof(t1));

        if (r & 2) {
            memset(t2, 0x5a, sizeof(t2));

            ck_assert_uint_eq(ngx_anon_addr_format4(a, t2), m);
            ck_assert_mem_eq(t1, t2, m);
            ck_assert_uint_eq(t2[16], 0x5a);
        }
    }

    /* every IPv4 octet at every position */

    for (i = 0; i < 4 * 256; i++) {
        memset(a, (int) (i % 7), 4);
        a[i / 256] = (unsigned char) i;

        memset(t1, 0x5a, sizeof(t1));
        memset(t2, 0x5a, sizeof(t2));

        m = ngx_anon_addr_format(a, 4, t1);
        k = ngx_anon_addr_format_reference(a, 4, t2);

        ck_assert_uint_eq(m, k);
        ck_assert_mem_eq(t1, t2, sizeof(t1));

        ck_assert_uint_eq(ngx_anon_addr_parse(t1, m, b), 4);
        ck_assert_mem_eq(a, b, 4);

        /* the 16-byte form: the same text, and nothing past 16 bytes */

        memset(t2, 0x5a, sizeof(t2));

        ck_assert_uint_eq(ngx_anon_addr_format4(a, t2), m);
        ck_assert_mem_eq(t1, t2, m);
        ck_assert_uint_eq(t2[16], 0x5a);

        memset(t2, 0x5a, sizeof(t2));

        ck_assert_uint_eq(ngx_anon_addr_format4_reference(a, t2), m);
        ck_assert_mem_eq(t1, t2, m);
    }
}
END_TEST


static void
check_ref_init(check_ref_t *cr)
{
    cr->src = check_anon_guard_alloc(CHECK_REF_MAX);
    cr->dst = check_anon_guard_alloc(ngx_anon_scrub_max_size(CHECK_REF_MAX));
    cr->ref = malloc(ngx_anon_scrub_max_size(CHECK_REF_MAX));
    ck_assert(cr->ref != NULL);
    cr->cases = 0;
}


static void
check_ref_free(check_ref_t *cr)
{
    if (getenv("CHECK_REF_VERBOSE") != NULL) {
        printf("%lu cases\n", cr->cases);
    }

    check_anon_guard_free(cr->src, CHECK_REF_MAX);
    check_anon_guard_free(cr->dst, ngx_anon_scrub_max_size(CHECK_REF_MAX));
    free(cr->ref);
}


/*
 * One input: it ends right before an inaccessible page, and so does the
 * output, so that reading or writing one byte too many faults.
 */

static void
check_ref_one(check_ref_t *cr, const unsigned char *in, size_t len,
    unsigned prefix4, unsigned prefix6)
{
    size_t          n, m, k;
    unsigned char  *src, *dst;

    ck_assert_uint_le(len, CHECK_REF_MAX);

    src = cr->src + CHECK_REF_MAX - len;
    memcpy(src, in, len);

    n = ngx_anon_scrub_reference(NULL, src, len, prefix4, prefix6);
    m = ngx_anon_scrub(NULL, src, len, prefix4, prefix6);

    if (n != m) {
        ck_abort_msg("\"%s\" %u/%u: length %zu, reference %zu",
                     check_anon_escape(in, len), prefix4, prefix6, m, n);
    }

    ck_assert_uint_le(n, ngx_anon_scrub_max_size(len));

    dst = cr->dst + ngx_anon_scrub_max_size(CHECK_REF_MAX) - n;

    k = ngx_anon_scrub_reference(cr->ref, src, len, prefix4, prefix6);
    ck_assert_uint_eq(k, n);

    m = ngx_anon_scrub(dst, src, len, prefix4, prefix6);

    if (m != n || memcmp(dst, cr->ref, n) != 0) {
        ck_abort_msg("\"%s\" %u/%u: \"%s\"", check_anon_escape(in, len),
                     prefix4, prefix6, check_anon_escape(dst, m));
    }

    cr->cases++;
}


/* the usual prefixes, the limits and a few random ones */

static void
check_ref_prefixes(check_ref_t *cr, uint64_t *state, const unsigned char *in,
    size_t len)
{
    size_t    i;
    unsigned  prefix4, prefix6;

    static const unsigned  fixed[][2] = {
        { 16, 32 }, { 24, 48 }, { 0, 0 }, { 32, 128 }, { 8, 64 }, { 1, 1 },
        { 33, 129 }, { UINT_MAX, UINT_MAX }
    };

    for (i = 0; i < check_ref_nelts(fixed); i++) {
        check_ref_one(cr, in, len, fixed[i][0], fixed[i][1]);
    }

    for (i = 0; i < 8; i++) {
        check_anon_prefixes(state, &prefix4, &prefix6);
        check_ref_one(cr, in, len, prefix4, prefix6);
    }
}


/* bytes of an alphabet heavy in the characters of address literals */

static size_t
check_ref_random(uint64_t *state, unsigned char *buf, size_t size)
{
    size_t    i, n;
    uint64_t  r;

    r = check_anon_rand(state);
    n = (size_t) (r % (size + 1));

    for (i = 0; i < n; i++) {
        r = check_anon_rand(state);

        if ((r & 0xff) == 0) {
            buf[i] = (unsigned char) (r >> 8);

        } else {
            buf[i] = check_ref_alphabet[(r >> 16)
                                        % (sizeof(check_ref_alphabet) - 1)];
        }
    }

    return n;
}


/* a few random edits: bytes replaced, inserted, deleted, pieces repeated */

static size_t
check_ref_mutate(uint64_t *state, unsigned char *buf, size_t len,
    size_t size)
{
    size_t    i, edits, pos, k, from;
    uint64_t  r;

    r = check_anon_rand(state);
    edits = (size_t) (r % 6);

    for (i = 0; i < edits && len > 0; i++) {
        r = check_anon_rand(state);
        pos = (size_t) ((r >> 8) % len);

        switch (r % 5) {

        case 0:
            buf[pos] = check_ref_alphabet[(r >> 32)
                                          % (sizeof(check_ref_alphabet) - 1)];
            break;

        case 1:
            if (len < size) {
                memmove(buf + pos + 1, buf + pos, len - pos);
                buf[pos] = check_ref_alphabet[(r >> 32)
                                        % (sizeof(check_ref_alphabet) - 1)];
                len++;
            }

            break;

        case 2:
            memmove(buf + pos, buf + pos + 1, len - pos - 1);
            len--;
            break;

        case 3:
            from = (size_t) ((r >> 32) % len);
            k = 1 + (size_t) ((r >> 48) % 24);

            if (from + k > len) {
                k = len - from;
            }

            if (len + k <= size) {
                memmove(buf + pos + k, buf + pos, len - pos);
                memmove(buf + pos, buf + from + (from >= pos ? k : 0), k);
                len += k;
            }

            break;

        default:
            len = pos + 1;
            break;
        }
    }

    return len;
}


Suite *
ngx_anon_scrub_ref_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("ngx_anon_scrub_ref");

    tc = tcase_create("differential");
    tcase_add_test(tc, test_ref_corpus);
    tcase_add_loop_test(tc, test_ref_random, 0, 3);
    tcase_add_test(tc, test_ref_text);
    tcase_add_test(tc, test_ref_mutations);
    tcase_add_test(tc, test_ref_all_prefixes);
    tcase_add_test(tc, test_ref_positions);
    tcase_add_test(tc, test_ref_addr);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);

    return s;
}
