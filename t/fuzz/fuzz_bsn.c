
/*
 * Copyright (C) ngx_anon authors
 */


/*
 * libFuzzer target: the BSN scanner (ngx_anon_bsn.c) with the pseudonym
 * PRF (ngx_anon_prf.c), as anon_bsn runs them on request lines, Referers
 * and error-log lines.
 *
 * Input: byte 0 chooses the mode (redact or pseudonymize), the rest is
 * the text.  Checked:
 *
 *   - the NULL run announces the exact output length, which is at most
 *     3 * len, and the output fits an exact-size heap buffer; both runs
 *     count the same BSNs;
 *   - privacy: no BSN in the output, found by a scanner written here from
 *     the documented rule (nine digits passing the eleven-test, standing
 *     alone: no digit or ASCII letter right before or after; in a row or
 *     in three groups of two to four digits with one separator "." " "
 *     "-" used twice; any digit possibly written "%3d");
 *   - the module's own scanner finds none in the output either, and
 *     scrubbing it again changes nothing;
 *   - ngx_anon_bsn_valid() agrees with the eleven-test written here.
 *
 * With FUZZ_BSN_RAW=1 in the environment the output is also read as a
 * person reads a log line, literally, without decoding "%3d": then
 * "%312345677" shows the valid 312345677 after the "%", where the module
 * (and a URL decoder) reads "%31" as the digit 1 and sees 12345677.  An
 * exploratory mode, see docs/reliability.md.
 */


#include "ngx_anon_bsn.h"
#include "ngx_anon_prf.h"
#include "fuzz_common.h"


static int  fuzz_bsn_raw = -1;
static int  fuzz_bsn_pct = 1;     /* "%3d" is a digit */


static int
fuzz_is_digit(unsigned char ch)
{
    return ch >= '0' && ch <= '9';
}


static int
fuzz_is_alnum(unsigned char ch)
{
    return fuzz_is_digit(ch) || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z');
}


/* a digit or "%3d" at p: its length, the digit in *d */

static size_t
fuzz_unit(const unsigned char *p, const unsigned char *end, unsigned char *d)
{
    if (p < end && fuzz_is_digit(*p)) {
        *d = *p;
        return 1;
    }

    if (fuzz_bsn_pct && end - p >= 3 && p[0] == '%' && p[1] == '3'
        && fuzz_is_digit(p[2]))
    {
        *d = p[2];
        return 3;
    }

    return 0;
}


static int
fuzz_eleven(const unsigned char *d)
{
    int  i, sum, nonzero;

    sum = 0;
    nonzero = 0;

    for (i = 0; i < 9; i++) {
        sum += (i < 8 ? 9 - i : -1) * (d[i] - '0');
        nonzero |= d[i] != '0';
    }

    return nonzero && sum % 11 == 0;
}


/* a BSN starting at p (whose left side was checked): its length, or 0 */

static size_t
fuzz_bsn_at(const unsigned char *p, const unsigned char *end,
    unsigned char *digits)
{
    int                   g;
    size_t                u, count, total;
    unsigned char         d, sep;
    const unsigned char  *s;

    s = p;
    total = 0;
    sep = 0;

    for (g = 0; g < 3; g++) {

        if (g) {
            if (p == end || (*p != '.' && *p != ' ' && *p != '-')
                || (sep && *p != sep))
            {
                return 0;
            }

            sep = *p++;
        }

        count = 0;

        while ((u = fuzz_unit(p, end, &d)) != 0) {
            if (total + count < 9) {
                digits[total + count] = d;
            }

            count++;
            p += u;
        }

        if (g == 0 && count == 9) {
            total = 9;
            break;
        }

        if (count < 2 || count > 4) {
            return 0;
        }

        total += count;
    }

    if (total != 9 || (p < end && fuzz_is_alnum(*p))) {
        return 0;
    }

    return p - s;
}


static void
fuzz_check_no_bsn(const unsigned char *t, size_t len)
{
    size_t                u, n;
    unsigned char         d, digits[9];
    const unsigned char  *p, *end;
    char                  msg[128];

    end = t + len;

    for (p = t; p < end; p += (u ? u : 1)) {

        u = fuzz_unit(p, end, &d);

        if (u == 0) {
            continue;
        }

        if (p > t && fuzz_is_alnum(p[-1])) {
            continue;
        }

        n = fuzz_bsn_at(p, end, digits);

        if (n && fuzz_eleven(digits)) {
            snprintf(msg, sizeof(msg), "a BSN is left in the output at %zu: "
                     "\"%.*s\"", (size_t) (p - t), (int) n,
                     (const char *) p);
            fuzz_fail(msg, t, len);
        }
    }
}


static const unsigned char  fuzz_key[NGX_ANON_PRF_KEY_LEN] =
    "fuzz key: 32 bytes, fixed, test";


static void
fuzz_pseudonym(void *data, const unsigned char *digits, unsigned char *out)
{
    unsigned char  msg[32], *m;

    (void) data;

    m = ngx_anon_prf_field(msg, "bsn", 3);
    m = ngx_anon_prf_field(m, digits, 9);

    memcpy(out, "bsn-", 4);

    if (ngx_anon_prf_hex(fuzz_key, sizeof(fuzz_key), msg, m - msg, out + 4,
                         8) != 0)
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          n, m, found, found2, found3, n2, i;
    unsigned char  *src, *dst, *dst2, nine[9];
    ngx_anon_bsn_t  bsn;

    if (fuzz_bsn_raw == -1) {
        fuzz_bsn_raw = getenv("FUZZ_BSN_RAW") != NULL
                       && strcmp(getenv("FUZZ_BSN_RAW"), "1") == 0;
    }

    if (size < 1) {
        return 0;
    }

    bsn.mode = (data[0] & 1) ? NGX_ANON_BSN_PSEUDONYMIZE
                             : NGX_ANON_BSN_REDACT;
    bsn.pseudonym = fuzz_pseudonym;
    bsn.data = NULL;

    data++;
    size--;

    /* the eleven-test, on the first nine digits of the input if any */

    if (size >= 9) {
        for (i = 0; i < 9; i++) {
            nine[i] = '0' + data[i] % 10;
        }

        if (ngx_anon_bsn_valid(nine) != fuzz_eleven(nine)) {
            fuzz_fail("ngx_anon_bsn_valid() disagrees with the eleven-test",
                      nine, 9);
        }
    }

    src = fuzz_dup(data, size);

    n = ngx_anon_bsn_scrub(NULL, src, size, &bsn, &found);

    if (n > 3 * size) {
        fuzz_fail("output longer than 3 * len", src, size);
    }

    dst = fuzz_alloc(n);
    m = ngx_anon_bsn_scrub(dst, src, size, &bsn, &found2);

    if (m != n || found != found2) {
        fuzz_fail("NULL run and real run differ", src, size);
    }

    fuzz_check_no_bsn(dst, n);

    if (fuzz_bsn_raw) {
        fuzz_bsn_pct = 0;
        fuzz_check_no_bsn(dst, n);
        fuzz_bsn_pct = 1;
    }

    dst2 = fuzz_alloc(n);
    n2 = ngx_anon_bsn_scrub(dst2, dst, n, &bsn, &found3);

    if (found3 != 0 || n2 != n || memcmp(dst, dst2, n) != 0) {
        fuzz_fail("scrubbing the output again changes it (input below)",
                  src, size);
    }

    free(dst2);
    free(dst);
    free(src);

    return 0;
}
