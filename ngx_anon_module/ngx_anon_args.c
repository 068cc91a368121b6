
/*
 * Copyright (C) ngx_anon authors
 */


#include <string.h>
#include <strings.h>

#include "ngx_anon_args.h"
#include "ngx_anon_scrub.h"


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
    return ngx_anon_args_scrub_bsn(dst, src, len, names, nnames, 1, prefix4,
                                   prefix6, NULL, work);
}


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
