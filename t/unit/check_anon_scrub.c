
/*
 * Copyright (C) ngx_anon authors
 */


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/mman.h>
#include <check.h>

#include "ngx_anon_addr.h"
#include "ngx_anon_scrub.h"
#include "check_anon.h"


#define CHECK_SCRUB_SAMPLES   100000
#define CHECK_SCRUB_TEXT      256         /* longest random text */
#define CHECK_SCRUB_LONG      100000      /* "very long" values */
#define CHECK_SCRUB_ADDR_MAX  45          /* longest address text */

#define check_scrub_nelts(a)  (sizeof(a) / sizeof((a)[0]))

/* a text with an explicit length: it may hold a NUL */
#define check_scrub_text(s)   { (const unsigned char *) (s), sizeof(s) - 1 }


typedef struct {
    const unsigned char  *data;
    size_t                len;
} check_scrub_text_t;


typedef struct {
    check_scrub_text_t  in;
    unsigned            prefix4;
    unsigned            prefix6;
    check_scrub_text_t  out;
} check_scrub_case_t;


enum {
    CHECK_SCRUB_IPV4 = 0,
    CHECK_SCRUB_NATIVE,
    CHECK_SCRUB_MAPPED,
    CHECK_SCRUB_COMPAT,
    CHECK_SCRUB_6TO4,
    CHECK_SCRUB_TEREDO,
    CHECK_SCRUB_NAT64,
    CHECK_SCRUB_NAT64_LOCAL,
    CHECK_SCRUB_ISATAP,
    CHECK_SCRUB_LAST
};


static int check_scrub_is_run(unsigned char ch);
static int check_scrub_is_hex(unsigned char ch);
static int check_scrub_truncated(const unsigned char *p, size_t len,
    unsigned prefix4, unsigned prefix6);
static int check_scrub_parses(const unsigned char *p, size_t len);
static int check_scrub_covered(const unsigned char *p, size_t rs, size_t re,
    size_t i, size_t j, unsigned prefix4, unsigned prefix6);
static void check_scrub_bytes6(uint64_t *state, int form, unsigned char *a);
static size_t check_scrub_spell6(uint64_t *state, const unsigned char *a,
    unsigned char *buf);
static size_t check_scrub_junk(uint64_t *state, unsigned char *buf,
    size_t size);
static void check_scrub_frame(const unsigned char *in, size_t len,
    const unsigned char *out, size_t n);
static void check_scrub_one(const unsigned char *in, size_t len,
    unsigned prefix4, unsigned prefix6, const unsigned char *exp,
    size_t elen);
static size_t check_scrub_run(const unsigned char *in, size_t len,
    unsigned prefix4, unsigned prefix6, unsigned char *out, size_t size);
static void check_scrub_properties(const unsigned char *in, size_t len,
    unsigned prefix4, unsigned prefix6, unsigned char *src, size_t ssize,
    unsigned char *dst, size_t dsize);


/* texts of the tables below, with the default prefixes unless noted */

static const check_scrub_case_t  check_scrub_core[] = {

    /* X-Forwarded-For lists */

    { check_scrub_text("198.51.100.7"), 16, 32,
      check_scrub_text("198.51.0.0") },
    { check_scrub_text("198.51.100.7, 203.0.113.45, 2001:db8:cafe::17"),
      16, 32, check_scrub_text("198.51.0.0, 203.0.0.0, 2001:db8::") },
    { check_scrub_text("198.51.100.7,203.0.113.45,10.1.2.3"), 16, 32,
      check_scrub_text("198.51.0.0,203.0.0.0,10.1.0.0") },
    { check_scrub_text("  198.51.100.7 ,\t::ffff:203.0.113.45 "), 16, 32,
      check_scrub_text("  198.51.0.0 ,\t::ffff:203.0.0.0 ") },
    { check_scrub_text("unknown, 198.51.100.7"), 16, 32,
      check_scrub_text("unknown, 198.51.0.0") },

    /* ports, brackets */

    { check_scrub_text("198.51.100.7:4711"), 16, 32,
      check_scrub_text("198.51.0.0:4711") },
    { check_scrub_text("[2001:db8:cafe::17]:4711"), 16, 32,
      check_scrub_text("[2001:db8::]:4711") },
    { check_scrub_text("[2001:db8:cafe::17]"), 16, 32,
      check_scrub_text("[2001:db8::]") },
    { check_scrub_text("[::ffff:198.51.100.7]:80"), 16, 32,
      check_scrub_text("[::ffff:198.51.0.0]:80") },
    { check_scrub_text("198.51.100.7:4711, [2001:db8::1]:443"), 16, 32,
      check_scrub_text("198.51.0.0:4711, [2001:db8::]:443") },

    /* RFC 7239: obfuscated identifiers and "unknown" stay */

    { check_scrub_text("for=\"[2001:db8:cafe::17]:4711\";proto=http;"
                       "by=203.0.113.43"), 16, 32,
      check_scrub_text("for=\"[2001:db8::]:4711\";proto=http;"
                       "by=203.0.0.0") },
    { check_scrub_text("for=192.0.2.60;proto=http;by=203.0.113.43"),
      16, 32,
      check_scrub_text("for=192.0.0.0;proto=http;by=203.0.0.0") },
    { check_scrub_text("for=192.0.2.43, for=198.51.100.17"), 16, 32,
      check_scrub_text("for=192.0.0.0, for=198.51.0.0") },
    { check_scrub_text("for=\"198.51.100.17:4711\""), 16, 32,
      check_scrub_text("for=\"198.51.0.0:4711\"") },
    { check_scrub_text("for=unknown"), 16, 32,
      check_scrub_text("for=unknown") },
    { check_scrub_text("for=_hidden, for=_SEVKISEK, For=\"_gazonk\""),
      16, 32,
      check_scrub_text("for=_hidden, for=_SEVKISEK, For=\"_gazonk\"") },
    { check_scrub_text("for=\"_abc:def\";by=_e:fe"), 16, 32,
      check_scrub_text("for=\"_abc:def\";by=_e:fe") },
    { check_scrub_text("for=unknown;by=\"[2001:db8::1]:80\""), 16, 32,
      check_scrub_text("for=unknown;by=\"[2001:db8::]:80\"") },

    /* mixed families, every form (the table in the module reference) */

    { check_scrub_text("2001:db8::1, 198.51.100.7, ::ffff:198.51.100.7, "
                       "::198.51.100.7, 2002:c633:6407::1, "
                       "64:ff9b::c633:6407"), 16, 32,
      check_scrub_text("2001:db8::, 198.51.0.0, ::ffff:198.51.0.0, "
                       "::198.51.0.0, 2002:c633::, 64:ff9b::c633:0") },
    { check_scrub_text("2001:0:4136:e378:8000:63bf:39cc:9bb2 "
                       "2001:db8:1:2:0:5efe:198.51.100.7 "
                       "64:ff9b:1:0:0:0:c633:6407"), 16, 32,
      check_scrub_text("2001:: 2001:db8::5efe:c633:0 64:ff9b:1::") },
    { check_scrub_text("64:ff9b::198.51.100.7"), 16, 32,
      check_scrub_text("64:ff9b::c633:0") },

    /* spellings: printed as nginx does */

    { check_scrub_text("2001:DB8:CAFE::17"), 16, 32,
      check_scrub_text("2001:db8::") },
    { check_scrub_text("2001:0db8:0000:0000:0000:0000:0000:0001"), 16, 32,
      check_scrub_text("2001:db8::") },
    { check_scrub_text("::FFFF:C633:6407"), 16, 32,
      check_scrub_text("::ffff:198.51.0.0") },
    { check_scrub_text("0:0:0:0:0:ffff:198.51.100.7"), 16, 32,
      check_scrub_text("::ffff:198.51.0.0") },

    /* already truncated: kept as written */

    { check_scrub_text("2001:DB8::"), 16, 32,
      check_scrub_text("2001:DB8::") },
    { check_scrub_text("198.51.0.0, 0.0.0.0:80, ::"), 16, 32,
      check_scrub_text("198.51.0.0, 0.0.0.0:80, ::") },
    { check_scrub_text("2001:0db8:0000:0000:0000:0000:0000:0000"), 16, 32,
      check_scrub_text("2001:0db8:0000:0000:0000:0000:0000:0000") },

    /* at the start, at the end, all of it */

    { check_scrub_text("198.51.100.7 was here"), 16, 32,
      check_scrub_text("198.51.0.0 was here") },
    { check_scrub_text("client: 198.51.100.7"), 16, 32,
      check_scrub_text("client: 198.51.0.0") },
    { check_scrub_text("x198.51.100.7y"), 16, 32,
      check_scrub_text("x198.51.0.0y") },
    { check_scrub_text("::1"), 16, 32, check_scrub_text("::") },
    { check_scrub_text("127.0.0.1"), 16, 32, check_scrub_text("127.0.0.0") },

    /* not addresses: unchanged */

    { check_scrub_text("12:34:56"), 16, 32, check_scrub_text("12:34:56") },
    { check_scrub_text("12:34:56.789"), 16, 32,
      check_scrub_text("12:34:56.789") },
    { check_scrub_text("[10/Oct/2023:13:55:36 +0000]"), 16, 32,
      check_scrub_text("[10/Oct/2023:13:55:36 +0000]") },
    { check_scrub_text("2023-10-10T13:55:36.123+02:00"), 16, 32,
      check_scrub_text("2023-10-10T13:55:36.123+02:00") },
    { check_scrub_text("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
                       "Chrome/120.0.6099.109 Safari/537.36"), 16, 32,
      check_scrub_text("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
                       "Chrome/120.0.6099.109 Safari/537.36") },
    { check_scrub_text("deadbeef cafe:babe ABCDEF 0x1f"), 16, 32,
      check_scrub_text("deadbeef cafe:babe ABCDEF 0x1f") },
    { check_scrub_text("error:0A00010B:SSL routines::wrong version"),
      16, 32,
      check_scrub_text("error:0A00010B:SSL routines::wrong version") },
    { check_scrub_text("1.2.3 1.2 1. .1 3.14159 10.0.0"), 16, 32,
      check_scrub_text("1.2.3 1.2 1. .1 3.14159 10.0.0") },
    { check_scrub_text("v1.2.3-rc.4 build 2023.10.10"), 16, 32,
      check_scrub_text("v1.2.3-rc.4 build 2023.10.10") },
    { check_scrub_text(""), 16, 32, check_scrub_text("") },

    /* other prefixes */

    { check_scrub_text("198.51.100.7, 2001:db8:85a3:1234:5678::1"), 24, 48,
      check_scrub_text("198.51.100.0, 2001:db8:85a3::") },
    { check_scrub_text("198.51.100.7, 2001:db8:85a3:1234:5678::1"), 8, 64,
      check_scrub_text("198.0.0.0, 2001:db8:85a3:1234::") },
    { check_scrub_text("198.51.100.7, ::ffff:198.51.100.7, 2001:db8::1"),
      0, 0, check_scrub_text("0.0.0.0, ::ffff:0.0.0.0, ::") },
    { check_scrub_text("198.51.100.7, ::ffff:198.51.100.7, 2001:db8::1"),
      32, 128,
      check_scrub_text("198.51.100.7, ::ffff:198.51.100.7, 2001:db8::1") }
};


static const check_scrub_case_t  check_scrub_adversarial[] = {

    /* quads glued to digits, more than four numbers, leading zeros */

    { check_scrub_text("1198.51.100.7"), 16, 32,
      check_scrub_text("0000.00.000.0") },
    { check_scrub_text("198.51.100.71"), 16, 32,
      check_scrub_text("198.51.0.0") },
    { check_scrub_text("198.51.100.7123"), 16, 32,
      check_scrub_text("000.00.000.0000") },
    { check_scrub_text("1.2.3.4.5"), 16, 32,
      check_scrub_text("0.0.0.0.0") },
    { check_scrub_text("1.2.3.4.5.6.7.8"), 16, 32,
      check_scrub_text("0.0.0.0.0.0.0.0") },
    { check_scrub_text("256.1.2.3"), 16, 32,
      check_scrub_text("000.0.0.0") },
    { check_scrub_text("1.2.3.256"), 16, 32,
      check_scrub_text("0.0.0.000") },
    { check_scrub_text("1.2.300.4.5"), 16, 32,
      check_scrub_text("1.2.300.4.5") },
    { check_scrub_text("010.001.002.003"), 16, 32,
      check_scrub_text("10.1.0.0") },
    { check_scrub_text("010.001.000.000"), 16, 32,
      check_scrub_text("010.001.000.000") },
    { check_scrub_text("1.2.3.04"), 16, 32, check_scrub_text("1.2.0.0") },
    { check_scrub_text("1..2.3.4"), 16, 32, check_scrub_text("1..2.3.4") },
    { check_scrub_text("1.2.3.4..5.6.7.8"), 16, 32,
      check_scrub_text("1.2.0.0..5.6.0.0") },
    { check_scrub_text("a1.2.3.4b"), 16, 32, check_scrub_text("a1.2.0.0b") },
    { check_scrub_text("1.2.3.4e5"), 16, 32, check_scrub_text("1.2.0.0e5") },

    /* IPv6 look-alikes */

    { check_scrub_text("1::2::3"), 16, 32, check_scrub_text("0::0::0") },
    { check_scrub_text("1:2:3:4:5:6:7:8:9"), 16, 32,
      check_scrub_text("0:0:0:0:0:0:0:0:0") },
    { check_scrub_text("2001:db8:cafe:1:2:3:4"), 16, 32,
      check_scrub_text("0000:000:0000:0:0:0:0") },
    { check_scrub_text("2001:db8:cafe"), 16, 32,
      check_scrub_text("0000:000:0000") },
    { check_scrub_text("00:1a:2b:3c:4d:5e"), 16, 32,
      check_scrub_text("00:00:00:00:00:00") },
    { check_scrub_text("12345::"), 16, 32, check_scrub_text("00000::") },
    { check_scrub_text("::a.1.2.3"), 16, 32, check_scrub_text("::0.0.0.0") },
    { check_scrub_text("::ffff:1.2.3.4:80"), 16, 32,
      check_scrub_text("::0000:0.0.0.0:00") },
    { check_scrub_text("1.2.3.4::"), 16, 32, check_scrub_text("0.0.0.0::") },
    { check_scrub_text("::1.2.3.4.5"), 16, 32,
      check_scrub_text("::0.0.0.0.0") },
    { check_scrub_text("fe80::1%eth0, ::1/128, 1.2.3.4/24"), 16, 32,
      check_scrub_text("fe80::%eth0, ::/128, 1.2.0.0/24") },

    /* stray separators */

    { check_scrub_text(":198.51.100.7."), 16, 32,
      check_scrub_text(":198.51.0.0.") },
    { check_scrub_text("198.51.100.7...::"), 16, 32,
      check_scrub_text("198.51.0.0...::") },
    { check_scrub_text("198.51.100.7:4711:"), 16, 32,
      check_scrub_text("198.51.0.0:4711:") },
    { check_scrub_text("198.51.100.7:80:90"), 16, 32,
      check_scrub_text("198.51.0.0:80:90") },
    { check_scrub_text("2001:db8::1:"), 16, 32,
      check_scrub_text("2001:db8:::") },
    { check_scrub_text("2001:db8::1:."), 16, 32,
      check_scrub_text("2001:db8:::.") },
    { check_scrub_text("2001:db8:::"), 16, 32,
      check_scrub_text("2001:db8:::") },
    { check_scrub_text("2001:db8::1::"), 16, 32,
      check_scrub_text("0000:000::0::") },
    { check_scrub_text("2001:db8::::"), 16, 32,
      check_scrub_text("0000:000::::") },
    { check_scrub_text("1:2:3:4:0:5efe::::"), 16, 8,
      check_scrub_text("0:0:0:0:0:0000::::") },
    { check_scrub_text("cf:f8:bc:49:0:5efe:::::"), 20, 7,
      check_scrub_text("00:00:00:00:0:0000:::::") },
    { check_scrub_text(":::1"), 16, 32, check_scrub_text(":::") },
    { check_scrub_text(":0::1.2.3.4"), 16, 32,
      check_scrub_text(":::1.2.0.0") },
    { check_scrub_text(": . :: ::: .:.:"), 16, 32,
      check_scrub_text(": . :: ::: .:.:") },

    /* NUL bytes, invalid UTF-8, control characters */

    { check_scrub_text("198.51.100.7\0" "203.0.113.45"), 16, 32,
      check_scrub_text("198.51.0.0\0" "203.0.0.0") },
    { check_scrub_text("198.51\0.100.7"), 16, 32,
      check_scrub_text("198.51\0.100.7") },
    { check_scrub_text("\xff" "198.51.100.7\xfe\xc3\x28[2001:db8::1]\x80"),
      16, 32,
      check_scrub_text("\xff" "198.51.0.0\xfe\xc3\x28[2001:db8::]\x80") },
    { check_scrub_text("\xef\xbc\x91" "98.51.100.7"), 16, 32,
      check_scrub_text("\xef\xbc\x91" "98.51.0.0") },
    { check_scrub_text("\r\n198.51.100.7\r\n\t\v\f"), 16, 32,
      check_scrub_text("\r\n198.51.0.0\r\n\t\v\f") },

    /* the longest output per input byte */

    { check_scrub_text("::fff"), 28, 32,
      check_scrub_text("::0.0.15.240") },
    { check_scrub_text("::fff"), 32, 32, check_scrub_text("::fff") },

    /* small prefixes: pieces of a truncated quad are no addresses */

    { check_scrub_text("255.255.255.255 1111.2.3.4"), 1, 0,
      check_scrub_text("128.0.0.0 0000.0.0.0") },
    { check_scrub_text("64:ff9b::198.51.100.7"), 16, 8,
      check_scrub_text("64:ff9b::c633:0") }
};


/* shared helpers */

uint64_t
check_anon_rand(uint64_t *state)
{
    uint64_t  x;

    /* xorshift64, repeatable from the seed */

    x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;

    return x;
}


void
check_anon_prefixes(uint64_t *state, unsigned *prefix4, unsigned *prefix6)
{
    uint64_t  r;

    r = check_anon_rand(state);

    switch (r % 8) {

    case 0:
        *prefix4 = 16;
        *prefix6 = 32;
        break;

    case 1:
        *prefix4 = (r & 0x100) ? 0 : 32;
        *prefix6 = (r & 0x200) ? 0 : 128;
        break;

    case 2:
        *prefix4 = (r & 0x100) ? 33 : UINT_MAX;
        *prefix6 = (r & 0x200) ? 129 : UINT_MAX;
        break;

    default:
        *prefix4 = (unsigned) ((r >> 8) % 33);
        *prefix6 = (unsigned) ((r >> 16) % 129);
        break;
    }
}


static int
check_scrub_is_run(unsigned char ch)
{
    return check_scrub_is_hex(ch) || ch == '.' || ch == ':';
}


static int
check_scrub_is_hex(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')
           || (ch >= 'A' && ch <= 'F');
}


/* whether p parses as an address that truncation leaves as it is */

static int
check_scrub_truncated(const unsigned char *p, size_t len, unsigned prefix4,
    unsigned prefix6)
{
    size_t         alen;
    unsigned char  a[16], t[16];

    alen = ngx_anon_addr_parse(p, len, a);

    if (alen == 0) {
        return 0;
    }

    memcpy(t, a, alen);

    if (alen == 4) {
        ngx_anon_addr_truncate4(t, prefix4);

    } else {
        ngx_anon_addr_truncate6(t, prefix4, prefix6);
    }

    return memcmp(t, a, alen) == 0;
}


static int
check_scrub_parses(const unsigned char *p, size_t len)
{
    unsigned char  a[16];

    return ngx_anon_addr_parse(p, len, a) != 0;
}


/* a part of the run [rs, re) around [i, j) that is a truncated address */

static int
check_scrub_covered(const unsigned char *p, size_t rs, size_t re, size_t i,
    size_t j, unsigned prefix4, unsigned prefix6)
{
    size_t  a, b, first;

    first = (j > rs + CHECK_SCRUB_ADDR_MAX) ? j - CHECK_SCRUB_ADDR_MAX : rs;

    for (a = first; a <= i; a++) {
        for (b = j; b <= re && b - a <= CHECK_SCRUB_ADDR_MAX; b++) {

            if (b - a == j - i) {
                continue;
            }

            if (check_scrub_truncated(p + a, b - a, prefix4, prefix6)) {
                return 1;
            }
        }
    }

    return 0;
}


int
check_anon_leak(const unsigned char *p, size_t len, unsigned prefix4,
    unsigned prefix6, size_t *off, size_t *n)
{
    int     letter;
    size_t  rs, re, i, j, colons, dots, group, gaps;

    rs = 0;

    while (rs < len) {

        if (!check_scrub_is_run(p[rs])) {
            rs++;
            continue;
        }

        re = rs;

        while (re < len && check_scrub_is_run(p[re])) {
            re++;
        }

        /* an address starts with a hex digit or "::", ends likewise */

        for (i = rs; i < re; i++) {

            if (!check_scrub_is_hex(p[i])
                && !(p[i] == ':' && i + 1 < re && p[i + 1] == ':'))
            {
                continue;
            }

            /*
             * Only parts that could be addresses are parsed: no more than
             * three dots, eight colons, one "::", four hex digits in a
             * group; four parts of digits if no colon.
             */

            colons = 0;
            dots = 0;
            group = 0;
            gaps = 0;
            letter = 0;

            for (j = i + 1; j <= re && j - i <= CHECK_SCRUB_ADDR_MAX; j++) {

                switch (p[j - 1]) {

                case ':':
                    if (j - i >= 2 && p[j - 2] == ':') {
                        gaps++;
                    }

                    colons++;
                    group = 0;
                    break;

                case '.':
                    dots++;
                    group = 0;
                    break;

                default:
                    if (p[j - 1] > '9') {
                        letter = 1;
                    }

                    group++;
                    break;
                }

                if (dots > 3 || colons > 8 || gaps > 1 || group > 4) {
                    break;
                }

                if (colons == 1 || (colons == 0 && (dots != 3 || letter))
                    || (dots != 0 && dots != 3) || j - i < 2)
                {
                    continue;
                }

                /* without "::", eight groups, or six and a dotted quad */

                if (colons && gaps == 0 && !(colons == 7 && dots == 0)
                    && !(colons == 6 && dots == 3))
                {
                    continue;
                }

                if (!check_scrub_is_hex(p[j - 1])
                    && !(p[j - 1] == ':' && p[j - 2] == ':'))
                {
                    continue;
                }

                if (!check_scrub_parses(p + i, j - i)
                    || check_scrub_truncated(p + i, j - i, prefix4, prefix6))
                {
                    continue;
                }

                if (!check_scrub_covered(p, rs, re, i, j, prefix4, prefix6))
                {
                    *off = i;
                    *n = j - i;
                    return 1;
                }
            }
        }

        rs = re;
    }

    return 0;
}


const char *
check_anon_escape(const unsigned char *p, size_t len)
{
    size_t       i, n;
    static char  buf[1024];

    n = 0;

    for (i = 0; i < len && n + 8 < sizeof(buf); i++) {

        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
            buf[n++] = (char) p[i];

        } else {
            n += (size_t) snprintf(buf + n, sizeof(buf) - n, "\\x%02x", p[i]);
        }
    }

    if (i < len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }

    buf[n] = '\0';

    return buf;
}


unsigned char *
check_anon_guard_alloc(size_t size)
{
    long            page;
    size_t          total;
    unsigned char  *base;

    page = sysconf(_SC_PAGESIZE);
    ck_assert(page > 0);

    total = (size + (size_t) page - 1) / (size_t) page * (size_t) page
            + (size_t) page;

    base = mmap(NULL, total, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(base != MAP_FAILED);
    ck_assert(mprotect(base + total - page, (size_t) page, PROT_NONE) == 0);

    return base + total - page - size;
}


void
check_anon_guard_free(unsigned char *p, size_t size)
{
    long    page;
    size_t  total;

    page = sysconf(_SC_PAGESIZE);

    total = (size + (size_t) page - 1) / (size_t) page * (size_t) page
            + (size_t) page;

    ck_assert(munmap(p + size + page - total, total) == 0);
}


size_t
check_anon_corpus(const char *dir, unsigned char *buf, size_t size,
    check_anon_corpus_pt each, void *ctx)
{
    DIR            *d;
    FILE           *f;
    char            path[1024];
    size_t          n, files;
    struct dirent  *de;

    d = opendir(dir);
    ck_assert_msg(d != NULL, "corpus %s", dir);

    files = 0;

    while ((de = readdir(d)) != NULL) {

        if (de->d_name[0] == '.') {
            continue;
        }

        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);

        f = fopen(path, "rb");
        ck_assert_msg(f != NULL, "%s", path);

        n = fread(buf, 1, size, f);
        fclose(f);

        each(ctx, buf, n);
        files++;
    }

    closedir(d);

    ck_assert_msg(files > 0, "corpus %s is empty", dir);

    return files;
}


/* random addresses of every form and spelling */

static void
check_scrub_bytes6(uint64_t *state, int form, unsigned char *a)
{
    size_t    i;
    uint64_t  r;

    r = check_anon_rand(state);

    for (i = 0; i < 16; i++) {
        a[i] = (unsigned char) (check_anon_rand(state) >> 40);
    }

    /* zero groups and small values now and then */

    if (r & 1) {
        for (i = 0; i < 8; i++) {
            if (r & (2u << i)) {
                a[2 * i] = 0;
                a[2 * i + 1] = 0;
            }
        }
    }

    if (r & 0x400) {
        for (i = 0; i < 16; i += 2) {
            a[i] = 0;
        }
    }

    switch (form) {

    case CHECK_SCRUB_MAPPED:
    case CHECK_SCRUB_COMPAT:
    case CHECK_SCRUB_NAT64:
        memset(a, 0, 12);

        if (form == CHECK_SCRUB_MAPPED) {
            a[10] = 0xff;
            a[11] = 0xff;

        } else if (form == CHECK_SCRUB_NAT64) {
            a[1] = 0x64;
            a[2] = 0xff;
            a[3] = 0x9b;
        }

        break;

    case CHECK_SCRUB_6TO4:
        a[0] = 0x20;
        a[1] = 0x02;
        break;

    case CHECK_SCRUB_TEREDO:
        a[0] = 0x20;
        a[1] = 0x01;
        a[2] = 0x00;
        a[3] = 0x00;
        break;

    case CHECK_SCRUB_NAT64_LOCAL:
        a[0] = 0x00;
        a[1] = 0x64;
        a[2] = 0xff;
        a[3] = 0x9b;
        a[4] = 0x00;
        a[5] = 0x01;
        break;

    case CHECK_SCRUB_ISATAP:
        a[8] = (r & 0x800) ? 0x02 : 0x00;
        a[9] = 0x00;
        a[10] = 0x5e;
        a[11] = 0xfe;
        break;

    default: /* CHECK_SCRUB_NATIVE */
        break;
    }
}


/*
 * A text of the IPv6 address: as nginx prints it, upper case, all eight
 * groups with or without leading zeros, six groups and a dotted quad, or
 * any run of zero groups compressed.
 */

static size_t
check_scrub_spell6(uint64_t *state, const unsigned char *a,
    unsigned char *buf)
{
    int            quad;
    size_t         n, i, groups, from, to;
    unsigned       g[8];
    uint64_t       r;
    unsigned char  b[16];

    static const char  *hex[2] = { "%x", "%04x" };

    r = check_anon_rand(state);

    for (i = 0; i < 8; i++) {
        g[i] = (unsigned) a[2 * i] << 8 | a[2 * i + 1];
    }

    if (r % 4 == 0) {
        n = ngx_anon_addr_format(a, 16, buf);
        goto done;
    }

    quad = (r & 0x10) != 0;
    groups = quad ? 6 : 8;

    /* a run of zero groups to compress, or none */

    from = 8;
    to = 8;

    if (r & 0x20) {
        i = (size_t) ((r >> 8) % groups);

        if (g[i] == 0) {
            from = i;
            to = i;

            while (to < groups && g[to] == 0) {
                to++;
            }
        }
    }

    n = 0;

    if (from == 0) {
        buf[n++] = ':';
    }

    for (i = 0; i < groups; i++) {

        if (i == from) {
            buf[n++] = ':';
            i = to - 1;
            continue;
        }

        n += (size_t) sprintf((char *) buf + n, hex[(r >> 6) & 1], g[i]);

        if (i + 1 < groups) {
            buf[n++] = ':';
        }
    }

    if (quad) {
        if (n == 0 || buf[n - 1] != ':') {
            buf[n++] = ':';
        }

        n += (size_t) sprintf((char *) buf + n, "%u.%u.%u.%u",
                              a[12], a[13], a[14], a[15]);
    }

done:

    if (r & 0x80) {
        for (i = 0; i < n; i++) {
            if (buf[i] >= 'a' && buf[i] <= 'f') {
                buf[i] -= 0x20;
            }
        }
    }

    /* every spelling must be the same address */

    if (ngx_anon_addr_parse(buf, n, b) != 16 || memcmp(a, b, 16) != 0) {
        ck_abort_msg("bad spelling \"%s\"", check_anon_escape(buf, n));
    }

    return n;
}


size_t
check_anon_random_address(uint64_t *state, unsigned char *buf)
{
    int            form;
    size_t         n, i;
    uint64_t       r;
    unsigned char  a[16];

    r = check_anon_rand(state);
    form = (int) (r % CHECK_SCRUB_LAST);

    if (form == CHECK_SCRUB_IPV4) {

        for (i = 0; i < 4; i++) {
            a[i] = (unsigned char) (check_anon_rand(state) >> 40);

            if ((r >> (8 + i)) & (r >> 16) & 1) {
                a[i] = 0;
            }
        }

        if ((r & 0x3000) == 0x3000) {

            /* leading zeros, read as decimal by the scrubber */

            n = (size_t) sprintf((char *) buf, "%03u.%02u.%u.%03u",
                                 a[0], a[1], a[2], a[3]);

        } else {
            n = (size_t) sprintf((char *) buf, "%u.%u.%u.%u",
                                 a[0], a[1], a[2], a[3]);
        }

        if (r & 0x4000) {
            n += (size_t) sprintf((char *) buf + n, ":%u",
                                  (unsigned) (r >> 32) % 65536);
        }

        return n;
    }

    check_scrub_bytes6(state, form, a);

    if ((r & 0x18000) != 0x18000) {
        return check_scrub_spell6(state, a, buf);
    }

    /* bracketed, with a port or without */

    buf[0] = '[';
    n = 1 + check_scrub_spell6(state, a, buf + 1);
    buf[n++] = ']';

    if (r & 0x20000) {
        n += (size_t) sprintf((char *) buf + n, ":%u",
                              (unsigned) (r >> 32) % 65536);
    }

    return n;
}


/* characters of address literals, glued to whatever is next to them */

static size_t
check_scrub_junk(uint64_t *state, unsigned char *buf, size_t size)
{
    size_t    i, n;
    uint64_t  r;

    static const char  run[] = "0123456789abcdefABCDEF....::::";

    r = check_anon_rand(state);
    n = 1 + (size_t) (r % 6);

    for (i = 0; i < n && i < size; i++) {
        r = check_anon_rand(state);
        buf[i] = (unsigned char) run[(r >> 20) % (sizeof(run) - 1)];
    }

    return i;
}


size_t
check_anon_random_text(uint64_t *state, unsigned char *buf, size_t size)
{
    size_t         n, k, pieces, i, w;
    uint64_t       r;
    unsigned char  piece[64];

    static const check_scrub_text_t  words[] = {
        check_scrub_text(", "), check_scrub_text(","),
        check_scrub_text(" "), check_scrub_text(";"),
        check_scrub_text("="), check_scrub_text("\""),
        check_scrub_text("for="), check_scrub_text("by="),
        check_scrub_text(";proto=http"), check_scrub_text("unknown"),
        check_scrub_text("_hidden"), check_scrub_text("/"),
        check_scrub_text("-"), check_scrub_text("\t"),
        check_scrub_text("GET /a?ip="), check_scrub_text("x"),
        check_scrub_text("Chrome/120.0.6099.109"),
        check_scrub_text("12:34:56"), check_scrub_text("2023:13:55:36"),
        check_scrub_text("deadbeef"), check_scrub_text("cafe:babe"),
        check_scrub_text("["), check_scrub_text("]"),
        check_scrub_text("%"), check_scrub_text("+"),
        check_scrub_text("T"), check_scrub_text("Z"),
        check_scrub_text(" HTTP/1.1\" 200 "),
        check_scrub_text("\xc3\xa9"), check_scrub_text("\xff"),
        check_scrub_text("\0"), check_scrub_text("\r\n")
    };

    r = check_anon_rand(state);
    pieces = 1 + (size_t) (r % 12);
    n = 0;

    for (i = 0; i < pieces; i++) {
        r = check_anon_rand(state);

        switch (r % 20) {

        case 0: case 1: case 2: case 3: case 4: case 5: case 6:
            k = check_anon_random_address(state, piece);
            break;

        case 7: case 8: case 9: case 10: case 11: case 12:
            w = (size_t) ((r >> 8) % check_scrub_nelts(words));
            k = words[w].len;
            memcpy(piece, words[w].data, k);
            break;

        case 13: case 14: case 15: case 16:
            k = check_scrub_junk(state, piece, sizeof(piece));
            break;

        default:
            k = 1 + (size_t) ((r >> 8) % 3);
            piece[0] = (unsigned char) (r >> 16);
            piece[1] = (unsigned char) (r >> 24);
            piece[2] = (unsigned char) (r >> 32);
            break;
        }

        if (n + k > size) {
            break;
        }

        memcpy(buf + n, piece, k);
        n += k;
    }

    return n;
}


/* the output has the bytes of the input outside runs, runs for runs */

static void
check_scrub_frame(const unsigned char *in, size_t len,
    const unsigned char *out, size_t n)
{
    size_t  i, j;

    i = 0;
    j = 0;

    while (i < len || j < n) {

        if (i < len && j < n && !check_scrub_is_run(in[i])) {
            if (out[j] != in[i]) {
                goto bad;
            }

            i++;
            j++;
            continue;
        }

        if (i == len || j == n || !check_scrub_is_run(out[j])) {
            goto bad;
        }

        while (i < len && check_scrub_is_run(in[i])) {
            i++;
        }

        while (j < n && check_scrub_is_run(out[j])) {
            j++;
        }
    }

    return;

bad:

    ck_abort_msg("\"%s\": other bytes changed at %zu", check_anon_escape(
                 in, len), i);
}


/*
 * Scrub "in" from a copy right before an inaccessible page into exactly
 * as many bytes as the NULL call says, malloc()ed and also before an
 * inaccessible page; returns the length, the output in "out".
 */

static size_t
check_scrub_run(const unsigned char *in, size_t len, unsigned prefix4,
    unsigned prefix6, unsigned char *out, size_t size)
{
    size_t          n, m;
    unsigned char  *src, *dst, *heap;

    src = check_anon_guard_alloc(len);
    memcpy(src, in, len);

    n = ngx_anon_scrub(NULL, src, len, prefix4, prefix6);

    ck_assert_msg(n <= ngx_anon_scrub_max_size(len), "\"%s\": %zu bytes",
                  check_anon_escape(in, len), n);
    ck_assert_uint_le(n, size);

    dst = check_anon_guard_alloc(n);
    heap = malloc(n ? n : 1);
    ck_assert(heap != NULL);

    m = ngx_anon_scrub(dst, src, len, prefix4, prefix6);
    ck_assert_uint_eq(m, n);

    m = ngx_anon_scrub(heap, src, len, prefix4, prefix6);
    ck_assert_uint_eq(m, n);
    ck_assert_mem_eq(heap, dst, n);

    memcpy(out, dst, n);

    free(heap);
    check_anon_guard_free(dst, n);
    check_anon_guard_free(src, len);

    return n;
}


static void
check_scrub_one(const unsigned char *in, size_t len, unsigned prefix4,
    unsigned prefix6, const unsigned char *exp, size_t elen)
{
    char            ein[1024];
    size_t          n, m, off, bad;
    unsigned char  *out, *again;

    out = malloc(ngx_anon_scrub_max_size(len) + 1);
    again = malloc(ngx_anon_scrub_max_size(len) + 1);
    ck_assert(out != NULL && again != NULL);

    n = check_scrub_run(in, len, prefix4, prefix6, out,
                        ngx_anon_scrub_max_size(len));

    snprintf(ein, sizeof(ein), "%s", check_anon_escape(in, len));

    if (exp != NULL) {
        ck_assert_msg(n == elen && memcmp(out, exp, n) == 0,
                      "\"%s\" %u/%u: \"%s\"", ein, prefix4, prefix6,
                      check_anon_escape(out, n));
    }

    /* the properties: nothing shown, idempotent, other bytes kept */

    if (check_anon_leak(out, n, prefix4, prefix6, &off, &bad)) {
        ck_abort_msg("\"%s\" %u/%u: \"%.*s\" in the output", ein, prefix4,
                     prefix6, (int) bad, out + off);
    }

    m = check_scrub_run(out, n, prefix4, prefix6, again,
                        ngx_anon_scrub_max_size(len));

    if (m != n || memcmp(again, out, n) != 0) {
        ck_abort_msg("\"%s\" %u/%u: not idempotent", ein, prefix4, prefix6);
    }

    check_scrub_frame(in, len, out, n);

    free(again);
    free(out);
}


/*
 * The properties for one input, with preallocated buffers: src and dst
 * end right before inaccessible pages.
 */

static void
check_scrub_properties(const unsigned char *in, size_t len,
    unsigned prefix4, unsigned prefix6, unsigned char *src, size_t ssize,
    unsigned char *dst, size_t dsize)
{
    size_t          n, m, off, bad;
    unsigned char  *s, *d, *d2;

    s = src + ssize - len;
    memcpy(s, in, len);

    n = ngx_anon_scrub(NULL, s, len, prefix4, prefix6);

    if (n > ngx_anon_scrub_max_size(len) || 2 * n > dsize) {
        ck_abort_msg("\"%s\": %zu bytes", check_anon_escape(in, len), n);
    }

    d = dst + dsize - n;
    m = ngx_anon_scrub(d, s, len, prefix4, prefix6);

    if (m != n) {
        ck_abort_msg("\"%s\" %u/%u: wrote %zu, said %zu",
                     check_anon_escape(in, len), prefix4, prefix6, m, n);
    }

    if (check_anon_leak(d, n, prefix4, prefix6, &off, &bad)) {
        ck_abort_msg("\"%s\" %u/%u: \"%.*s\" in the output",
                     check_anon_escape(in, len), prefix4, prefix6, (int) bad,
                     d + off);
    }

    /* idempotent: scrub the output, from right before the guard page */

    d2 = d - n;

    if (ngx_anon_scrub(NULL, d, n, prefix4, prefix6) != n
        || ngx_anon_scrub(d2, d, n, prefix4, prefix6) != n
        || memcmp(d2, d, n) != 0)
    {
        ck_abort_msg("\"%s\" %u/%u: not idempotent: \"%s\"",
                     check_anon_escape(in, len), prefix4, prefix6,
                     check_anon_escape(d, n));
    }

    check_scrub_frame(in, len, d, n);
}


/* the tables */

START_TEST(test_scrub_core)
{
    const check_scrub_case_t  *t;

    t = &check_scrub_core[_i];

    check_scrub_one(t->in.data, t->in.len, t->prefix4, t->prefix6,
                    t->out.data, t->out.len);
}
END_TEST


START_TEST(test_scrub_adversarial)
{
    size_t                     k;
    const check_scrub_case_t  *t;

    t = &check_scrub_adversarial[_i];

    check_scrub_one(t->in.data, t->in.len, t->prefix4, t->prefix6,
                    t->out.data, t->out.len);

    /* every prefix of the input: no read past its end */

    for (k = 0; k < t->in.len; k++) {
        check_scrub_one(t->in.data, k, t->prefix4, t->prefix6, NULL, 0);
    }
}
END_TEST


/* the limits: prefixes, empty input, long values, many elements */

START_TEST(test_scrub_prefix_limits)
{
    size_t         i, j;
    unsigned char  out[128];

    static const unsigned  big4[] = { 32, 33, 64, 129, 200, 4096,
                                      UINT_MAX / 2, UINT_MAX - 1, UINT_MAX };
    static const unsigned  big6[] = { 128, 129, 200, 4096, UINT_MAX / 2,
                                      UINT_MAX - 1, UINT_MAX };

    static const check_scrub_text_t  in =
        check_scrub_text("198.51.100.7, ::ffff:198.51.100.7, "
                         "2001:db8:cafe:1:2:3:4:5, 2002:c633:6407::1");

    static const check_scrub_text_t  zero =
        check_scrub_text("0.0.0.0, ::ffff:0.0.0.0, ::, 2002::");

    /* 6to4 keeps no bit after its IPv4 address, whatever the prefixes */

    static const check_scrub_text_t  all =
        check_scrub_text("198.51.100.7, ::ffff:198.51.100.7, "
                         "2001:db8:cafe:1:2:3:4:5, 2002:c633:6407::");

    check_scrub_one(in.data, in.len, 0, 0, zero.data, zero.len);

    for (i = 0; i < check_scrub_nelts(big4); i++) {
        for (j = 0; j < check_scrub_nelts(big6); j++) {
            check_scrub_one(in.data, in.len, big4[i], big6[j], all.data,
                            all.len);
        }
    }

    ck_assert_uint_eq(ngx_anon_scrub(out,
                      (const unsigned char *) "198.51.100.7 2001:db8::1",
                      24, 0, 0), 10);
    ck_assert_mem_eq(out, "0.0.0.0 ::", 10);
}
END_TEST


START_TEST(test_scrub_empty)
{
    unsigned char  out[4];

    out[0] = 0x5a;

    ck_assert_uint_eq(ngx_anon_scrub(NULL, NULL, 0, 16, 32), 0);
    ck_assert_uint_eq(ngx_anon_scrub(out, NULL, 0, 16, 32), 0);
    ck_assert_uint_eq(ngx_anon_scrub(out, (const unsigned char *) "1.2.3.4",
                                     0, 16, 32), 0);
    ck_assert_uint_eq(out[0], 0x5a);
}
END_TEST


/* values of 100,000 bytes: lists, one run, no run */

START_TEST(test_scrub_long)
{
    size_t          i, n, len;
    unsigned char  *in, *exp;

    static const check_scrub_text_t  unit[][2] = {
        { check_scrub_text("198.51.100.7, "),
          check_scrub_text("198.51.0.0, ") },
        { check_scrub_text("[2001:db8:cafe::17]:4711,"),
          check_scrub_text("[2001:db8::]:4711,") },
        { check_scrub_text("1."), check_scrub_text("0.") },
        { check_scrub_text("ffff:"), check_scrub_text("0000:") },
        { check_scrub_text("::"), check_scrub_text("::") },
        { check_scrub_text("1"), check_scrub_text("1") },
        { check_scrub_text("x"), check_scrub_text("x") },
        { check_scrub_text("\xff\0"), check_scrub_text("\xff\0") },
        { check_scrub_text("12:34:56 "), check_scrub_text("12:34:56 ") }
    };

    in = malloc(CHECK_SCRUB_LONG + 64);
    exp = malloc(CHECK_SCRUB_LONG + 64);
    ck_assert(in != NULL && exp != NULL);

    for (i = 0; i < check_scrub_nelts(unit); i++) {
        len = 0;
        n = 0;

        while (len < CHECK_SCRUB_LONG) {
            memcpy(in + len, unit[i][0].data, unit[i][0].len);
            memcpy(exp + n, unit[i][1].data, unit[i][1].len);
            len += unit[i][0].len;
            n += unit[i][1].len;
        }

        /* one run of numbers: "1.1.1...1.1" */

        if (i == 2) {
            len--;
            n--;
        }

        check_scrub_one(in, len, 16, 32, exp, n);
    }

    free(exp);
    free(in);
}
END_TEST


/* many elements: 10,000 addresses of every form in one list */

START_TEST(test_scrub_many)
{
    size_t          i, n, len, count, off, bad;
    uint64_t        state;
    unsigned char  *in, *out;

    in = malloc(64 * 10000);
    out = malloc(ngx_anon_scrub_max_size(64 * 10000));
    ck_assert(in != NULL && out != NULL);

    state = 0x1234567887654321ULL;
    len = 0;

    for (i = 0; i < 10000; i++) {
        len += check_anon_random_address(&state, in + len);
        in[len++] = ',';
        in[len++] = ' ';
    }

    n = ngx_anon_scrub(out, in, len, 16, 32);

    ck_assert_uint_eq(ngx_anon_scrub(NULL, in, len, 16, 32), n);
    ck_assert(check_anon_leak(out, n, 16, 32, &off, &bad) == 0);

    /* every element is still there */

    count = 0;

    for (i = 0; i + 1 < n; i++) {
        if (out[i] == ',' && out[i + 1] == ' ') {
            count++;
        }
    }

    ck_assert_uint_eq(count, 10000);

    check_scrub_one(in, len, 16, 32, out, n);

    free(out);
    free(in);
}
END_TEST


/* every byte, alone and around an address and a run */

START_TEST(test_scrub_bytes)
{
    size_t         n;
    unsigned       c;
    unsigned char  in[32], exp[32];

    for (c = 0; c < 256; c++) {
        in[0] = (unsigned char) c;
        check_scrub_one(in, 1, 16, 32, in, 1);

        memcpy(in, "198.51.100.7", 12);
        in[12] = (unsigned char) c;
        memcpy(in + 13, "::1", 3);

        n = 0;

        if (check_scrub_is_run((unsigned char) c)) {
            check_scrub_one(in, 16, 16, 32, NULL, 0);
            continue;
        }

        memcpy(exp, "198.51.0.0", 10);
        exp[10] = (unsigned char) c;
        memcpy(exp + 11, "::", 2);
        n = 13;

        check_scrub_one(in, 16, 16, 32, exp, n);
    }
}
END_TEST


/* properties over random texts */

START_TEST(test_scrub_privacy)
{
    size_t          i, len, dsize;
    unsigned        p4, p6;
    uint64_t        state;
    unsigned char  *src, *dst, text[CHECK_SCRUB_TEXT];

    dsize = 2 * ngx_anon_scrub_max_size(CHECK_SCRUB_TEXT);

    src = check_anon_guard_alloc(CHECK_SCRUB_TEXT);
    dst = check_anon_guard_alloc(dsize);

    state = 0x9e3779b97f4a7c15ULL;

    for (i = 0; i < CHECK_SCRUB_SAMPLES; i++) {
        check_anon_prefixes(&state, &p4, &p6);
        len = check_anon_random_text(&state, text, sizeof(text));

        check_scrub_properties(text, len, p4, p6, src, CHECK_SCRUB_TEXT, dst,
                               dsize);
    }

    check_anon_guard_free(dst, dsize);
    check_anon_guard_free(src, CHECK_SCRUB_TEXT);
}
END_TEST


/* nothing but address characters, mostly colons, dots and digits */

START_TEST(test_scrub_garbage)
{
    size_t          i, k, len, dsize;
    unsigned        p4, p6;
    uint64_t        state, r;
    unsigned char  *src, *dst, text[128];

    static const char  run[] = "0123456789abcdefABCDEF0011::::::......";

    dsize = 2 * ngx_anon_scrub_max_size(sizeof(text));

    src = check_anon_guard_alloc(sizeof(text));
    dst = check_anon_guard_alloc(dsize);

    state = 0x2545f4914f6cdd1dULL;

    for (i = 0; i < CHECK_SCRUB_SAMPLES; i++) {
        check_anon_prefixes(&state, &p4, &p6);

        r = check_anon_rand(&state);
        len = 1 + (size_t) (r % 64);

        for (k = 0; k < len; k++) {
            r = check_anon_rand(&state);
            text[k] = (unsigned char) run[(r >> 24) % (sizeof(run) - 1)];
        }

        /* an address in it now and then */

        if ((r & 3) == 0) {
            k = (size_t) ((r >> 8) % (len + 1));
            len = k + check_anon_random_address(&state, text + k);
        }

        check_scrub_properties(text, len, p4, p6, src, sizeof(text), dst,
                               dsize);
    }

    check_anon_guard_free(dst, dsize);
    check_anon_guard_free(src, sizeof(text));
}
END_TEST


/* text without a character of an address literal comes out the same */

START_TEST(test_scrub_plain)
{
    size_t          i, k, len;
    unsigned        p4, p6;
    uint64_t        state, r;
    unsigned char  *src, *dst, text[CHECK_SCRUB_TEXT];

    src = check_anon_guard_alloc(CHECK_SCRUB_TEXT);
    dst = check_anon_guard_alloc(CHECK_SCRUB_TEXT);

    state = 0x0123456789abcdefULL;

    for (i = 0; i < CHECK_SCRUB_SAMPLES; i++) {
        check_anon_prefixes(&state, &p4, &p6);

        r = check_anon_rand(&state);
        len = (size_t) (r % (CHECK_SCRUB_TEXT + 1));

        for (k = 0; k < len; k++) {
            do {
                r = check_anon_rand(&state);
                text[k] = (unsigned char) (r >> 32);
            } while (check_scrub_is_run(text[k]));
        }

        memcpy(src + CHECK_SCRUB_TEXT - len, text, len);

        if (ngx_anon_scrub(NULL, src + CHECK_SCRUB_TEXT - len, len, p4, p6)
            != len
            || ngx_anon_scrub(dst + CHECK_SCRUB_TEXT - len,
                              src + CHECK_SCRUB_TEXT - len, len, p4, p6)
               != len
            || memcmp(dst + CHECK_SCRUB_TEXT - len, text, len) != 0)
        {
            ck_abort_msg("\"%s\" changed", check_anon_escape(text, len));
        }
    }

    check_anon_guard_free(dst, CHECK_SCRUB_TEXT);
    check_anon_guard_free(src, CHECK_SCRUB_TEXT);
}
END_TEST


Suite *
ngx_anon_scrub_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("ngx_anon_scrub");

    tc = tcase_create("core");
    tcase_add_loop_test(tc, test_scrub_core, 0,
                        check_scrub_nelts(check_scrub_core));
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_test(tc, test_scrub_prefix_limits);
    tcase_add_test(tc, test_scrub_empty);
    tcase_add_test(tc, test_scrub_long);
    tcase_add_test(tc, test_scrub_many);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("adversarial");
    tcase_add_loop_test(tc, test_scrub_adversarial, 0,
                        check_scrub_nelts(check_scrub_adversarial));
    tcase_add_test(tc, test_scrub_bytes);
    suite_add_tcase(s, tc);

    tc = tcase_create("property");
    tcase_add_test(tc, test_scrub_privacy);
    tcase_add_test(tc, test_scrub_garbage);
    tcase_add_test(tc, test_scrub_plain);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    return s;
}
