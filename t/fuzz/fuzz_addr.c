
/*
 * Copyright (C) ngx_anon authors
 */


/*
 * libFuzzer target: the address core (ngx_anon_addr.c).
 *
 * Input: byte 0 and 1 choose the IPv4 and IPv6 prefixes, the next 16
 * bytes (zero padded) are a raw address, and all bytes after the first
 * two are also parsed as text.  Checked:
 *
 *   - ngx_anon_addr_format() prints as nginx's ngx_inet6_ntop() does (a
 *     copy of its algorithm below) and as inet_ntop for IPv4, into an
 *     exactly NGX_ANON_ADDR_STRLEN byte heap buffer;
 *   - parse(format(a)) == a, and glibc's inet_pton agrees;
 *   - ngx_anon_addr_parse() accepts exactly what inet_pton accepts (no
 *     leading zeros in quads) with the same bytes;
 *   - truncation only clears bits, is idempotent, keeps at most the
 *     prefix of a native address, and for every embedded IPv4 form that
 *     the address has (mapped, compatible, NAT64, 6to4, ISATAP, Teredo,
 *     local-use NAT64, as specified, not as ngx_anon_addr_kind6() says)
 *     keeps at most prefix4 bits of the IPv4 address;
 *   - ngx_anon_addr_truncate_text() == format(truncate(parse(text)));
 *   - ngx_anon_scrub() of an address text is that truncation, or the text
 *     itself when truncation changes nothing.
 */


#include <arpa/inet.h>

#include "fuzz_common.h"


static size_t
fuzz_ref_ntop6(const unsigned char *p, unsigned char *text)
{
    /* the algorithm of nginx 1.22 ngx_inet6_ntop() (src/core/ngx_inet.c) */

    size_t          max, n, i, zero, last;
    unsigned char  *dst;

    zero = (size_t) -1;
    last = (size_t) -1;
    max = 1;
    n = 0;

    for (i = 0; i < 16; i += 2) {

        if (p[i] || p[i + 1]) {

            if (max < n) {
                zero = last;
                max = n;
            }

            n = 0;
            continue;
        }

        if (n++ == 0) {
            last = i;
        }
    }

    if (max < n) {
        zero = last;
        max = n;
    }

    dst = text;
    n = 16;

    if (zero == 0) {

        if ((max == 5 && p[10] == 0xff && p[11] == 0xff)
            || (max == 6)
            || (max == 7 && p[14] != 0 && p[15] != 1))
        {
            n = 12;
        }

        *dst++ = ':';
    }

    for (i = 0; i < n; i += 2) {

        if (i == zero) {
            *dst++ = ':';
            i += (max - 1) * 2;
            continue;
        }

        dst += sprintf((char *) dst, "%x", p[i] * 256 + p[i + 1]);

        if (i < 14) {
            *dst++ = ':';
        }
    }

    if (n == 12) {
        dst += sprintf((char *) dst, "%u.%u.%u.%u",
                       p[12], p[13], p[14], p[15]);
    }

    return dst - text;
}


static int
fuzz_zero(const unsigned char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (p[i]) {
            return 0;
        }
    }

    return 1;
}


/* every bit of p[0..len) after the first "bits" is zero */

static int
fuzz_masked(const unsigned char *p, size_t len, unsigned bits)
{
    size_t  i;

    for (i = 0; i < len * 8; i++) {
        if (i >= bits && (p[i / 8] & (0x80 >> (i % 8)))) {
            return 0;
        }
    }

    return 1;
}


static void
fuzz_check_truncate6(const unsigned char *a, unsigned p4, unsigned p6)
{
    int            embedded, prefix_form;
    size_t         i;
    unsigned char  t[16], t2[16];
    const char    *bad;

    memcpy(t, a, 16);
    ngx_anon_addr_truncate6(t, p4, p6);

    bad = NULL;
    embedded = 0;
    prefix_form = 0;    /* the first 64 bits have a rule of their own */

    for (i = 0; i < 16; i++) {
        if (t[i] & ~a[i]) {
            bad = "truncate6 set a bit";
        }
    }

    memcpy(t2, t, 16);
    ngx_anon_addr_truncate6(t2, p4, p6);

    if (memcmp(t, t2, 16) != 0) {
        bad = "truncate6 is not idempotent";
    }

    /* the forms as specified (RFC 4291, 3056, 4380, 6052, 8215, 5214) */

    if (fuzz_zero(a, 10) && a[10] == 0xff && a[11] == 0xff) {    /* mapped */
        embedded = 1;
        if (!fuzz_masked(t + 12, 4, p4)) {
            bad = "mapped: IPv4 keeps more than prefix4 bits";
        }
    }

    if (fuzz_zero(a, 12) && !(fuzz_zero(a + 12, 3) && a[15] <= 1)) {
        embedded = 1;
        if (!fuzz_masked(t + 12, 4, p4)) {
            bad = "compatible: IPv4 keeps more than prefix4 bits";
        }
    }

    if (a[0] == 0 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b) {

        if (fuzz_zero(a + 4, 8)) {
            embedded = 1;
            if (!fuzz_masked(t + 12, 4, p4)) {
                bad = "NAT64: IPv4 keeps more than prefix4 bits";
            }
        }

        if (a[4] == 0 && a[5] == 1) {
            embedded = 1;
            prefix_form = 1;
            if (!fuzz_zero(t + 6, 10)) {
                bad = "local NAT64: more than the /48 kept";
            }
        }
    }

    if (a[0] == 0x20 && a[1] == 0x02) {
        embedded = 1;
        prefix_form = 1;
        if (!fuzz_masked(t + 2, 4, p4) || !fuzz_zero(t + 6, 10)) {
            bad = "6to4: IPv4 or the rest kept";
        }
    }

    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0) {
        embedded = 1;
        prefix_form = 1;
        if (!fuzz_zero(t + 4, 12)) {
            bad = "Teredo: more than the /32 kept";
        }
    }

    if ((a[8] == 0 || a[8] == 2) && a[9] == 0 && a[10] == 0x5e
        && a[11] == 0xfe)
    {
        /*
         * The prefix of an ISATAP address keeps min(prefix6, 64) bits,
         * unless it is a 6to4, Teredo or local-use NAT64 prefix: then the
         * address is of that form first (the order of the reference's
         * table) and keeps what that rule keeps, checked above; found by
         * this fuzzer: 2002:7::36:0:5efe:c3:0 with prefixes 32/3 keeps
         * 2002:7:: (6to4, the IPv4 0.7.0.0 kept whole by prefix4 32).
         */

        embedded = 1;
        if (!fuzz_masked(t + 12, 4, p4)
            || (!prefix_form && !fuzz_masked(t, 8, p6 < 64 ? p6 : 64)))
        {
            bad = "ISATAP: IPv4 or prefix keeps too many bits";
        }
    }

    if (!embedded && !fuzz_masked(t, 16, p6)) {
        bad = "native: more than prefix6 bits kept";
    }

    if (bad) {
        char  msg[160];

        snprintf(msg, sizeof(msg), "%s (prefixes %u/%u; raw address "
                 "below, then its truncation)", bad, p4, p6);
        fprintf(stderr, "truncated: ");
        for (i = 0; i < 16; i++) {
            fprintf(stderr, "%02x", t[i]);
        }
        fuzz_fail(msg, a, 16);
    }
}


static void
fuzz_check_format(const unsigned char *a, size_t alen)
{
    size_t          n, r;
    unsigned char  *buf, ref[64], back[16], pton[16];
    char            cstr[64];

    buf = fuzz_alloc(NGX_ANON_ADDR_STRLEN);

    n = ngx_anon_addr_format(a, alen, buf);

    if (alen == 4) {
        r = sprintf((char *) ref, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);

    } else {
        r = fuzz_ref_ntop6(a, ref);
    }

    if (n != r || memcmp(buf, ref, n) != 0) {
        fuzz_fail("format differs from nginx's ngx_inet6_ntop", buf, n);
    }

    if (ngx_anon_addr_parse(buf, n, back) != alen
        || memcmp(back, a, alen) != 0)
    {
        fuzz_fail("parse(format(a)) != a", buf, n);
    }

    memcpy(cstr, buf, n);
    cstr[n] = '\0';

    if (inet_pton(alen == 4 ? AF_INET : AF_INET6, cstr, pton) != 1
        || memcmp(pton, a, alen) != 0)
    {
        fuzz_fail("inet_pton disagrees with format", buf, n);
    }

    free(buf);
}


static void
fuzz_check_text(const unsigned char *text, size_t len, unsigned p4,
    unsigned p6)
{
    int             rc;
    size_t          alen, n, m, s;
    unsigned char   a[16], t[16], pton[16], *buf, *buf2, *out;
    char           *cstr;

    alen = ngx_anon_addr_parse(text, len, a);

    /* glibc's inet_pton: the same language, the same bytes */

    if (memchr(text, '\0', len) == NULL) {
        cstr = fuzz_alloc(len + 1);
        memcpy(cstr, text, len);
        cstr[len] = '\0';

        rc = inet_pton(memchr(text, ':', len) ? AF_INET6 : AF_INET, cstr,
                       pton);
        free(cstr);

        if (rc == 1 && alen == 0) {
            fuzz_fail("parse refuses what inet_pton accepts", text, len);
        }

        if (rc != 1 && alen != 0) {
            fuzz_fail("parse accepts what inet_pton refuses", text, len);
        }

        if (alen && memcmp(pton, a, alen) != 0) {
            fuzz_fail("parse and inet_pton give other bytes", text, len);
        }
    }

    buf = fuzz_alloc(NGX_ANON_ADDR_STRLEN);
    n = ngx_anon_addr_truncate_text(text, len, buf, p4, p6);

    if (alen == 0) {
        if (n != 0) {
            fuzz_fail("truncate_text accepts what parse refuses", text, len);
        }

        free(buf);
        return;
    }

    fuzz_check_format(a, alen);

    if (alen == 16) {
        fuzz_check_truncate6(a, p4, p6);
    }

    memcpy(t, a, alen);

    if (alen == 4) {
        ngx_anon_addr_truncate4(t, p4);

    } else {
        ngx_anon_addr_truncate6(t, p4, p6);
    }

    buf2 = fuzz_alloc(NGX_ANON_ADDR_STRLEN);
    m = ngx_anon_addr_format(t, alen, buf2);

    if (n != m || memcmp(buf, buf2, n) != 0) {
        fuzz_fail("truncate_text != format(truncate(parse))", text, len);
    }

    /* the scrubber on an address alone */

    out = fuzz_scrub(text, len, p4, p6, &s);

    if (memcmp(a, t, alen) == 0) {
        if (s != len || memcmp(out, text, len) != 0) {
            fuzz_fail("scrub changed an address truncation keeps", text,
                      len);
        }

    } else if (s != n || memcmp(out, buf, n) != 0) {
        fuzz_fail("scrub of an address is not its truncation", text, len);
    }

    fuzz_check_no_leak("scrub of an address", out, s, p4, p6);

    free(out);
    free(buf);
    free(buf2);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          i;
    unsigned        p4, p6;
    unsigned char   raw[16], t4[4], *text;

    if (size < 2) {
        return 0;
    }

    fuzz_prefixes(data[0], data[1], &p4, &p6);

    data += 2;
    size -= 2;

    /* the input as a raw address */

    memset(raw, 0, 16);
    memcpy(raw, data, size < 16 ? size : 16);

    fuzz_check_format(raw, 16);
    fuzz_check_format(raw, 4);
    fuzz_check_truncate6(raw, p4, p6);

    memcpy(t4, raw, 4);
    ngx_anon_addr_truncate4(t4, p4);

    for (i = 0; i < 4; i++) {
        if (t4[i] & ~raw[i]) {
            fuzz_fail("truncate4 set a bit", raw, 4);
        }
    }

    if (!fuzz_masked(t4, 4, p4)) {
        fuzz_fail("truncate4 keeps more than prefix4 bits", raw, 4);
    }

    /* the input as text */

    text = fuzz_dup(data, size);
    fuzz_check_text(text, size, p4, p6);
    free(text);

    return 0;
}
