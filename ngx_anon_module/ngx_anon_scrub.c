
/*
 * Copyright (C) ngx_anon authors
 */


#include <string.h>

#include "ngx_anon_addr.h"
#include "ngx_anon_scrub.h"


#define ngx_anon_is_digit(ch)  ((ch) >= '0' && (ch) <= '9')


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
