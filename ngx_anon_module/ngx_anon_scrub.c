
/*
 * Copyright (C) ngx_anon authors
 */


#include <string.h>

#include "ngx_anon_addr.h"
#include "ngx_anon_scrub.h"


#define ngx_anon_is_digit(ch)  ((ch) >= '0' && (ch) <= '9')


static int ngx_anon_scrub_is_run(unsigned char ch);
static size_t ngx_anon_scrub_run(unsigned char *dst, const unsigned char *s,
    size_t len, unsigned prefix4, unsigned prefix6);
static size_t ngx_anon_scrub_address(unsigned char *dst,
    const unsigned char *s, size_t len, unsigned prefix4, unsigned prefix6);
static size_t ngx_anon_scrub_quads(unsigned char *dst,
    const unsigned char *s, size_t len, unsigned prefix4);
static size_t ngx_anon_scrub_quad(const unsigned char *s, size_t len,
    unsigned char *a4);
static int ngx_anon_scrub_looks_ipv6(const unsigned char *s, size_t len);
static size_t ngx_anon_scrub_copy(unsigned char *dst,
    const unsigned char *s, size_t len);


size_t
ngx_anon_scrub(unsigned char *dst, const unsigned char *src, size_t len,
    unsigned prefix4, unsigned prefix6)
{
    size_t                n, out;
    const unsigned char  *p, *last, *start;

    out = 0;
    p = src;
    last = src + len;

    while (p < last) {

        start = p;

        if (!ngx_anon_scrub_is_run(*p)) {
            while (p < last && !ngx_anon_scrub_is_run(*p)) {
                p++;
            }

            out += ngx_anon_scrub_copy(dst ? dst + out : NULL, start,
                                       p - start);
            continue;
        }

        while (p < last && ngx_anon_scrub_is_run(*p)) {
            p++;
        }

        n = ngx_anon_scrub_run(dst ? dst + out : NULL, start, p - start,
                               prefix4, prefix6);
        out += n;
    }

    return out;
}


static int
ngx_anon_scrub_is_run(unsigned char ch)
{
    if (ngx_anon_is_digit(ch) || ch == '.' || ch == ':') {
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
    const unsigned char  *e;

    n = ngx_anon_scrub_address(dst, s, len, prefix4, prefix6);
    if (n) {
        return n;
    }

    /* set aside a single leading colon and trailing dots and colons */

    head = (len > 1 && s[0] == ':' && s[1] != ':') ? 1 : 0;

    e = s + len;

    while (e > s + head && (e[-1] == '.' || e[-1] == ':')) {
        if (e[-1] == ':' && e - 1 > s + head && e[-2] == ':') {
            break;
        }

        e--;
    }

    tail = (s + len) - e;

    if (head || tail) {
        n = ngx_anon_scrub_address(dst ? dst + head : NULL, s + head,
                                   len - head - tail, prefix4, prefix6);
        if (n) {
            if (dst) {
                memcpy(dst, s, head);
                memcpy(dst + head + n, e, tail);
            }

            return head + n + tail;
        }
    }

    if (ngx_anon_scrub_looks_ipv6(s, len)) {

        if (dst) {
            for (n = 0; n < len; n++) {
                dst[n] = (s[n] == ':' || s[n] == '.') ? s[n] : '0';
            }
        }

        return len;
    }

    return ngx_anon_scrub_quads(dst, s, len, prefix4);
}


static size_t
ngx_anon_scrub_address(unsigned char *dst, const unsigned char *s,
    size_t len, unsigned prefix4, unsigned prefix6)
{
    size_t                n, port;
    const unsigned char  *colon;
    unsigned char         buf[NGX_ANON_ADDR_STRLEN];

    if (len == 0) {
        return 0;
    }

    n = ngx_anon_addr_truncate_text(s, len, buf, prefix4, prefix6);

    if (n) {
        return ngx_anon_scrub_copy(dst, buf, n);
    }

    /* an IPv4 address with a port */

    colon = memchr(s, ':', len);
    if (colon == NULL) {
        return 0;
    }

    port = (s + len) - colon;

    for (n = 1; n < port; n++) {
        if (!ngx_anon_is_digit(colon[n])) {
            return 0;
        }
    }

    n = ngx_anon_addr_truncate_text(s, colon - s, buf, prefix4, prefix6);

    if (n == 0 || memchr(buf, ':', n) != NULL) {
        return 0;
    }

    if (dst) {
        memcpy(dst, buf, n);
        memcpy(dst + n, colon, port);
    }

    return n + port;
}


static size_t
ngx_anon_scrub_quads(unsigned char *dst, const unsigned char *s, size_t len,
    unsigned prefix4)
{
    size_t         i, n, q, out;
    unsigned char  a4[4], buf[NGX_ANON_ADDR_STRLEN];

    out = 0;
    i = 0;

    while (i < len) {

        q = ngx_anon_is_digit(s[i])
            ? ngx_anon_scrub_quad(s + i, len - i, a4) : 0;

        if (q) {
            ngx_anon_addr_truncate4(a4, prefix4);
            n = ngx_anon_addr_format(a4, 4, buf);
            out += ngx_anon_scrub_copy(dst ? dst + out : NULL, buf, n);
            i += q;
            continue;
        }

        if (dst) {
            dst[out] = s[i];
        }

        out++;
        i++;
    }

    return out;
}


static size_t
ngx_anon_scrub_quad(const unsigned char *s, size_t len, unsigned char *a4)
{
    size_t    i, part, digits;
    unsigned  value;

    /*
     * The dotted quad that starts at s, its length or 0 if none.  Leading
     * zeros are read as decimal: "010.001.002.003" is 10.1.2.3 here.
     */

    i = 0;

    for (part = 0; part < 4; part++) {

        if (part) {
            if (i >= len || s[i] != '.') {
                return 0;
            }

            i++;
        }

        value = 0;
        digits = 0;

        while (i < len && ngx_anon_is_digit(s[i]) && digits < 3) {

            if (value * 10 + (s[i] - '0') > 255) {
                break;
            }

            value = value * 10 + (s[i] - '0');
            digits++;
            i++;
        }

        if (digits == 0) {
            return 0;
        }

        if (part < 3 && i < len && ngx_anon_is_digit(s[i])) {
            return 0;
        }

        a4[part] = (unsigned char) value;
    }

    return i;
}


static int
ngx_anon_scrub_looks_ipv6(const unsigned char *s, size_t len)
{
    size_t  i, colons, group;
    int     hex;

    colons = 0;
    group = 0;
    hex = 0;

    for (i = 0; i < len; i++) {

        if (s[i] == ':') {
            if (i + 1 < len && s[i + 1] == ':') {
                return 1;
            }

            colons++;
            group = 0;
            continue;
        }

        if (s[i] == '.') {
            group = 0;
            continue;
        }

        if (!ngx_anon_is_digit(s[i])) {
            hex = 1;
        }

        if (++group >= 3) {
            hex = 1;
        }
    }

    return colons >= 2 && hex;
}


static size_t
ngx_anon_scrub_copy(unsigned char *dst, const unsigned char *s, size_t len)
{
    if (dst && len) {
        memcpy(dst, s, len);
    }

    return len;
}
