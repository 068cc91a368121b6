
/*
 * Copyright (C) ngx_anon authors
 */


#include <string.h>

#include "ngx_anon_json.h"


static size_t ngx_anon_json_unescape(unsigned char *dst,
    const unsigned char *src, size_t len, size_t *used);
static int ngx_anon_json_hex4(const unsigned char *p, unsigned *cp);
static size_t ngx_anon_json_utf8(unsigned char *dst, unsigned cp);
static size_t ngx_anon_json_escape(unsigned char *dst,
    const unsigned char *src, size_t len);


size_t
ngx_anon_json_scrub(unsigned char *dst, const unsigned char *src, size_t len,
    const ngx_anon_name_t *names, size_t nnames, unsigned prefix4,
    unsigned prefix6, unsigned char *work)
{
    int             changed, closed;
    size_t          i, out, d, q, n, used;
    unsigned char  *q_mark, *args, *args_work;

    out = 0;
    changed = 0;
    i = 0;

    while (i < len) {

        if (src[i] != '"') {
            dst[out++] = src[i++];
            continue;
        }

        d = ngx_anon_json_unescape(work, src + i + 1, len - i - 1, &used);
        closed = (i + 1 + used < len);

        q_mark = memchr(work, '?', d);
        q = q_mark ? (size_t) (q_mark + 1 - work) : 0;

        args = work + d;
        args_work = args + ngx_anon_args_dst_size(d);

        n = ngx_anon_args_scrub(args, work + q, d - q, names, nnames,
                                prefix4, prefix6, args_work);

        if (n == 0) {
            n = 1 + used + closed;
            memcpy(dst + out, src + i, n);
            out += n;
            i += n;
            continue;
        }

        dst[out++] = '"';
        out += ngx_anon_json_escape(dst + out, work, q);
        out += ngx_anon_json_escape(dst + out, args, n);

        if (closed) {
            dst[out++] = '"';
        }

        i += 1 + used + closed;
        changed = 1;
    }

    return changed ? out : 0;
}


static size_t
ngx_anon_json_unescape(unsigned char *dst, const unsigned char *src,
    size_t len, size_t *used)
{
    size_t    i, n;
    unsigned  cp, lo;

    /* up to the closing quote, which is not counted in *used */

    n = 0;
    i = 0;

    while (i < len && src[i] != '"') {

        if (src[i] != '\\' || i + 1 == len) {
            dst[n++] = src[i++];
            continue;
        }

        switch (src[i + 1]) {

        case 'b':
            dst[n++] = '\b';
            break;

        case 'f':
            dst[n++] = '\f';
            break;

        case 'n':
            dst[n++] = '\n';
            break;

        case 'r':
            dst[n++] = '\r';
            break;

        case 't':
            dst[n++] = '\t';
            break;

        case 'u':
            if (i + 6 > len || !ngx_anon_json_hex4(src + i + 2, &cp)) {
                dst[n++] = 'u';
                break;
            }

            i += 4;

            if (cp >= 0xd800 && cp < 0xdc00 && i + 8 <= len
                && src[i + 2] == '\\' && src[i + 3] == 'u'
                && ngx_anon_json_hex4(src + i + 4, &lo)
                && lo >= 0xdc00 && lo < 0xe000)
            {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                i += 6;
            }

            n += ngx_anon_json_utf8(dst + n, cp);
            break;

        default:
            dst[n++] = src[i + 1];
            break;
        }

        i += 2;
    }

    *used = i;

    return n;
}


static int
ngx_anon_json_hex4(const unsigned char *p, unsigned *cp)
{
    unsigned       i, v;
    unsigned char  ch;

    v = 0;

    for (i = 0; i < 4; i++) {
        ch = p[i];

        if (ch >= '0' && ch <= '9') {
            v = v * 16 + (ch - '0');
            continue;
        }

        ch |= 0x20;

        if (ch >= 'a' && ch <= 'f') {
            v = v * 16 + (ch - 'a' + 10);
            continue;
        }

        return 0;
    }

    *cp = v;

    return 1;
}


static size_t
ngx_anon_json_utf8(unsigned char *dst, unsigned cp)
{
    /* a lone surrogate is written as is: it stays what it was, bytes */

    if (cp < 0x80) {
        dst[0] = (unsigned char) cp;
        return 1;
    }

    if (cp < 0x800) {
        dst[0] = (unsigned char) (0xc0 | (cp >> 6));
        dst[1] = (unsigned char) (0x80 | (cp & 0x3f));
        return 2;
    }

    if (cp < 0x10000) {
        dst[0] = (unsigned char) (0xe0 | (cp >> 12));
        dst[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
        dst[2] = (unsigned char) (0x80 | (cp & 0x3f));
        return 3;
    }

    dst[0] = (unsigned char) (0xf0 | (cp >> 18));
    dst[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
    dst[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
    dst[3] = (unsigned char) (0x80 | (cp & 0x3f));

    return 4;
}


static size_t
ngx_anon_json_escape(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    size_t             i, n;
    unsigned char      ch;
    static const char  hex[] = "0123456789abcdef";

    n = 0;

    for (i = 0; i < len; i++) {
        ch = src[i];

        switch (ch) {

        case '"':
        case '\\':
            dst[n++] = '\\';
            dst[n++] = ch;
            continue;

        case '\b':
            dst[n++] = '\\';
            dst[n++] = 'b';
            continue;

        case '\f':
            dst[n++] = '\\';
            dst[n++] = 'f';
            continue;

        case '\n':
            dst[n++] = '\\';
            dst[n++] = 'n';
            continue;

        case '\r':
            dst[n++] = '\\';
            dst[n++] = 'r';
            continue;

        case '\t':
            dst[n++] = '\\';
            dst[n++] = 't';
            continue;
        }

        if (ch < 0x20) {
            dst[n++] = '\\';
            dst[n++] = 'u';
            dst[n++] = '0';
            dst[n++] = '0';
            dst[n++] = hex[ch >> 4];
            dst[n++] = hex[ch & 0x0f];
            continue;
        }

        dst[n++] = ch;
    }

    return n;
}
