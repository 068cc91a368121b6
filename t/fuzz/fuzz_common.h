
/*
 * Copyright (C) ngx_anon authors
 */


/*
 * Shared by the libFuzzer targets t/fuzz/fuzz_*.c: input decoding, exact
 * size copies (so that AddressSanitizer sees every overrun), and the
 * privacy checks, written independently of the code under test.  Every
 * violation prints what was found and calls abort(), which libFuzzer
 * reports as a crash with the input that caused it.
 */


#ifndef _FUZZ_COMMON_H_INCLUDED_
#define _FUZZ_COMMON_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_anon_addr.h"
#include "ngx_anon_scrub.h"


/* the longest text ngx_anon_addr_parse() can accept: 6 groups + a quad */
#define FUZZ_MAX_ADDR_TEXT  45


static void fuzz_fail(const char *what, const unsigned char *p, size_t len)
    __attribute__((noreturn, unused));


static void
fuzz_fail(const char *what, const unsigned char *p, size_t len)
{
    size_t  i;

    fprintf(stderr, "\nFUZZ PROPERTY VIOLATED: %s\n  text: \"", what);

    for (i = 0; i < len && i < 4096; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') {
            fputc(p[i], stderr);

        } else {
            fprintf(stderr, "\\x%02x", p[i]);
        }
    }

    fprintf(stderr, "\"%s\n", len > 4096 ? "..." : "");
    abort();
}


/* a heap copy of exactly len bytes (malloc(0) is avoided: one byte) */

static unsigned char * __attribute__((unused))
fuzz_dup(const unsigned char *p, size_t len)
{
    unsigned char  *d;

    d = malloc(len ? len : 1);
    if (d == NULL) {
        abort();
    }

    if (len) {
        memcpy(d, p, len);
    }

    return d;
}


static void * __attribute__((unused))
fuzz_alloc(size_t len)
{
    void  *d;

    d = malloc(len ? len : 1);
    if (d == NULL) {
        abort();
    }

    return d;
}


/*
 * Prefixes from one input byte each: half of the time the defaults or
 * the values of the example configuration, otherwise any legal value.
 */

static void __attribute__((unused))
fuzz_prefixes(unsigned char b4, unsigned char b6, unsigned *prefix4,
    unsigned *prefix6)
{
    static const unsigned  common4[] = { 16, 24, 16, 0, 32, 8, 16, 20 };
    static const unsigned  common6[] = { 32, 48, 32, 0, 128, 64, 32, 56 };

    *prefix4 = (b4 & 0x80) ? common4[b4 & 7] : (b4 & 0x7f) % 33;
    *prefix6 = (b6 & 0x80) ? common6[b6 & 7] : (b6 & 0x7f) % 129;
}


static int
fuzz_is_run(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || ch == '.' || ch == ':'
           || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
}


/*
 * A dotted quad read leniently, as a log reader might: four numbers of
 * one to three digits up to 255, leading zeros allowed ("010.001.2.3").
 */

static int
fuzz_lenient_quad(const unsigned char *p, size_t len, unsigned char *a4)
{
    size_t    i, digits, parts;
    unsigned  v;

    parts = 0;
    digits = 0;
    v = 0;

    for (i = 0; i <= len; i++) {

        if (i < len && p[i] >= '0' && p[i] <= '9') {
            if (++digits > 3) {
                return 0;
            }

            v = v * 10 + (p[i] - '0');
            continue;
        }

        if (digits == 0 || v > 255 || parts == 4) {
            return 0;
        }

        a4[parts++] = (unsigned char) v;
        digits = 0;
        v = 0;

        if (i < len && p[i] != '.') {
            return 0;
        }
    }

    return parts == 4;
}


/*
 * What the text p[0..len) is as an address: 0 none, 1 an address that
 * truncation with these prefixes leaves as it is, 2 one that it changes.
 * Strict parsing (ngx_anon_addr_parse) and lenient quads both count.
 */

static int
fuzz_addr_state(const unsigned char *p, size_t len, unsigned prefix4,
    unsigned prefix6)
{
    size_t         alen;
    unsigned char  a[16], t[16];

    alen = ngx_anon_addr_parse(p, len, a);

    if (alen == 0) {
        if (!fuzz_lenient_quad(p, len, a)) {
            return 0;
        }

        alen = 4;
    }

    memcpy(t, a, alen);

    if (alen == 4) {
        ngx_anon_addr_truncate4(t, prefix4);

    } else {
        ngx_anon_addr_truncate6(t, prefix4, prefix6);
    }

    return memcmp(a, t, alen) == 0 ? 1 : 2;
}


/*
 * The privacy property of a text: no part of a run of [0-9A-Fa-f.:] reads
 * as an address that truncation changes, unless that part lies inside a
 * longer part of the run that reads as an address truncation leaves as it
 * is ("28.0.0.0" inside "128.0.0.0" kept to 1 bit is a piece of it, as is
 * "198.51.100.7" inside a native "1::ffff:198.51.100.7" kept to 128 bits).
 * Returns 1 and the part in *off, *n on a leak.
 */

static int __attribute__((unused))
fuzz_leak(const unsigned char *p, size_t len, unsigned prefix4,
    unsigned prefix6, size_t *off, size_t *n)
{
    int     excused;
    size_t  rs, re, i, j, a, b;

    rs = 0;

    while (rs < len) {

        if (!fuzz_is_run(p[rs])) {
            rs++;
            continue;
        }

        re = rs;

        while (re < len && fuzz_is_run(p[re])) {
            re++;
        }

        for (i = rs; i < re; i++) {
            for (j = i + 1; j <= re && j - i <= FUZZ_MAX_ADDR_TEXT; j++) {

                if (fuzz_addr_state(p + i, j - i, prefix4, prefix6) != 2) {
                    continue;
                }

                excused = 0;

                for (a = (i - rs > FUZZ_MAX_ADDR_TEXT)
                         ? i - FUZZ_MAX_ADDR_TEXT : rs;
                     a <= i && !excused; a++)
                {
                    for (b = j; b <= re && b - a <= FUZZ_MAX_ADDR_TEXT; b++) {
                        if ((a != i || b != j)
                            && fuzz_addr_state(p + a, b - a, prefix4,
                                               prefix6) == 1)
                        {
                            excused = 1;
                            break;
                        }
                    }
                }

                if (!excused) {
                    *off = i;
                    *n = j - i;
                    return 1;
                }
            }
        }

        rs = re;
    }

    return 0;
}


static void __attribute__((unused))
fuzz_check_no_leak(const char *what, const unsigned char *p, size_t len,
    unsigned prefix4, unsigned prefix6)
{
    size_t  off, n;
    char    msg[256];

    if (fuzz_leak(p, len, prefix4, prefix6, &off, &n)) {
        snprintf(msg, sizeof(msg), "%s: untruncated address \"%.*s\" at %zu "
                 "(prefixes %u/%u)", what, (int) n, (const char *) p + off,
                 off, prefix4, prefix6);
        fuzz_fail(msg, p, len);
    }
}


/* scrubbed text with the exact-size buffer ngx_anon_scrub() asks for */

static unsigned char * __attribute__((unused))
fuzz_scrub(const unsigned char *src, size_t len, unsigned prefix4,
    unsigned prefix6, size_t *out_len)
{
    size_t          n, m;
    unsigned char  *dst;

    n = ngx_anon_scrub(NULL, src, len, prefix4, prefix6);
    dst = fuzz_alloc(n);
    m = ngx_anon_scrub(dst, src, len, prefix4, prefix6);

    if (m != n) {
        fuzz_fail("ngx_anon_scrub(): length with dst differs from NULL run",
                  src, len);
    }

#ifdef ngx_anon_scrub_max_size
    if (n > ngx_anon_scrub_max_size(len) && len >= 5) {
        fuzz_fail("ngx_anon_scrub(): output beyond ngx_anon_scrub_max_size",
                  src, len);
    }
#endif

    *out_len = n;

    return dst;
}


/*
 * Percent-decoding as a consumer that decodes until nothing changes
 * would do, in separate whole passes ("+" of the input only is a space).
 * Writes at most len bytes to dst.
 */

static int
fuzz_hex(unsigned char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }

    ch |= 0x20;

    return (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10 : -1;
}


static size_t __attribute__((unused))
fuzz_pct_decode_all(unsigned char *dst, const unsigned char *src, size_t len)
{
    int     first;
    size_t  i, n;

    memmove(dst, src, len);
    first = 1;

    for ( ;; ) {
        n = 0;

        for (i = 0; i < len; i++) {
            if (dst[i] == '%' && i + 2 < len
                && fuzz_hex(dst[i + 1]) >= 0 && fuzz_hex(dst[i + 2]) >= 0)
            {
                dst[n++] = (unsigned char) (fuzz_hex(dst[i + 1]) * 16
                                            + fuzz_hex(dst[i + 2]));
                i += 2;
                continue;
            }

            dst[n++] = (first && dst[i] == '+') ? ' ' : dst[i];
        }

        first = 0;

        if (n == len) {
            return n;
        }

        len = n;
    }
}


#endif /* _FUZZ_COMMON_H_INCLUDED_ */
