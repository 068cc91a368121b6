
/*
 * Copyright (C) ngx_anon authors
 */


/*
 * libFuzzer target: JSON and text/plain tracking bodies (ngx_anon_json.c),
 * Matomo's bulk tracking {"requests": ["?idsite=1&cip=...", ...]}.
 *
 * Input: byte 0 and 1 choose the prefixes, byte 2 the names ("cip", and
 * "a" if bit 0 is set) and whether the rest is wrapped as a bulk request
 * (bit 1: {"requests":["?<rest>"]}); the rest is the body.  Checked on
 * the text the upstream gets (the output, or the input if nothing
 * changed):
 *
 *   - bytes outside string literals are kept, in order;
 *   - every string literal, unescaped here independently (lenient as the
 *     module: an unknown escape is the character itself), has in its
 *     query part (after the first "?", or all of it) named values that
 *     hold no untruncated address once percent-decoded until nothing
 *     changes;
 *   - idempotence: scrubbing it again returns 0;
 *   - the buffers are exactly ngx_anon_json_dst_size() and
 *     ngx_anon_json_work_size() bytes of heap.
 */


#include <strings.h>

#include "ngx_anon_json.h"
#include "fuzz_common.h"


static ngx_anon_name_t  fuzz_names[] = {
    { (const unsigned char *) "cip", 3 },
    { (const unsigned char *) "a", 1 },
};


static int
fuzz_named(const unsigned char *p, size_t len, size_t nnames,
    const unsigned char **value, size_t *vlen)
{
    int             named;
    size_t          i, n;
    unsigned char  *name;
    const unsigned char  *eq;

    eq = memchr(p, '=', len);
    if (eq == NULL) {
        return 0;
    }

    name = fuzz_dup(p, eq - p);
    n = fuzz_pct_decode_all(name, name, eq - p);

    named = 0;

    for (i = 0; i < nnames; i++) {
        if (n == fuzz_names[i].len
            && strncasecmp((char *) name, (char *) fuzz_names[i].data, n)
               == 0)
        {
            named = 1;
        }
    }

    free(name);

    *value = eq + 1;
    *vlen = len - (eq + 1 - p);

    return named;
}


static void
fuzz_check_query(const unsigned char *q, size_t len, size_t nnames,
    unsigned p4, unsigned p6)
{
    size_t                vlen, d;
    unsigned char        *v;
    const unsigned char  *p, *end, *seg, *value;

    p = q;
    end = q + len;

    while (p <= end) {
        seg = memchr(p, '&', end - p);
        if (seg == NULL) {
            seg = end;
        }

        if (fuzz_named(p, seg - p, nnames, &value, &vlen)) {
            v = fuzz_dup(value, vlen);
            d = fuzz_pct_decode_all(v, v, vlen);
            fuzz_check_no_leak("named value in a JSON string", v, d, p4, p6);
            free(v);
        }

        p = seg + 1;
    }
}


static int
fuzz_hex4(const unsigned char *p, unsigned *cp)
{
    int       i, h;
    unsigned  v;

    v = 0;

    for (i = 0; i < 4; i++) {
        h = fuzz_hex(p[i]);
        if (h < 0) {
            return 0;
        }

        v = v * 16 + (unsigned) h;
    }

    *cp = v;

    return 1;
}


static size_t
fuzz_utf8(unsigned char *d, unsigned cp)
{
    if (cp < 0x80) {
        d[0] = (unsigned char) cp;
        return 1;
    }

    if (cp < 0x800) {
        d[0] = 0xc0 | (cp >> 6);
        d[1] = 0x80 | (cp & 0x3f);
        return 2;
    }

    if (cp < 0x10000) {
        d[0] = 0xe0 | (cp >> 12);
        d[1] = 0x80 | ((cp >> 6) & 0x3f);
        d[2] = 0x80 | (cp & 0x3f);
        return 3;
    }

    d[0] = 0xf0 | (cp >> 18);
    d[1] = 0x80 | ((cp >> 12) & 0x3f);
    d[2] = 0x80 | ((cp >> 6) & 0x3f);
    d[3] = 0x80 | (cp & 0x3f);

    return 4;
}


/*
 * Walk the JSON text: the bytes outside strings go to "outside" (if not
 * NULL), every string literal is unescaped and its query checked.
 * Returns the number of outside bytes.
 */

static size_t
fuzz_walk(const unsigned char *t, size_t len, unsigned char *outside,
    size_t nnames, unsigned p4, unsigned p6)
{
    size_t                i, o, n;
    unsigned              cp, lo;
    unsigned char        *s;
    const unsigned char  *q;

    o = 0;
    i = 0;
    s = fuzz_alloc(len * 4 + 4);

    while (i < len) {

        if (t[i] != '"') {
            if (outside) {
                outside[o] = t[i];
            }

            o++;
            i++;
            continue;
        }

        i++;
        n = 0;

        while (i < len && t[i] != '"') {

            if (t[i] != '\\' || i + 1 == len) {
                s[n++] = t[i++];
                continue;
            }

            switch (t[i + 1]) {
            case 'b': s[n++] = '\b'; i += 2; continue;
            case 'f': s[n++] = '\f'; i += 2; continue;
            case 'n': s[n++] = '\n'; i += 2; continue;
            case 'r': s[n++] = '\r'; i += 2; continue;
            case 't': s[n++] = '\t'; i += 2; continue;
            case 'u':
                if (i + 6 <= len && fuzz_hex4(t + i + 2, &cp)) {
                    i += 6;

                    if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= len
                        && t[i] == '\\' && t[i + 1] == 'u'
                        && fuzz_hex4(t + i + 2, &lo)
                        && lo >= 0xdc00 && lo < 0xe000)
                    {
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        i += 6;
                    }

                    n += fuzz_utf8(s + n, cp);
                    continue;
                }

                /* fall through: "\u" not followed by 4 hex digits */

            default:
                s[n++] = t[i + 1];
                i += 2;
                continue;
            }
        }

        i++;    /* the closing quote, if any */

        q = memchr(s, '?', n);
        q = q ? q + 1 : s;

        fuzz_check_query(q, n - (q - s), nnames, p4, p6);
    }

    free(s);

    return o;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          nnames, n, len, o1, o2, again;
    unsigned        p4, p6;
    unsigned char  *src, *dst, *work, *dst2, *work2, *out1, *out2;
    const unsigned char  *final;

    static const char  head[] = "{\"requests\":[\"?";
    static const char  tail[] = "\"]}";

    if (size < 3) {
        return 0;
    }

    fuzz_prefixes(data[0], data[1], &p4, &p6);
    nnames = (data[2] & 1) ? 2 : 1;

    if (data[2] & 2) {
        size -= 3;
        src = fuzz_alloc(size + sizeof(head) + sizeof(tail) - 2);
        memcpy(src, head, sizeof(head) - 1);
        memcpy(src + sizeof(head) - 1, data + 3, size);
        memcpy(src + sizeof(head) - 1 + size, tail, sizeof(tail) - 1);
        size += sizeof(head) + sizeof(tail) - 2;

    } else {
        src = fuzz_dup(data + 3, size - 3);
        size -= 3;
    }

    dst = fuzz_alloc(ngx_anon_json_dst_size(size));
    work = fuzz_alloc(ngx_anon_json_work_size(size));

    n = ngx_anon_json_scrub(dst, src, size, fuzz_names, nnames, p4, p6,
                            work);

    if (n > ngx_anon_json_dst_size(size)) {
        fuzz_fail("ngx_anon_json_scrub() wrote beyond dst", src, size);
    }

    final = n ? dst : src;
    len = n ? n : size;

    /* outside strings: kept */

    out1 = fuzz_alloc(size);
    out2 = fuzz_alloc(len);

    o1 = fuzz_walk(src, size, out1, 0, p4, p6);
    o2 = fuzz_walk(final, len, out2, nnames, p4, p6);

    if (o1 != o2 || memcmp(out1, out2, o1) != 0) {
        fuzz_fail("bytes outside string literals changed", src, size);
    }

    dst2 = fuzz_alloc(ngx_anon_json_dst_size(len));
    work2 = fuzz_alloc(ngx_anon_json_work_size(len));

    again = ngx_anon_json_scrub(dst2, final, len, fuzz_names, nnames, p4, p6,
                                work2);

    if (again != 0) {
        fuzz_fail("ngx_anon_json_scrub() is not idempotent (input below)",
                  src, size);
    }

    free(work2);
    free(dst2);
    free(out2);
    free(out1);
    free(work);
    free(dst);
    free(src);

    return 0;
}
