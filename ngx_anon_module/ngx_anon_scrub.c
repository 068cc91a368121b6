
/*
 * Copyright (C) ngx_anon authors
 */


#include <stdint.h>
#include <string.h>

#include "ngx_anon_addr.h"
#include "ngx_anon_scrub.h"


/*
 * NGX_ANON_SCRUB_REFERENCE set to 1 builds the plain scrubber without its
 * fast paths, to compare it with (t/unit/check_anon_scrub_ref.c): both give
 * the same output for every input.
 */

#ifndef NGX_ANON_SCRUB_REFERENCE
#define NGX_ANON_SCRUB_REFERENCE  0
#endif

#if !(NGX_ANON_SCRUB_REFERENCE) && defined(__SSE2__)
#include <emmintrin.h>
#define NGX_ANON_SCRUB_SSE2  1
#else
#define NGX_ANON_SCRUB_SSE2  0
#endif


#define ngx_anon_is_digit(ch)  ((ch) >= '0' && (ch) <= '9')


#if defined(__GNUC__)
#define NGX_ANON_SCRUB_NOINLINE  __attribute__((noinline))
#define NGX_ANON_SCRUB_INLINE    inline __attribute__((always_inline))
#else
#define NGX_ANON_SCRUB_NOINLINE
#define NGX_ANON_SCRUB_INLINE    inline
#endif


#if !(NGX_ANON_SCRUB_REFERENCE)

typedef struct {
    unsigned char        *dst;
    const unsigned char  *copied;
    size_t                out;
    uint32_t              mask4;
    unsigned              prefix4;
    unsigned              prefix6;
    unsigned char         pad[16];
    unsigned char         text[16];
} ngx_anon_scrub_t;


#if (NGX_ANON_SCRUB_SSE2)
static const unsigned char *ngx_anon_scrub_blocks(ngx_anon_scrub_t *sc,
    const unsigned char *p, const unsigned char *last,
    const unsigned char **done);
static int ngx_anon_scrub_plain(unsigned dots, unsigned colons, unsigned hex,
    unsigned run);
static unsigned ngx_anon_scrub_masks(__m128i v, unsigned *dots,
    unsigned *colons, unsigned *hex);
static unsigned ngx_anon_scrub_bits(unsigned x);
#endif
static const unsigned char *ngx_anon_scrub_next(ngx_anon_scrub_t *sc,
    const unsigned char *s, const unsigned char *last);
static void ngx_anon_scrub_put4(ngx_anon_scrub_t *sc,
    const unsigned char *s, uint32_t t);
static size_t ngx_anon_scrub_format4(ngx_anon_scrub_t *sc, uint32_t t);
static const unsigned char *ngx_anon_scrub_other(ngx_anon_scrub_t *sc,
    const unsigned char *s, const unsigned char *last);
static const unsigned char *ngx_anon_scrub_span(const unsigned char *s,
    const unsigned char *last, size_t *dots, size_t *colons, unsigned *pair);
static const unsigned char *ngx_anon_scrub_quad(const unsigned char *p,
    uint32_t *addr);
static const unsigned char *ngx_anon_scrub_octet(const unsigned char *p,
    unsigned *value);
static void ngx_anon_scrub_flush(ngx_anon_scrub_t *sc,
    const unsigned char *to);
static void ngx_anon_scrub_move(unsigned char *dst, const unsigned char *s,
    size_t len);

#endif

static int ngx_anon_scrub_is_hex(unsigned char ch);
static size_t ngx_anon_scrub_run(unsigned char *dst, const unsigned char *s,
    size_t len, unsigned prefix4, unsigned prefix6);
static size_t ngx_anon_scrub_address(unsigned char *dst,
    const unsigned char *s, size_t len, unsigned prefix4, unsigned prefix6);
static size_t ngx_anon_scrub_put(unsigned char *dst, const unsigned char *s,
    size_t len, const unsigned char *addr, size_t alen, unsigned prefix4,
    unsigned prefix6);
static int ngx_anon_scrub_looks_ipv6(const unsigned char *s, size_t len);
static size_t ngx_anon_scrub_numbers(unsigned char *dst,
    const unsigned char *s, size_t len, unsigned prefix4);
static size_t ngx_anon_scrub_sequence(unsigned char *dst,
    const unsigned char *s, size_t len, unsigned prefix4, size_t *used);
static void ngx_anon_scrub_zero(unsigned char *dst, const unsigned char *s,
    size_t len);
static size_t ngx_anon_scrub_copy(unsigned char *dst,
    const unsigned char *s, size_t len);


/* 1: a hex digit, 2: a dot, 4: a colon */

static const unsigned char  ngx_anon_scrub_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0,      /* "." */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 0, 0, 0, 0, 0,      /* 0-9 ":" */
    0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,      /* A-F */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,      /* a-f */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};


#if !(NGX_ANON_SCRUB_REFERENCE)

size_t
ngx_anon_scrub(unsigned char *dst, const unsigned char *src, size_t len,
    unsigned prefix4, unsigned prefix6)
{
    size_t                n;
    uint32_t              a, t;
    ngx_anon_scrub_t      sc;
    const unsigned char  *p, *last;
#if (NGX_ANON_SCRUB_SSE2)
    const unsigned char  *done;
#endif

    /*
     * Bytes are copied lazily, from sc.copied on, only when a run that
     * changes is about to be written: most text is copied in a few large
     * pieces.
     */

    sc.dst = dst;
    sc.copied = src;
    sc.out = 0;
    sc.mask4 = (prefix4 >= 32) ? 0xffffffff : ~(0xffffffffu >> prefix4);
    sc.prefix4 = prefix4;
    sc.prefix6 = prefix6;

    /* a value that is one dotted quad (X-Real-IP, an argument) at once */

    if (len - 7 < 9) {
        memset(sc.pad, 0, 16);
        ngx_anon_scrub_move(sc.pad, src, len);

        if (ngx_anon_scrub_quad(sc.pad, &a) == sc.pad + len) {
            t = a & sc.mask4;

            if (t == a) {
                n = len;
                p = src;

            } else {
                n = ngx_anon_scrub_format4(&sc, t);
                p = sc.text;
            }

            if (dst) {
                ngx_anon_scrub_move(dst, p, n);
            }

            return n;
        }
    }

    p = src;
    last = src + len;

#if (NGX_ANON_SCRUB_SSE2)

    /*
     * Blocks of 16 bytes pay off in longer text; "done" is the end of the
     * last run they looked at.
     */

    if (len >= 64) {
        done = src;
        p = ngx_anon_scrub_blocks(&sc, src, last, &done);

        /* the rest byte by byte, from the start of the run that p is in */

        while (p > done && ngx_anon_scrub_class[p[-1]]) {
            p--;
        }
    }

#endif

    while (p < last) {

        if (ngx_anon_scrub_class[*p] == 0) {
            p++;
            continue;
        }

        p = ngx_anon_scrub_next(&sc, p, last);
    }

    ngx_anon_scrub_flush(&sc, last);

    return sc.out;
}


#if (NGX_ANON_SCRUB_SSE2)

/*
 * Blocks of 16 bytes, up to the last whole one: bit masks of the dots, the
 * colons, the hex letters and all the bytes of runs in a block tell where
 * its runs with a dot or a colon start and end and whether they stay as
 * they are for sure (ngx_anon_scrub_plain()); the others are done by
 * ngx_anon_scrub_next().  A run that starts before the block has no dot
 * or colon there; one that goes on past it is done by
 * ngx_anon_scrub_next() as a whole.  No load reaches past last.  Returns
 * where the bytes that are left start, and the end of the last run looked
 * at in *done.
 */

static const unsigned char *
ngx_anon_scrub_blocks(ngx_anon_scrub_t *sc, const unsigned char *p,
    const unsigned char *last, const unsigned char **done)
{
    __m128i               v, vd, vc, dot, colon;
    unsigned              i, k, n, t, all, dots, colons, hex, cls, run,
                          below, above;
    const unsigned char  *s, *q, *prev;

    dot = _mm_set1_epi8('.');
    colon = _mm_set1_epi8(':');

    prev = *done;

    while (last - p >= 16) {
        v = _mm_loadu_si128((const __m128i *) p);
        vd = _mm_cmpeq_epi8(v, dot);
        vc = _mm_cmpeq_epi8(v, colon);

        dots = (unsigned) _mm_movemask_epi8(vd);
        colons = (unsigned) _mm_movemask_epi8(vc);

        all = dots | colons;

        if (all == 0) {
            p += 16;
            continue;
        }

        /*
         * Fewer than three dots and two colons in the whole block: none of
         * its runs changes.  A run that goes on past the block is looked at
         * again from its start with the next block.
         */

        t = dots & (dots - 1);

        if ((t & (t - 1)) == 0 && (colons & (colons - 1)) == 0) {

            if (ngx_anon_scrub_class[p[15]] == 0) {
                p += 16;
                continue;
            }

            s = p + 15;

            while (s > p && ngx_anon_scrub_class[s[-1]]) {
                s--;
            }

            if (s > p) {
                p = s;
                continue;
            }
        }

        cls = ngx_anon_scrub_masks(v, &dots, &colons, &hex);
        q = p + 16;

        do {
            i = (unsigned) __builtin_ctz(all);

            below = ~cls & ((1u << i) - 1);

            if (below) {
                k = 32 - (unsigned) __builtin_clz(below);
                s = p + k;

            } else {
                k = 0;
                s = p;

                while (s > prev && ngx_anon_scrub_class[s[-1]]) {
                    s--;
                }
            }

            above = ~cls & (0xffffu << i) & 0xffff;

            if (above == 0) {

                /*
                 * The run goes on past the block: the block again from
                 * the start of the run, if it starts inside
                 */

                if (s > p && last - s >= 16) {
                    q = s;

                } else {
                    q = ngx_anon_scrub_next(sc, s, last);
                    prev = q;
                }

                break;
            }

            n = (unsigned) __builtin_ctz(above);
            run = ((1u << n) - 1) & ~((1u << k) - 1);

            if (!ngx_anon_scrub_plain(dots & run, colons & run, hex & run,
                                      run))
            {
                ngx_anon_scrub_next(sc, s, last);
            }

            prev = p + n;
            all &= ~((1u << n) - 1);

        } while (all);

        p = q;
    }

    *done = prev;

    return p;
}


/*
 * Whether a run stays as it is for sure, from bit masks of its dots,
 * colons, hex letters and bytes: as ngx_anon_scrub_other() decides.
 */

static NGX_ANON_SCRUB_INLINE int
ngx_anon_scrub_plain(unsigned dots, unsigned colons, unsigned hex,
    unsigned run)
{
    unsigned  t, after;

    t = dots & (dots - 1);

    if ((t & (t - 1)) == 0 && (colons & (colons - 1)) == 0) {
        return 1;
    }

    if (dots || (colons & (colons >> 1))) {
        return 0;
    }

    /* fewer than six colons: five cleared bits leave none */

    t = colons & (colons - 1);
    t &= t - 1;
    t &= t - 1;
    t &= t - 1;
    t &= t - 1;

    if (t) {
        return 0;
    }

    /*
     * Not IPv6-like (ngx_anon_scrub_looks_ipv6()): after the first colon
     * no hex letter and no group of three or more digits.
     */

    after = run & ~(((colons & -colons) << 1) - 1);

    if (hex & after) {
        return 0;
    }

    t = after & ~colons;

    return (t & (t >> 1) & (t >> 2)) == 0;
}


/*
 * The bit masks of 16 bytes: those of runs (returned), dots, colons and,
 * if hex is not NULL, hex letters.
 */

static NGX_ANON_SCRUB_INLINE unsigned
ngx_anon_scrub_masks(__m128i v, unsigned *dots, unsigned *colons,
    unsigned *hex)
{
    __m128i  vd, vc, x, y, vdc, vh;

    vd = _mm_cmpeq_epi8(v, _mm_set1_epi8('.'));
    vc = _mm_cmpeq_epi8(v, _mm_set1_epi8(':'));

    *dots = (unsigned) _mm_movemask_epi8(vd);
    *colons = (unsigned) _mm_movemask_epi8(vc);

    /* "0" to ":", and "a" to "f" either case */

    x = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    vdc = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(10)), x);

    y = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)),
                     _mm_set1_epi8('a'));
    vh = _mm_cmpeq_epi8(_mm_min_epu8(y, _mm_set1_epi8(5)), y);

    if (hex) {
        *hex = (unsigned) _mm_movemask_epi8(vh);
    }

    return (unsigned) _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(vdc, vh),
                                                     vd));
}


/* the number of bits set in a 16-bit mask */

static NGX_ANON_SCRUB_INLINE unsigned
ngx_anon_scrub_bits(unsigned x)
{
    x = x - ((x >> 1) & 0x5555);
    x = (x & 0x3333) + ((x >> 2) & 0x3333);
    x = (x + (x >> 4)) & 0x0f0f;

    return (x + (x >> 8)) & 0x1f;
}

#endif


/*
 * The run that starts at s: written if it changes, from sc->copied on.
 * Returns its end.
 */

static const unsigned char *
ngx_anon_scrub_next(ngx_anon_scrub_t *sc, const unsigned char *s,
    const unsigned char *last)
{
    size_t                n;
    uint32_t              a, t;
    const unsigned char  *b, *p, *e;

    /*
     * A dotted quad, parts of one to three digits up to 255, maybe with
     * ":port", is done here as ngx_anon_scrub_run() does it: truncated,
     * leading zeros read as decimal, whether ngx_anon_addr_parse() takes
     * the quad or ngx_anon_scrub_numbers() does; the text is kept if
     * truncation does not change the address.  The quad is read from 16
     * bytes: near the end, from a copy followed by zeros, which no part
     * of a quad is.
     */

    b = s;
    n = last - s;

    if (n < 16) {
        memset(sc->pad, 0, 16);
        ngx_anon_scrub_move(sc->pad, s, n);
        b = sc->pad;
    }

    p = ngx_anon_scrub_quad(b, &a);

    if (p == NULL) {
        return ngx_anon_scrub_other(sc, s, last);
    }

    p = s + (p - b);
    e = p;

    if (e != last) {

        if (*e == ':') {
            do {
                e++;
            } while (e != last && ngx_anon_is_digit(*e));

            if (e == p + 1) {
                return ngx_anon_scrub_other(sc, s, last);
            }
        }

        if (e != last && ngx_anon_scrub_class[*e]) {
            return ngx_anon_scrub_other(sc, s, last);
        }
    }

    t = a & sc->mask4;

    if (t != a) {
        ngx_anon_scrub_put4(sc, s, t);
        sc->copied = p;
    }

    return e;
}


/* the truncated quad t in place of the one at s; the port is copied later */

static void
ngx_anon_scrub_put4(ngx_anon_scrub_t *sc, const unsigned char *s, uint32_t t)
{
    size_t  n;

    ngx_anon_scrub_flush(sc, s);

    n = ngx_anon_scrub_format4(sc, t);

    if (sc->dst) {
        ngx_anon_scrub_move(sc->dst + sc->out, sc->text, n);
    }

    sc->out += n;
}


/* the text of the quad t in sc->text: its length */

static NGX_ANON_SCRUB_INLINE size_t
ngx_anon_scrub_format4(ngx_anon_scrub_t *sc, uint32_t t)
{
    /* the octets first, in the buffer the text goes to */

    sc->text[0] = (unsigned char) (t >> 24);
    sc->text[1] = (unsigned char) (t >> 16);
    sc->text[2] = (unsigned char) (t >> 8);
    sc->text[3] = (unsigned char) t;

    return ngx_anon_addr_format4(sc->text, sc->text);
}


/* any other run that starts at s, as ngx_anon_scrub_next() */

static NGX_ANON_SCRUB_NOINLINE const unsigned char *
ngx_anon_scrub_other(ngx_anon_scrub_t *sc, const unsigned char *s,
    const unsigned char *last)
{
    size_t                n, dots, colons;
    unsigned              pair;
    const unsigned char  *p;

    p = ngx_anon_scrub_span(s, last, &dots, &colons, &pair);

    /*
     * No address, dotted quad or IPv6-like text has fewer than three dots
     * and fewer than two colons: most runs ("5.0", "x86", "cafe") stay as
     * they are.  Neither do runs without dots, with fewer than six colons
     * and not looking like IPv6 ("2023:13:55:36"): no address is in them
     * without "::", and ngx_anon_scrub_numbers() copies them.  With "::"
     * (pair) they look like IPv6.
     */

    if (dots < 3 && colons < 2) {
        return p;
    }

    n = p - s;

    if (dots == 0 && colons < 6 && !pair && !ngx_anon_scrub_looks_ipv6(s, n))
    {
        return p;
    }

    ngx_anon_scrub_flush(sc, s);

    sc->out += ngx_anon_scrub_run(sc->dst ? sc->dst + sc->out : NULL, s, n,
                                  sc->prefix4, sc->prefix6);
    sc->copied = p;

    return p;
}


/*
 * The end of the run that starts at s, the numbers of its dots and colons,
 * and in *pair whether two of its colons are next to each other.
 */

static const unsigned char *
ngx_anon_scrub_span(const unsigned char *s, const unsigned char *last,
    size_t *dots, size_t *colons, unsigned *pair)
{
    size_t                d, c;
    unsigned              cls, prev, two;
    const unsigned char  *p;
#if (NGX_ANON_SCRUB_SSE2)
    unsigned              n, dm, cm;
#endif

    d = 0;
    c = 0;
    prev = 0;
    two = 0;
    p = s;

#if (NGX_ANON_SCRUB_SSE2)

    while (last - p >= 16) {
        cls = ngx_anon_scrub_masks(_mm_loadu_si128((const __m128i *) p), &dm,
                                   &cm, NULL);

        n = (unsigned) __builtin_ctz(~cls);
        cls = (1u << n) - 1;

        dm &= cls;
        cm &= cls;

        two |= (cm & (cm >> 1)) | (prev & cm);
        prev = cm >> 15;

        d += ngx_anon_scrub_bits(dm);
        c += ngx_anon_scrub_bits(cm);

        if (n < 16) {
            p += n;
            goto done;
        }

        p += 16;
    }

#endif

    for ( /* void */ ; p != last; p++) {
        cls = ngx_anon_scrub_class[*p];

        if (cls == 0) {
            break;
        }

        d += (cls >> 1) & 1;
        c += cls >> 2;

        two |= prev & (cls >> 2);
        prev = cls >> 2;
    }

#if (NGX_ANON_SCRUB_SSE2)
done:
#endif

    *dots = d;
    *colons = c;
    *pair = (two != 0);

    return p;
}


/*
 * Four parts of one to three digits up to 255 separated by dots, read as
 * decimal, from 16 bytes at p: the end of the fourth part, NULL if p does
 * not start so.
 */

static NGX_ANON_SCRUB_INLINE const unsigned char *
ngx_anon_scrub_quad(const unsigned char *p, uint32_t *addr)
{
    unsigned  v0, v1, v2, v3;

    p = ngx_anon_scrub_octet(p, &v0);

    if (p == NULL || *p != '.') {
        return NULL;
    }

    p = ngx_anon_scrub_octet(p + 1, &v1);

    if (p == NULL || *p != '.') {
        return NULL;
    }

    p = ngx_anon_scrub_octet(p + 1, &v2);

    if (p == NULL || *p != '.') {
        return NULL;
    }

    p = ngx_anon_scrub_octet(p + 1, &v3);

    if (p == NULL) {
        return NULL;
    }

    *addr = (uint32_t) v0 << 24 | v1 << 16 | v2 << 8 | v3;

    return p;
}


/*
 * One to three digits up to 255: the end, NULL if p does not start so.
 * Reads three bytes.
 */

static NGX_ANON_SCRUB_INLINE const unsigned char *
ngx_anon_scrub_octet(const unsigned char *p, unsigned *value)
{
    unsigned  v, c;

    if ((v = (unsigned) p[0] - '0') > 9) {
        return NULL;
    }

    if ((c = (unsigned) p[1] - '0') > 9) {
        *value = v;
        return p + 1;
    }

    v = v * 10 + c;

    if ((c = (unsigned) p[2] - '0') > 9) {
        *value = v;
        return p + 2;
    }

    v = v * 10 + c;

    if (v > 255) {
        return NULL;
    }

    *value = v;

    return p + 3;
}


/* the bytes from sc->copied to "to" go to the output as they are */

static NGX_ANON_SCRUB_INLINE void
ngx_anon_scrub_flush(ngx_anon_scrub_t *sc, const unsigned char *to)
{
    size_t  n;

    n = to - sc->copied;

    if (sc->dst) {
        ngx_anon_scrub_move(sc->dst + sc->out, sc->copied, n);
    }

    sc->out += n;
}


/* memcpy(), without a call for the few bytes between addresses */

static NGX_ANON_SCRUB_INLINE void
ngx_anon_scrub_move(unsigned char *dst, const unsigned char *s, size_t len)
{
    if (len > 16) {
        memcpy(dst, s, len);

    } else if (len >= 8) {
        memcpy(dst, s, 8);
        memcpy(dst + len - 8, s + len - 8, 8);

    } else if (len >= 4) {
        memcpy(dst, s, 4);
        memcpy(dst + len - 4, s + len - 4, 4);

    } else if (len >= 2) {
        memcpy(dst, s, 2);
        memcpy(dst + len - 2, s + len - 2, 2);

    } else if (len) {
        dst[0] = s[0];
    }
}

#else

size_t
ngx_anon_scrub(unsigned char *dst, const unsigned char *src, size_t len,
    unsigned prefix4, unsigned prefix6)
{
    size_t                out, n, dots, colons;
    unsigned              cls;
    const unsigned char  *p, *last, *start, *copied;

    /*
     * Bytes are copied lazily, from "copied" on, only when a run that may
     * hold an address is about to be written: most text is copied in a
     * few large pieces.
     */

    out = 0;
    p = src;
    last = src + len;
    copied = src;

    while (p < last) {

        if (ngx_anon_scrub_class[*p] == 0) {
            p++;
            continue;
        }

        start = p;
        dots = 0;
        colons = 0;

        do {
            cls = ngx_anon_scrub_class[*p++];
            dots += (cls >> 1) & 1;
            colons += cls >> 2;
        } while (p < last && ngx_anon_scrub_class[*p]);

        /*
         * No address, dotted quad or IPv6-like text has fewer than three
         * dots and fewer than two colons: most runs ("5.0", "x86", "cafe")
         * stay as they are.
         */

        if (dots < 3 && colons < 2) {
            continue;
        }

        n = start - copied;

        if (dst && n) {
            memcpy(dst + out, copied, n);
        }

        out += n;
        out += ngx_anon_scrub_run(dst ? dst + out : NULL, start, p - start,
                                  prefix4, prefix6);
        copied = p;
    }

    n = last - copied;

    if (dst && n) {
        memcpy(dst + out, copied, n);
    }

    return out + n;
}

#endif


static int
ngx_anon_scrub_is_hex(unsigned char ch)
{
    if (ngx_anon_is_digit(ch)) {
        return 1;
    }

    ch |= 0x20;

    return ch >= 'a' && ch <= 'f';
}


static size_t
ngx_anon_scrub_run(unsigned char *dst, const unsigned char *s, size_t len,
    unsigned prefix4, unsigned prefix6)
{
    size_t                n, head, tail;
    const unsigned char  *e, *last;

    n = ngx_anon_scrub_address(dst, s, len, prefix4, prefix6);
    if (n) {
        return n;
    }

    /*
     * Set aside a stray leading colon (also the first of ":::") and the
     * trailing dots and colons, but give "::" back to the address when the
     * trailing part starts with it: "2001:db8:::" is "2001:db8::" and ":",
     * while "2001:db8::1::" is no address followed by separators.  An
     * address must not be followed by "::": its printed end could be read
     * with it as another address ("1.2.3.4::" holds "4::", and
     * "1:2:3:4:0:5efe::::" cut to 8 bits would be "::5efe:0:0::").
     */

    head = (len > 1 && s[0] == ':'
            && (s[1] != ':' || (len > 2 && s[2] == ':'))) ? 1 : 0;

    last = s + len;
    e = last;

    while (e > s + head && (e[-1] == '.' || e[-1] == ':')) {
        e--;
    }

    if (last - e >= 2 && e[0] == ':' && e[1] == ':') {
        e += 2;
    }

    tail = last - e;

    if ((head || tail) && e > s + head
        && !(tail >= 2 && e[0] == ':' && e[1] == ':'))
    {
        n = ngx_anon_scrub_address(dst ? dst + head : NULL, s + head,
                                   e - s - head, prefix4, prefix6);
        if (n) {
            if (dst) {
                memcpy(dst, s, head);
                memcpy(dst + head + n, e, tail);
            }

            return head + n + tail;
        }
    }

    if (ngx_anon_scrub_looks_ipv6(s, len)) {
        ngx_anon_scrub_zero(dst, s, len);
        return len;
    }

    return ngx_anon_scrub_numbers(dst, s, len, prefix4);
}


/*
 * An address, or an IPv4 address with ":port", that is all of s: its
 * truncation (s itself if truncation changes nothing) is written and its
 * length returned; 0 if s is neither.
 */

static size_t
ngx_anon_scrub_address(unsigned char *dst, const unsigned char *s,
    size_t len, unsigned prefix4, unsigned prefix6)
{
    size_t                n, alen, port;
    unsigned char         addr[16];
    const unsigned char  *colon;

    if (len == 0) {
        return 0;
    }

    alen = ngx_anon_addr_parse(s, len, addr);

    if (alen) {
        return ngx_anon_scrub_put(dst, s, len, addr, alen, prefix4, prefix6);
    }

    colon = memchr(s, ':', len);
    if (colon == NULL) {
        return 0;
    }

    port = (s + len) - colon;

    if (port < 2) {
        return 0;
    }

    for (n = 1; n < port; n++) {
        if (!ngx_anon_is_digit(colon[n])) {
            return 0;
        }
    }

    if (ngx_anon_addr_parse(s, colon - s, addr) != 4) {
        return 0;
    }

    n = ngx_anon_scrub_put(dst, s, colon - s, addr, 4, prefix4, prefix6);

    if (dst) {
        memcpy(dst + n, colon, port);
    }

    return n + port;
}


static size_t
ngx_anon_scrub_put(unsigned char *dst, const unsigned char *s, size_t len,
    const unsigned char *addr, size_t alen, unsigned prefix4,
    unsigned prefix6)
{
    size_t         n;
    unsigned char  a[16], buf[NGX_ANON_ADDR_STRLEN];

    memcpy(a, addr, alen);

    if (alen == 4) {
        ngx_anon_addr_truncate4(a, prefix4);

    } else {
        ngx_anon_addr_truncate6(a, prefix4, prefix6);
    }

    /* already truncated: the text stays as it is */

    if (memcmp(a, addr, alen) == 0) {
        return ngx_anon_scrub_copy(dst, s, len);
    }

    n = ngx_anon_addr_format(a, alen, buf);

    return ngx_anon_scrub_copy(dst, buf, n);
}


/*
 * "::", six or more colons (every IPv6 text without "::" has them), or two
 * or more colons between hex digits with a hex letter or three or more
 * digits in a group right after a colon: "2001:db8:cafe", but neither
 * "2023:13:55:36" nor ":0A00010B:".
 */

static int
ngx_anon_scrub_looks_ipv6(const unsigned char *s, size_t len)
{
    int     hex;
    size_t  i, colons, inner, group;

    colons = 0;
    inner = 0;
    group = 0;
    hex = 0;

    for (i = 0; i < len; i++) {

        if (s[i] == ':') {
            if (i + 1 < len && s[i + 1] == ':') {
                return 1;
            }

            if (i > 0 && i + 1 < len
                && ngx_anon_scrub_is_hex(s[i - 1])
                && ngx_anon_scrub_is_hex(s[i + 1]))
            {
                inner++;
            }

            colons++;
            group = 1;
            continue;
        }

        if (s[i] == '.') {
            group = 0;
            continue;
        }

        /* group counts the characters after a colon plus one */

        if (group == 0) {
            continue;
        }

        if (!ngx_anon_is_digit(s[i]) || ++group > 3) {
            hex = 1;
        }
    }

    return colons >= 6 || (inner >= 2 && hex);
}


/*
 * Numbers separated by single dots: an exact dotted quad (parts of one to
 * three digits up to 255, leading zeros read as decimal) is truncated;
 * four or more numbers that are not one quad but hold one have all their
 * digits replaced by "0".
 */

static size_t
ngx_anon_scrub_numbers(unsigned char *dst, const unsigned char *s,
    size_t len, unsigned prefix4)
{
    size_t  i, out, used;

    out = 0;
    i = 0;

    while (i < len) {

        if (!ngx_anon_is_digit(s[i])) {
            if (dst) {
                dst[out] = s[i];
            }

            out++;
            i++;
            continue;
        }

        out += ngx_anon_scrub_sequence(dst ? dst + out : NULL, s + i, len - i,
                                       prefix4, &used);
        i += used;
    }

    return out;
}


static size_t
ngx_anon_scrub_sequence(unsigned char *dst, const unsigned char *s,
    size_t len, unsigned prefix4, size_t *used)
{
    int            octet, prev;
    size_t         i, n, start, parts, octets, pair;
    unsigned       value;
    unsigned char  a4[4], t4[4], buf[NGX_ANON_ADDR_STRLEN];

    /*
     * The numbers from s on, "1.2.3.4.5" as a whole.  A dotted quad inside
     * them starts in one number and ends in the third one after it, and
     * the two between are octets, so "1198.51.100.7" and "1.2.3.45678"
     * hold quads, "120.0.6099.109" does not.  "pair" is the first number
     * that is an octet after an octet after some number.
     */

    i = 0;
    parts = 0;
    octets = 0;
    pair = 0;
    prev = 0;

    for ( ;; ) {
        start = i;
        value = 0;

        while (i < len && ngx_anon_is_digit(s[i])) {
            if (i - start < 3) {
                value = value * 10 + (s[i] - '0');
            }

            i++;
        }

        octet = (i - start <= 3 && value <= 255);

        if (octet) {
            if (parts < 4) {
                a4[parts] = (unsigned char) value;
            }

            octets++;

            if (prev && parts >= 2 && pair == 0) {
                pair = parts;
            }
        }

        prev = octet;
        parts++;

        if (i + 1 < len && s[i] == '.' && ngx_anon_is_digit(s[i + 1])) {
            i++;
            continue;
        }

        break;
    }

    *used = i;

    if (parts == 4 && octets == 4) {
        memcpy(t4, a4, 4);
        ngx_anon_addr_truncate4(t4, prefix4);

        if (memcmp(t4, a4, 4) == 0) {
            return ngx_anon_scrub_copy(dst, s, i);
        }

        n = ngx_anon_addr_format(t4, 4, buf);

        return ngx_anon_scrub_copy(dst, buf, n);
    }

    if (pair && parts >= pair + 2) {
        ngx_anon_scrub_zero(dst, s, i);
        return i;
    }

    return ngx_anon_scrub_copy(dst, s, i);
}


/* every digit and hex letter becomes "0", dots and colons stay */

static void
ngx_anon_scrub_zero(unsigned char *dst, const unsigned char *s, size_t len)
{
    size_t  i;

    if (dst == NULL) {
        return;
    }

    for (i = 0; i < len; i++) {
        dst[i] = (s[i] == ':' || s[i] == '.') ? s[i] : '0';
    }
}


static size_t
ngx_anon_scrub_copy(unsigned char *dst, const unsigned char *s, size_t len)
{
    if (dst && len) {
        memcpy(dst, s, len);
    }

    return len;
}
