
/*
 * Copyright (C) ngx_anon authors
 */


/*
 * libFuzzer target: query strings and form-encoded bodies
 * (ngx_anon_args.c), as anon_args scrubs them.
 *
 * Input: byte 0 and 1 choose the prefixes, byte 2 the names ("cip" and,
 * if bit 0 is set, "a" too, so that the fuzzer meets a name often); the
 * rest is the query string.  The module first asks ngx_anon_args_match()
 * and only then ngx_anon_args_scrub(), so the text a consumer sees is the
 * input if either says "nothing to do", the output otherwise.  Checked on
 * that text:
 *
 *   - privacy: every argument whose name, percent-decoded until nothing
 *     changes, is one of the names (case-insensitively) has a value that,
 *     decoded the same way, holds no untruncated address (fuzz_leak())
 *     and that ngx_anon_scrub() leaves as it is;
 *   - the other arguments keep their bytes, and their order and number;
 *   - idempotence: scrubbing it again returns 0 (nothing changed);
 *   - the buffers are exactly ngx_anon_args_dst_size() and
 *     ngx_anon_args_work_size() bytes of heap.
 */


#include <strings.h>

#include "ngx_anon_args.h"
#include "fuzz_common.h"


static ngx_anon_name_t  fuzz_names[] = {
    { (const unsigned char *) "cip", 3 },
    { (const unsigned char *) "a", 1 },
};


/* whether the segment p[0..len) (no "&") is a named argument: its value */

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
fuzz_check_query(const char *what, const unsigned char *q, size_t len,
    size_t nnames, unsigned p4, unsigned p6)
{
    size_t                vlen, d, s;
    unsigned char        *v, *sc;
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

            fuzz_check_no_leak(what, v, d, p4, p6);

            sc = fuzz_scrub(v, d, p4, p6, &s);

            if (s != d || memcmp(sc, v, d) != 0) {
                fuzz_fail("a named value is not scrubbed (decoded value)",
                          v, d);
            }

            free(sc);
            free(v);
        }

        p = seg + 1;
    }
}


/* the unnamed arguments of a and b are the same, in the same order */

static void
fuzz_check_others(const unsigned char *a, size_t alen,
    const unsigned char *b, size_t blen, size_t nnames)
{
    size_t                vlen;
    const unsigned char  *pa, *pb, *ea, *eb, *sa, *sb, *value;

    pa = a;
    pb = b;
    ea = a + alen;
    eb = b + blen;

    for ( ;; ) {
        sa = memchr(pa, '&', ea - pa);
        sb = memchr(pb, '&', eb - pb);

        if (sa == NULL) {
            sa = ea;
        }

        if (sb == NULL) {
            sb = eb;
        }

        if (!fuzz_named(pa, sa - pa, nnames, &value, &vlen)) {
            if (sa - pa != sb - pb || memcmp(pa, pb, sa - pa) != 0) {
                fuzz_fail("an argument not named was changed", a, alen);
            }
        }

        if ((sa == ea) != (sb == eb)) {
            fuzz_fail("the number of arguments changed", a, alen);
        }

        if (sa == ea) {
            return;
        }

        pa = sa + 1;
        pb = sb + 1;
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             match;
    size_t          nnames, n, len, again;
    unsigned        p4, p6;
    unsigned char  *src, *dst, *work, *dst2, *work2;
    const unsigned char  *final;

    if (size < 3) {
        return 0;
    }

    fuzz_prefixes(data[0], data[1], &p4, &p6);
    nnames = (data[2] & 1) ? 2 : 1;

    data += 3;
    size -= 3;

    src = fuzz_dup(data, size);
    dst = fuzz_alloc(ngx_anon_args_dst_size(size));
    work = fuzz_alloc(ngx_anon_args_work_size(size));

    match = ngx_anon_args_match(src, size, fuzz_names, nnames);
    n = ngx_anon_args_scrub(dst, src, size, fuzz_names, nnames, p4, p6,
                            work);

    if (n > ngx_anon_args_dst_size(size)) {
        fuzz_fail("ngx_anon_args_scrub() wrote beyond dst", src, size);
    }

    if (!match && n) {
        fuzz_fail("ngx_anon_args_match() missed a named argument that "
                  "ngx_anon_args_scrub() changed", src, size);
    }

    final = (match && n) ? dst : src;
    len = (match && n) ? n : size;

    fuzz_check_query("named value", final, len, nnames, p4, p6);
    fuzz_check_others(src, size, final, len, nnames);

    dst2 = fuzz_alloc(ngx_anon_args_dst_size(len));
    work2 = fuzz_alloc(ngx_anon_args_work_size(len));

    again = ngx_anon_args_scrub(dst2, final, len, fuzz_names, nnames, p4, p6,
                                work2);

    if (again != 0) {
        fuzz_fail("ngx_anon_args_scrub() is not idempotent (input below)",
                  src, size);
    }

    free(work2);
    free(dst2);
    free(work);
    free(dst);
    free(src);

    return 0;
}
