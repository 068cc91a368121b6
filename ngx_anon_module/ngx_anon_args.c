
/*
 * Copyright (C) ngx_anon authors
 */


#include <string.h>
#include <strings.h>

#include "ngx_anon_args.h"
#include "ngx_anon_scrub.h"


#define NGX_ANON_ARGS_ROUNDS  4


static int ngx_anon_args_named(const unsigned char *name, size_t len,
    const ngx_anon_name_t *names, size_t nnames, unsigned char *work);
static size_t ngx_anon_args_decode(unsigned char *dst,
    const unsigned char *src, size_t len, int plus);
static int ngx_anon_args_hex(unsigned char ch);


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


size_t
ngx_anon_args_scrub(unsigned char *dst, const unsigned char *src,
    size_t len, const ngx_anon_name_t *names, size_t nnames,
    unsigned prefix4, unsigned prefix6, unsigned char *work)
{
    int                   changed;
    size_t                out, d, s, round, n;
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

        /* decode until stable, so that "%253A" cannot hide a colon */

        d = ngx_anon_args_decode(work, eq + 1, seg - eq - 1, 1);

        for (round = 1; round < NGX_ANON_ARGS_ROUNDS; round++) {
            n = ngx_anon_args_decode(work, work, d, 0);
            if (n == d) {
                break;
            }

            d = n;
        }

        s = ngx_anon_scrub(work + d, work, d, prefix4, prefix6);

        if (s == d && memcmp(work, work + d, d) == 0) {
            memcpy(dst + out, p, seg - p);
            out += seg - p;
            goto next;
        }

        memcpy(dst + out, p, eq + 1 - p);
        out += eq + 1 - p;
        out += ngx_anon_args_encode(dst + out, work + d, s);
        changed = 1;

    next:

        if (seg < end) {
            dst[out++] = '&';
        }

        p = seg + 1;
    }

    return changed ? out : 0;
}


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
    size_t  i, n;
    int     hi, lo;

    /* dst may be src: the output is never longer than the input */

    n = 0;

    for (i = 0; i < len; i++) {

        if (src[i] == '%' && i + 2 < len) {
            hi = ngx_anon_args_hex(src[i + 1]);
            lo = ngx_anon_args_hex(src[i + 2]);

            if (hi >= 0 && lo >= 0) {
                dst[n++] = (unsigned char) (hi * 16 + lo);
                i += 2;
                continue;
            }
        }

        dst[n++] = (plus && src[i] == '+') ? ' ' : src[i];
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
