
/*
 * Copyright (C) ngx_anon authors
 */


/*
 * Differential test of ngx_anon_args.c: the unit as built, with its fast
 * paths, against a reference copy of it compiled here without them
 * (NGX_ANON_ARGS_REFERENCE), which must give the same results and the
 * same output bytes for every input: the fuzzing corpus of the arguments
 * and random query strings made of realistic pieces, under every set of
 * names, BSN mode, "addresses" and sampled prefixes.  Inputs and buffers
 * end right before inaccessible pages, so that reading or writing past
 * them faults.
 */


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include "ngx_anon_args.h"
#include "check_anon.h"


int ngx_anon_args_match_reference(const unsigned char *src, size_t len,
    const ngx_anon_name_t *names, size_t nnames);
size_t ngx_anon_args_scrub_reference(unsigned char *dst,
    const unsigned char *src, size_t len, const ngx_anon_name_t *names,
    size_t nnames, unsigned prefix4, unsigned prefix6, unsigned char *work);
size_t ngx_anon_args_scrub_bsn_reference(unsigned char *dst,
    const unsigned char *src, size_t len, const ngx_anon_name_t *names,
    size_t nnames, int addresses, unsigned prefix4, unsigned prefix6,
    const ngx_anon_bsn_t *bsn, unsigned char *work);
size_t ngx_anon_args_encode_reference(unsigned char *dst,
    const unsigned char *src, size_t len);


#define NGX_ANON_ARGS_REFERENCE  1

#define ngx_anon_args_match      ngx_anon_args_match_reference
#define ngx_anon_args_scrub      ngx_anon_args_scrub_reference
#define ngx_anon_args_scrub_bsn  ngx_anon_args_scrub_bsn_reference
#define ngx_anon_args_encode     ngx_anon_args_encode_reference

#include "../../ngx_anon_module/ngx_anon_args.c"

#undef ngx_anon_args_match
#undef ngx_anon_args_scrub
#undef ngx_anon_args_scrub_bsn
#undef ngx_anon_args_encode


#define CHECK_REF_QUERIES    300000
#define CHECK_REF_QUERY      2048       /* longest query string */
#define CHECK_REF_CORPUS     "t/fuzz/corpus/args"

#define check_ref_nelts(a)   (sizeof(a) / sizeof((a)[0]))
#define check_ref_name(s)    { (const unsigned char *) (s), sizeof(s) - 1 }


typedef struct {
    const ngx_anon_name_t  *names;
    size_t                  nnames;
} check_ref_names_t;


typedef struct {
    unsigned char  *src;
    unsigned char  *dst;
    unsigned char  *work;
    unsigned char  *dst_ref;
    unsigned char  *work_ref;
    size_t          dsize;
    size_t          wsize;
    uint64_t        cases;
} check_ref_bufs_t;


typedef struct {
    check_ref_bufs_t  *b;
    uint64_t           state;
} check_ref_corpus_t;


static void check_ref_pseudonym(void *data, const unsigned char *digits,
    unsigned char *out);
static void check_ref_bufs_init(check_ref_bufs_t *b);
static void check_ref_bufs_free(check_ref_bufs_t *b);
static void check_ref_one(check_ref_bufs_t *b, const unsigned char *q,
    size_t len, const check_ref_names_t *nm, int addresses,
    const ngx_anon_bsn_t *bsn, unsigned prefix4, unsigned prefix6);
static void check_ref_all(check_ref_bufs_t *b, const unsigned char *q,
    size_t len, uint64_t *state);
static size_t check_ref_random_query(uint64_t *state, unsigned char *buf);
static void check_ref_corpus_file(void *ctx, const unsigned char *data,
    size_t n);


static const ngx_anon_name_t  check_ref_cip[] = {
    check_ref_name("cip")
};

static const ngx_anon_name_t  check_ref_tracking[] = {
    check_ref_name("cip"),
    check_ref_name("url"),
    check_ref_name("urlref")
};

/* names nobody configures, for the exact semantics of the comparison */
static const ngx_anon_name_t  check_ref_odd[] = {
    check_ref_name("URL"),
    check_ref_name("c\0p"),
    check_ref_name("a"),
    check_ref_name("_id"),
    check_ref_name("x%41"),
    check_ref_name("a=b"),
    check_ref_name("@"),
    check_ref_name("1"),
    check_ref_name("a_name_of_more_than_thirty_one_bytes"),
    check_ref_name("")
};

static const check_ref_names_t  check_ref_lists[] = {
    { check_ref_cip, check_ref_nelts(check_ref_cip) },
    { check_ref_tracking, check_ref_nelts(check_ref_tracking) },
    { check_ref_odd, check_ref_nelts(check_ref_odd) },
    { check_ref_odd + 9, 1 },
    { NULL, 0 }
};


static void
check_ref_pseudonym(void *data, const unsigned char *digits,
    unsigned char *out)
{
    size_t  i;

    static const char  hex[] = "0123456789abcdef";

    (void) data;

    memcpy(out, "bsn-", 4);

    for (i = 0; i < NGX_ANON_BSN_PSEUDONYM_LEN - 4; i++) {
        out[4 + i] = (unsigned char) hex[(digits[i % 9] * 7 + i) & 0x0f];
    }
}


static const ngx_anon_bsn_t  check_ref_bsns[] = {
    { NGX_ANON_BSN_OFF, NULL, NULL },
    { NGX_ANON_BSN_REDACT, NULL, NULL },
    { NGX_ANON_BSN_PSEUDONYMIZE, check_ref_pseudonym, NULL }
};


static void
check_ref_bufs_init(check_ref_bufs_t *b)
{
    b->dsize = ngx_anon_args_bsn_dst_size(CHECK_REF_QUERY);
    b->wsize = ngx_anon_args_bsn_work_size(CHECK_REF_QUERY);

    b->src = check_anon_guard_alloc(CHECK_REF_QUERY);
    b->dst = check_anon_guard_alloc(b->dsize);
    b->work = check_anon_guard_alloc(b->wsize);
    b->dst_ref = malloc(b->dsize);
    b->work_ref = malloc(b->wsize);
    b->cases = 0;

    ck_assert(b->dst_ref != NULL && b->work_ref != NULL);
}


static void
check_ref_bufs_free(check_ref_bufs_t *b)
{
    free(b->work_ref);
    free(b->dst_ref);
    check_anon_guard_free(b->work, b->wsize);
    check_anon_guard_free(b->dst, b->dsize);
    check_anon_guard_free(b->src, CHECK_REF_QUERY);
}


/*
 * One query under one configuration: ngx_anon_args_match(), then
 * ngx_anon_args_scrub_bsn() (with bsn NULL: ngx_anon_args_scrub()), with
 * buffers of exactly the sizes the header asks for, at the end of their
 * guarded pages.
 */

static void
check_ref_one(check_ref_bufs_t *b, const unsigned char *q, size_t len,
    const check_ref_names_t *nm, int addresses, const ngx_anon_bsn_t *bsn,
    unsigned prefix4, unsigned prefix6)
{
    int             m, mr;
    size_t          n, nr, ds, ws;
    unsigned char  *src, *dst, *work;

    src = b->src + CHECK_REF_QUERY - len;
    memcpy(src, q, len);

    m = ngx_anon_args_match(src, len, nm->names, nm->nnames);
    mr = ngx_anon_args_match_reference(q, len, nm->names, nm->nnames);

    /* assertions only on failure: each one is a message to the runner */

    if (m != mr) {
        ck_abort_msg("match \"%s\" (%zu names): %d, reference %d",
                     check_anon_escape(q, len), nm->nnames, m, mr);
    }

    if (bsn == NULL) {
        ds = ngx_anon_args_dst_size(len);
        ws = ngx_anon_args_work_size(len);
        dst = b->dst + b->dsize - ds;
        work = b->work + b->wsize - ws;

        n = ngx_anon_args_scrub(dst, src, len, nm->names, nm->nnames,
                                prefix4, prefix6, work);
        nr = ngx_anon_args_scrub_reference(b->dst_ref, q, len, nm->names,
                                           nm->nnames, prefix4, prefix6,
                                           b->work_ref);

    } else {
        ds = ngx_anon_args_bsn_dst_size(len);
        ws = ngx_anon_args_bsn_work_size(len);
        dst = b->dst + b->dsize - ds;
        work = b->work + b->wsize - ws;

        n = ngx_anon_args_scrub_bsn(dst, src, len, nm->names, nm->nnames,
                                    addresses, prefix4, prefix6, bsn, work);
        nr = ngx_anon_args_scrub_bsn_reference(b->dst_ref, q, len,
                                               nm->names, nm->nnames,
                                               addresses, prefix4, prefix6,
                                               bsn, b->work_ref);
    }

    if (n != nr || memcmp(dst, b->dst_ref, n) != 0 || n > ds) {
        ck_abort_msg("scrub \"%s\" (%zu names, addresses %d, bsn %d, "
                     "%u/%u): %zu bytes, reference %zu",
                     check_anon_escape(q, len), nm->nnames, addresses,
                     bsn ? (int) bsn->mode : -1, prefix4, prefix6, n, nr);
    }

    b->cases++;
}


/* a query under every list of names and BSN mode, addresses or not */

static void
check_ref_all(check_ref_bufs_t *b, const unsigned char *q, size_t len,
    uint64_t *state)
{
    size_t                    i, k, n, nr;
    unsigned                  p4, p6;
    const check_ref_names_t  *nm;

    static unsigned char  enc[3 * CHECK_REF_QUERY],
                          enc_ref[3 * CHECK_REF_QUERY];

    for (i = 0; i < check_ref_nelts(check_ref_lists); i++) {
        nm = &check_ref_lists[i];

        check_anon_prefixes(state, &p4, &p6);
        check_ref_one(b, q, len, nm, 1, NULL, p4, p6);

        for (k = 0; k < check_ref_nelts(check_ref_bsns); k++) {
            check_anon_prefixes(state, &p4, &p6);
            check_ref_one(b, q, len, nm, 1, &check_ref_bsns[k], p4, p6);
            check_ref_one(b, q, len, nm, 0, &check_ref_bsns[k], p4, p6);
        }
    }

    n = ngx_anon_args_encode(enc, q, len);
    nr = ngx_anon_args_encode_reference(enc_ref, q, len);

    if (n != nr || ngx_anon_args_encode(NULL, q, len) != n
        || memcmp(enc, enc_ref, n) != 0)
    {
        ck_abort_msg("encode \"%s\"", check_anon_escape(q, len));
    }
}


/* random query strings from the pieces of tracking requests */

static size_t
check_ref_random_query(uint64_t *state, unsigned char *buf)
{
    size_t          i, k, n, len, args;
    uint64_t        r;
    const char     *s;
    unsigned char   text[128];

    static const char  *names[] = {
        "cip", "CIP", "Cip", "c%69p", "C%49P", "ci+p", "c%2569p", "%63ip",
        "cip%00", "%00cip", "c%", "%", "+", "url", "URL", "u%72l",
        "urlref", "urlRef", "idsite", "rec", "action_name", "_id",
        "dimension1", "a", "", "ci", "cipx", "xcip", "c\0p", "_cvar",
        "res", "a_name_of_more_than_thirty_one_bytes", "@ip", "1", "a=b",
        "%2B", "x%41", "x%2541"
    };

    static const char  *values[] = {
        "198.51.100.77", "1", "Home", "https%3A%2F%2Fbench.example%2F",
        "https%3A%2F%2F192.0.2.1%2Fpath%3Fa%3D1", "2001:db8:cafe::17",
        "2001%3Adb8%3Acafe%3A%3A17", "2001%253Adb8%253A%253A1",
        "%2531%2539%2538.51.100.7", "%31%39%38.51.100.7", "123456782",
        "111222333", "1234.56.782", "123-456-782", "123+456+782",
        "%31%32%33456782", "%2531%2532%2533456782", "+198.51.100.7+",
        "a+b", "", "=", "==", "%", "%%", "%2", "%zz", "%25", "%2B",
        "\xff\xfe" "1.2.3.4\xc3\x28", "198.51.0.0", "::fff", "::1",
        "10.1.2.3%2C10.4.5.6", "1920x1080", "0", "~-._", "%3A%3A",
        "198.51.100.77:4711", "[2001:db8::1]:80", "\0"
    };

    r = check_anon_rand(state);
    args = (size_t) (r % 12);
    n = 0;

    if ((r >> 8) % 16 == 0) {
        buf[n++] = '&';
    }

    for (i = 0; i < args && n + 512 < CHECK_REF_QUERY; i++) {
        r = check_anon_rand(state);

        if (i) {
            buf[n++] = '&';
        }

        switch ((r >> 4) % 16) {

        case 0:
            /* empty argument: "&&" */
            continue;

        case 1:
            /* "=" without a name */
            break;

        case 2:
            /* a random name */
            len = (size_t) ((r >> 12) % 10);

            for (k = 0; k < len; k++) {
                buf[n++] = (unsigned char) check_anon_rand(state);
            }

            break;

        default:
            s = names[(r >> 12) % check_ref_nelts(names)];
            len = (s[0] == 'c' && s[1] == '\0' && s[2] == 'p') ? 3
                  : strlen(s);
            memcpy(buf + n, s, len);
            n += len;
        }

        if ((r >> 20) % 16 == 0) {
            /* no value */
            continue;
        }

        buf[n++] = '=';

        switch ((r >> 24) % 8) {

        case 0:
            /* random text of addresses, separators and junk */
            len = check_anon_random_text(state, text, sizeof(text));

            for (k = 0; k < len; k++) {
                buf[n++] = (text[k] == '&') ? '+' : text[k];
            }

            break;

        case 1:
            /* two pieces */
            s = values[(r >> 32) % check_ref_nelts(values)];
            len = strlen(s);
            memcpy(buf + n, s, len);
            n += len;

            s = values[(r >> 40) % check_ref_nelts(values)];
            len = strlen(s);
            memcpy(buf + n, s, len);
            n += len;
            break;

        case 2:
            /* random bytes but "&" */
            len = (size_t) ((r >> 32) % 24);

            for (k = 0; k < len; k++) {
                buf[n] = (unsigned char) check_anon_rand(state);
                n += (buf[n] != '&');
            }

            break;

        default:
            s = values[(r >> 32) % check_ref_nelts(values)];
            len = (s[0] == '\0') ? 1 : strlen(s);
            memcpy(buf + n, s, len);
            n += len;
        }
    }

    r = check_anon_rand(state);

    if (r % 8 == 0) {
        buf[n++] = '&';
    }

    /* now and then a byte changed to one that matters */

    if (n && (r >> 8) % 4 == 0) {
        buf[(r >> 16) % n] = (unsigned char) "&=%+\0A@"[(r >> 40) % 7];
    }

    return n;
}


START_TEST(test_args_ref_corpus)
{
    check_ref_bufs_t    b;
    unsigned char       data[CHECK_REF_QUERY + 3];
    check_ref_corpus_t  ctx;

    check_ref_bufs_init(&b);

    ctx.b = &b;
    ctx.state = 0x510e527fade682d1ULL;

    check_anon_corpus(CHECK_REF_CORPUS, data, sizeof(data),
                      check_ref_corpus_file, &ctx);

    if (getenv("CHECK_ANON_VERBOSE")) {
        printf("check_anon_args_ref: corpus: %llu cases\n",
               (unsigned long long) b.cases);
    }

    check_ref_bufs_free(&b);
}
END_TEST


/*
 * A corpus file as t/fuzz/fuzz_args.c reads it, the query after 3 bytes;
 * and every byte of it a query, every prefix of that.
 */

static void
check_ref_corpus_file(void *ctx, const unsigned char *data, size_t n)
{
    size_t               k;
    check_ref_corpus_t  *c;

    c = ctx;

    if (n > 3) {
        check_ref_all(c->b, data + 3, n - 3, &c->state);
    }

    for (k = 0; k <= n; k++) {
        check_ref_all(c->b, data, k, &c->state);
    }
}


START_TEST(test_args_ref_random)
{
    size_t            i, k, len;
    uint64_t          state;
    check_ref_bufs_t  b;
    unsigned char     q[CHECK_REF_QUERY];

    check_ref_bufs_init(&b);
    state = 0x9b05688c2b3e6c1fULL + (uint64_t) _i;

    for (i = 0; i < CHECK_REF_QUERIES / 4; i++) {
        len = check_ref_random_query(&state, q);

        check_ref_all(&b, q, len, &state);

        /* now and then every shorter prefix too: the ends of words */

        if (i % 64 == 0) {
            for (k = 0; k < len && k < 80; k++) {
                check_ref_all(&b, q, k, &state);
            }
        }
    }

    if (getenv("CHECK_ANON_VERBOSE")) {
        printf("check_anon_args_ref: random %d: %llu cases\n", _i,
               (unsigned long long) b.cases);
    }

    check_ref_bufs_free(&b);
}
END_TEST


START_TEST(test_args_ref_tracking)
{
    size_t            i, k;
    uint64_t          state;
    check_ref_bufs_t  b;

    static const char  *queries[] = {
        "idsite=1&rec=1&action_name=Home&url=https%3A%2F%2Fbench.example%2F"
        "&cip=198.51.100.77",
        "idsite=1&rec=1&action_name=Home&url=https%3A%2F%2Fbench.example%2F",
        "cip=198.51.100.77&idsite=1&rec=1&url=https%3A%2F%2F192.0.2.1%2F",
        "idsite=1&rec=1&urlref=http%3A%2F%2F198.51.100.7%2F%3Fbsn%3D123456782"
        "&url=https%3A%2F%2Fx.example%2F%3Fid%3D111222333&cip=2001:db8::1",
        "CIP=198.51.100.77", "c%69p=198.51.100.77", "ci+p=198.51.100.77",
        "cip", "cip=", "=cip", "&&cip=1.2.3.4&&", "cip=1.2.3.4&", "&",
        "action_name=A%20very%20long%20title%20of%20a%20page&cip=1.2.3.4",

        /* a tracker's query as Matomo's JavaScript sends it */
        "action_name=Home&idsite=1&rec=1&r=123456&h=12&m=34&s=56"
        "&url=https%3A%2F%2Fexample.nl%2Fpage&_id=0123456789abcdef&_idn=0"
        "&send_image=0&_refts=0&pv_id=AbCdEf&pf_net=0&pf_srv=12&pf_tfr=3"
        "&pf_dm1=100&uadata=%7B%7D&cookie=1&res=1920x1080&cip=198.51.100.77",

        /* names of sixteen bytes or more, escaped names after plain ones */
        "a_parameter_name_of_36_bytes_or_so=1&cip=1.2.3.4&idsite=1",
        "idsite=1&rec=1&action=x&c%69p=198.51.100.77&rec=2&rec=3&rec=4",
        "idsite=1&rec=1&action=x&ci+p=198.51.100.77&rec=2&rec=3&rec=4",
        "idsite=1&rec=1&action=x&&&&&&&&&&&&&&&&&&&cip=198.51.100.77"
    };

    check_ref_bufs_init(&b);
    state = 0x1f83d9abfb41bd6bULL;

    for (k = 0; k < 64; k++) {
        for (i = 0; i < check_ref_nelts(queries); i++) {
            check_ref_all(&b, (const unsigned char *) queries[i],
                          strlen(queries[i]), &state);
        }
    }

    check_ref_bufs_free(&b);
}
END_TEST


Suite *
ngx_anon_args_ref_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("ngx_anon_args_ref");

    tc = tcase_create("differential");
    tcase_add_test(tc, test_args_ref_tracking);
    tcase_add_test(tc, test_args_ref_corpus);
    tcase_add_loop_test(tc, test_args_ref_random, 0, 4);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);

    return s;
}
