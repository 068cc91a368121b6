
/*
 * Copyright (C) ngx_anon authors
 */


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <check.h>

#include "ngx_anon_args.h"
#include "ngx_anon_scrub.h"
#include "check_anon.h"


#define CHECK_ARGS_SAMPLES   100000
#define CHECK_ARGS_QUERY     4096        /* longest random query string */
#define CHECK_ARGS_LONG      100000      /* "very long" values */

#define check_args_nelts(a)  (sizeof(a) / sizeof((a)[0]))

/* a text with an explicit length: it may hold a NUL */
#define check_args_text(s)   { (const unsigned char *) (s), sizeof(s) - 1 }
#define check_args_none      { NULL, 0 }


typedef struct {
    const unsigned char  *data;
    size_t                len;
} check_args_text_t;


typedef struct {
    check_args_text_t  in;
    check_args_text_t  out;          /* none: unchanged, 0 returned */
} check_args_case_t;


typedef struct {
    const char  *in;
    int          match;
} check_args_match_t;


static int check_args_hex(unsigned char ch);
static size_t check_args_unescape(unsigned char *dst,
    const unsigned char *src, size_t len, int plus);
static size_t check_args_decode(unsigned char *dst, const unsigned char *src,
    size_t len);
static int check_args_named(const unsigned char *name, size_t len);
static size_t check_args_run(const unsigned char *in, size_t len,
    unsigned prefix4, unsigned prefix6, unsigned char *out);
static void check_args_one(const unsigned char *in, size_t len,
    unsigned prefix4, unsigned prefix6, const unsigned char *exp,
    size_t elen);
static void check_args_verify(const unsigned char *in, size_t len,
    unsigned prefix4, unsigned prefix6, const unsigned char *out, size_t n);
static size_t check_args_encode_random(uint64_t *state,
    const unsigned char *in, size_t len, unsigned char *out, int outer);
static size_t check_args_random_query(uint64_t *state, unsigned char *buf);


static const ngx_anon_name_t  check_args_names[] = {
    { (const unsigned char *) "cip", 3 },
    { (const unsigned char *) "uip", 3 }
};


static const check_args_case_t  check_args_core[] = {

    /* plain and encoded values, every depth of encoding */

    { check_args_text("cip=198.51.100.7"),
      check_args_text("cip=198.51.0.0") },
    { check_args_text("idsite=1&rec=1&cip=198.51.100.7"
                      "&url=http%3A%2F%2F192.0.2.1%2F"),
      check_args_text("idsite=1&rec=1&cip=198.51.0.0"
                      "&url=http%3A%2F%2F192.0.2.1%2F") },
    { check_args_text("cip=2001:db8:cafe::17"),
      check_args_text("cip=2001%3Adb8%3A%3A") },
    { check_args_text("cip=2001%3Adb8%3A%3A1"),
      check_args_text("cip=2001%3Adb8%3A%3A") },
    { check_args_text("cip=2001%3adb8%3acafe%3a%3a17"),
      check_args_text("cip=2001%3Adb8%3A%3A") },
    { check_args_text("cip=2001%253Adb8%253A%253A1"),
      check_args_text("cip=2001%3Adb8%3A%3A") },
    { check_args_text("cip=2001%25253Adb8%25253A%25253A1"),
      check_args_text("cip=2001%3Adb8%3A%3A") },
    { check_args_text("cip=2001%2525252525253Adb8%2525252525253A"
                      "%2525252525253A1"),
      check_args_text("cip=2001%3Adb8%3A%3A") },
    { check_args_text("cip=%31%39%38%2E%35%31%2E%31%30%30%2E%37"),
      check_args_text("cip=198.51.0.0") },
    { check_args_text("cip=%2531%2539%2538.51.100.7"),
      check_args_text("cip=198.51.0.0") },
    { check_args_text("cip=%3A%3Affff%3A198.51.100.7"),
      check_args_text("cip=%3A%3Affff%3A198.51.0.0") },
    { check_args_text("cip=2001%3A0DB8%3ACAFE%3A0%3A0%3A0%3A0%3A17"),
      check_args_text("cip=2001%3Adb8%3A%3A") },
    { check_args_text("cip=198.51.100.7%2C2001%3Adb8%3Acafe%3A%3A17"),
      check_args_text("cip=198.51.0.0%2C2001%3Adb8%3A%3A") },

    /* "+" is a space; a decoded "+" is not */

    { check_args_text("cip=198.51.100.7+and+203.0.113.45"),
      check_args_text("cip=198.51.0.0%20and%20203.0.0.0") },
    { check_args_text("cip=%2B198.51.100.7"),
      check_args_text("cip=%2B198.51.0.0") },
    { check_args_text("cip=%252B198.51.100.7"),
      check_args_text("cip=%2B198.51.0.0") },

    /* ports, brackets */

    { check_args_text("cip=198.51.100.7:4711"),
      check_args_text("cip=198.51.0.0%3A4711") },
    { check_args_text("cip=%5B2001%3Adb8%3Acafe%3A%3A17%5D%3A4711"),
      check_args_text("cip=%5B2001%3Adb8%3A%3A%5D%3A4711") },

    /* names: encoded, in any case, repeated, more than one */

    { check_args_text("c%69p=198.51.100.7"),
      check_args_text("c%69p=198.51.0.0") },
    { check_args_text("%63%69%70=198.51.100.7"),
      check_args_text("%63%69%70=198.51.0.0") },
    { check_args_text("c%2569p=198.51.100.7"),
      check_args_text("c%2569p=198.51.0.0") },
    { check_args_text("CIP=198.51.100.7&Cip=203.0.113.45"),
      check_args_text("CIP=198.51.0.0&Cip=203.0.0.0") },
    { check_args_text("cip=198.51.100.7&cip=203.0.113.45&uip=10.1.2.3"),
      check_args_text("cip=198.51.0.0&cip=203.0.0.0&uip=10.1.0.0") },

    /* other names, no value, empty parts: unchanged */

    { check_args_text("ip=198.51.100.7&xcip=198.51.100.7&cipx=198.51.100.7"
                      "&c+ip=198.51.100.7&ci=198.51.100.7"),
      check_args_none },
    { check_args_text("cip=&cip&cip=hello&=198.51.100.7"),
      check_args_none },
    { check_args_text(""), check_args_none },
    { check_args_text("&&&"), check_args_none },
    { check_args_text("="), check_args_none },
    { check_args_text("cip"), check_args_none },
    { check_args_text("&&cip=198.51.100.7&&"),
      check_args_text("&&cip=198.51.0.0&&") },
    { check_args_text("cip=198.51.100.7&"),
      check_args_text("cip=198.51.0.0&") },
    { check_args_text("a&cip=198.51.100.7&b&=&c="),
      check_args_text("a&cip=198.51.0.0&b&=&c=") },
    { check_args_text("cip==198.51.100.7"),
      check_args_text("cip=%3D198.51.0.0") },
    { check_args_text("cip=198.51.100.7=1"),
      check_args_text("cip=198.51.0.0%3D1") },

    /* already truncated: nothing to rewrite */

    { check_args_text("cip=198.51.0.0&cip=2001%3ADB8%3A%3A&cip=%3A%3A"),
      check_args_none },

    /* the rest of the value is kept, re-encoded */

    { check_args_text("cip=%zz198.51.100.7%"),
      check_args_text("cip=%25zz198.51.0.0%25") },
    { check_args_text("cip=198.51.100.7%00%ff%C3%A9"),
      check_args_text("cip=198.51.0.0%00%FF%C3%A9") },
    { check_args_text("cip=~-._198.51.100.7"),
      check_args_text("cip=~-._198.51.0.0") },
    { check_args_text("x=%3A&cip=198.51.100.7&k=%2F"),
      check_args_text("x=%3A&cip=198.51.0.0&k=%2F") },
    { check_args_text("cip=198.51.100.7%26cip%3D203.0.113.45"),
      check_args_text("cip=198.51.0.0%26cip%3D203.0.0.0") }
};


static const check_args_case_t  check_args_adversarial[] = {
    { check_args_text("cip=1198.51.100.7"),
      check_args_text("cip=0000.00.000.0") },
    { check_args_text("cip=010.001.002.003"),
      check_args_text("cip=10.1.0.0") },
    { check_args_text("cip=1::2::3"), check_args_text("cip=0%3A%3A0%3A%3A0") },
    { check_args_text("cip=%31%31%39%38.51.100.7"),
      check_args_text("cip=0000.00.000.0") },
    { check_args_text("cip=%2%35"), check_args_none },
    { check_args_text("cip=198.51.100.7%2"),
      check_args_text("cip=198.51.0.0%252") },
    { check_args_text("cip=198.51.100.7%%%"),
      check_args_text("cip=198.51.0.0%25%25%25") },
    { check_args_text("cip=%%331.2.3.4"),
      check_args_text("cip=1.2.0.0") },
    { check_args_text("cip=1.2.3.4\0" "5.6.7.8"),
      check_args_text("cip=1.2.0.0%005.6.0.0") },
    { check_args_text("%00cip=1.2.3.4&cip%00=1.2.3.4"), check_args_none },
    { check_args_text("cip=\xff\xfe" "1.2.3.4\xc3\x28"),
      check_args_text("cip=%FF%FE1.2.0.0%C3%28") },
    { check_args_text("cip=12:34:56&cip=2023:13:55:36&cip=deadbeef"),
      check_args_none },
    { check_args_text("cip=::fff"), check_args_text("cip=%3A%3A") },
    { check_args_text("cip=%3A%3A1"), check_args_text("cip=%3A%3A") }
};


static const check_args_match_t  check_args_matches[] = {
    { "cip=1", 1 },
    { "CIP=1", 1 },
    { "a=1&uip=2", 1 },
    { "a=1&cip", 1 },
    { "c%69p=1", 1 },
    { "c+ip=1", 1 },
    { "x=1&%25=2", 1 },
    { "ip=1&xcip=2&cipx=3", 0 },
    { "", 0 },
    { "&&&", 0 },
    { "=cip&a=cip", 0 },
    { "ci=1&c=1&cipp=1", 0 }
};


/* decoding as repeated single passes, as a consumer would do it */

static int
check_args_hex(unsigned char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }

    if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f') {
        return (ch | 0x20) - 'a' + 10;
    }

    return -1;
}


static size_t
check_args_unescape(unsigned char *dst, const unsigned char *src,
    size_t len, int plus)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {

        if (src[i] == '%' && i + 2 < len && check_args_hex(src[i + 1]) >= 0
            && check_args_hex(src[i + 2]) >= 0)
        {
            dst[n++] = (unsigned char) (check_args_hex(src[i + 1]) * 16
                                        + check_args_hex(src[i + 2]));
            i += 2;
            continue;
        }

        dst[n++] = (plus && src[i] == '+') ? ' ' : src[i];
    }

    return n;
}


static size_t
check_args_decode(unsigned char *dst, const unsigned char *src, size_t len)
{
    size_t  n, m;

    n = check_args_unescape(dst, src, len, 1);

    for ( ;; ) {
        m = check_args_unescape(dst, dst, n, 0);

        if (m == n) {
            return n;
        }

        n = m;
    }
}


static int
check_args_named(const unsigned char *name, size_t len)
{
    int             named;
    size_t          i, n;
    unsigned char  *d, buf[256];

    d = (len <= sizeof(buf)) ? buf : malloc(len);

    if (d == NULL) {
        ck_abort_msg("out of memory");
    }

    n = check_args_decode(d, name, len);
    named = 0;

    for (i = 0; i < check_args_nelts(check_args_names); i++) {
        if (n == check_args_names[i].len
            && strncasecmp((const char *) d,
                           (const char *) check_args_names[i].data, n) == 0)
        {
            named = 1;
        }
    }

    if (d != buf) {
        free(d);
    }

    return named;
}


/*
 * Scrub "in" with buffers of exactly ngx_anon_args_dst_size() and
 * ngx_anon_args_work_size() bytes: malloc()ed, and again right before
 * inaccessible pages, the input too.  Returns the result, 0 or the length
 * of the output in "out".
 */

static size_t
check_args_run(const unsigned char *in, size_t len, unsigned prefix4,
    unsigned prefix6, unsigned char *out)
{
    size_t          n, m, ds, ws;
    unsigned char  *src, *dst, *work;

    ds = ngx_anon_args_dst_size(len);
    ws = ngx_anon_args_work_size(len);

    dst = malloc(ds);
    work = malloc(ws);
    ck_assert(dst != NULL && work != NULL);

    n = ngx_anon_args_scrub(dst, in, len, check_args_names,
                            check_args_nelts(check_args_names), prefix4,
                            prefix6, work);

    ck_assert_uint_le(n, ds);

    if (n) {
        memcpy(out, dst, n);
    }

    free(work);
    free(dst);

    src = check_anon_guard_alloc(len);
    dst = check_anon_guard_alloc(ds);
    work = check_anon_guard_alloc(ws);

    memcpy(src, in, len);

    m = ngx_anon_args_scrub(dst, src, len, check_args_names,
                            check_args_nelts(check_args_names), prefix4,
                            prefix6, work);

    ck_assert_uint_eq(m, n);
    ck_assert_mem_eq(dst, out, n);

    check_anon_guard_free(work, ws);
    check_anon_guard_free(dst, ds);
    check_anon_guard_free(src, len);

    return n;
}


static void
check_args_one(const unsigned char *in, size_t len, unsigned prefix4,
    unsigned prefix6, const unsigned char *exp, size_t elen)
{
    char            ein[1024];
    size_t          n;
    unsigned char  *out;

    out = malloc(ngx_anon_args_dst_size(len));
    ck_assert(out != NULL);

    n = check_args_run(in, len, prefix4, prefix6, out);

    snprintf(ein, sizeof(ein), "%s", check_anon_escape(in, len));

    if (elen == (size_t) -1) {
        /* any result, the properties only */

    } else if (exp == NULL) {
        ck_assert_msg(n == 0, "\"%s\": changed to \"%s\"", ein,
                      check_anon_escape(out, n));

    } else {
        ck_assert_msg(n == elen && memcmp(out, exp, n) == 0,
                      "\"%s\": \"%s\"", ein, check_anon_escape(out, n));
    }

    check_args_verify(in, len, prefix4, prefix6, n ? out : in, n ? n : len);

    free(out);
}


/*
 * The properties of an output: every argument is there; the fully
 * decoded value of a named one is the scrubbed decoded input value and
 * shows no address, any other one is as it was; scrubbing it again
 * changes nothing.
 */

static void
check_args_verify(const unsigned char *in, size_t len, unsigned prefix4,
    unsigned prefix6, const unsigned char *out, size_t n)
{
    int                   changed;
    size_t                il, ol, d, s, e, off, bad, b, k;
    unsigned char        *dv, *sv, *ev, *again, *work;
    const unsigned char  *ip, *op, *iend, *oend, *iseg, *oseg, *eq;

    dv = malloc(len + 1);
    sv = malloc(ngx_anon_scrub_max_size(len) + 1);
    ev = malloc(n + 1);
    again = malloc(ngx_anon_args_dst_size(n));
    work = malloc(ngx_anon_args_work_size(n));
    if (dv == NULL || sv == NULL || ev == NULL || again == NULL
        || work == NULL)
    {
        ck_abort_msg("out of memory");
    }

    ip = in;
    op = out;
    iend = in + len;
    oend = out + n;
    changed = 0;

    for ( ;; ) {
        iseg = memchr(ip, '&', iend - ip);
        oseg = memchr(op, '&', oend - op);

        if (iseg == NULL) {
            iseg = iend;
        }

        if (oseg == NULL) {
            oseg = oend;
        }

        il = iseg - ip;
        ol = oseg - op;

        eq = memchr(ip, '=', il);

        if (eq == NULL || !check_args_named(ip, eq - ip)) {
            if (il != ol || memcmp(ip, op, il) != 0) {
                ck_abort_msg("\"%s\": an argument changed",
                             check_anon_escape(in, len));
            }

            goto next;
        }

        /* the same name, then the value */

        k = eq + 1 - ip;

        if (ol < k || memcmp(ip, op, k) != 0) {
            ck_abort_msg("\"%s\": a name changed",
                         check_anon_escape(in, len));
        }

        d = check_args_decode(dv, eq + 1, il - k);
        s = ngx_anon_scrub(sv, dv, d, prefix4, prefix6);
        e = check_args_decode(ev, op + k, ol - k);

        if (s == d && memcmp(sv, dv, d) == 0) {
            if (il != ol || memcmp(ip, op, il) != 0) {
                ck_abort_msg("\"%s\": a clean value changed",
                             check_anon_escape(in, len));
            }

            goto next;
        }

        changed = 1;

        if (e != s || memcmp(ev, sv, s) != 0) {
            ck_abort_msg("\"%s\" %u/%u: value decodes to \"%s\"",
                         check_anon_escape(in, len), prefix4, prefix6,
                         check_anon_escape(ev, e));
        }

        if (check_anon_leak(ev, e, prefix4, prefix6, &off, &bad)) {
            ck_abort_msg("\"%s\" %u/%u: \"%.*s\" in a value",
                         check_anon_escape(in, len), prefix4, prefix6,
                         (int) bad, ev + off);
        }

        /* the value is already scrubbed */

        if (ngx_anon_scrub(NULL, ev, e, prefix4, prefix6) != e) {
            ck_abort_msg("\"%s\": value not scrubbed",
                         check_anon_escape(in, len));
        }

    next:

        if (iseg == iend || oseg == oend) {
            if (iseg != iend || oseg != oend) {
                ck_abort_msg("\"%s\": arguments lost",
                             check_anon_escape(in, len));
            }

            break;
        }

        ip = iseg + 1;
        op = oseg + 1;
    }

    if (changed != (out != in)) {
        ck_abort_msg("\"%s\": 0 returned, or not",
                     check_anon_escape(in, len));
    }

    /* match() must say yes to what scrub() changes */

    if (changed
        && !ngx_anon_args_match(in, len, check_args_names,
                                check_args_nelts(check_args_names)))
    {
        ck_abort_msg("\"%s\": not matched", check_anon_escape(in, len));
    }

    /* idempotent */

    b = ngx_anon_args_scrub(again, out, n, check_args_names,
                            check_args_nelts(check_args_names), prefix4,
                            prefix6, work);
    if (b != 0) {
        ck_abort_msg("\"%s\": scrubbed again: \"%s\"",
                     check_anon_escape(out, n), check_anon_escape(again, b));
    }

    free(work);
    free(again);
    free(ev);
    free(sv);
    free(dv);
}


/* the tables */

START_TEST(test_args_core)
{
    const check_args_case_t  *t;

    t = &check_args_core[_i];

    check_args_one(t->in.data, t->in.len, 16, 32, t->out.data, t->out.len);
}
END_TEST


START_TEST(test_args_adversarial)
{
    size_t                    k;
    const check_args_case_t  *t;

    t = &check_args_adversarial[_i];

    check_args_one(t->in.data, t->in.len, 16, 32, t->out.data, t->out.len);

    /* every prefix of the input: no read past its end */

    for (k = 0; k < t->in.len; k++) {
        check_args_one(t->in.data, k, 16, 32, NULL, (size_t) -1);
    }
}
END_TEST


START_TEST(test_args_match)
{
    const check_args_match_t  *t;

    t = &check_args_matches[_i];

    ck_assert_msg(ngx_anon_args_match((const unsigned char *) t->in,
                                      strlen(t->in), check_args_names,
                                      check_args_nelts(check_args_names))
                  == t->match, "\"%s\"", t->in);
}
END_TEST


START_TEST(test_args_encode)
{
    size_t         n, d;
    unsigned       c;
    unsigned char  in[256], out[3 * 256], back[256];

    for (c = 0; c < 256; c++) {
        in[c] = (unsigned char) c;

        n = ngx_anon_args_encode(out, in + c, 1);
        ck_assert_uint_eq(ngx_anon_args_encode(NULL, in + c, 1), n);

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
            || c == '~')
        {
            ck_assert_uint_eq(n, 1);
            ck_assert_uint_eq(out[0], c);

        } else {
            ck_assert_uint_eq(n, 3);
            ck_assert_int_eq(out[0], '%');
            ck_assert_msg(strchr("0123456789ABCDEF", out[1]) != NULL
                          && strchr("0123456789ABCDEF", out[2]) != NULL,
                          "byte %u: %.3s", c, out);
        }
    }

    n = ngx_anon_args_encode(out, in, 256);
    ck_assert_uint_eq(ngx_anon_args_encode(NULL, in, 256), n);

    d = check_args_unescape(back, out, n, 0);
    ck_assert_uint_eq(d, 256);
    ck_assert_mem_eq(back, in, 256);

    ck_assert_uint_eq(ngx_anon_args_encode(NULL, NULL, 0), 0);
}
END_TEST


/*
 * Into a buffer of exactly the length ngx_anon_args_encode(NULL) gives,
 * with a guard page behind it: nothing is written past it.  Values from
 * all-unreserved to all-escaped, every length up to 80.
 */

START_TEST(test_args_encode_exact)
{
    size_t          len, i, n, k;
    uint64_t        state;
    unsigned char   in[80], *out, back[80];

    static const unsigned char  unreserved[] =
        "abcxyzABCXYZ0189-._~";
    static const unsigned char  reserved[] =
        " %&+/:;=?@[]\"\x00\x1f\x7f\x80\xc3\xff`{|}!$'()*,<>^";

    state = 0x5eedc0de0000000dULL;

    for (len = 0; len <= sizeof(in); len++) {
        for (k = 0; k < 40; k++) {

            /* (k % 9) / 8 of the bytes need escaping, roughly */

            for (i = 0; i < len; i++) {
                if (check_anon_rand(&state) % 8 < k % 9) {
                    in[i] = reserved[check_anon_rand(&state)
                                     % (sizeof(reserved) - 1)];
                } else {
                    in[i] = unreserved[check_anon_rand(&state)
                                       % (sizeof(unreserved) - 1)];
                }
            }

            n = ngx_anon_args_encode(NULL, in, len);
            out = check_anon_guard_alloc(n);

            ck_assert_uint_eq(ngx_anon_args_encode(out, in, len), n);
            ck_assert_uint_eq(check_args_unescape(back, out, n, 0), len);
            ck_assert_mem_eq(back, in, len);

            check_anon_guard_free(out, n);
        }
    }
}
END_TEST


/* limits: empty input, no names, long values, many arguments */

START_TEST(test_args_empty)
{
    unsigned char  dst[1], work[1];

    dst[0] = 0x5a;

    ck_assert_uint_eq(ngx_anon_args_scrub(dst, (const unsigned char *) "",
                                          0, check_args_names, 2, 16, 32,
                                          work), 0);
    ck_assert_uint_eq(dst[0], 0x5a);
    ck_assert_uint_eq(ngx_anon_args_match((const unsigned char *) "", 0,
                                          check_args_names, 2), 0);
}
END_TEST


START_TEST(test_args_no_names)
{
    size_t          len;
    unsigned char  *dst, *work;

    static const char  q[] = "cip=198.51.100.7&uip=2001:db8::1";

    len = sizeof(q) - 1;
    dst = malloc(ngx_anon_args_dst_size(len));
    work = malloc(ngx_anon_args_work_size(len));
    ck_assert(dst != NULL && work != NULL);

    ck_assert_uint_eq(ngx_anon_args_scrub(dst, (const unsigned char *) q,
                                          len, NULL, 0, 16, 32, work), 0);
    ck_assert_uint_eq(ngx_anon_args_match((const unsigned char *) q, len,
                                          NULL, 0), 0);

    free(work);
    free(dst);
}
END_TEST


START_TEST(test_args_long)
{
    size_t          i, k, n, len, elen;
    unsigned char  *in, *exp;

    /*
     * One value of 100,000 bytes made of "in", and as many arguments of
     * one "in" each: the scrubbed value is made of "one", the arguments
     * become "many" each (none: 0 returned).
     */

    static const struct {
        check_args_text_t  in;
        check_args_text_t  one;
        check_args_text_t  many;
        unsigned           prefix4;
    } unit[] = {
        { check_args_text("198.51.100.7,"),
          check_args_text("198.51.0.0%2C"),
          check_args_text("198.51.0.0%2C"), 16 },
        { check_args_text("2001%3Adb8%3Acafe%3A%3A17+"),
          check_args_text("2001%3Adb8%3A%3A%20"),
          check_args_text("2001%3Adb8%3A%3A%20"), 16 },

        /* the longest scrubbed text and the longest encoded one */

        { check_args_text("::fff+"),
          check_args_text("%3A%3A0.0.15.240%20"),
          check_args_text("%3A%3A0.0.15.240%20"), 28 },
        { check_args_text("%3A%3Afff%2B"),
          check_args_text("%3A%3A0.0.15.240%2B"),
          check_args_text("%3A%3A0.0.15.240%2B"), 28 },
        { check_args_text("::fff"),
          check_args_text("%3A%3A000"),
          check_args_text("%3A%3A0.0.15.240"), 28 },

        /* one long run of numbers */

        { check_args_text("1.2.3.4."),
          check_args_text("0.0.0.0."),
          check_args_text("1.2.0.0."), 16 },

        /* nothing to scrub */

        { check_args_text("+"), check_args_none, check_args_none, 16 },
        { check_args_text("%25"), check_args_none, check_args_none, 16 }
    };

    in = malloc(2 * CHECK_ARGS_LONG);
    exp = malloc(8 * CHECK_ARGS_LONG);
    ck_assert(in != NULL && exp != NULL);

    for (i = 0; i < check_args_nelts(unit); i++) {

        memcpy(in, "cip=", 4);
        memcpy(exp, "cip=", 4);
        len = 4;
        elen = 4;

        while (len < CHECK_ARGS_LONG) {
            memcpy(in + len, unit[i].in.data, unit[i].in.len);
            len += unit[i].in.len;

            if (unit[i].one.data) {
                memcpy(exp + elen, unit[i].one.data, unit[i].one.len);
                elen += unit[i].one.len;
            }
        }

        check_args_one(in, len, unit[i].prefix4, 32,
                       unit[i].one.data ? exp : NULL, elen);

        len = 0;
        elen = 0;

        for (k = 0; len < CHECK_ARGS_LONG; k++) {
            n = (size_t) sprintf((char *) in + len, "%scip=",
                                 (k % 3) ? "&" : "&x=1&");
            memcpy(exp + elen, in + len, n);
            len += n;
            elen += n;

            memcpy(in + len, unit[i].in.data, unit[i].in.len);
            len += unit[i].in.len;

            if (unit[i].many.data) {
                memcpy(exp + elen, unit[i].many.data, unit[i].many.len);
                elen += unit[i].many.len;
            }
        }

        check_args_one(in, len, unit[i].prefix4, 32,
                       unit[i].many.data ? exp : NULL, elen);
    }

    free(exp);
    free(in);
}
END_TEST


/*
 * An address under up to eight layers of percent-encoding of every byte,
 * and under up to sixteen layers of encoding of "%" and ":" only.
 */

START_TEST(test_args_deep)
{
    size_t          i, k, n, len;
    unsigned char  *a, *b;

    static const char  exp[] = "cip=2001%3Adb8%3A%3A";

    a = malloc(1024 * 1024);
    b = malloc(1024 * 1024);
    ck_assert(a != NULL && b != NULL);

    len = sizeof("2001:db8:cafe::17") - 1;
    memcpy(a, "2001:db8:cafe::17", len);

    for (i = 1; i <= 24; i++) {

        if (i == 9) {
            len = sizeof("2001:db8:cafe::17") - 1;
            memcpy(a, "2001:db8:cafe::17", len);
        }

        memcpy(b, "cip=", 4);
        n = 4;

        for (k = 0; k < len; k++) {

            if (i > 8 && a[k] != '%' && a[k] != ':') {
                b[n++] = a[k];
                continue;
            }

            n += (size_t) sprintf((char *) b + n, (i & 1) ? "%%%02X"
                                  : "%%%02x", a[k]);
        }

        check_args_one(b, n, 16, 32, (const unsigned char *) exp,
                       sizeof(exp) - 1);

        len = n - 4;
        memcpy(a, b + 4, len);
    }

    free(b);
    free(a);
}
END_TEST


/* properties over random query strings */

static size_t
check_args_encode_random(uint64_t *state, const unsigned char *in,
    size_t len, unsigned char *out, int outer)
{
    int       unreserved;
    size_t    i, n;
    uint64_t  r;

    static const char  *hex[2] = { "0123456789abcdef", "0123456789ABCDEF" };

    n = 0;

    for (i = 0; i < len; i++) {
        r = check_anon_rand(state);

        unreserved = (in[i] >= 'a' && in[i] <= 'z')
                     || (in[i] >= 'A' && in[i] <= 'Z')
                     || (in[i] >= '0' && in[i] <= '9')
                     || in[i] == '-' || in[i] == '.' || in[i] == '_'
                     || in[i] == '~' || in[i] == ':';

        if (outer && in[i] == ' ' && (r & 1)) {
            out[n++] = '+';
            continue;
        }

        /* "&" and "=" always at the outer layer; the rest now and then */

        if ((outer && (in[i] == '&' || in[i] == '=' || in[i] == '+'))
            || !unreserved || (r >> 8) % 8 == 0)
        {
            out[n++] = '%';
            out[n++] = (unsigned char) hex[(r & 2) >> 1][in[i] >> 4];
            out[n++] = (unsigned char) hex[(r & 2) >> 1][in[i] & 0xf];
            continue;
        }

        out[n++] = in[i];
    }

    return n;
}


static size_t
check_args_random_query(uint64_t *state, unsigned char *buf)
{
    size_t         i, k, n, args, depth, len;
    uint64_t       r;
    unsigned char  a[1024], b[1024];

    static const char  *names[] = {
        "cip", "CIP", "Cip", "uip", "c%69p", "%63IP", "c%2569p", "ip",
        "xcip", "cipx", "idsite", "url", "", "c+ip", "%00cip", "ci%70%00"
    };

    r = check_anon_rand(state);
    args = (size_t) (r % 8);
    n = 0;

    for (i = 0; i < args && n + 1024 < CHECK_ARGS_QUERY; i++) {
        r = check_anon_rand(state);

        if (i) {
            buf[n++] = '&';
        }

        if ((r & 0x1f) == 0) {
            continue;
        }

        k = strlen(names[(r >> 8) % check_args_nelts(names)]);
        memcpy(buf + n, names[(r >> 8) % check_args_nelts(names)], k);
        n += k;

        if ((r & 0xe0) == 0) {
            continue;
        }

        buf[n++] = '=';

        /* the value: text encoded in 0 to 6 layers */

        len = check_anon_random_text(state, a, 80);
        depth = (size_t) ((r >> 16) % 7);

        for (k = 0; k < depth && len < 300; k++) {
            len = check_args_encode_random(state, a, len, b, k + 1 == depth);
            memcpy(a, b, len);
        }

        if (depth == 0) {

            /* raw: "&" would end the argument, "=" does not matter */

            for (k = 0; k < len; k++) {
                if (a[k] == '&') {
                    a[k] = '+';
                }
            }
        }

        memcpy(buf + n, a, len);
        n += len;
    }

    if (r & 0x10000000) {
        buf[n++] = '&';
    }

    return n;
}


START_TEST(test_args_privacy)
{
    size_t          i, n, len, dsize, wsize;
    unsigned        p4, p6;
    uint64_t        state;
    unsigned char  *src, *dst, *work, *out, q[CHECK_ARGS_QUERY];

    dsize = ngx_anon_args_dst_size(CHECK_ARGS_QUERY);
    wsize = ngx_anon_args_work_size(CHECK_ARGS_QUERY);

    src = check_anon_guard_alloc(CHECK_ARGS_QUERY);
    dst = check_anon_guard_alloc(dsize);
    work = check_anon_guard_alloc(wsize);

    out = malloc(dsize);
    ck_assert(out != NULL);

    state = 0x6a09e667f3bcc908ULL;

    for (i = 0; i < CHECK_ARGS_SAMPLES; i++) {
        check_anon_prefixes(&state, &p4, &p6);
        len = check_args_random_query(&state, q);

        if (len > CHECK_ARGS_QUERY) {
            ck_abort_msg("query of %zu bytes", len);
        }

        /* exactly the sizes the header asks for, before the guards */

        memcpy(src + CHECK_ARGS_QUERY - len, q, len);

        n = ngx_anon_args_scrub(dst + dsize - ngx_anon_args_dst_size(len),
                                src + CHECK_ARGS_QUERY - len, len,
                                check_args_names,
                                check_args_nelts(check_args_names), p4, p6,
                                work + wsize - ngx_anon_args_work_size(len));

        if (n) {
            memcpy(out, dst + dsize - ngx_anon_args_dst_size(len), n);
        }

        check_args_verify(q, len, p4, p6, n ? out : q, n ? n : len);
    }

    free(out);
    check_anon_guard_free(work, wsize);
    check_anon_guard_free(dst, dsize);
    check_anon_guard_free(src, CHECK_ARGS_QUERY);
}
END_TEST


Suite *
ngx_anon_args_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("ngx_anon_args");

    tc = tcase_create("core");
    tcase_add_loop_test(tc, test_args_core, 0,
                        check_args_nelts(check_args_core));
    tcase_add_loop_test(tc, test_args_match, 0,
                        check_args_nelts(check_args_matches));
    tcase_add_test(tc, test_args_encode);
    tcase_add_test(tc, test_args_encode_exact);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_test(tc, test_args_empty);
    tcase_add_test(tc, test_args_no_names);
    tcase_add_test(tc, test_args_long);
    tcase_add_test(tc, test_args_deep);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("adversarial");
    tcase_add_loop_test(tc, test_args_adversarial, 0,
                        check_args_nelts(check_args_adversarial));
    suite_add_tcase(s, tc);

    tc = tcase_create("property");
    tcase_add_test(tc, test_args_privacy);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    return s;
}
