
/*
 * Copyright (C) ngx_anon authors
 */


#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ngx_anon_addr.h"


/*
 * NGX_ANON_ADDR_REFERENCE set to 1 builds the plain versions of the
 * functions that have faster ones here, to compare them with.
 */

#ifndef NGX_ANON_ADDR_REFERENCE
#define NGX_ANON_ADDR_REFERENCE  0
#endif


static void ngx_anon_addr_mask(unsigned char *p, size_t len, unsigned bits);
static int ngx_anon_addr_is_zero(const unsigned char *p, size_t len);
static void ngx_anon_addr_apply6(unsigned char *a6, int kind,
    unsigned prefix4, unsigned prefix6);
static size_t ngx_anon_addr_parse4(const unsigned char *p, size_t len,
    unsigned char *addr);
static size_t ngx_anon_addr_parse6(const unsigned char *p, size_t len,
    unsigned char *addr);
#if (NGX_ANON_ADDR_REFERENCE)
static int ngx_anon_addr_hex_digit(unsigned c);
#endif
#if (NGX_ANON_ADDR_REFERENCE)
static unsigned char *ngx_anon_addr_put_dec(unsigned char *b, unsigned v);
#endif
static unsigned char *ngx_anon_addr_put_hex(unsigned char *b, unsigned v);
static unsigned char *ngx_anon_addr_put_quad(unsigned char *b,
    const unsigned char *a4);


#if !(NGX_ANON_ADDR_REFERENCE)

/*
 * The decimal text of every octet value followed by a dot, "7." to "255.",
 * in four bytes (the rest are zero), and its length with the dot.
 */

#define ngx_anon_addr_octet(v)                                                \
    { (unsigned char) ((v) >= 100 ? '0' + (v) / 100                           \
                       : (v) >= 10 ? '0' + (v) / 10 : '0' + (v)),              \
      (unsigned char) ((v) >= 100 ? '0' + (v) / 10 % 10                        \
                       : (v) >= 10 ? '0' + (v) % 10 : '.'),                    \
      (unsigned char) ((v) >= 100 ? '0' + (v) % 10 : (v) >= 10 ? '.' : 0),     \
      (unsigned char) ((v) >= 100 ? '.' : 0) }

#define ngx_anon_addr_octet4(v)                                               \
    ngx_anon_addr_octet(v), ngx_anon_addr_octet(v + 1),                       \
    ngx_anon_addr_octet(v + 2), ngx_anon_addr_octet(v + 3)

#define ngx_anon_addr_octet16(v)                                              \
    ngx_anon_addr_octet4(v), ngx_anon_addr_octet4(v + 4),                     \
    ngx_anon_addr_octet4(v + 8), ngx_anon_addr_octet4(v + 12)

#define ngx_anon_addr_octet_len(v)                                            \
    (unsigned char) (2 + ((v) >= 10) + ((v) >= 100))

#define ngx_anon_addr_octet_len4(v)                                           \
    ngx_anon_addr_octet_len(v), ngx_anon_addr_octet_len(v + 1),               \
    ngx_anon_addr_octet_len(v + 2), ngx_anon_addr_octet_len(v + 3)

#define ngx_anon_addr_octet_len16(v)                                          \
    ngx_anon_addr_octet_len4(v), ngx_anon_addr_octet_len4(v + 4),             \
    ngx_anon_addr_octet_len4(v + 8), ngx_anon_addr_octet_len4(v + 12)


static const unsigned char  ngx_anon_addr_octets[256][4] = {
    ngx_anon_addr_octet16(0), ngx_anon_addr_octet16(16),
    ngx_anon_addr_octet16(32), ngx_anon_addr_octet16(48),
    ngx_anon_addr_octet16(64), ngx_anon_addr_octet16(80),
    ngx_anon_addr_octet16(96), ngx_anon_addr_octet16(112),
    ngx_anon_addr_octet16(128), ngx_anon_addr_octet16(144),
    ngx_anon_addr_octet16(160), ngx_anon_addr_octet16(176),
    ngx_anon_addr_octet16(192), ngx_anon_addr_octet16(208),
    ngx_anon_addr_octet16(224), ngx_anon_addr_octet16(240)
};


static const unsigned char  ngx_anon_addr_octet_lens[256] = {
    ngx_anon_addr_octet_len16(0), ngx_anon_addr_octet_len16(16),
    ngx_anon_addr_octet_len16(32), ngx_anon_addr_octet_len16(48),
    ngx_anon_addr_octet_len16(64), ngx_anon_addr_octet_len16(80),
    ngx_anon_addr_octet_len16(96), ngx_anon_addr_octet_len16(112),
    ngx_anon_addr_octet_len16(128), ngx_anon_addr_octet_len16(144),
    ngx_anon_addr_octet_len16(160), ngx_anon_addr_octet_len16(176),
    ngx_anon_addr_octet_len16(192), ngx_anon_addr_octet_len16(208),
    ngx_anon_addr_octet_len16(224), ngx_anon_addr_octet_len16(240)
};


/* the value of a hex digit, 0xff for other bytes */

#define ngx_anon_addr_xd(c)                                                   \
    (unsigned char) ((c) >= '0' && (c) <= '9' ? (c) - '0'                     \
                     : (c) >= 'a' && (c) <= 'f' ? (c) - 'a' + 10              \
                     : (c) >= 'A' && (c) <= 'F' ? (c) - 'A' + 10 : 0xff)

#define ngx_anon_addr_xd4(c)                                                  \
    ngx_anon_addr_xd(c), ngx_anon_addr_xd(c + 1),                             \
    ngx_anon_addr_xd(c + 2), ngx_anon_addr_xd(c + 3)

#define ngx_anon_addr_xd16(c)                                                 \
    ngx_anon_addr_xd4(c), ngx_anon_addr_xd4(c + 4),                           \
    ngx_anon_addr_xd4(c + 8), ngx_anon_addr_xd4(c + 12)


static const unsigned char  ngx_anon_addr_hex[256] = {
    ngx_anon_addr_xd16(0), ngx_anon_addr_xd16(16),
    ngx_anon_addr_xd16(32), ngx_anon_addr_xd16(48),
    ngx_anon_addr_xd16(64), ngx_anon_addr_xd16(80),
    ngx_anon_addr_xd16(96), ngx_anon_addr_xd16(112),
    ngx_anon_addr_xd16(128), ngx_anon_addr_xd16(144),
    ngx_anon_addr_xd16(160), ngx_anon_addr_xd16(176),
    ngx_anon_addr_xd16(192), ngx_anon_addr_xd16(208),
    ngx_anon_addr_xd16(224), ngx_anon_addr_xd16(240)
};

#endif


int
ngx_anon_addr_kind6(const unsigned char *a6)
{
    if (ngx_anon_addr_is_zero(a6, 10)) {

        if (a6[10] == 0xff && a6[11] == 0xff) {
            return NGX_ANON_V6_MAPPED;
        }

        /* "::" and "::1" are ordinary addresses, not compatible ones */

        if (a6[10] == 0 && a6[11] == 0
            && !(ngx_anon_addr_is_zero(a6 + 12, 3) && a6[15] <= 1))
        {
            return NGX_ANON_V6_COMPAT;
        }
    }

    if (a6[0] == 0x00 && a6[1] == 0x64 && a6[2] == 0xff && a6[3] == 0x9b) {

        if (ngx_anon_addr_is_zero(a6 + 4, 8)) {
            return NGX_ANON_V6_NAT64;
        }

        if (a6[4] == 0x00 && a6[5] == 0x01) {
            return NGX_ANON_V6_NAT64_LOCAL;
        }
    }

    if (a6[0] == 0x20 && a6[1] == 0x02) {
        return NGX_ANON_V6_6TO4;
    }

    if (a6[0] == 0x20 && a6[1] == 0x01 && a6[2] == 0x00 && a6[3] == 0x00) {
        return NGX_ANON_V6_TEREDO;
    }

    /* RFC 5214: interface identifier 0000:5efe or 0200:5efe */

    if ((a6[8] == 0x00 || a6[8] == 0x02)
        && a6[9] == 0x00 && a6[10] == 0x5e && a6[11] == 0xfe)
    {
        return NGX_ANON_V6_ISATAP;
    }

    return NGX_ANON_V6_NATIVE;
}


void
ngx_anon_addr_truncate4(unsigned char *a4, unsigned prefix4)
{
    ngx_anon_addr_mask(a4, 4, prefix4);
}


void
ngx_anon_addr_truncate6(unsigned char *a6, unsigned prefix4,
    unsigned prefix6)
{
    int  kind;

    /*
     * Truncation only clears bits, and a cleared ISATAP prefix may turn
     * into another form: 2003::/16 cut to 15 bits is 2002::/16 (6to4),
     * 2001:1::/32 cut to 16..31 bits is 2001:0::/32 (Teredo).  The rule of
     * the new form is applied then, until the form no longer changes, so
     * that truncating the result again gives the same result.  Each round
     * that does not end the loop clears at least one bit, so it ends.
     */

    for ( ;; ) {
        kind = ngx_anon_addr_kind6(a6);

        ngx_anon_addr_apply6(a6, kind, prefix4, prefix6);

        if (ngx_anon_addr_kind6(a6) == kind) {
            return;
        }
    }
}


size_t
ngx_anon_addr_parse(const unsigned char *p, size_t len, unsigned char *addr)
{
    if (len == 0) {
        return 0;
    }

    if (memchr(p, ':', len) != NULL) {
        return ngx_anon_addr_parse6(p, len, addr);
    }

    return ngx_anon_addr_parse4(p, len, addr);
}


size_t
ngx_anon_addr_format(const unsigned char *addr, size_t alen,
    unsigned char *buf)
{
    int             sep;
    unsigned        i, len, best, groups, g[8];
    unsigned char  *b;
#if !(NGX_ANON_ADDR_REFERENCE)
    unsigned        zero, runs, prev;
#else
    unsigned        run, start;
#endif

    if (alen == 4) {
        return (size_t) (ngx_anon_addr_put_quad(buf, addr) - buf);
    }

    if (alen != 16) {
        return 0;
    }

#if !(NGX_ANON_ADDR_REFERENCE)

    zero = 0;

    for (i = 0; i < 8; i++) {
        g[i] = (unsigned) addr[2 * i] << 8 | addr[2 * i + 1];
        zero |= (unsigned) (g[i] == 0) << i;
    }

    /*
     * The first longest run of two or more zero groups: after len rounds
     * bit i of "runs" is set if groups i to i + len - 1 are zero.
     */

    best = 8;
    len = 0;
    prev = 0;

    for (runs = zero; runs; runs &= runs >> 1) {
        prev = runs;
        len++;
    }

    if (len >= 2) {
        for (best = 0; !(prev & 1); best++) {
            prev >>= 1;
        }
    }

#else

    for (i = 0; i < 8; i++) {
        g[i] = (unsigned) addr[2 * i] << 8 | addr[2 * i + 1];
    }

    /* the first longest run of two or more zero groups */

    best = 8;
    len = 1;
    run = 0;
    start = 0;

    for (i = 0; i < 8; i++) {

        if (g[i] != 0) {
            run = 0;
            continue;
        }

        if (run++ == 0) {
            start = i;
        }

        if (run > len) {
            best = start;
            len = run;
        }
    }

#endif

    /*
     * A dotted quad follows "::" as nginx prints it (observed with nginx
     * 1.22.1): a run of 5 zero groups and then ffff, a run of 6, or a run
     * of 7 where byte 14 is not 0 and byte 15 is not 1, so "::0.0.1.0" but
     * "::101" and "::201".
     */

    groups = 8;

    if (best == 0
        && ((len == 5 && g[5] == 0xffff)
            || len == 6
            || (len == 7 && addr[14] != 0 && addr[15] != 1)))
    {
        groups = 6;
    }

    b = buf;
    sep = 0;
    i = 0;

    while (i < groups) {

        if (i == best) {
            *b++ = ':';
            *b++ = ':';
            i += len;
            sep = 0;
            continue;
        }

        if (sep) {
            *b++ = ':';
        }

        b = ngx_anon_addr_put_hex(b, g[i]);
        sep = 1;
        i++;
    }

    if (groups == 6) {

        if (sep) {
            *b++ = ':';
        }

        b = ngx_anon_addr_put_quad(b, addr + 12);
    }

    return (size_t) (b - buf);
}


size_t
ngx_anon_addr_truncate_text(const unsigned char *p, size_t len,
    unsigned char *buf, unsigned prefix4, unsigned prefix6)
{
    size_t         alen;
    unsigned char  addr[16];

    alen = ngx_anon_addr_parse(p, len, addr);

    if (alen == 4) {
        ngx_anon_addr_truncate4(addr, prefix4);

    } else if (alen == 16) {
        ngx_anon_addr_truncate6(addr, prefix4, prefix6);

    } else {
        return 0;
    }

    return ngx_anon_addr_format(addr, alen, buf);
}


/* keep the first "bits" bits of p[0] .. p[len - 1], clear the rest */

static void
ngx_anon_addr_mask(unsigned char *p, size_t len, unsigned bits)
{
    size_t  n;

    n = bits / 8;

    if (n >= len) {
        return;
    }

    if (bits % 8) {
        p[n] &= (unsigned char) (0xff << (8 - bits % 8));
        n++;
    }

    memset(p + n, 0, len - n);
}


static int
ngx_anon_addr_is_zero(const unsigned char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (p[i] != 0) {
            return 0;
        }
    }

    return 1;
}


/* apply the rule of "kind" once */

static void
ngx_anon_addr_apply6(unsigned char *a6, int kind, unsigned prefix4,
    unsigned prefix6)
{
    switch (kind) {

    case NGX_ANON_V6_MAPPED:
    case NGX_ANON_V6_COMPAT:
    case NGX_ANON_V6_NAT64:

        /* bytes 0..11 are the well-known prefix itself */

        ngx_anon_addr_mask(a6 + 12, 4, prefix4);
        break;

    case NGX_ANON_V6_NAT64_LOCAL:
        ngx_anon_addr_mask(a6, 16, 48);
        break;

    case NGX_ANON_V6_6TO4:
        ngx_anon_addr_mask(a6 + 2, 4, prefix4);
        memset(a6 + 6, 0, 10);
        break;

    case NGX_ANON_V6_TEREDO:
        ngx_anon_addr_mask(a6, 16, 32);
        break;

    case NGX_ANON_V6_ISATAP:
        ngx_anon_addr_mask(a6, 8, prefix6 < 64 ? prefix6 : 64);
        ngx_anon_addr_mask(a6 + 12, 4, prefix4);
        break;

    default: /* NGX_ANON_V6_NATIVE */
        ngx_anon_addr_mask(a6, 16, prefix6);
        break;
    }
}


/*
 * Exactly four decimal parts 0..255 separated by dots.  A part may not
 * have a leading zero ("01", "010"): some parsers read such parts as octal,
 * so refusing them removes the ambiguity.
 */

#if !(NGX_ANON_ADDR_REFERENCE)

static size_t
ngx_anon_addr_parse4(const unsigned char *p, size_t len, unsigned char *addr)
{
    unsigned              i, c, v;
    unsigned char         a4[4];
    const unsigned char  *last;

    last = p + len;

    for (i = 0; /* void */ ; i++) {

        /* one to three digits, no leading zero, up to 255 */

        if (p == last || (v = (unsigned) *p - '0') > 9) {
            return 0;
        }

        p++;

        if (p != last && (c = (unsigned) *p - '0') <= 9) {

            if (v == 0) {
                return 0;
            }

            v = v * 10 + c;
            p++;

            if (p != last && (c = (unsigned) *p - '0') <= 9) {
                v = v * 10 + c;
                p++;

                if (v > 255) {
                    return 0;
                }
            }
        }

        a4[i] = (unsigned char) v;

        if (i == 3) {
            break;
        }

        if (p == last || *p != '.') {
            return 0;
        }

        p++;
    }

    if (p != last) {
        return 0;
    }

    memcpy(addr, a4, 4);

    return 4;
}

#else

static size_t
ngx_anon_addr_parse4(const unsigned char *p, size_t len, unsigned char *addr)
{
    size_t         i, n;
    unsigned       c, part, digits;
    unsigned char  a4[4];

    n = 0;
    part = 0;
    digits = 0;

    for (i = 0; i < len; i++) {
        c = p[i];

        if (c >= '0' && c <= '9') {

            if (digits == 1 && part == 0) {
                return 0;
            }

            part = part * 10 + (c - '0');

            if (part > 255) {
                return 0;
            }

            digits++;
            continue;
        }

        if (c == '.' && digits != 0 && n < 3) {
            a4[n++] = (unsigned char) part;
            part = 0;
            digits = 0;
            continue;
        }

        return 0;
    }

    if (n != 3 || digits == 0) {
        return 0;
    }

    a4[3] = (unsigned char) part;

    memcpy(addr, a4, 4);

    return 4;
}

#endif


/*
 * Groups of 1..4 hex digits, at most one "::" standing for one or more
 * zero groups, and optionally a dotted quad for the last 32 bits.
 */

#if !(NGX_ANON_ADDR_REFERENCE)

static size_t
ngx_anon_addr_parse6(const unsigned char *p, size_t len, unsigned char *addr)
{
    int                   gap;
    size_t                n;
    unsigned              v, x;
    unsigned char         a6[16];
    const unsigned char  *last, *start;

    last = p + len;
    n = 0;
    gap = -1;

    if (len >= 2 && p[0] == ':' && p[1] == ':') {
        gap = 0;
        p += 2;

    } else if (len >= 1 && p[0] == ':') {
        return 0;
    }

    while (p != last) {
        start = p;

        /* one to four hex digits */

        v = ngx_anon_addr_hex[*p];

        if (v > 15) {
            return 0;
        }

        p++;

        if (p != last && (x = ngx_anon_addr_hex[*p]) <= 15) {
            v = v << 4 | x;
            p++;

            if (p != last && (x = ngx_anon_addr_hex[*p]) <= 15) {
                v = v << 4 | x;
                p++;

                if (p != last && (x = ngx_anon_addr_hex[*p]) <= 15) {
                    v = v << 4 | x;
                    p++;
                }
            }
        }

        if (p != last && *p == '.') {

            if (n > 12
                || ngx_anon_addr_parse4(start, last - start, a6 + n) != 4)
            {
                return 0;
            }

            n += 4;
            break;
        }

        if (n == 16) {
            return 0;
        }

        a6[n++] = (unsigned char) (v >> 8);
        a6[n++] = (unsigned char) (v & 0xff);

        if (p == last) {
            break;
        }

        if (*p != ':') {
            return 0;
        }

        if (++p == last) {
            return 0;
        }

        if (*p == ':') {

            if (gap >= 0) {
                return 0;
            }

            gap = (int) n;
            p++;
        }
    }

    if (gap < 0) {

        if (n != 16) {
            return 0;
        }

    } else {

        if (n > 14) {
            return 0;
        }

        memmove(a6 + 16 - (n - gap), a6 + gap, n - gap);
        memset(a6 + gap, 0, 16 - n);
    }

    memcpy(addr, a6, 16);

    return 16;
}

#else

static size_t
ngx_anon_addr_parse6(const unsigned char *p, size_t len, unsigned char *addr)
{
    int            d, x, gap;
    size_t         i, n, start;
    unsigned       v;
    unsigned char  a6[16];

    n = 0;
    i = 0;
    gap = -1;

    if (len >= 2 && p[0] == ':' && p[1] == ':') {
        gap = 0;
        i = 2;

    } else if (len >= 1 && p[0] == ':') {
        return 0;
    }

    while (i < len) {
        start = i;
        v = 0;

        for (d = 0; d < 4 && i < len; d++) {

            x = ngx_anon_addr_hex_digit(p[i]);

            if (x < 0) {
                break;
            }

            v = v << 4 | (unsigned) x;
            i++;
        }

        if (d == 0) {
            return 0;
        }

        if (i < len && p[i] == '.') {

            if (n > 12
                || ngx_anon_addr_parse4(p + start, len - start, a6 + n) != 4)
            {
                return 0;
            }

            n += 4;
            break;
        }

        if (n == 16) {
            return 0;
        }

        a6[n++] = (unsigned char) (v >> 8);
        a6[n++] = (unsigned char) (v & 0xff);

        if (i == len) {
            break;
        }

        if (p[i] != ':') {
            return 0;
        }

        if (++i == len) {
            return 0;
        }

        if (p[i] == ':') {

            if (gap >= 0) {
                return 0;
            }

            gap = (int) n;
            i++;
        }
    }

    if (gap < 0) {

        if (n != 16) {
            return 0;
        }

    } else {

        if (n > 14) {
            return 0;
        }

        memmove(a6 + 16 - (n - gap), a6 + gap, n - gap);
        memset(a6 + gap, 0, 16 - n);
    }

    memcpy(addr, a6, 16);

    return 16;
}

#endif


#if (NGX_ANON_ADDR_REFERENCE)

static int
ngx_anon_addr_hex_digit(unsigned c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}

#endif


#if !(NGX_ANON_ADDR_REFERENCE)

static unsigned char *
ngx_anon_addr_put_hex(unsigned char *b, unsigned v)
{
    static const unsigned char  hex[] = "0123456789abcdef";

    if (v >= 0x1000) {
        *b++ = hex[v >> 12];
    }

    if (v >= 0x100) {
        *b++ = hex[(v >> 8) & 0xf];
    }

    if (v >= 0x10) {
        *b++ = hex[(v >> 4) & 0xf];
    }

    *b++ = hex[v & 0xf];

    return b;
}

#else

static unsigned char *
ngx_anon_addr_put_hex(unsigned char *b, unsigned v)
{
    int  shift;

    shift = 12;

    while (shift > 0 && (v >> shift) == 0) {
        shift -= 4;
    }

    while (shift >= 0) {
        *b++ = (unsigned char) "0123456789abcdef"[(v >> shift) & 0xf];
        shift -= 4;
    }

    return b;
}

#endif


#if !(NGX_ANON_ADDR_REFERENCE)

size_t
ngx_anon_addr_format4(const unsigned char *a4, unsigned char *buf)
{
    size_t    n;
    unsigned  o0, o1, o2, o3;

    /*
     * Four bytes at a time from the table: 7 to 15, and at most 16
     * written.  The octets are read first: buf may overlap a4.
     */

    o0 = a4[0];
    o1 = a4[1];
    o2 = a4[2];
    o3 = a4[3];

    memcpy(buf, ngx_anon_addr_octets[o0], 4);
    n = ngx_anon_addr_octet_lens[o0];

    memcpy(buf + n, ngx_anon_addr_octets[o1], 4);
    n += ngx_anon_addr_octet_lens[o1];

    memcpy(buf + n, ngx_anon_addr_octets[o2], 4);
    n += ngx_anon_addr_octet_lens[o2];

    memcpy(buf + n, ngx_anon_addr_octets[o3], 4);

    return n + ngx_anon_addr_octet_lens[o3] - 1;
}


/*
 * The text is put together in buf four bytes at a time from the table and
 * then copied: exactly its length is written to b.
 */

static unsigned char *
ngx_anon_addr_put_quad(unsigned char *b, const unsigned char *a4)
{
    size_t         n;
    unsigned char  buf[16];

    memcpy(buf, ngx_anon_addr_octets[a4[0]], 4);
    n = ngx_anon_addr_octet_lens[a4[0]];

    memcpy(buf + n, ngx_anon_addr_octets[a4[1]], 4);
    n += ngx_anon_addr_octet_lens[a4[1]];

    memcpy(buf + n, ngx_anon_addr_octets[a4[2]], 4);
    n += ngx_anon_addr_octet_lens[a4[2]];

    memcpy(buf + n, ngx_anon_addr_octets[a4[3]], 4);
    n += ngx_anon_addr_octet_lens[a4[3]] - 1;

    /* 7 to 15 bytes, in two pieces that may overlap */

    if (n >= 8) {
        memcpy(b, buf, 8);
        memcpy(b + n - 8, buf + n - 8, 8);

    } else {
        memcpy(b, buf, 4);
        memcpy(b + n - 4, buf + n - 4, 4);
    }

    return b + n;
}

#else

size_t
ngx_anon_addr_format4(const unsigned char *a4, unsigned char *buf)
{
    return (size_t) (ngx_anon_addr_put_quad(buf, a4) - buf);
}


static unsigned char *
ngx_anon_addr_put_dec(unsigned char *b, unsigned v)
{
    if (v >= 100) {
        *b++ = (unsigned char) ('0' + v / 100);
    }

    if (v >= 10) {
        *b++ = (unsigned char) ('0' + v / 10 % 10);
    }

    *b++ = (unsigned char) ('0' + v % 10);

    return b;
}


static unsigned char *
ngx_anon_addr_put_quad(unsigned char *b, const unsigned char *a4)
{
    b = ngx_anon_addr_put_dec(b, a4[0]);
    *b++ = '.';
    b = ngx_anon_addr_put_dec(b, a4[1]);
    *b++ = '.';
    b = ngx_anon_addr_put_dec(b, a4[2]);
    *b++ = '.';
    b = ngx_anon_addr_put_dec(b, a4[3]);

    return b;
}

#endif
