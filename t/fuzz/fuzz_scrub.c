
/*
 * Copyright (C) ngx_anon authors
 */


/*
 * libFuzzer target: ngx_anon_scrub() (ngx_anon_scrub.c), the scrubber of
 * anon_headers, anon_args, anon_error_log and anon-scrub.
 *
 * Input: bytes 0 and 1 choose the prefixes (fuzz_prefixes()), byte 2 how
 * else the text is handed over (bit 0: line by line, as the error log and
 * anon-scrub see it; bit 1: in two pieces cut after a byte outside
 * [0-9A-Fa-f.:] near byte 2 * 4 of the text, as anon-scrub cuts a long
 * line); the rest is the text.  Checked:
 *
 *   - the length without dst is the length written, within
 *     ngx_anon_scrub_max_size() (fuzz_scrub());
 *   - bytes outside runs of [0-9A-Fa-f.:] are kept, in order, and there
 *     are as many runs;
 *   - no part of the output reads as an address that truncation changes
 *     (fuzz_check_no_leak());
 *   - no address with host bits that the input holds (any part of a run
 *     that ngx_anon_addr_parse() accepts) is in the output as such a part;
 *   - idempotence: scrubbing the output again changes nothing;
 *   - scrubbing line by line, or in two pieces cut after a byte outside
 *     the runs, gives the same output as scrubbing it whole.
 */


#include "fuzz_common.h"


typedef struct {
    unsigned char  a[16];
    size_t         alen;
} fuzz_addr_t;


static int
fuzz_host_bits(const fuzz_addr_t *x, unsigned prefix4, unsigned prefix6)
{
    unsigned char  t[16];

    memcpy(t, x->a, x->alen);

    if (x->alen == 4) {
        ngx_anon_addr_truncate4(t, prefix4);

    } else {
        ngx_anon_addr_truncate6(t, prefix4, prefix6);
    }

    return memcmp(t, x->a, x->alen) != 0;
}


static int
fuzz_addr_cmp(const void *one, const void *two)
{
    const fuzz_addr_t  *x = one, *y = two;

    if (x->alen != y->alen) {
        return x->alen < y->alen ? -1 : 1;
    }

    return memcmp(x->a, y->a, x->alen);
}


/*
 * Is p[i..j) inside a longer part of the run p[rs..re) that reads as an
 * address truncation leaves as it is ("28.0.0.0" in "128.0.0.0" kept to
 * 1 bit)?  As in fuzz_leak().
 */

static int
fuzz_excused(const unsigned char *p, size_t rs, size_t re, size_t i,
    size_t j, unsigned prefix4, unsigned prefix6)
{
    size_t  a, b;

    a = (i - rs > FUZZ_MAX_ADDR_TEXT) ? i - FUZZ_MAX_ADDR_TEXT : rs;

    for ( /* void */ ; a <= i; a++) {
        for (b = j; b <= re && b - a <= FUZZ_MAX_ADDR_TEXT; b++) {
            if ((a != i || b != j)
                && fuzz_addr_state(p + a, b - a, prefix4, prefix6) == 1)
            {
                return 1;
            }
        }
    }

    return 0;
}


/*
 * The addresses with host bits in the parts of the runs of p: appended
 * to *set, or, with find set, the first part found in *set and not
 * excused reported.
 */

static void
fuzz_spans(const unsigned char *p, size_t len, unsigned prefix4,
    unsigned prefix6, fuzz_addr_t **set, size_t *n, int find)
{
    size_t        i, j, rs, end, size;
    fuzz_addr_t   x, *s;
    char          msg[160];

    size = *n;

    for (i = 0; i < len; i++) {

        if (!fuzz_is_run(p[i])) {
            continue;
        }

        rs = i;

        while (rs > 0 && fuzz_is_run(p[rs - 1])) {
            rs--;
        }

        for (end = i; end < len && fuzz_is_run(p[end]); end++) {
            /* void */
        }

        for (j = i + 1; j <= end && j - i <= FUZZ_MAX_ADDR_TEXT; j++) {

            x.alen = ngx_anon_addr_parse(p + i, j - i, x.a);

            if (x.alen == 0 || !fuzz_host_bits(&x, prefix4, prefix6)) {
                continue;
            }

            if (find) {
                if (*n && bsearch(&x, *set, *n, sizeof(fuzz_addr_t),
                                  fuzz_addr_cmp)
                    && !fuzz_excused(p, rs, end, i, j, prefix4, prefix6))
                {
                    snprintf(msg, sizeof(msg), "an address of the input "
                             "survived: \"%.*s\" at %zu (prefixes %u/%u)",
                             (int) (j - i), (const char *) p + i, i,
                             prefix4, prefix6);
                    fuzz_fail(msg, p, len);
                }

                continue;
            }

            if (*n == size) {
                size = size ? 2 * size : 64;
                s = realloc(*set, size * sizeof(fuzz_addr_t));
                if (s == NULL) {
                    abort();
                }

                *set = s;
            }

            (*set)[(*n)++] = x;
        }
    }
}


static size_t
fuzz_other_bytes(const unsigned char *p, size_t len, unsigned char *dst,
    size_t *runs)
{
    size_t  i, n;

    n = 0;
    *runs = 0;

    for (i = 0; i < len; i++) {

        if (!fuzz_is_run(p[i])) {
            dst[n++] = p[i];

        } else if (i == 0 || !fuzz_is_run(p[i - 1])) {
            (*runs)++;
        }
    }

    return n;
}


/* the text scrubbed piece by piece, cut after each position in cuts */

static void
fuzz_pieces(const char *what, const unsigned char *text, size_t len,
    const size_t *cuts, size_t ncuts, unsigned prefix4, unsigned prefix6,
    const unsigned char *whole, size_t n)
{
    size_t          i, start, end, m, total;
    unsigned char  *part, *all;

    all = fuzz_alloc(n);
    total = 0;
    start = 0;

    for (i = 0; i <= ncuts; i++) {
        end = (i < ncuts) ? cuts[i] : len;

        part = fuzz_scrub(text + start, end - start, prefix4, prefix6, &m);

        if (total + m > n || memcmp(whole + total, part, m) != 0) {
            free(part);
            free(all);
            fuzz_fail(what, text, len);
        }

        memcpy(all + total, part, m);
        total += m;
        free(part);
        start = end;
    }

    if (total != n) {
        free(all);
        fuzz_fail(what, text, len);
    }

    free(all);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          len, n, n2, o1, o2, r1, r2, nset, ncuts, i, *cuts;
    unsigned        prefix4, prefix6;
    fuzz_addr_t    *set;
    unsigned char  *text, *out, *again, *k1, *k2;

    if (size < 3) {
        return 0;
    }

    fuzz_prefixes(data[0], data[1], &prefix4, &prefix6);

    len = size - 3;
    text = fuzz_dup(data + 3, len);

    out = fuzz_scrub(text, len, prefix4, prefix6, &n);

    /* other bytes and the number of runs are kept */

    k1 = fuzz_alloc(len);
    k2 = fuzz_alloc(n);

    o1 = fuzz_other_bytes(text, len, k1, &r1);
    o2 = fuzz_other_bytes(out, n, k2, &r2);

    if (o1 != o2 || memcmp(k1, k2, o1) != 0 || r1 != r2) {
        fuzz_fail("bytes outside the address runs changed", out, n);
    }

    free(k1);
    free(k2);

    /* privacy */

    fuzz_check_no_leak("ngx_anon_scrub()", out, n, prefix4, prefix6);

    set = NULL;
    nset = 0;
    fuzz_spans(text, len, prefix4, prefix6, &set, &nset, 0);

    if (nset) {
        qsort(set, nset, sizeof(fuzz_addr_t), fuzz_addr_cmp);
        fuzz_spans(out, n, prefix4, prefix6, &set, &nset, 1);
    }

    free(set);

    /* idempotence */

    again = fuzz_scrub(out, n, prefix4, prefix6, &n2);

    if (n2 != n || memcmp(again, out, n) != 0) {
        fuzz_fail("scrubbing the output again changed it", out, n);
    }

    free(again);

    /* line by line, and in two pieces, as whole */

    if (data[2] & 1) {
        cuts = fuzz_alloc(len * sizeof(size_t));
        ncuts = 0;

        for (i = 0; i < len; i++) {
            if (text[i] == '\n') {
                cuts[ncuts++] = i + 1;
            }
        }

        fuzz_pieces("line by line differs from whole", text, len, cuts,
                    ncuts, prefix4, prefix6, out, n);
        free(cuts);
    }

    if (data[2] & 2) {
        for (i = (size_t) data[2] * 4; i < len; i++) {
            if (!fuzz_is_run(text[i])) {
                i++;
                fuzz_pieces("two pieces differ from whole", text, len, &i, 1,
                            prefix4, prefix6, out, n);
                break;
            }
        }
    }

    free(out);
    free(text);

    return 0;
}
