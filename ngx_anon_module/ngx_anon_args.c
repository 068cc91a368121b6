
/*
 * Copyright (C) ngx_anon authors
 */


#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "ngx_anon_args.h"
#include "ngx_anon_scrub.h"


/*
 * NGX_ANON_ARGS_REFERENCE set to 1 compiles the unit without its fast
 * paths: the plain code they must agree with byte for byte, for the
 * differential test t/unit/check_anon_args_ref.c.
 */

#ifndef NGX_ANON_ARGS_REFERENCE
#define NGX_ANON_ARGS_REFERENCE  0
#endif

#if !(NGX_ANON_ARGS_REFERENCE) && defined(__SSE2__)
#include <emmintrin.h>
#define NGX_ANON_ARGS_SSE2  1
#else
#define NGX_ANON_ARGS_SSE2  0
#endif


#if !(NGX_ANON_ARGS_REFERENCE)

/*
 * The fast paths look at eight bytes at a time, in a 64-bit word with the
 * first byte lowest: (x - ONES * c) & ~x & HIGHS flags the bytes of x
 * below c (c <= 0x80); the lowest flag is exact, a flag above it may be
 * set by the borrow of a flagged byte below (only for a byte equal to c).
 * Applied to w ^ (ONES * c) with c 1, it flags the bytes of w equal to c.
 */

#define NGX_ANON_ARGS_ONES   0x0101010101010101ULL
#define NGX_ANON_ARGS_HIGHS  0x8080808080808080ULL

#define ngx_anon_args_below(x, c)                                            \
    (((x) - NGX_ANON_ARGS_ONES * (c)) & ~(x) & NGX_ANON_ARGS_HIGHS)
#define ngx_anon_args_equal(w, c)                                            \
    ngx_anon_args_below((w) ^ (NGX_ANON_ARGS_ONES * (c)), 1)

/* whether a name of n bytes at p may be one of the names (see below) */
#define ngx_anon_args_maybe(filter, p, n)                                    \
    (((filter) >> ((n) < 31 ? (n) : 31) & 1)                                 \
     && ((n) == 0 || ((filter) >> (32 + ((p)[0] & 0x1f)) & 1)))

/* the bytes a name ends with, or that make it escaped */
#define ngx_anon_args_is_stop(ch)                                            \
    ((ch) == '=' || (ch) == '&' || (ch) == '%' || (ch) == '+')

#endif


static int ngx_anon_args_named(const unsigned char *name, size_t len,
    const ngx_anon_name_t *names, size_t nnames, unsigned char *work);
static size_t ngx_anon_args_decode(unsigned char *dst,
    const unsigned char *src, size_t len, int plus);
static int ngx_anon_args_hex(unsigned char ch);

#if !(NGX_ANON_ARGS_REFERENCE)
static uint64_t ngx_anon_args_filter(const ngx_anon_name_t *names,
    size_t nnames);
static int ngx_anon_args_known(const unsigned char *name, size_t len,
    const ngx_anon_name_t *names, size_t nnames);
static inline const unsigned char *ngx_anon_args_skip(const unsigned char *p,
    const unsigned char *start, const unsigned char *end, uint64_t filter);
static inline const unsigned char *ngx_anon_args_name_end(
    const unsigned char *p, const unsigned char *start,
    const unsigned char *end);
static const unsigned char *ngx_anon_args_name_scan(const unsigned char *p,
    const unsigned char *start, const unsigned char *end);
static inline const unsigned char *ngx_anon_args_value_end(
    const unsigned char *p, const unsigned char *start,
    const unsigned char *end);
static const unsigned char *ngx_anon_args_value_scan(
    const unsigned char *p, const unsigned char *start,
    const unsigned char *end);
static int ngx_anon_args_plain(const unsigned char *p,
    const unsigned char *last, const unsigned char *start,
    const unsigned char *end);
static uint64_t ngx_anon_args_word(const unsigned char *p,
    const unsigned char *start, const unsigned char *end);
static uint64_t ngx_anon_args_load(const unsigned char *p);
static size_t ngx_anon_args_first(uint64_t flags);


/* the unreserved characters of RFC 3986 */

static const unsigned char  ngx_anon_args_unreserved[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};


#endif


#if !(NGX_ANON_ARGS_REFERENCE)

int
ngx_anon_args_match(const unsigned char *src, size_t len,
    const ngx_anon_name_t *names, size_t nnames)
{
    size_t                n;
    uint64_t              filter;
    const unsigned char  *p, *q, *end;

    /*
     * The same test as below in one pass: each name up to its "=" or "&"
     * (a name holding "%" or "+" answers 1 at once), then the value is
     * skipped to its "&".
     */

    filter = ngx_anon_args_filter(names, nnames);
    p = src;
    end = src + len;

    for ( ;; ) {

        p = ngx_anon_args_skip(p, src, end, filter);

        if (p == end) {
            break;
        }

        q = ngx_anon_args_name_end(p, src, end);

        if (q < end && (*q == '%' || *q == '+')) {
            return 1;
        }

        n = q - p;

        if (ngx_anon_args_maybe(filter, p, n)
            && ngx_anon_args_known(p, n, names, nnames))
        {
            return 1;
        }

        if (q < end && *q == '=') {
            q = ngx_anon_args_value_end(q + 1, src, end);
        }

        if (q == end) {
            break;
        }

        p = q + 1;
    }

    return 0;
}

#else

int
ngx_anon_args_match(const unsigned char *src, size_t len,
    const ngx_anon_name_t *names, size_t nnames)
{
    size_t                i, n;
    const unsigned char  *p, *end, *seg, *name;

    /*
     * A cheap test, without decoding: an argument name that decodes to
     * one of the names is at least as long, and names are plain words,
     * so a percent-encoded name is matched by ngx_anon_args_scrub() only;
     * this test returns 1 for any name holding a "%".
     */

    p = src;
    end = src + len;

    while (p < end) {

        seg = memchr(p, '&', end - p);
        if (seg == NULL) {
            seg = end;
        }

        name = p;
        n = 0;

        while (name + n < seg && name[n] != '=') {
            n++;
        }

        if (memchr(name, '%', n) != NULL || memchr(name, '+', n) != NULL) {
            return 1;
        }

        for (i = 0; i < nnames; i++) {
            if (n == names[i].len
                && strncasecmp((const char *) name,
                               (const char *) names[i].data, n) == 0)
            {
                return 1;
            }
        }

        p = seg + 1;
    }

    return 0;
}

#endif


size_t
ngx_anon_args_scrub(unsigned char *dst, const unsigned char *src,
    size_t len, const ngx_anon_name_t *names, size_t nnames,
    unsigned prefix4, unsigned prefix6, unsigned char *work)
{
    return ngx_anon_args_scrub_bsn(dst, src, len, names, nnames, 1, prefix4,
                                   prefix6, NULL, work);
}


#if !(NGX_ANON_ARGS_REFERENCE)

size_t
ngx_anon_args_scrub_bsn(unsigned char *dst, const unsigned char *src,
    size_t len, const ngx_anon_name_t *names, size_t nnames, int addresses,
    unsigned prefix4, unsigned prefix6, const ngx_anon_bsn_t *bsn,
    unsigned char *work)
{
    int                   bsns;
    size_t                out, d, s, n, found;
    uint64_t              filter;
    unsigned char        *bout;
    const unsigned char  *p, *q, *end, *seg, *eq, *value, *text, *done;

    bsns = (bsn != NULL && bsn->mode != NGX_ANON_BSN_OFF);

    if (nnames == 0 || (!addresses && !bsns)) {
        /* nothing can change */
        return 0;
    }

    /*
     * The arguments are walked as ngx_anon_args_match() does; src up to
     * "done" is in dst[0..out): the bytes that are kept are copied only
     * once something changes after them.
     */

    filter = ngx_anon_args_filter(names, nnames);
    out = 0;
    p = src;
    end = src + len;
    done = src;

    for ( ;; ) {

        p = ngx_anon_args_skip(p, src, end, filter);

        if (p == end) {
            break;
        }

        q = ngx_anon_args_name_end(p, src, end);

        if (q == end) {
            break;
        }

        if (*q == '&') {
            /* no value */
            p = q + 1;
            continue;
        }

        if (*q == '=') {
            eq = q;
            seg = ngx_anon_args_value_end(eq + 1, src, end);

            n = eq - p;

            if (!ngx_anon_args_maybe(filter, p, n)
                || !ngx_anon_args_known(p, n, names, nnames))
            {
                goto next;
            }

        } else {

            /* an escaped name: decoded */

            seg = ngx_anon_args_value_end(q, src, end);
            eq = memchr(q, '=', seg - q);

            if (eq == NULL
                || !ngx_anon_args_named(p, eq - p, names, nnames, work))
            {
                goto next;
            }
        }

        value = eq + 1;
        d = seg - value;

        if (ngx_anon_args_plain(value, seg, src, end)) {

            /* no escape and no "+": the value decodes to itself */

            if (addresses) {
                s = ngx_anon_scrub(work, value, d, prefix4, prefix6);
                text = work;
                bout = work + s;

            } else {
                s = d;
                text = value;
                bout = work;
            }

        } else {

            /* decoded until no escape is left: "%253A" cannot hide a colon */

            d = ngx_anon_args_decode(work, value, d, 1);
            value = work;

            if (addresses) {
                s = ngx_anon_scrub(work + d, work, d, prefix4, prefix6);
                text = work + d;
                bout = work + d + s;

            } else {
                s = d;
                text = work;
                bout = work + d;
            }
        }

        found = 0;

        if (bsns) {
            s = ngx_anon_bsn_scrub(bout, text, s, bsn, &found);
            text = bout;
        }

        if (found == 0 && s == d && memcmp(value, text, d) == 0) {
            goto next;
        }

        n = eq + 1 - done;
        memcpy(dst + out, done, n);
        out += n;
        out += ngx_anon_args_encode(dst + out, text, s);
        done = seg;

    next:

        if (seg == end) {
            break;
        }

        p = seg + 1;
    }

    if (done == src) {
        return 0;
    }

    n = end - done;
    memcpy(dst + out, done, n);

    return out + n;
}

#else

size_t
ngx_anon_args_scrub_bsn(unsigned char *dst, const unsigned char *src,
    size_t len, const ngx_anon_name_t *names, size_t nnames, int addresses,
    unsigned prefix4, unsigned prefix6, const ngx_anon_bsn_t *bsn,
    unsigned char *work)
{
    int                   changed;
    size_t                out, d, s, n, found;
    unsigned char        *text;
    const unsigned char  *p, *end, *seg, *eq;

    out = 0;
    changed = 0;
    p = src;
    end = src + len;

    while (p < end) {

        seg = memchr(p, '&', end - p);
        if (seg == NULL) {
            seg = end;
        }

        eq = memchr(p, '=', seg - p);

        if (eq == NULL
            || !ngx_anon_args_named(p, eq - p, names, nnames, work))
        {
            memcpy(dst + out, p, seg - p);
            out += seg - p;
            goto next;
        }

        /* decoded until no escape is left: "%253A" cannot hide a colon */

        d = ngx_anon_args_decode(work, eq + 1, seg - eq - 1, 1);

        if (addresses) {
            s = ngx_anon_scrub(work + d, work, d, prefix4, prefix6);

        } else {
            memcpy(work + d, work, d);
            s = d;
        }

        text = work + d;
        found = 0;

        if (bsn && bsn->mode != NGX_ANON_BSN_OFF) {
            n = ngx_anon_bsn_scrub(text + s, text, s, bsn, &found);
            text += s;
            s = n;
        }

        if (found == 0 && s == d && memcmp(work, text, d) == 0) {
            memcpy(dst + out, p, seg - p);
            out += seg - p;
            goto next;
        }

        memcpy(dst + out, p, eq + 1 - p);
        out += eq + 1 - p;
        out += ngx_anon_args_encode(dst + out, text, s);
        changed = 1;

    next:

        if (seg < end) {
            dst[out++] = '&';
        }

        p = seg + 1;
    }

    return changed ? out : 0;
}

#endif


static int
ngx_anon_args_named(const unsigned char *name, size_t len,
    const ngx_anon_name_t *names, size_t nnames, unsigned char *work)
{
    size_t  i, n;

    n = ngx_anon_args_decode(work, name, len, 1);

    for (i = 0; i < nnames; i++) {
        if (n == names[i].len
            && strncasecmp((const char *) work,
                           (const char *) names[i].data, n) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static size_t
ngx_anon_args_decode(unsigned char *dst, const unsigned char *src,
    size_t len, int plus)
{
    int     hi, lo;
    size_t  i, n;

    /*
     * Percent-decoding repeated until no escape is left, in one pass: an
     * escape can only end at the byte just written, so each byte written
     * is checked with the two before it, again after every decoding
     * ("%2541" is "%41", then "A").  Escapes cannot overlap, so the order
     * does not matter.  Only "+" of the input is a space.  dst may be src:
     * the output is never longer than the input read.
     */

    n = 0;

    for (i = 0; i < len; i++) {

        dst[n++] = (plus && src[i] == '+') ? ' ' : src[i];

        while (n >= 3 && dst[n - 3] == '%') {
            hi = ngx_anon_args_hex(dst[n - 2]);
            lo = ngx_anon_args_hex(dst[n - 1]);

            if (hi < 0 || lo < 0) {
                break;
            }

            dst[n - 3] = (unsigned char) (hi * 16 + lo);
            n -= 2;
        }
    }

    return n;
}


static int
ngx_anon_args_hex(unsigned char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }

    ch |= 0x20;

    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }

    return -1;
}


#if !(NGX_ANON_ARGS_REFERENCE)

size_t
ngx_anon_args_encode(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    size_t                n;
    unsigned char        *d;
    const unsigned char  *end;

    static const char  hex[] = "0123456789ABCDEF";

    end = src + len;

    if (dst == NULL) {
        n = len;

        while (src < end) {
            n += ngx_anon_args_unreserved[*src++] ? 0 : 2;
        }

        return n;
    }

    for (d = dst; src < end; src++) {

        if (ngx_anon_args_unreserved[*src]) {
            *d++ = *src;
            continue;
        }

        d[0] = '%';
        d[1] = hex[*src >> 4];
        d[2] = hex[*src & 0x0f];
        d += 3;
    }

    return d - dst;
}

#else

size_t
ngx_anon_args_encode(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    size_t             i, n;
    unsigned char      ch;
    static const char  hex[] = "0123456789ABCDEF";

    n = 0;

    for (i = 0; i < len; i++) {
        ch = src[i];

        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
            || (ch >= '0' && ch <= '9')
            || ch == '-' || ch == '.' || ch == '_' || ch == '~')
        {
            if (dst) {
                dst[n] = ch;
            }

            n++;
            continue;
        }

        if (dst) {
            dst[n] = '%';
            dst[n + 1] = hex[ch >> 4];
            dst[n + 2] = hex[ch & 0x0f];
        }

        n += 3;
    }

    return n;
}

#endif


#if !(NGX_ANON_ARGS_REFERENCE)

/*
 * A filter that every name that may be one of the names passes, for
 * ngx_anon_args_maybe(): the lengths of the names as bits 0 to 31 (31 for
 * any longer), and their first bytes by their 5 low bits, the same for a
 * letter in either case, as bits 32 to 63 (all for an empty name).
 */

static uint64_t
ngx_anon_args_filter(const ngx_anon_name_t *names, size_t nnames)
{
    size_t    i, n;
    uint64_t  filter;

    filter = 0;

    for (i = 0; i < nnames; i++) {
        n = names[i].len;

        if (n == 0) {
            /* any first byte */
            filter |= 1 | 0xffffffff00000000ULL;
            continue;
        }

        filter |= (uint64_t) 1 << (n < 31 ? n : 31);
        filter |= (uint64_t) 1 << (32 + (names[i].data[0] & 0x1f));
    }

    return filter;
}


/*
 * Whether the name is one of the names: the same as strncasecmp() in the
 * C locale, which ngx_anon_args_named() uses; that stops at a NUL in both.
 */

static int
ngx_anon_args_known(const unsigned char *name, size_t len,
    const ngx_anon_name_t *names, size_t nnames)
{
    size_t                i, k;
    unsigned              a, b;
    const unsigned char  *data;

    for (i = 0; i < nnames; i++) {

        if (names[i].len != len) {
            continue;
        }

        data = names[i].data;

        for (k = 0; k < len; k++) {
            a = name[k];
            b = data[k];

            if (a == b) {
                if (a == '\0') {
                    return 1;
                }

                continue;
            }

            if ((a ^ b) != 0x20 || (a | 0x20) - 'a' > 'z' - 'a') {
                break;
            }
        }

        if (k == len) {
            return 1;
        }
    }

    return 0;
}


/*
 * Skips the arguments from p on that are none of the names for sure: a
 * plain name, its "=" and the "&" after the value first in sixteen (with
 * SSE2) or eight bytes looked at together, the name not passing the
 * filter.  Returns the start of the first argument to look at, or end.
 */

static inline const unsigned char *
ngx_anon_args_skip(const unsigned char *p, const unsigned char *start,
    const unsigned char *end, uint64_t filter)
{
    size_t                n;
    uint64_t              w, flags;
    const unsigned char  *q;
#if (NGX_ANON_ARGS_SSE2)
    unsigned              stop, amp;
    __m128i               v, a, e;

    /*
     * Sixteen bytes at a time while they last: the name ends at the first
     * "=", "&", "%" or "+"; a name of sixteen bytes or more is looked at.
     */

    while (end - p >= 16) {
        v = _mm_loadu_si128((const __m128i *) p);
        a = _mm_cmpeq_epi8(v, _mm_set1_epi8('&'));
        e = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('%')),
                         _mm_cmpeq_epi8(v, _mm_set1_epi8('+')));
        e = _mm_or_si128(_mm_or_si128(e, a),
                         _mm_cmpeq_epi8(v, _mm_set1_epi8('=')));

        stop = (unsigned) _mm_movemask_epi8(e);

        if (stop == 0) {
            return p;
        }

        n = (unsigned) __builtin_ctz(stop);

        if (p[n] != '=' || ngx_anon_args_maybe(filter, p, n)) {
            return p;
        }

        /* every "&" in the bytes comes after the "="; a long value */

        amp = (unsigned) _mm_movemask_epi8(a);

        while (amp == 0) {
            p += 16;

            if (end - p < 16) {
                p = ngx_anon_args_value_end(p, start, end);

                if (p == end) {
                    return end;
                }

                /* the "&" is at p */

                amp = 1;
                break;
            }

            amp = (unsigned) _mm_movemask_epi8(
                      _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *) p),
                                     _mm_set1_epi8('&')));
        }

        p += __builtin_ctz(amp) + 1;
    }

#endif

    while (end - p >= 8) {
        q = p;

        for ( ;; ) {
            w = ngx_anon_args_load(q);
            flags = ngx_anon_args_below(w, 0x40);

            if (flags) {
                break;
            }

            /* a name of eight bytes or more */

            q += 8;

            if (end - q < 8) {
                return p;
            }
        }

        n = q - p + ngx_anon_args_first(flags);

        if (p[n] != '=' || ngx_anon_args_maybe(filter, p, n)) {
            break;
        }

        /* no "&" before the "=": the lowest flag is the first "&" after */

        flags = ngx_anon_args_equal(w, '&');

        if (flags) {
            p = q + ngx_anon_args_first(flags) + 1;
            continue;
        }

        q = ngx_anon_args_value_end(p + n + 1, start, end);

        if (q == end) {
            return end;
        }

        p = q + 1;
    }

    return p;
}


/*
 * The first "=", "&", "%" or "+" from p (p < end) on, or end.  They are
 * all below 0x40, and so are few bytes of names: the bytes below 0x40 of
 * a word are flagged at once, then each is looked at.  Inline the common
 * case: a "=" first in the next eight bytes.
 */

static inline const unsigned char *
ngx_anon_args_name_end(const unsigned char *p, const unsigned char *start,
    const unsigned char *end)
{
    uint64_t              flags;
    const unsigned char  *q;

    while (end - p >= 8) {
        flags = ngx_anon_args_below(ngx_anon_args_load(p), 0x40);

        if (flags) {
            q = p + ngx_anon_args_first(flags);

            if (*q == '=') {
                return q;
            }

            return ngx_anon_args_name_scan(q, start, end);
        }

        p += 8;
    }

    return ngx_anon_args_name_scan(p, start, end);
}


static const unsigned char *
ngx_anon_args_name_scan(const unsigned char *p, const unsigned char *start,
    const unsigned char *end)
{
    uint64_t              flags;
    const unsigned char  *q;

    while (p < end) {
        flags = ngx_anon_args_below(ngx_anon_args_word(p, start, end), 0x40);

        while (flags) {
            q = p + ngx_anon_args_first(flags);

            if (q >= end) {
                return end;
            }

            if (ngx_anon_args_is_stop(*q)) {
                return q;
            }

            flags &= flags - 1;
        }

        if (end - p <= 8) {
            break;
        }

        p += 8;
    }

    return end;
}


/* the first "&" from p on, or end; inline: an "&" in the next eight bytes */

static inline const unsigned char *
ngx_anon_args_value_end(const unsigned char *p, const unsigned char *start,
    const unsigned char *end)
{
    uint64_t  flags;

    if (end - p >= 8) {
        flags = ngx_anon_args_equal(ngx_anon_args_load(p), '&');

        if (flags) {
            /* the lowest flag is exact */
            return p + ngx_anon_args_first(flags);
        }

        p += 8;
    }

    return ngx_anon_args_value_scan(p, start, end);
}


static const unsigned char *
ngx_anon_args_value_scan(const unsigned char *p, const unsigned char *start,
    const unsigned char *end)
{
    uint64_t              flags;
    const unsigned char  *q;

    if (end - p >= 8) {
        q = memchr(p, '&', end - p);
        return (q != NULL) ? q : end;
    }

    if (p >= end) {
        return end;
    }

    flags = ngx_anon_args_equal(ngx_anon_args_word(p, start, end), '&');

    /* never past end: the rest of the word is 0 */

    return flags ? p + ngx_anon_args_first(flags) : end;
}


/* whether p..last holds no "%" and no "+" */

static inline int
ngx_anon_args_plain(const unsigned char *p, const unsigned char *last,
    const unsigned char *start, const unsigned char *end)
{
    uint64_t  w, flags;

    while (p < last) {
        w = ngx_anon_args_word(p, start, end);
        flags = ngx_anon_args_equal(w, '%') | ngx_anon_args_equal(w, '+');

        /* the lowest flag is exact, others may be past last anyway */

        if (flags && ngx_anon_args_first(flags) < (size_t) (last - p)) {
            return 0;
        }

        if (last - p <= 8) {
            break;
        }

        p += 8;
    }

    return 1;
}


/*
 * The eight bytes from p (p < end), as far as they are before end: the
 * rest of the word is 0; nothing before start or from end on is read.
 */

static inline uint64_t
ngx_anon_args_word(const unsigned char *p, const unsigned char *start,
    const unsigned char *end)
{
    size_t    n;
    uint64_t  w;

    n = end - p;

    if (n >= 8) {
        return ngx_anon_args_load(p);
    }

    if (end - start >= 8) {
        return ngx_anon_args_load(end - 8) >> (64 - 8 * n);
    }

    w = 0;

    while (n--) {
        w = (w << 8) | p[n];
    }

    return w;
}


static inline uint64_t
ngx_anon_args_load(const unsigned char *p)
{
    uint64_t  w;

    /* the first byte lowest, on any host */

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)           \
    && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__

    memcpy(&w, p, 8);

#else

    w = (uint64_t) p[0]
        | (uint64_t) p[1] << 8
        | (uint64_t) p[2] << 16
        | (uint64_t) p[3] << 24
        | (uint64_t) p[4] << 32
        | (uint64_t) p[5] << 40
        | (uint64_t) p[6] << 48
        | (uint64_t) p[7] << 56;

#endif

    return w;
}


/* the index of the lowest byte flagged */

static inline size_t
ngx_anon_args_first(uint64_t flags)
{
#if defined(__GNUC__)

    return (size_t) __builtin_ctzll(flags) >> 3;

#else

    size_t  i;

    for (i = 0; (flags & 0x80) == 0; i++) {
        flags >>= 8;
    }

    return i;

#endif
}

#endif
