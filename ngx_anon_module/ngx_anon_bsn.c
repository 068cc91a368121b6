
/*
 * Copyright (C) ngx_anon authors
 */


#include <string.h>

#include "ngx_anon_bsn.h"


#define ngx_anon_bsn_is_digit(ch)  ((ch) >= '0' && (ch) <= '9')


static size_t ngx_anon_bsn_unit(const unsigned char *p,
    const unsigned char *last, unsigned char *digit);
static size_t ngx_anon_bsn_group(const unsigned char *p,
    const unsigned char *last, unsigned char *digits, size_t *n);
static size_t ngx_anon_bsn_match(const unsigned char *p,
    const unsigned char *last, unsigned char *digits);
static int ngx_anon_bsn_escaped(const unsigned char *p,
    const unsigned char *last);
static int ngx_anon_bsn_is_alnum(unsigned char ch);


int
ngx_anon_bsn_valid(const unsigned char *digits)
{
    int       sum;
    unsigned  i, zero;

    sum = 0;
    zero = 1;

    for (i = 0; i < 8; i++) {
        sum += (9 - i) * (digits[i] - '0');

        if (digits[i] != '0') {
            zero = 0;
        }
    }

    sum -= digits[8] - '0';

    return !zero && sum % 11 == 0;
}


size_t
ngx_anon_bsn_scrub(unsigned char *dst, const unsigned char *src, size_t len,
    const ngx_anon_bsn_t *bsn, size_t *found)
{
    size_t                out, m, n, u, count;
    unsigned char         digit, digits[10];
    const unsigned char  *p, *last, *start;

    out = 0;
    count = 0;
    p = src;
    last = src + len;

    while (p < last) {

        start = p;
        u = ngx_anon_bsn_unit(p, last, &digit);

        if (u) {
            /* a run of digits: it stands alone if no letter is before it */

            m = (start > src && ngx_anon_bsn_is_alnum(start[-1]))
                ? 0 : ngx_anon_bsn_match(p, last, digits);

        } else if (ngx_anon_bsn_escaped(p, last)
                   && ngx_anon_bsn_unit(p + 3, last, &digit))
        {
            /*
             * "%2F123456782": a percent-encoded byte that is neither a
             * letter nor a digit bounds a number as the byte itself would
             */

            start = p + 3;
            m = ngx_anon_bsn_match(start, last, digits);

        } else {
            m = 0;
        }

        if (m && ngx_anon_bsn_valid(digits)) {
            if (dst) {
                memcpy(dst + out, p, start - p);
            }

            out += start - p;
            p = start;
            count++;

            if (bsn->mode == NGX_ANON_BSN_PSEUDONYMIZE && bsn->pseudonym) {
                if (dst) {
                    bsn->pseudonym(bsn->data, digits, dst + out);
                }

                out += NGX_ANON_BSN_PSEUDONYM_LEN;

            } else {
                if (dst) {
                    memcpy(dst + out, NGX_ANON_BSN_MASK,
                           sizeof(NGX_ANON_BSN_MASK) - 1);
                }

                out += sizeof(NGX_ANON_BSN_MASK) - 1;
            }

            p += m;
            continue;
        }

        if (u == 0) {
            if (dst) {
                dst[out] = *p;
            }

            out++;
            p++;
            continue;
        }

        /* no BSN starts here: copy the whole run */

        p += ngx_anon_bsn_group(p, last, digits, &n);

        if (dst) {
            memcpy(dst + out, start, p - start);
        }

        out += p - start;
    }

    if (found) {
        *found = count;
    }

    return out;
}


static size_t
ngx_anon_bsn_unit(const unsigned char *p, const unsigned char *last,
    unsigned char *digit)
{
    /* a digit, or a percent-encoded one: "%31" */

    if (ngx_anon_bsn_is_digit(*p)) {
        *digit = *p;
        return 1;
    }

    if (*p == '%' && last - p >= 3 && p[1] == '3'
        && ngx_anon_bsn_is_digit(p[2]))
    {
        *digit = p[2];
        return 3;
    }

    return 0;
}


static size_t
ngx_anon_bsn_group(const unsigned char *p, const unsigned char *last,
    unsigned char *digits, size_t *n)
{
    size_t                u;
    unsigned char         digit;
    const unsigned char  *start;

    /* a maximal run of digits; up to 10 of them are stored */

    start = p;
    *n = 0;

    while (p < last) {
        u = ngx_anon_bsn_unit(p, last, &digit);
        if (u == 0) {
            break;
        }

        if (*n < 10) {
            digits[*n] = digit;
        }

        (*n)++;
        p += u;
    }

    return p - start;
}


static size_t
ngx_anon_bsn_match(const unsigned char *p, const unsigned char *last,
    unsigned char *digits)
{
    size_t                g, n, total;
    unsigned              group;
    unsigned char         sep, run[10];
    const unsigned char  *start;

    start = p;
    total = 0;
    sep = 0;

    for (group = 0; group < 3; group++) {

        if (group) {
            if (p == last || (*p != '.' && *p != ' ' && *p != '-')
                || (sep && *p != sep))
            {
                return 0;
            }

            sep = *p++;
        }

        g = ngx_anon_bsn_group(p, last, run, &n);

        if (n == 9 && group == 0) {
            memcpy(digits, run, 9);
            total = 9;
            p += g;
            break;
        }

        if (n < 2 || n > 4 || total + n > 9) {
            return 0;
        }

        memcpy(digits + total, run, n);
        total += n;
        p += g;
    }

    if (total != 9 || (p < last && ngx_anon_bsn_is_alnum(*p))) {
        return 0;
    }

    return p - start;
}


static int
ngx_anon_bsn_escaped(const unsigned char *p, const unsigned char *last)
{
    unsigned  i, ch;

    /* "%XY" and more after it, XY not a letter or digit */

    if (*p != '%' || last - p < 4) {
        return 0;
    }

    ch = 0;

    for (i = 1; i < 3; i++) {
        if (ngx_anon_bsn_is_digit(p[i])) {
            ch = ch * 16 + (p[i] - '0');

        } else if ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f') {
            ch = ch * 16 + ((p[i] | 0x20) - 'a' + 10);

        } else {
            return 0;
        }
    }

    return !ngx_anon_bsn_is_alnum((unsigned char) ch);
}


static int
ngx_anon_bsn_is_alnum(unsigned char ch)
{
    return ngx_anon_bsn_is_digit(ch)
           || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z');
}
