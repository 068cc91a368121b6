
/*
 * Copyright (C) ngx_anon authors
 */


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include "ngx_anon_bsn.h"
#include "check_anon.h"


#define CHECK_BSN_SAMPLES    100000
#define CHECK_BSN_GUARD      16          /* bytes checked past the output */
#define CHECK_BSN_TEXT       4096        /* a generated text, at most */

#define check_bsn_nelts(a)   (sizeof(a) / sizeof((a)[0]))

#define check_bsn_digit(ch)  ((ch) >= '0' && (ch) <= '9')
#define check_bsn_alpha(ch)  (((ch) >= 'a' && (ch) <= 'z')                  \
                              || ((ch) >= 'A' && (ch) <= 'Z'))
#define check_bsn_alnum(ch)  (check_bsn_digit(ch) || check_bsn_alpha(ch))


typedef struct {
    const char  *in;
    const char  *out;         /* with anon_bsn redact */
    size_t       found;
} check_bsn_case_t;


typedef struct {
    const char  *in;
    const char  *digits;      /* what the callback must get */
    const char  *out;         /* with the test's pseudonym */
} check_bsn_pseudo_t;


/* what the test's pseudonym callback saw */

typedef struct {
    unsigned       calls;
    unsigned       bad;       /* calls with anything but nine digits */
    unsigned char  digits[9];
} check_bsn_calls_t;


/*
 * Valid numbers (the eleven-test passes): 123456782, 111222333,
 * 999999990, 100000009 and 000000012.  123456789, 123456783 and 987654321
 * fail it; 000000000 is excluded.
 */

static const check_bsn_case_t  check_bsn_cases[] = {

    /* nine digits in a row */
    { "123456782", "XXXXXXXXX", 1 },
    { "111222333", "XXXXXXXXX", 1 },
    { "999999990", "XXXXXXXXX", 1 },
    { "100000009", "XXXXXXXXX", 1 },
    { "000000012", "XXXXXXXXX", 1 },
    { "123456789", "123456789", 0 },
    { "123456783", "123456783", 0 },
    { "987654321", "987654321", 0 },
    { "000000000", "000000000", 0 },
    { "", "", 0 },
    { "x", "x", 0 },

    /* eight and ten digits */
    { "12345678", "12345678", 0 },
    { "23456782", "23456782", 0 },
    { "1234567820", "1234567820", 0 },
    { "1123456782", "1123456782", 0 },
    { "0123456782", "0123456782", 0 },
    { "12345678 2", "12345678 2", 0 },

    /* the edges of a token */
    { "a123456782", "a123456782", 0 },
    { "123456782b", "123456782b", 0 },
    { "Z123456782", "Z123456782", 0 },
    { "123456782Z", "123456782Z", 0 },
    { "a 123456782 b", "a XXXXXXXXX b", 1 },
    { "/dossier/123456782/edit", "/dossier/XXXXXXXXX/edit", 1 },
    { "?bsn=123456782&x=1", "?bsn=XXXXXXXXX&x=1", 1 },
    { "(123456782)", "(XXXXXXXXX)", 1 },
    { "_123456782_", "_XXXXXXXXX_", 1 },
    { "\xc3\xa9" "123456782", "\xc3\xa9" "XXXXXXXXX", 1 },
    { "123456782,111222333", "XXXXXXXXX,XXXXXXXXX", 2 },
    { "123456782 123456789", "XXXXXXXXX 123456789", 1 },
    { "12.123456782", "12.XXXXXXXXX", 1 },
    { "123456782.12", "XXXXXXXXX.12", 1 },

    /* three groups, one separator twice */
    { "1234.56.782", "XXXXXXXXX", 1 },
    { "123 456 782", "XXXXXXXXX", 1 },
    { "123-456-782", "XXXXXXXXX", 1 },
    { "12.3456.782", "XXXXXXXXX", 1 },
    { "12-345-6782", "XXXXXXXXX", 1 },
    { "1234 567 82", "XXXXXXXXX", 1 },
    { "111 222 333", "XXXXXXXXX", 1 },
    { "tel 123-456-782.", "tel XXXXXXXXX.", 1 },
    { "-123.456.782-", "-XXXXXXXXX-", 1 },
    { "123 456 782 111 222 333", "XXXXXXXXX XXXXXXXXX", 2 },
    { "123.456.789", "123.456.789", 0 },
    { "a123.456.782", "a123.456.782", 0 },
    { "123.456.782a", "123.456.782a", 0 },

    /* mixed separators */
    { "123.456-782", "123.456-782", 0 },
    { "123-456.782", "123-456.782", 0 },
    { "123 456-782", "123 456-782", 0 },
    { "123..456..782", "123..456..782", 0 },
    { "123. 456. 782", "123. 456. 782", 0 },
    { "123_456_782", "123_456_782", 0 },

    /* groups too long or too short */
    { "12345.67.82", "12345.67.82", 0 },
    { "1.2345.6782", "1.2345.6782", 0 },
    { "12.34.56782", "12.34.56782", 0 },
    { "1234.5678.2", "1234.5678.2", 0 },
    { "123.456.7820", "123.456.7820", 0 },
    { "0123.456.782", "0123.456.782", 0 },
    { "12.34.567.82", "12.34.567.82", 0 },

    /* percent-encoded digits */
    { "%31%32%33%34%35%36%37%38%32", "XXXXXXXXX", 1 },
    { "12%334567%382", "XXXXXXXXX", 1 },
    { "%31%32%33.456.78%32", "XXXXXXXXX", 1 },
    { "/p/%31%32%33%34%35%36%37%38%32/", "/p/XXXXXXXXX/", 1 },
    { "12345678%32", "XXXXXXXXX", 1 },
    { "%3123456782", "XXXXXXXXX", 1 },
    { "%%31%32%33%34%35%36%37%38%32", "%XXXXXXXXX", 1 },
    { "%31%32%33%34%35%36%37%38%39", "%31%32%33%34%35%36%37%38%39", 0 },
    { "%31%32%33%34%35%36%37%38", "%31%32%33%34%35%36%37%38", 0 },
    { "x%31%32%33%34%35%36%37%38%32", "x%31%32%33%34%35%36%37%38%32", 0 },
    { "%31%32%33%34%35%36%37%38%32y", "%31%32%33%34%35%36%37%38%32y", 0 },
    { "12345678%3", "12345678%3", 0 },
    { "123456782%3", "XXXXXXXXX%3", 1 },
    { "1234567%3%32", "1234567%3%32", 0 },
    { "%3x123456782", "%3x123456782", 0 },
    { "%3", "%3", 0 },
    { "%", "%", 0 },
    { "%123456782", "%XXXXXXXXX", 1 },

    /*
     * A percent-encoded byte that is neither a letter nor a digit bounds a
     * number as the byte itself would: "%2F123456782" is "/123456782".
     */
    { "%2F123456782", "%2FXXXXXXXXX", 1 },
    { "%2f123456782", "%2fXXXXXXXXX", 1 },
    { "%20123456782", "%20XXXXXXXXX", 1 },
    { "%3A123456782", "%3AXXXXXXXXX", 1 },
    { "%3D123456782", "%3DXXXXXXXXX", 1 },
    { "%26123456782", "%26XXXXXXXXX", 1 },
    { "%25123456782", "%25XXXXXXXXX", 1 },
    { "%C3%A9123456782", "%C3%A9XXXXXXXXX", 1 },
    { "%2F123.456.782", "%2FXXXXXXXXX", 1 },
    { "%2F%31%32%33%34%35%36%37%38%32", "%2FXXXXXXXXX", 1 },
    { "next=%2Fdossier%2F123456782%2Fedit",
      "next=%2Fdossier%2FXXXXXXXXX%2Fedit", 1 },
    { "%41123456782", "%41123456782", 0 },
    { "%4a123456782", "%4a123456782", 0 },
    { "%7A123456782", "%7A123456782", 0 },
    { "%2F1234567820", "%2F1234567820", 0 },
    { "%2F123456789", "%2F123456789", 0 },
};


/* every spelling of one number gives the callback the same nine digits */

static const check_bsn_pseudo_t  check_bsn_pseudos[] = {
    { "123456782", "123456782", "bsn-bcdefghiczzzzzzz" },
    { "1234.56.782", "123456782", "bsn-bcdefghiczzzzzzz" },
    { "123 456 782", "123456782", "bsn-bcdefghiczzzzzzz" },
    { "123-456-782", "123456782", "bsn-bcdefghiczzzzzzz" },
    { "%31%32%33%34%35%36%37%38%32", "123456782", "bsn-bcdefghiczzzzzzz" },
    { "12%334567%382", "123456782", "bsn-bcdefghiczzzzzzz" },
    { "%31%32%33.456.78%32", "123456782", "bsn-bcdefghiczzzzzzz" },
    { "12-%33%345-6782", "123456782", "bsn-bcdefghiczzzzzzz" },
    { "/p/123-456-782?x", "123456782", "/p/bsn-bcdefghiczzzzzzz?x" },
    { "%2F123456782", "123456782", "%2Fbsn-bcdefghiczzzzzzz" },
    { "111222333", "111222333", "bsn-bbbcccdddzzzzzzz" },
    { "000000012", "000000012", "bsn-aaaaaaabczzzzzzz" },
    { "a=999 999 990&b", "999999990", "a=bsn-jjjjjjjjazzzzzzz&b" },
};


/* three groups of two to four digits */

static const unsigned  check_bsn_groups[][3] = {
    { 2, 3, 4 }, { 2, 4, 3 }, { 3, 2, 4 }, { 3, 3, 3 }, { 3, 4, 2 },
    { 4, 2, 3 }, { 4, 3, 2 }
};

/* and groups that are not */

static const unsigned  check_bsn_bad_groups[][3] = {
    { 1, 4, 4 }, { 4, 1, 4 }, { 4, 4, 1 }, { 5, 2, 2 }, { 2, 2, 5 },
    { 2, 5, 2 }, { 0, 4, 5 }
};


static uint64_t check_bsn_rand(uint64_t *state);
static int check_bsn_eleven(const unsigned char *d);
static int check_bsn_survives(const unsigned char *text, size_t len);
static void check_bsn_pseudonym(void *data, const unsigned char *digits,
    unsigned char *out);
static unsigned char *check_bsn_scrub(const unsigned char *in, size_t len,
    unsigned mode, size_t *out_len, size_t *found, check_bsn_calls_t *calls);


static uint64_t
check_bsn_rand(uint64_t *state)
{
    /* xorshift64*: repeatable runs */

    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;

    return *state * 0x2545f4914f6cdd1dULL;
}


/* the eleven-test, written again: weights 9 to 2 and -1 */

static int
check_bsn_eleven(const unsigned char *d)
{
    int       i, sum, zero;
    static const int  w[9] = { 9, 8, 7, 6, 5, 4, 3, 2, -1 };

    sum = 0;
    zero = 1;

    for (i = 0; i < 9; i++) {
        sum += w[i] * (d[i] - '0');

        if (d[i] != '0') {
            zero = 0;
        }
    }

    return !zero && ((sum % 11) + 11) % 11 == 0;
}


/*
 * An independent search for BSNs, in two views of a text.  In both, a
 * percent-encoded digit ("%31") is the digit.  In the URL view, any other
 * percent-encoded byte is one byte: "a" for a letter and "!" for anything
 * else, so that it bounds a number, as the byte it stands for would, but
 * never separates the groups of one.
 */

static size_t
check_bsn_decode(unsigned char *dst, const unsigned char *src, size_t len,
    int url)
{
    int            hi, lo;
    size_t         i, n;
    unsigned char  ch;

    n = 0;
    i = 0;

    while (i < len) {

        if (src[i] == '%' && len - i >= 3 && src[i + 1] == '3'
            && check_bsn_digit(src[i + 2]))
        {
            dst[n++] = src[i + 2];
            i += 3;
            continue;
        }

        if (url && src[i] == '%' && len - i >= 3) {
            hi = (src[i + 1] >= '0' && src[i + 1] <= '9') ? src[i + 1] - '0'
                 : ((src[i + 1] | 0x20) >= 'a' && (src[i + 1] | 0x20) <= 'f')
                   ? (src[i + 1] | 0x20) - 'a' + 10 : -1;
            lo = (src[i + 2] >= '0' && src[i + 2] <= '9') ? src[i + 2] - '0'
                 : ((src[i + 2] | 0x20) >= 'a' && (src[i + 2] | 0x20) <= 'f')
                   ? (src[i + 2] | 0x20) - 'a' + 10 : -1;

            if (hi >= 0 && lo >= 0) {
                ch = (unsigned char) (hi * 16 + lo);
                dst[n++] = check_bsn_alpha(ch) ? 'a' : '!';
                i += 3;
                continue;
            }
        }

        dst[n++] = src[i++];
    }

    return n;
}


static int
check_bsn_find(const unsigned char *d, size_t n)
{
    size_t         i, j, k, s, g, total;
    unsigned char  sep, num[9];

    for (i = 0; i < n; i++) {

        if (!check_bsn_digit(d[i]) || (i > 0 && check_bsn_alnum(d[i - 1]))) {
            continue;
        }

        /* nine digits in a row */

        for (j = i; j < n && check_bsn_digit(d[j]); j++) {
            /* void */
        }

        if (j - i == 9 && (j == n || !check_bsn_alnum(d[j]))
            && check_bsn_eleven(d + i))
        {
            return 1;
        }

        /* three groups of two to four digits, one separator twice */

        k = i;
        total = 0;
        sep = 0;

        for (g = 0; g < 3; g++) {

            if (g) {
                if (k == n || (d[k] != '.' && d[k] != ' ' && d[k] != '-')
                    || (g == 2 && d[k] != sep))
                {
                    break;
                }

                sep = d[k++];
            }

            for (s = k; k < n && check_bsn_digit(d[k]); k++) {
                /* void */
            }

            if (k - s < 2 || k - s > 4 || total + (k - s) > 9) {
                break;
            }

            memcpy(num + total, d + s, k - s);
            total += k - s;
        }

        if (g == 3 && total == 9 && (k == n || !check_bsn_alnum(d[k]))
            && check_bsn_eleven(num))
        {
            return 1;
        }
    }

    return 0;
}


static int
check_bsn_survives(const unsigned char *text, size_t len)
{
    int             found;
    size_t          n;
    unsigned char  *d;

    d = malloc(len + 1);
    ck_assert_ptr_nonnull(d);

    n = check_bsn_decode(d, text, len, 0);
    found = check_bsn_find(d, n);

    if (!found) {
        n = check_bsn_decode(d, text, len, 1);
        found = check_bsn_find(d, n);
    }

    free(d);

    return found;
}


/*
 * The test's pseudonym: "bsn-", the nine digits as letters ("0" is "a")
 * and seven "z", so that the digits it got can be seen in the output.
 */

static void
check_bsn_pseudonym(void *data, const unsigned char *digits,
    unsigned char *out)
{
    size_t              i;
    check_bsn_calls_t  *calls;

    calls = data;
    calls->calls++;

    for (i = 0; i < 9; i++) {
        if (!check_bsn_digit(digits[i])) {
            calls->bad++;
        }
    }

    memcpy(calls->digits, digits, 9);

    memcpy(out, "bsn-", 4);

    for (i = 0; i < 9; i++) {
        out[4 + i] = (unsigned char) ('a' + (unsigned char) (digits[i] - '0')
                                            % 26);
    }

    memset(out + 13, 'z', 7);
}


/*
 * Scrubs "in" three times: measuring (dst NULL), writing, and writing
 * without "found".  Checks what holds for every text: the same length and
 * count each time, at most 3 * len bytes, nothing written past them, the
 * callback called once per BSN written and never when measuring.  Returns
 * the output, NUL-terminated, for the caller to free.
 */

static unsigned char *
check_bsn_scrub(const unsigned char *in, size_t len, unsigned mode,
    size_t *out_len, size_t *found, check_bsn_calls_t *calls)
{
    size_t             i, n, n2, n3, f, f2, size;
    unsigned char     *out, *out3, *copy;
    ngx_anon_bsn_t     bsn;
    check_bsn_calls_t  local;

    if (calls == NULL) {
        calls = &local;
    }

    memset(calls, 0, sizeof(check_bsn_calls_t));

    bsn.mode = mode;
    bsn.pseudonym = (mode == NGX_ANON_BSN_PSEUDONYMIZE) ? check_bsn_pseudonym
                                                        : NULL;
    bsn.data = calls;

    /* an exact copy: reading past it shows under a sanitizer */

    copy = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, in, len);
    in = copy;

    f = (size_t) -1;
    n = ngx_anon_bsn_scrub(NULL, in, len, &bsn, &f);

    ck_assert_msg(calls->calls == 0, "pseudonym called without dst");
    ck_assert_msg(n <= 3 * len, "output %zu > 3 * %zu", n, len);

    size = 3 * len + CHECK_BSN_GUARD;

    out = malloc(size + 1);
    out3 = malloc(size + 1);
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(out3);

    memset(out, 0xa5, size + 1);
    memset(out3, 0x5a, size + 1);

    f2 = (size_t) -2;
    n2 = ngx_anon_bsn_scrub(out, in, len, &bsn, &f2);

    ck_assert_uint_eq(n2, n);
    ck_assert_uint_eq(f2, f);
    ck_assert_uint_eq(calls->bad, 0);

    if (mode == NGX_ANON_BSN_PSEUDONYMIZE) {
        ck_assert_uint_eq(calls->calls, f);
    }

    for (i = n; i < size + 1; i++) {
        if (out[i] != 0xa5) {
            ck_abort_msg("byte %zu written past the output (%zu)", i, n);
        }
    }

    memset(&local, 0, sizeof(check_bsn_calls_t));
    bsn.data = &local;
    n3 = ngx_anon_bsn_scrub(out3, in, len, &bsn, NULL);

    ck_assert_uint_eq(n3, n);
    ck_assert_msg(memcmp(out, out3, n) == 0, "output differs without found");

    free(out3);
    free(copy);

    out[n] = '\0';
    *out_len = n;

    if (found) {
        *found = f;
    }

    return out;
}


/* a valid number: eight random digits and the check digit */

static void
check_bsn_random_valid(uint64_t *state, unsigned char *d)
{
    int       i, sum;
    unsigned  zero;

    for ( ;; ) {
        sum = 0;
        zero = 1;

        for (i = 0; i < 8; i++) {
            d[i] = (unsigned char) ('0' + check_bsn_rand(state) % 10);
            sum += (9 - i) * (d[i] - '0');

            if (d[i] != '0') {
                zero = 0;
            }
        }

        if (!zero && sum % 11 != 10) {
            d[8] = (unsigned char) ('0' + sum % 11);
            return;
        }
    }
}


/* a digit, percent-encoded one time in four */

static size_t
check_bsn_put_digit(uint64_t *state, unsigned char *p, unsigned char digit)
{
    if (check_bsn_rand(state) % 4 == 0) {
        p[0] = '%';
        p[1] = '3';
        p[2] = digit;
        return 3;
    }

    p[0] = digit;
    return 1;
}


/*
 * Writes n digits at p, plainly (groups NULL) or in three groups with the
 * separators seps[0] and seps[1]; returns the length.
 */

static size_t
check_bsn_spell(uint64_t *state, unsigned char *p, const unsigned char *d,
    size_t n, const unsigned *groups, const char *seps)
{
    size_t          i, g, k;
    unsigned char  *start;

    start = p;

    if (groups == NULL) {
        for (i = 0; i < n; i++) {
            p += check_bsn_put_digit(state, p, d[i]);
        }

        return p - start;
    }

    k = 0;

    for (g = 0; g < 3; g++) {
        if (g) {
            *p++ = (unsigned char) seps[g - 1];
        }

        for (i = 0; i < groups[g]; i++) {
            p += check_bsn_put_digit(state, p, d[k++]);
        }
    }

    return p - start;
}


START_TEST(test_valid)
{
    size_t         i, valid;
    uint64_t       state;
    unsigned char  d[9];

    static const struct {
        const char  *digits;
        int          valid;
    } known[] = {
        { "123456782", 1 }, { "111222333", 1 }, { "999999990", 1 },
        { "100000009", 1 }, { "010000008", 1 }, { "000000012", 1 },
        { "123456789", 0 }, { "123456783", 0 }, { "987654321", 0 },
        { "000000000", 0 }, { "000000001", 0 }, { "999999999", 0 },
        { "246813579", 0 }, { "135792468", 0 }
    };

    for (i = 0; i < check_bsn_nelts(known); i++) {
        ck_assert_msg(!ngx_anon_bsn_valid((const unsigned char *)
                                          known[i].digits)
                      == !known[i].valid,
                      "%s: expected %d", known[i].digits, known[i].valid);
        ck_assert_int_eq(check_bsn_eleven((const unsigned char *)
                                          known[i].digits),
                         known[i].valid);
    }

    /* random numbers: the same answer as the test's own eleven-test */

    state = 0x5bd1e9955bd1e995ULL;
    valid = 0;

    for (i = 0; i < 10 * CHECK_BSN_SAMPLES; i++) {
        check_bsn_random_valid(&state, d);

        if (check_bsn_rand(&state) % 2) {
            d[check_bsn_rand(&state) % 9] =
                (unsigned char) ('0' + check_bsn_rand(&state) % 10);
        }

        if (!ngx_anon_bsn_valid(d) != !check_bsn_eleven(d)) {
            ck_abort_msg("%.9s: %d, expected %d", d, ngx_anon_bsn_valid(d),
                         check_bsn_eleven(d));
        }

        valid += check_bsn_eleven(d);
    }

    /* about half valid, and any one changed digit breaks the test */
    ck_assert_uint_gt(valid, 5 * CHECK_BSN_SAMPLES);
    ck_assert_uint_lt(valid, 6 * CHECK_BSN_SAMPLES);

    for (i = 0; i < 9; i++) {
        memcpy(d, "123456782", 9);
        d[i] = (d[i] == '9') ? '0' : d[i] + 1;
        ck_assert_int_eq(ngx_anon_bsn_valid(d), 0);
    }
}
END_TEST


START_TEST(test_redact)
{
    size_t                   n, found;
    unsigned char           *out;
    const check_bsn_case_t  *c;

    c = &check_bsn_cases[_i];

    out = check_bsn_scrub((const unsigned char *) c->in, strlen(c->in),
                          NGX_ANON_BSN_REDACT, &n, &found, NULL);

    ck_assert_msg(n == strlen(c->out) && memcmp(out, c->out, n) == 0,
                  "\"%s\": \"%s\", expected \"%s\"", c->in, out, c->out);
    ck_assert_msg(found == c->found, "\"%s\": found %zu, expected %zu",
                  c->in, found, c->found);

    /* the independent search agrees: what is left holds no BSN */
    ck_assert_msg(!check_bsn_survives(out, n), "\"%s\" survives", out);

    free(out);
}
END_TEST


START_TEST(test_mask)
{
    ck_assert_str_eq(NGX_ANON_BSN_MASK, "XXXXXXXXX");
    ck_assert_uint_eq(NGX_ANON_BSN_PSEUDONYM_LEN, 20);
}
END_TEST


START_TEST(test_pseudonymize)
{
    size_t                     n, found;
    unsigned char             *out;
    check_bsn_calls_t          calls;
    const check_bsn_pseudo_t  *c;

    c = &check_bsn_pseudos[_i];

    out = check_bsn_scrub((const unsigned char *) c->in, strlen(c->in),
                          NGX_ANON_BSN_PSEUDONYMIZE, &n, &found, &calls);

    ck_assert_uint_eq(found, 1);
    ck_assert_uint_eq(calls.calls, 1);
    ck_assert_msg(memcmp(calls.digits, c->digits, 9) == 0,
                  "\"%s\": the callback got \"%.9s\", expected \"%s\"",
                  c->in, calls.digits, c->digits);
    ck_assert_msg(n == strlen(c->out) && memcmp(out, c->out, n) == 0,
                  "\"%s\": \"%s\", expected \"%s\"", c->in, out, c->out);

    free(out);
}
END_TEST


START_TEST(test_pseudonymize_data)
{
    size_t              n;
    unsigned char       out[64];
    ngx_anon_bsn_t      bsn;
    check_bsn_calls_t   calls[2];

    /* the callback gets bsn->data, untouched */

    memset(calls, 0, sizeof(calls));

    bsn.mode = NGX_ANON_BSN_PSEUDONYMIZE;
    bsn.pseudonym = check_bsn_pseudonym;
    bsn.data = &calls[1];

    n = ngx_anon_bsn_scrub(out, (const unsigned char *) "1 123456782 111222333",
                           21, &bsn, NULL);

    ck_assert_uint_eq(n, 3 + 2 * NGX_ANON_BSN_PSEUDONYM_LEN);
    ck_assert_uint_eq(calls[0].calls, 0);
    ck_assert_uint_eq(calls[1].calls, 2);
    ck_assert(memcmp(calls[1].digits, "111222333", 9) == 0);
    ck_assert(memcmp(out, "1 bsn-bcdefghiczzzzzzz bsn-bbbcccdddzzzzzzz", n)
              == 0);
}
END_TEST


START_TEST(test_survives_self)
{
    size_t  i;

    /* the independent search itself finds what it must */

    static const struct {
        const char  *text;
        int          found;
    } known[] = {
        { "123456782", 1 }, { "x/123456782/y", 1 }, { "123 456 782", 1 },
        { "1234.56.782", 1 }, { "12-345-6782", 1 },
        { "%31%32%33%34%35%36%37%38%32", 1 }, { "%2F123456782", 1 },
        { "%20123456782", 1 }, { "%123456782", 1 }, { "%C3%A9123456782", 1 },
        { "123456789", 0 }, { "a123456782", 0 }, { "123456782a", 0 },
        { "1234567820", 0 }, { "123.456-782", 0 }, { "%41123456782", 0 },
        { "12345.67.82", 0 }, { "XXXXXXXXX", 0 },
        { "bsn-bcdefghiczzzzzzz", 0 }, { "000000000", 0 }
    };

    for (i = 0; i < check_bsn_nelts(known); i++) {
        ck_assert_msg(check_bsn_survives((const unsigned char *)
                                         known[i].text,
                                         strlen(known[i].text))
                      == known[i].found,
                      "\"%s\": expected %d", known[i].text, known[i].found);
    }
}
END_TEST



/*
 * One token of a text whose tokens stand between delimiters that are
 * neither separators nor letters or digits, so that the test knows what
 * it must become: valid numbers in every spelling, also after an escaped
 * separator ("%2F"), are replaced; near misses (a changed digit, eight or
 * ten digits, a letter or an escaped letter next to it, mixed separators,
 * groups too long or too short, other text) are kept.  Writes the token
 * to "tok" and what it must become to "exp"; returns the token's length.
 */

static size_t
check_bsn_token(uint64_t *state, unsigned mode, unsigned char *tok,
    unsigned char *exp, size_t *exp_len, size_t *found)
{
    size_t           i, n, len;
    unsigned         kind, pre, post;
    const char      *esc;
    unsigned char    d[10];
    const unsigned  *groups, *bad;
    char             seps[2];

    static const char  sepch[] = ". -";
    static const char  letters[] = "aZbYxq";
    static const char  *escapes[] = {
        "%2F", "%2f", "%20", "%3A", "%26", "%3D", "%C3%A9", "%25", "%0A"
    };
    static const char  *letter_escapes[] = { "%41", "%4a", "%7A", "%62" };

    check_bsn_random_valid(state, d);

    groups = (check_bsn_rand(state) % 2)
             ? check_bsn_groups[check_bsn_rand(state)
                                % check_bsn_nelts(check_bsn_groups)]
             : NULL;

    seps[0] = sepch[check_bsn_rand(state) % 3];
    seps[1] = seps[0];

    len = 0;
    esc = "";
    kind = (unsigned) (check_bsn_rand(state) % 10);

    switch (kind) {

    case 0: /* a valid number */
    case 1:
        len = check_bsn_spell(state, tok, d, 9, groups, seps);
        break;

    case 2: /* an escaped separator before it */
        esc = escapes[check_bsn_rand(state) % check_bsn_nelts(escapes)];
        len = strlen(esc);
        memcpy(tok, esc, len);
        len += check_bsn_spell(state, tok + len, d, 9, groups, seps);
        break;

    case 3: /* one digit changed */
        i = check_bsn_rand(state) % 9;
        d[i] = (unsigned char) ('0' + (d[i] - '0' + 1
                                       + check_bsn_rand(state) % 9) % 10);
        len = check_bsn_spell(state, tok, d, 9, groups, seps);
        break;

    case 4: /* eight or ten digits */
        if (check_bsn_rand(state) % 2) {
            len = check_bsn_spell(state, tok, d + check_bsn_rand(state) % 2,
                                  8, NULL, NULL);

        } else {
            d[9] = (unsigned char) ('0' + check_bsn_rand(state) % 10);
            len = check_bsn_spell(state, tok, d, 10, NULL, NULL);
        }
        break;

    case 5: /* a letter or an escaped letter before, a letter after */
        pre = (unsigned) (check_bsn_rand(state) % 3);
        post = (pre == 0) ? 1 : (unsigned) (check_bsn_rand(state) % 2);

        if (pre == 1) {
            tok[len++] = (unsigned char)
                         letters[check_bsn_rand(state) % (sizeof(letters) - 1)];

        } else if (pre == 2) {
            memcpy(tok, letter_escapes[check_bsn_rand(state)
                                       % check_bsn_nelts(letter_escapes)], 3);
            len = 3;
        }

        len += check_bsn_spell(state, tok + len, d, 9, groups, seps);

        if (post) {
            tok[len++] = (unsigned char)
                         letters[check_bsn_rand(state) % (sizeof(letters) - 1)];
        }
        break;

    case 6: /* mixed separators */
        seps[1] = sepch[(strchr(sepch, seps[0]) - sepch + 1
                         + check_bsn_rand(state) % 2) % 3];
        len = check_bsn_spell(state, tok, d, 9,
                              check_bsn_groups[check_bsn_rand(state)
                                           % check_bsn_nelts(check_bsn_groups)],
                              seps);
        break;

    case 7: /* groups too long or too short */
        bad = check_bsn_bad_groups[check_bsn_rand(state)
                                   % check_bsn_nelts(check_bsn_bad_groups)];
        d[9] = (unsigned char) ('0' + check_bsn_rand(state) % 10);
        len = check_bsn_spell(state, tok, d, bad[0] + bad[1] + bad[2], bad,
                              seps);
        break;

    default: /* other text */
        n = 1 + check_bsn_rand(state) % 6;

        for (i = 0; i < n; i++) {
            tok[len++] = (unsigned char) "abcXYZ%%"[check_bsn_rand(state) % 8];
        }

        break;
    }

    if (kind > 2) {
        memcpy(exp, tok, len);
        *exp_len = len;
        return len;
    }

    /* the escaped separator stays, the number is replaced */

    n = 0;

    if (kind == 2) {
        n = strlen(esc);
        memcpy(exp, esc, n);
    }

    if (mode == NGX_ANON_BSN_REDACT) {
        memcpy(exp + n, NGX_ANON_BSN_MASK, 9);
        n += 9;

    } else {
        memcpy(exp + n, "bsn-", 4);

        for (i = 0; i < 9; i++) {
            exp[n + 4 + i] = (unsigned char) ('a' + d[i] - '0');
        }

        memset(exp + n + 13, 'z', 7);
        n += 20;
    }

    *exp_len = n;
    (*found)++;

    return len;
}


START_TEST(test_tokens)
{
    size_t          t, k, ntok, len, elen, n, tlen, found, expect_found;
    unsigned        mode;
    uint64_t        state;
    unsigned char  *in, *expect, *out;

    static const char  delims[] = "/&=,;()!?~*'_:";

    mode = (_i == 0) ? NGX_ANON_BSN_REDACT : NGX_ANON_BSN_PSEUDONYMIZE;
    state = 0x853c49e6748fea9bULL + _i;

    in = malloc(CHECK_BSN_TEXT);
    expect = malloc(3 * CHECK_BSN_TEXT);
    ck_assert_ptr_nonnull(in);
    ck_assert_ptr_nonnull(expect);

    for (t = 0; t < CHECK_BSN_SAMPLES / 2; t++) {

        len = 0;
        elen = 0;
        expect_found = 0;
        ntok = 1 + check_bsn_rand(&state) % 8;

        for (k = 0; k < ntok; k++) {

            if (k) {
                in[len] = (unsigned char) delims[check_bsn_rand(&state)
                                                 % (sizeof(delims) - 1)];
                expect[elen++] = in[len++];
            }

            len += check_bsn_token(&state, mode, in + len, expect + elen,
                                   &tlen, &expect_found);
            elen += tlen;
        }

        out = check_bsn_scrub(in, len, mode, &n, &found, NULL);

        if (n != elen || memcmp(out, expect, n) != 0
            || found != expect_found)
        {
            ck_abort_msg("\"%.*s\": \"%s\" (%zu), expected \"%.*s\" (%zu)",
                         (int) len, in, out, found, (int) elen, expect,
                         expect_found);
        }

        free(out);
    }

    free(in);
    free(expect);
}
END_TEST


/*
 * Random texts over a small alphabet of digits, separators, percent signs
 * and letters, with valid numbers in random spellings mixed in: the
 * independent search finds no BSN in what comes out, and finds one in
 * what goes in whenever the scanner reports one.
 */

START_TEST(test_random)
{
    size_t          t, i, len, n, found, with, target;
    unsigned        mode;
    uint64_t        state;
    unsigned char   d[9], *in, *out;
    char            seps[2];

    static const char  alphabet[] = "0123456789012345678901234567890123456789"
                                    "..  --%%%%3322FfAa/+";
    static const char  *glue[] = {
        "", "", "/", " ", ".", "-", "a", "%", "%2F", "%20", "%41", "%3",
        "%C3%A9"
    };

    mode = (_i == 0) ? NGX_ANON_BSN_REDACT : NGX_ANON_BSN_PSEUDONYMIZE;
    state = 0xda3e39cb94b95bdbULL + _i;

    in = malloc(CHECK_BSN_TEXT);
    ck_assert_ptr_nonnull(in);

    with = 0;

    for (t = 0; t < CHECK_BSN_SAMPLES; t++) {

        len = 0;
        target = check_bsn_rand(&state) % 160;

        while (len < target) {

            if (check_bsn_rand(&state) % 12 == 0) {
                n = check_bsn_rand(&state) % check_bsn_nelts(glue);
                memcpy(in + len, glue[n], strlen(glue[n]));
                len += strlen(glue[n]);

                check_bsn_random_valid(&state, d);
                seps[0] = ". -"[check_bsn_rand(&state) % 3];
                seps[1] = (check_bsn_rand(&state) % 8) ? seps[0]
                          : ". -"[check_bsn_rand(&state) % 3];

                len += check_bsn_spell(&state, in + len, d, 9,
                                       (check_bsn_rand(&state) % 2)
                                       ? check_bsn_groups[check_bsn_rand(&state)
                                         % check_bsn_nelts(check_bsn_groups)]
                                       : NULL,
                                       seps);

                n = check_bsn_rand(&state) % check_bsn_nelts(glue);
                memcpy(in + len, glue[n], strlen(glue[n]));
                len += strlen(glue[n]);
                continue;
            }

            in[len++] = (unsigned char) alphabet[check_bsn_rand(&state)
                                                 % (sizeof(alphabet) - 1)];
        }

        out = check_bsn_scrub(in, len, mode, &n, &found, NULL);

        if (check_bsn_survives(out, n)) {
            ck_abort_msg("a BSN survives in \"%s\" from \"%.*s\"", out,
                         (int) len, in);
        }

        if (check_bsn_survives(in, len)) {
            with++;

            if (found == 0) {
                ck_abort_msg("\"%.*s\": nothing found", (int) len, in);
            }
        }

        /* nothing else changed: the text is the same where no BSN was */

        if (found == 0 && (n != len || memcmp(in, out, len) != 0)) {
            ck_abort_msg("\"%.*s\" changed to \"%s\"", (int) len, in, out);
        }

        for (i = 0; i < n; i++) {
            if (out[i] == 0xa5) {
                ck_abort_msg("output byte %zu not written", i);
            }
        }

        free(out);
    }

    /* the texts did hold numbers to find */
    ck_assert_uint_gt(with, CHECK_BSN_SAMPLES / 4);

    free(in);
}
END_TEST


Suite *
ngx_anon_bsn_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("ngx_anon_bsn");

    tc = tcase_create("core");
    tcase_add_test(tc, test_valid);
    tcase_add_test(tc, test_mask);
    tcase_add_loop_test(tc, test_redact, 0, check_bsn_nelts(check_bsn_cases));
    tcase_add_loop_test(tc, test_pseudonymize, 0,
                        check_bsn_nelts(check_bsn_pseudos));
    tcase_add_test(tc, test_pseudonymize_data);
    tcase_add_test(tc, test_survives_self);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("property");
    tcase_add_loop_test(tc, test_tokens, 0, 2);
    tcase_add_loop_test(tc, test_random, 0, 2);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    return s;
}
