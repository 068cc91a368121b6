
/*
 * Copyright (C) ngx_anon authors
 */


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>
#include <sys/mman.h>
#include <check.h>

#include "ngx_anon_addr.h"
#include "check_anon.h"


#define CHECK_ADDR_SAMPLES   200000
#define CHECK_ADDR_IPV4      -1          /* "kind" of an IPv4 address */

#define check_addr_nelts(a)  (sizeof(a) / sizeof((a)[0]))

/* a text with an explicit length: it may hold a NUL */
#define check_addr_text(s)   { (const unsigned char *) (s), sizeof(s) - 1 }


typedef struct {
    const char  *in;
    unsigned     prefix4;
    unsigned     prefix6;
    int          kind;        /* kind6() of "in" or CHECK_ADDR_IPV4 */
    const char  *out;
} check_addr_trunc_t;


typedef struct {
    const char  *in;
    int          kind;
} check_addr_kind_t;


typedef struct {
    const char  *in;
    const char  *out;
} check_addr_format_t;


typedef struct {
    const char  *in;
    const char  *hex;         /* 8 or 32 hex digits */
} check_addr_parse_t;


typedef struct {
    const unsigned char  *data;
    size_t                len;
} check_addr_text_t;


enum {
    CHECK_FORM_IPV4 = 0,
    CHECK_FORM_NATIVE,
    CHECK_FORM_MAPPED,
    CHECK_FORM_COMPAT,
    CHECK_FORM_6TO4,
    CHECK_FORM_TEREDO,
    CHECK_FORM_NAT64,
    CHECK_FORM_NAT64_LOCAL,
    CHECK_FORM_ISATAP,
    CHECK_FORM_LAST
};


static uint64_t check_addr_rand(uint64_t *state);
static void check_addr_random(uint64_t *state, unsigned char *p, size_t n);
static void check_addr_allow(unsigned char *allow, size_t off, size_t n,
    unsigned bits);
static size_t check_addr_unhex(const char *hex, unsigned char *out);
static size_t check_addr_parse_str(const char *s, unsigned char *addr);
static void check_addr_guarded(const unsigned char *s, size_t len);
static size_t check_addr_generate(int form, uint64_t *state,
    unsigned char *in, unsigned char *allow, unsigned prefix4,
    unsigned prefix6);
static void check_addr_one(int form, uint64_t *state, unsigned prefix4,
    unsigned prefix6);


/* IPv4: 255.255.255.255 shows every boundary, 192.168.100.200 a real one */

static const check_addr_trunc_t  check_addr_trunc4[] = {
    { "255.255.255.255", 0, 64, CHECK_ADDR_IPV4, "0.0.0.0" },
    { "255.255.255.255", 1, 64, CHECK_ADDR_IPV4, "128.0.0.0" },
    { "255.255.255.255", 8, 64, CHECK_ADDR_IPV4, "255.0.0.0" },
    { "255.255.255.255", 15, 64, CHECK_ADDR_IPV4, "255.254.0.0" },
    { "255.255.255.255", 16, 64, CHECK_ADDR_IPV4, "255.255.0.0" },
    { "255.255.255.255", 17, 64, CHECK_ADDR_IPV4, "255.255.128.0" },
    { "255.255.255.255", 24, 64, CHECK_ADDR_IPV4, "255.255.255.0" },
    { "255.255.255.255", 31, 64, CHECK_ADDR_IPV4, "255.255.255.254" },
    { "255.255.255.255", 32, 64, CHECK_ADDR_IPV4, "255.255.255.255" },
    { "255.255.255.255", 33, 64, CHECK_ADDR_IPV4, "255.255.255.255" },
    { "192.168.100.200", 0, 0, CHECK_ADDR_IPV4, "0.0.0.0" },
    { "192.168.100.200", 1, 0, CHECK_ADDR_IPV4, "128.0.0.0" },
    { "192.168.100.200", 8, 0, CHECK_ADDR_IPV4, "192.0.0.0" },
    { "192.168.100.200", 15, 0, CHECK_ADDR_IPV4, "192.168.0.0" },
    { "192.168.100.200", 16, 128, CHECK_ADDR_IPV4, "192.168.0.0" },
    { "192.168.100.200", 17, 128, CHECK_ADDR_IPV4, "192.168.0.0" },
    { "192.168.100.200", 24, 128, CHECK_ADDR_IPV4, "192.168.100.0" },
    { "192.168.100.200", 31, 128, CHECK_ADDR_IPV4, "192.168.100.200" },
    { "192.168.100.200", 32, 200, CHECK_ADDR_IPV4, "192.168.100.200" },
    { "192.168.100.200", 33, 200, CHECK_ADDR_IPV4, "192.168.100.200" },
    { "10.1.2.3", 24, 0, CHECK_ADDR_IPV4, "10.1.2.0" },
    { "10.1.2.3", 31, 0, CHECK_ADDR_IPV4, "10.1.2.2" },
    { "0.0.0.0", 32, 0, CHECK_ADDR_IPV4, "0.0.0.0" },
    { "127.0.0.1", 8, 0, CHECK_ADDR_IPV4, "127.0.0.0" }
};


static const check_addr_trunc_t  check_addr_trunc6[] = {

    /* native: prefix6 bits, prefix4 does not matter */

    { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 32, 0,
      NGX_ANON_V6_NATIVE, "::" },
    { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 32, 8,
      NGX_ANON_V6_NATIVE, "ff00::" },
    { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 16,
      NGX_ANON_V6_NATIVE, "ffff::" },
    { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 32,
      NGX_ANON_V6_NATIVE, "ffff:ffff::" },
    { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 24, 48,
      NGX_ANON_V6_NATIVE, "ffff:ffff:ffff::" },
    { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 24, 56,
      NGX_ANON_V6_NATIVE, "ffff:ffff:ffff:ff00::" },
    { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 24, 64,
      NGX_ANON_V6_NATIVE, "ffff:ffff:ffff:ffff::" },
    { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 24, 127,
      NGX_ANON_V6_NATIVE, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe" },
    { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 24, 128,
      NGX_ANON_V6_NATIVE, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
    { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 24, 200,
      NGX_ANON_V6_NATIVE, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
    { "2001:db8:85a3:1234:5678:8a2e:370:7335", 24, 0,
      NGX_ANON_V6_NATIVE, "::" },
    { "2001:db8:85a3:1234:5678:8a2e:370:7335", 24, 8,
      NGX_ANON_V6_NATIVE, "2000::" },

    /* the result is in 2001::/32, it stays as it is */

    { "2001:db8:85a3:1234:5678:8a2e:370:7335", 24, 16,
      NGX_ANON_V6_NATIVE, "2001::" },
    { "2001:db8:85a3:1234:5678:8a2e:370:7335", 24, 32,
      NGX_ANON_V6_NATIVE, "2001:db8::" },
    { "2001:db8:85a3:1234:5678:8a2e:370:7335", 24, 48,
      NGX_ANON_V6_NATIVE, "2001:db8:85a3::" },
    { "2001:db8:85a3:1234:5678:8a2e:370:7335", 24, 56,
      NGX_ANON_V6_NATIVE, "2001:db8:85a3:1200::" },
    { "2001:db8:85a3:1234:5678:8a2e:370:7335", 24, 64,
      NGX_ANON_V6_NATIVE, "2001:db8:85a3:1234::" },
    { "2001:db8:85a3:1234:5678:8a2e:370:7335", 24, 127,
      NGX_ANON_V6_NATIVE, "2001:db8:85a3:1234:5678:8a2e:370:7334" },
    { "2001:db8:85a3:1234:5678:8a2e:370:7335", 24, 128,
      NGX_ANON_V6_NATIVE, "2001:db8:85a3:1234:5678:8a2e:370:7335" },
    { "2001:db8:85a3:1234:5678:8a2e:370:7335", 24, 200,
      NGX_ANON_V6_NATIVE, "2001:db8:85a3:1234:5678:8a2e:370:7335" },
    { "fe80::1", 32, 64, NGX_ANON_V6_NATIVE, "fe80::" },
    { "fe80::1", 32, 128, NGX_ANON_V6_NATIVE, "fe80::1" },
    { "::1", 32, 127, NGX_ANON_V6_NATIVE, "::" },
    { "::1", 32, 128, NGX_ANON_V6_NATIVE, "::1" },
    { "::", 32, 128, NGX_ANON_V6_NATIVE, "::" },
    { "2003:ffff::", 32, 15, NGX_ANON_V6_NATIVE, "2002::" },
    { "64:ff9b:2::1", 32, 40, NGX_ANON_V6_NATIVE, "64:ff9b::" },

    /* the group bit set is not an ISATAP marker */

    { "fe80::100:5efe:c0a8:64c8", 32, 64, NGX_ANON_V6_NATIVE, "fe80::" },

    /* mapped: prefix4 bits of the IPv4 address, prefix6 does not matter */

    { "::ffff:192.168.100.200", 0, 128,
      NGX_ANON_V6_MAPPED, "::ffff:0.0.0.0" },
    { "::ffff:192.168.100.200", 8, 0,
      NGX_ANON_V6_MAPPED, "::ffff:192.0.0.0" },
    { "::ffff:192.168.100.200", 16, 64,
      NGX_ANON_V6_MAPPED, "::ffff:192.168.0.0" },
    { "::ffff:192.168.100.200", 24, 128,
      NGX_ANON_V6_MAPPED, "::ffff:192.168.100.0" },
    { "::ffff:192.168.100.200", 32, 0,
      NGX_ANON_V6_MAPPED, "::ffff:192.168.100.200" },
    { "::ffff:192.168.100.200", 33, 200,
      NGX_ANON_V6_MAPPED, "::ffff:192.168.100.200" },
    { "::ffff:255.255.255.255", 17, 48,
      NGX_ANON_V6_MAPPED, "::ffff:255.255.128.0" },
    { "::ffff:255.255.255.255", 31, 56,
      NGX_ANON_V6_MAPPED, "::ffff:255.255.255.254" },
    { "::FFFF:c0a8:64c8", 24, 127,
      NGX_ANON_V6_MAPPED, "::ffff:192.168.100.0" },

    /* compatible */

    { "::192.168.100.200", 0, 128, NGX_ANON_V6_COMPAT, "::" },
    { "::192.168.100.200", 8, 128, NGX_ANON_V6_COMPAT, "::192.0.0.0" },
    { "::192.168.100.200", 24, 0, NGX_ANON_V6_COMPAT, "::192.168.100.0" },
    { "::192.168.100.200", 32, 0, NGX_ANON_V6_COMPAT, "::192.168.100.200" },
    { "::192.168.100.200", 33, 64, NGX_ANON_V6_COMPAT, "::192.168.100.200" },
    { "::255.255.255.255", 16, 16, NGX_ANON_V6_COMPAT, "::255.255.0.0" },
    { "::2", 30, 128, NGX_ANON_V6_COMPAT, "::" },
    { "::2", 31, 0, NGX_ANON_V6_COMPAT, "::2" },
    { "::3", 31, 0, NGX_ANON_V6_COMPAT, "::2" },
    { "::3", 32, 64, NGX_ANON_V6_COMPAT, "::3" },
    { "::0.0.1.0", 32, 0, NGX_ANON_V6_COMPAT, "::0.0.1.0" },
    { "::0.0.1.0", 23, 128, NGX_ANON_V6_COMPAT, "::" },

    /* 6to4: 2002 and the IPv4 address, the subnet and host are zeroed */

    { "2002:c0a8:64c8:1:2:3:4:5", 0, 128, NGX_ANON_V6_6TO4, "2002::" },
    { "2002:c0a8:64c8:1:2:3:4:5", 8, 128, NGX_ANON_V6_6TO4, "2002:c000::" },
    { "2002:c0a8:64c8:1:2:3:4:5", 16, 64, NGX_ANON_V6_6TO4, "2002:c0a8::" },
    { "2002:c0a8:64c8:1:2:3:4:5", 24, 48,
      NGX_ANON_V6_6TO4, "2002:c0a8:6400::" },
    { "2002:c0a8:64c8:1:2:3:4:5", 32, 0,
      NGX_ANON_V6_6TO4, "2002:c0a8:64c8::" },
    { "2002:c0a8:64c8:1:2:3:4:5", 33, 200,
      NGX_ANON_V6_6TO4, "2002:c0a8:64c8::" },
    { "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 17, 128,
      NGX_ANON_V6_6TO4, "2002:ffff:8000::" },
    { "2002::5efe:1.2.3.4", 32, 128, NGX_ANON_V6_6TO4, "2002::" },

    /* Teredo (RFC 4380 example): the /32 only */

    { "2001:0:4136:e378:8000:63bf:3fff:fdd2", 0, 0,
      NGX_ANON_V6_TEREDO, "2001::" },
    { "2001:0:4136:e378:8000:63bf:3fff:fdd2", 8, 64,
      NGX_ANON_V6_TEREDO, "2001::" },
    { "2001:0:4136:e378:8000:63bf:3fff:fdd2", 32, 128,
      NGX_ANON_V6_TEREDO, "2001::" },
    { "2001:0:4136:e378:8000:63bf:3fff:fdd2", 33, 200,
      NGX_ANON_V6_TEREDO, "2001::" },
    { "2001:0:1:2:0:5efe:1.2.3.4", 32, 128, NGX_ANON_V6_TEREDO, "2001::" },

    /* NAT64 well-known prefix (RFC 6052), 192.0.2.33 */

    { "64:ff9b::192.0.2.33", 0, 128, NGX_ANON_V6_NAT64, "64:ff9b::" },
    { "64:ff9b::192.0.2.33", 8, 0, NGX_ANON_V6_NAT64, "64:ff9b::c000:0" },
    { "64:ff9b::192.0.2.33", 24, 48, NGX_ANON_V6_NAT64, "64:ff9b::c000:200" },
    { "64:ff9b::192.0.2.33", 32, 64, NGX_ANON_V6_NAT64, "64:ff9b::c000:221" },
    { "64:ff9b::c000:221", 33, 200, NGX_ANON_V6_NAT64, "64:ff9b::c000:221" },

    /* NAT64 local use, 192.0.2.33 behind a /48, /56, /64 and /96 */

    { "64:ff9b:1:c000:2:2100::", 32, 128,
      NGX_ANON_V6_NAT64_LOCAL, "64:ff9b:1::" },
    { "64:ff9b:1:ffc0:0:221::", 32, 128,
      NGX_ANON_V6_NAT64_LOCAL, "64:ff9b:1::" },
    { "64:ff9b:1:abcd:c0:2:2100:0", 32, 200,
      NGX_ANON_V6_NAT64_LOCAL, "64:ff9b:1::" },
    { "64:ff9b:1:abcd:ef:1234:c000:221", 32, 64,
      NGX_ANON_V6_NAT64_LOCAL, "64:ff9b:1::" },
    { "64:ff9b:1::5efe:1.2.3.4", 0, 0,
      NGX_ANON_V6_NAT64_LOCAL, "64:ff9b:1::" },

    /* ISATAP: min(prefix6, 64) bits, the marker, prefix4 of the IPv4 */

    { "2001:db8:85a3:1234:0:5efe:192.168.100.200", 0, 0,
      NGX_ANON_V6_ISATAP, "::5efe:0:0" },
    { "2001:db8:85a3:1234:0:5efe:192.168.100.200", 24, 8,
      NGX_ANON_V6_ISATAP, "2000::5efe:c0a8:6400" },
    { "2001:db8:85a3:1234:0:5efe:192.168.100.200", 8, 32,
      NGX_ANON_V6_ISATAP, "2001:db8::5efe:c000:0" },
    { "2001:db8:85a3:1234:0:5efe:192.168.100.200", 24, 48,
      NGX_ANON_V6_ISATAP, "2001:db8:85a3::5efe:c0a8:6400" },
    { "2001:db8:85a3:1234:0:5efe:192.168.100.200", 16, 56,
      NGX_ANON_V6_ISATAP, "2001:db8:85a3:1200:0:5efe:c0a8:0" },
    { "2001:db8:85a3:1234:0:5efe:192.168.100.200", 32, 64,
      NGX_ANON_V6_ISATAP, "2001:db8:85a3:1234:0:5efe:c0a8:64c8" },
    { "2001:db8:85a3:1234:0:5efe:192.168.100.200", 32, 127,
      NGX_ANON_V6_ISATAP, "2001:db8:85a3:1234:0:5efe:c0a8:64c8" },
    { "2001:db8:85a3:1234:0:5efe:192.168.100.200", 32, 128,
      NGX_ANON_V6_ISATAP, "2001:db8:85a3:1234:0:5efe:c0a8:64c8" },
    { "2001:db8:85a3:1234:0:5efe:192.168.100.200", 33, 200,
      NGX_ANON_V6_ISATAP, "2001:db8:85a3:1234:0:5efe:c0a8:64c8" },
    { "fe80::200:5efe:192.168.100.200", 16, 64,
      NGX_ANON_V6_ISATAP, "fe80::200:5efe:c0a8:0" },
    { "fe80::200:5efe:192.168.100.200", 32, 10,
      NGX_ANON_V6_ISATAP, "fe80::200:5efe:c0a8:64c8" },
    { "fe80::200:5efe:192.168.100.200", 0, 9,
      NGX_ANON_V6_ISATAP, "fe80::200:5efe:0:0" },
    { "::5efe:1.2.3.4", 32, 128, NGX_ANON_V6_ISATAP, "::5efe:102:304" },
    { "64:ff9b::5efe:1.2.3.4", 16, 128,
      NGX_ANON_V6_ISATAP, "64:ff9b::5efe:102:0" },

    /*
     * A cut ISATAP prefix that lands in 2002::/16 or 2001:0::/32 gets the
     * 6to4 or Teredo rule too: the result is a fixed point of truncation.
     */

    { "2003:1:2:3:0:5efe:1.2.3.4", 32, 15, NGX_ANON_V6_ISATAP, "2002::" },
    { "2003:1:2:3:0:5efe:1.2.3.4", 32, 16,
      NGX_ANON_V6_ISATAP, "2003::5efe:102:304" },
    { "2001:1:2:3:0:5efe:1.2.3.4", 32, 16, NGX_ANON_V6_ISATAP, "2001::" },
    { "2001:1:2:3:0:5efe:1.2.3.4", 32, 31, NGX_ANON_V6_ISATAP, "2001::" },
    { "2001:1:2:3:0:5efe:1.2.3.4", 32, 32,
      NGX_ANON_V6_ISATAP, "2001:1::5efe:102:304" }
};


static const check_addr_kind_t  check_addr_kinds[] = {
    { "::", NGX_ANON_V6_NATIVE },
    { "::1", NGX_ANON_V6_NATIVE },
    { "::2", NGX_ANON_V6_COMPAT },
    { "::0.0.1.0", NGX_ANON_V6_COMPAT },
    { "::1.2.3.4", NGX_ANON_V6_COMPAT },
    { "::1:0:0:0", NGX_ANON_V6_NATIVE },
    { "::ffff:1.2.3.4", NGX_ANON_V6_MAPPED },
    { "::ffff:0:0", NGX_ANON_V6_MAPPED },
    { "::ffff:0:0:0", NGX_ANON_V6_NATIVE },
    { "::fffe:1.2.3.4", NGX_ANON_V6_NATIVE },
    { "::1:ffff:1.2.3.4", NGX_ANON_V6_NATIVE },
    { "64:ff9b::", NGX_ANON_V6_NAT64 },
    { "64:ff9b::1.2.3.4", NGX_ANON_V6_NAT64 },
    { "64:ff9b::1:1.2.3.4", NGX_ANON_V6_NATIVE },
    { "64:ff9b:1::", NGX_ANON_V6_NAT64_LOCAL },
    { "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", NGX_ANON_V6_NAT64_LOCAL },
    { "64:ff9b:1::5efe:1.2.3.4", NGX_ANON_V6_NAT64_LOCAL },
    { "64:ff9b:2::", NGX_ANON_V6_NATIVE },
    { "64:ff9b::5efe:1.2.3.4", NGX_ANON_V6_ISATAP },
    { "2002::", NGX_ANON_V6_6TO4 },
    { "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NGX_ANON_V6_6TO4 },
    { "2002::5efe:1.2.3.4", NGX_ANON_V6_6TO4 },
    { "2003::", NGX_ANON_V6_NATIVE },
    { "2001::", NGX_ANON_V6_TEREDO },
    { "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", NGX_ANON_V6_TEREDO },
    { "2001:0:1:2:0:5efe:1.2.3.4", NGX_ANON_V6_TEREDO },
    { "2001:1::", NGX_ANON_V6_NATIVE },
    { "2001:db8::", NGX_ANON_V6_NATIVE },
    { "::5efe:1.2.3.4", NGX_ANON_V6_ISATAP },
    { "::200:5efe:1.2.3.4", NGX_ANON_V6_ISATAP },
    { "fe80::5efe:1.2.3.4", NGX_ANON_V6_ISATAP },
    { "fe80::200:5efe:1.2.3.4", NGX_ANON_V6_ISATAP },
    { "fe80::100:5efe:1.2.3.4", NGX_ANON_V6_NATIVE },
    { "fe80::300:5efe:1.2.3.4", NGX_ANON_V6_NATIVE },
    { "fe80::5eff:1.2.3.4", NGX_ANON_V6_NATIVE },
    { "fe80::1", NGX_ANON_V6_NATIVE }
};


/*
 * $remote_addr as printed by nginx for these X-Real-IP values (realip
 * module), observed with Debian nginx 1.22.1.  nginx also accepted
 * "01.2.3.4" and "::01.2.3.4", which ngx_anon_addr_parse() refuses.
 */

static const check_addr_format_t  check_addr_formats[] = {
    { "::", "::" },
    { "::1", "::1" },
    { "::2", "::2" },
    { "::0.0.1.2", "::0.0.1.2" },
    { "::1.2.3.4", "::1.2.3.4" },
    { "::ffff:1.2.3.4", "::ffff:1.2.3.4" },
    { "::ffff:0.0.0.0", "::ffff:0.0.0.0" },
    { "::ffff:0:0", "::ffff:0.0.0.0" },
    { "0:0:0:0:0:1:0:0", "::1:0:0" },
    { "1:0:0:1:0:0:0:1", "1:0:0:1::1" },
    { "1::", "1::" },
    { "2001:db8::", "2001:db8::" },
    { "::ffff:0.0.0.1", "::ffff:0.0.0.1" },
    { "::0.1.0.0", "::0.1.0.0" },
    { "::0.0.0.1", "::1" },
    { "::0.0.0.2", "::2" },
    { "::0.0.1.0", "::0.0.1.0" },
    { "::0.0.1.1", "::101" },
    { "::0.0.2.1", "::201" },
    { "::0.0.255.1", "::ff01" },
    { "::0.0.2.0", "::0.0.2.0" },
    { "::0.0.0.255", "::ff" },
    { "::0.0.0.16", "::10" },
    { "::0.0.1.255", "::0.0.1.255" },
    { "::1.0.0.0", "::1.0.0.0" },
    { "::0.1.0.1", "::0.1.0.1" },
    { "::1:1", "::0.1.0.1" },
    { "::1:0", "::0.1.0.0" },
    { "::0:1:0", "::0.1.0.0" },
    { "::ffff", "::0.0.255.255" },
    { "::1:ffff:1.2.3.4", "::1:ffff:102:304" },
    { "0:0:0:0:1:ffff:1.2.3.4", "::1:ffff:102:304" },
    { "::fffe:1.2.3.4", "::fffe:102:304" },
    { "::ffff:ffff:ffff", "::ffff:255.255.255.255" },
    { "0:0:0:0:0:0:ffff:ffff", "::255.255.255.255" },
    { "::ffff:0:1", "::ffff:0.0.0.1" },
    { "::ffff:0:0:1", "::ffff:0:0:1" },
    { "0:0:0:0:ffff:0:0:0", "::ffff:0:0:0" },
    { "::ff:1", "::0.255.0.1" },
    { "::1:0:0", "::1:0:0" },
    { "::1:0:0:0:0", "0:0:0:1::" },
    { "0:0:1::", "0:0:1::" },
    { "0:0:0:0:0:1:2:3", "::1:2:3" },
    { "0:0:0:0:0:ffff:102:304", "::ffff:1.2.3.4" },
    { "0:0:0:0:0:ffff:0:0", "::ffff:0.0.0.0" },
    { "::0:ffff:1.2.3.4", "::ffff:1.2.3.4" },
    { "0:0:0:0:0:0:0:0", "::" },
    { "::0.0.0.0", "::" },
    { "0:0:0:0:0:0:1:0", "::0.1.0.0" },
    { "0:0:0:0:0:0:0:1", "::1" },
    { "1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0" },
    { "1:0:0:1:1:0:0:1", "1::1:1:0:0:1" },
    { "1:0:0:2:0:0:0:3", "1:0:0:2::3" },
    { "1:0:0:0:2:0:0:3", "1::2:0:0:3" },
    { "1:0:0:4:5:0:0:0", "1:0:0:4:5::" },
    { "1:0:0:4:5:6:0:0", "1::4:5:6:0:0" },
    { "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8" },
    { "1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0" },
    { "0:1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7" },
    { "0:0:1:2:3:4:5:6", "::1:2:3:4:5:6" },
    { "0:0:3:4:5:6:7:8", "::3:4:5:6:7:8" },
    { "1::2:3:4:5:6:7", "1:0:2:3:4:5:6:7" },
    { "1:0:0:0:0:0:0:1", "1::1" },
    { "1:0:0:0:0:0:0:0", "1::" },
    { "1:2:0:0:0:0:0:0", "1:2::" },
    { "1:2:3:4:5:6:0:0", "1:2:3:4:5:6::" },
    { "1:0::1", "1::1" },
    { "ABCD::EF", "abcd::ef" },
    { "00ff:0f0f::", "ff:f0f::" },
    { "64:ff9b::1.2.3.4", "64:ff9b::102:304" },
    { "2002:102:304::", "2002:102:304::" },
    { "fe80::1", "fe80::1" },
    { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
    { "1.2.3.4", "1.2.3.4" },
    { "0.0.0.0", "0.0.0.0" },
    { "255.255.255.255", "255.255.255.255" }
};


static const check_addr_parse_t  check_addr_valid[] = {
    { "0.0.0.0", "00000000" },
    { "1.2.3.4", "01020304" },
    { "10.0.0.1", "0a000001" },
    { "100.200.0.9", "64c80009" },
    { "255.255.255.255", "ffffffff" },
    { "::", "00000000000000000000000000000000" },
    { "::1", "00000000000000000000000000000001" },
    { "1::", "00010000000000000000000000000000" },
    { "1::2", "00010000000000000000000000000002" },
    { "::ffff:1.2.3.4", "00000000000000000000ffff01020304" },
    { "::FFFF:1.2.3.4", "00000000000000000000ffff01020304" },
    { "::1.2.3.4", "00000000000000000000000001020304" },
    { "1::1.2.3.4", "00010000000000000000000001020304" },
    { "1:2:3:4:5:6:1.2.3.4", "00010002000300040005000601020304" },
    { "1:2:3:4:5::1.2.3.4", "00010002000300040005000001020304" },
    { "0:0:0:0:0:0:0.0.0.0", "00000000000000000000000000000000" },
    { "1:2:3:4:5:6:7:8", "00010002000300040005000600070008" },
    { "1:2:3:4:5:6:7::", "00010002000300040005000600070000" },
    { "::2:3:4:5:6:7:8", "00000002000300040005000600070008" },
    { "1:2:3::6:7:8", "00010002000300000000000600070008" },
    { "0000:0000:0000:0000:0000:0000:0000:0001",
      "00000000000000000000000000000001" },
    { "ABCD:EF01:2345:6789:abcd:ef01:2345:6789",
      "abcdef0123456789abcdef0123456789" },
    { "aBcD:eF01::", "abcdef01000000000000000000000000" },
    { "fe80::200:5efe:192.168.100.200", "fe8000000000000002005efec0a864c8" },
    { "2001:db8:0:0:1:0:0:1", "20010db8000000000001000000000001" }
};


static const check_addr_text_t  check_addr_invalid[] = {
    check_addr_text(""),
    check_addr_text("."),
    check_addr_text(":"),
    check_addr_text("1"),
    check_addr_text("1.2.3"),
    check_addr_text("1.2.3.4.5"),
    check_addr_text("256.1.1.1"),
    check_addr_text("1.256.1.1"),
    check_addr_text("1.1.1.1000"),
    check_addr_text("1.2.3.04"),
    check_addr_text("01.2.3.4"),
    check_addr_text("1.2.3.00"),
    check_addr_text("1..2.3"),
    check_addr_text(".1.2.3"),
    check_addr_text("1.2.3."),
    check_addr_text("1.2.3.4."),
    check_addr_text("+1.2.3.4"),
    check_addr_text("1.2.3.-4"),
    check_addr_text("0x1.2.3.4"),
    check_addr_text("1.2.3.0x4"),
    check_addr_text("1.2.3.a"),
    check_addr_text(" 1.2.3.4"),
    check_addr_text("1.2.3.4 "),
    check_addr_text("1.2. 3.4"),
    check_addr_text("\t1.2.3.4"),
    check_addr_text("1.2.3.4\n"),
    check_addr_text("1.2.3.4\r\n"),
    check_addr_text("1.2.3.4x"),
    check_addr_text("1.2.3.4/24"),
    check_addr_text("1.2.3.4:80"),
    check_addr_text("1.2.3.4\0"),
    check_addr_text("1.2\0.3.4"),
    check_addr_text("\0" "1.2.3.4"),
    check_addr_text("1.2.3.\xc2\xb2"),
    check_addr_text("\xef\xbc\x91.2.3.4"),
    check_addr_text("::1::"),
    check_addr_text(":::"),
    check_addr_text("::::"),
    check_addr_text("1:::2"),
    check_addr_text("1::2::3"),
    check_addr_text(":1::"),
    check_addr_text("::1:"),
    check_addr_text("1:"),
    check_addr_text(":1"),
    check_addr_text("1:2:3:4:5:6:7"),
    check_addr_text("1:2:3:4:5:6:7:8:9"),
    check_addr_text("1:2:3:4:5:6:7::8"),
    check_addr_text("1::2:3:4:5:6:7:8"),
    check_addr_text("::1:2:3:4:5:6:7:8"),
    check_addr_text("1:2:3:4:5:6:7:8::"),
    check_addr_text("12345::"),
    check_addr_text("::12345"),
    check_addr_text("00000::"),
    check_addr_text("::g"),
    check_addr_text("::-1"),
    check_addr_text("::+1"),
    check_addr_text("::0x1"),
    check_addr_text("::ffff:1.2.3"),
    check_addr_text("::ffff:1.2.3.4.5"),
    check_addr_text("::ffff:1.2.3.256"),
    check_addr_text("::ffff:01.2.3.4"),
    check_addr_text("::1.2.3.4:1"),
    check_addr_text("::1.2.3.4::"),
    check_addr_text("1.2.3.4::"),
    check_addr_text("::1.2.3.4.5"),
    check_addr_text("::.1.2.3"),
    check_addr_text("::1234.1.2.3"),
    check_addr_text("::a.1.2.3"),
    check_addr_text("1:2:3:4:5:6:7:1.2.3.4"),
    check_addr_text("1:2:3:4:5:6::1.2.3.4"),
    check_addr_text("1::2:3:4:5:6:7:1.2.3.4"),
    check_addr_text("[::1]"),
    check_addr_text("[::1]:80"),
    check_addr_text("::1%eth0"),
    check_addr_text("fe80::1%1"),
    check_addr_text("::1/128"),
    check_addr_text(" ::1"),
    check_addr_text("::1 "),
    check_addr_text(":: 1"),
    check_addr_text("\t::1"),
    check_addr_text("::1\n"),
    check_addr_text("::1x"),
    check_addr_text("::1\0"),
    check_addr_text("::\0" "1"),
    check_addr_text("::\xef\xbc\x91"),
    check_addr_text("::\xff"),
    check_addr_text("\xff::"),
    check_addr_text("::1,::2"),
    check_addr_text("1.2.3.4,5.6.7.8"),
    check_addr_text("localhost")
};


static uint64_t
check_addr_rand(uint64_t *state)
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


static void
check_addr_random(uint64_t *state, unsigned char *p, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        p[i] = (unsigned char) (check_addr_rand(state) >> 32);
    }
}


/* set the first "bits" bits of allow[off] .. allow[off + n - 1] */

static void
check_addr_allow(unsigned char *allow, size_t off, size_t n, unsigned bits)
{
    size_t  i;

    for (i = 0; i < n * 8 && i < bits; i++) {
        allow[off + i / 8] |= (unsigned char) (0x80 >> (i % 8));
    }
}


static size_t
check_addr_unhex(const char *hex, unsigned char *out)
{
    size_t    i, n;
    unsigned  v;

    n = strlen(hex) / 2;

    for (i = 0; i < n; i++) {
        ck_assert_msg(sscanf(hex + 2 * i, "%2x", &v) == 1, "bad hex %s", hex);
        out[i] = (unsigned char) v;
    }

    return n;
}


static size_t
check_addr_parse_str(const char *s, unsigned char *addr)
{
    return ngx_anon_addr_parse((const unsigned char *) s, strlen(s), addr);
}


/*
 * Parse every prefix of "s" placed right before an inaccessible page, so
 * that any read past the length faults, and with more text after it, which
 * must not change the result.
 */

static void
check_addr_guarded(const unsigned char *s, size_t len)
{
    long            page;
    size_t          k, j, r, rj;
    unsigned char  *base, *end, a[16], b[16], buf[128];

    static const char  junk[] = "0:.1fF%]";

    page = sysconf(_SC_PAGESIZE);
    ck_assert(page > 0 && len < (size_t) page && len + 8 < sizeof(buf));

    base = mmap(NULL, 2 * (size_t) page, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(base != MAP_FAILED);
    ck_assert(mprotect(base + page, (size_t) page, PROT_NONE) == 0);

    end = base + page;

    for (k = 0; k <= len; k++) {
        memcpy(end - k, s, k);
        memset(a, 0xaa, sizeof(a));

        r = ngx_anon_addr_parse(end - k, k, a);
        ck_assert_msg(r == 0 || r == 4 || r == 16, "returned %zu", r);

        for (j = 0; j < sizeof(junk) - 1; j++) {
            memcpy(buf, s, k);
            memset(buf + k, junk[j], 8);
            memset(b, 0xaa, sizeof(b));

            rj = ngx_anon_addr_parse(buf, k, b);

            ck_assert_msg(rj == r && memcmp(a, b, sizeof(a)) == 0,
                          "\"%.*s\" followed by '%c': %zu, alone: %zu",
                          (int) k, s, junk[j], rj, r);
        }
    }

    ck_assert(munmap(base, 2 * (size_t) page) == 0);
}


/* truncation tables, text to text and through the binary functions */

START_TEST(test_trunc4)
{
    size_t                     n;
    unsigned char              a[16], e[16], buf[NGX_ANON_ADDR_STRLEN];
    const check_addr_trunc_t  *t;

    t = &check_addr_trunc4[_i];

    n = ngx_anon_addr_truncate_text((const unsigned char *) t->in,
                                    strlen(t->in), buf, t->prefix4,
                                    t->prefix6);
    ck_assert_msg(n == strlen(t->out) && memcmp(buf, t->out, n) == 0,
                  "%s/%u: \"%.*s\", expected \"%s\"",
                  t->in, t->prefix4, (int) n, buf, t->out);

    /* prefix6 does not matter */

    n = ngx_anon_addr_truncate_text((const unsigned char *) t->in,
                                    strlen(t->in), buf, t->prefix4,
                                    t->prefix6 ^ 0x7f);
    ck_assert_msg(n == strlen(t->out) && memcmp(buf, t->out, n) == 0,
                  "%s/%u: \"%.*s\", expected \"%s\"",
                  t->in, t->prefix4, (int) n, buf, t->out);

    ck_assert_uint_eq(check_addr_parse_str(t->in, a), 4);
    ck_assert_uint_eq(check_addr_parse_str(t->out, e), 4);

    ngx_anon_addr_truncate4(a, t->prefix4);
    ck_assert_mem_eq(a, e, 4);

    ngx_anon_addr_truncate4(a, t->prefix4);
    ck_assert_mem_eq(a, e, 4);
}
END_TEST


START_TEST(test_trunc6)
{
    size_t                     n;
    unsigned                   p6;
    unsigned char              a[16], e[16], buf[NGX_ANON_ADDR_STRLEN];
    const check_addr_trunc_t  *t;

    t = &check_addr_trunc6[_i];

    ck_assert_uint_eq(check_addr_parse_str(t->in, a), 16);
    ck_assert_int_eq(ngx_anon_addr_kind6(a), t->kind);

    n = ngx_anon_addr_truncate_text((const unsigned char *) t->in,
                                    strlen(t->in), buf, t->prefix4,
                                    t->prefix6);
    ck_assert_msg(n == strlen(t->out) && memcmp(buf, t->out, n) == 0,
                  "%s %u/%u: \"%.*s\", expected \"%s\"",
                  t->in, t->prefix4, t->prefix6, (int) n, buf, t->out);

    ck_assert_uint_eq(check_addr_parse_str(t->out, e), 16);

    ngx_anon_addr_truncate6(a, t->prefix4, t->prefix6);
    ck_assert_mem_eq(a, e, 16);

    /* idempotent */

    ngx_anon_addr_truncate6(a, t->prefix4, t->prefix6);
    ck_assert_mem_eq(a, e, 16);

    /* the forms with an IPv4 address inside do not look at prefix6 */

    if (t->kind == NGX_ANON_V6_NATIVE || t->kind == NGX_ANON_V6_ISATAP) {
        return;
    }

    for (p6 = 0; p6 <= 130; p6++) {
        ck_assert_uint_eq(check_addr_parse_str(t->in, a), 16);
        ngx_anon_addr_truncate6(a, t->prefix4, p6);
        ck_assert_msg(memcmp(a, e, 16) == 0, "%s %u/%u", t->in, t->prefix4,
                      p6);
    }
}
END_TEST


START_TEST(test_kind6)
{
    unsigned char             a[16];
    const check_addr_kind_t  *t;

    t = &check_addr_kinds[_i];

    ck_assert_uint_eq(check_addr_parse_str(t->in, a), 16);
    ck_assert_msg(ngx_anon_addr_kind6(a) == t->kind, "%s: %d, expected %d",
                  t->in, ngx_anon_addr_kind6(a), t->kind);
}
END_TEST


START_TEST(test_format_nginx)
{
    size_t                      n, alen;
    unsigned char               a[16], buf[NGX_ANON_ADDR_STRLEN];
    const check_addr_format_t  *t;

    t = &check_addr_formats[_i];

    alen = check_addr_parse_str(t->in, a);
    ck_assert_msg(alen == 4 || alen == 16, "%s: %zu", t->in, alen);

    n = ngx_anon_addr_format(a, alen, buf);
    ck_assert_msg(n == strlen(t->out) && memcmp(buf, t->out, n) == 0,
                  "%s: \"%.*s\", expected \"%s\"", t->in, (int) n, buf,
                  t->out);

    /* what nginx prints is also what truncate_text() prints */

    n = ngx_anon_addr_truncate_text((const unsigned char *) t->in,
                                    strlen(t->in), buf, 32, 128);
    ck_assert_msg(n == strlen(t->out) && memcmp(buf, t->out, n) == 0,
                  "%s: \"%.*s\", expected \"%s\"", t->in, (int) n, buf,
                  t->out);
}
END_TEST


START_TEST(test_parse_valid)
{
    size_t                     n, len;
    unsigned char              a[16], e[16], buf[NGX_ANON_ADDR_STRLEN];
    const check_addr_parse_t  *t;

    t = &check_addr_valid[_i];

    len = check_addr_unhex(t->hex, e);

    memset(a, 0xaa, sizeof(a));
    n = check_addr_parse_str(t->in, a);
    ck_assert_msg(n == len, "%s: %zu, expected %zu", t->in, n, len);
    ck_assert_mem_eq(a, e, len);

    /* the formatted text parses back to the same bytes */

    n = ngx_anon_addr_format(a, len, buf);
    ck_assert_uint_ne(n, 0);

    memset(a, 0xaa, sizeof(a));
    ck_assert_uint_eq(ngx_anon_addr_parse(buf, n, a), len);
    ck_assert_mem_eq(a, e, len);

    check_addr_guarded((const unsigned char *) t->in, strlen(t->in));
}
END_TEST


/* the limits: prefixes beyond the address, lengths, buffer sizes */

START_TEST(test_prefix_limits)
{
    size_t         i;
    unsigned       p4, p6;
    unsigned char  a[16], b[16];

    static const unsigned  big[] = { 33, 64, 129, 200, 256, 1000, 4096,
                                     65536, UINT_MAX / 2, UINT_MAX - 7,
                                     UINT_MAX };

    static const char  *in[] = {
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "::ffff:255.255.255.255",
        "::255.255.255.255",
        "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "64:ff9b::255.255.255.255",
        "fe80:ffff:ffff:ffff:200:5efe:255.255.255.255"
    };

    for (i = 0; i < check_addr_nelts(big); i++) {

        ck_assert_uint_eq(check_addr_parse_str("255.255.255.255", a), 4);
        ngx_anon_addr_truncate4(a, big[i]);
        ck_assert_mem_eq(a, "\xff\xff\xff\xff", 4);

    }

    for (i = 0; i < check_addr_nelts(in); i++) {

        for (p4 = 0; p4 < check_addr_nelts(big); p4++) {
            for (p6 = 0; p6 < check_addr_nelts(big); p6++) {

                if (big[p6] < 128) {
                    continue;
                }

                ck_assert_uint_eq(check_addr_parse_str(in[i], a), 16);
                ck_assert_uint_eq(check_addr_parse_str(in[i], b), 16);

                ngx_anon_addr_truncate6(a, big[p4], big[p6]);
                ngx_anon_addr_truncate6(b, 32, 128);

                ck_assert_msg(memcmp(a, b, 16) == 0, "%s %u/%u",
                              in[i], big[p4], big[p6]);
            }
        }
    }
}
END_TEST


START_TEST(test_format_limits)
{
    size_t         n, alen;
    unsigned       i, pos, v;
    unsigned char  a[16], b[16], buf[NGX_ANON_ADDR_STRLEN + 16];

    static const char  *longest[] = {
        "255.255.255.255",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "::ffff:255.255.255.255",
        "1111:2222:3333:4444:5555:6666:7777:8888"
    };

    for (i = 0; i < check_addr_nelts(longest); i++) {
        alen = check_addr_parse_str(longest[i], a);
        ck_assert_uint_ne(alen, 0);

        memset(buf, 0x5a, sizeof(buf));
        n = ngx_anon_addr_format(a, alen, buf);

        ck_assert_uint_eq(n, strlen(longest[i]));
        ck_assert_mem_eq(buf, longest[i], n);
        ck_assert_uint_eq(buf[n], 0x5a);
    }

    /* wrong lengths: nothing is written */

    for (alen = 0; alen <= 17; alen++) {

        if (alen == 4 || alen == 16) {
            continue;
        }

        memset(buf, 0x5a, sizeof(buf));
        ck_assert_uint_eq(ngx_anon_addr_format(a, alen, buf), 0);
        ck_assert_uint_eq(buf[0], 0x5a);
    }

    /* every value of every byte of IPv4 */

    for (pos = 0; pos < 4; pos++) {
        for (v = 0; v < 256; v++) {
            memset(a, 0, 4);
            a[pos] = (unsigned char) v;

            n = ngx_anon_addr_format(a, 4, buf);
            ck_assert(n >= 7 && n <= 15);

            memset(b, 0xaa, sizeof(b));
            ck_assert_uint_eq(ngx_anon_addr_parse(buf, n, b), 4);
            ck_assert_mem_eq(a, b, 4);
        }
    }

    /* every value of every group of IPv6, alone and among ffff groups */

    for (pos = 0; pos < 8; pos++) {
        for (v = 0; v < 0x10000; v++) {

            for (i = 0; i < 2; i++) {
                memset(a, i ? 0xff : 0x00, 16);
                a[2 * pos] = (unsigned char) (v >> 8);
                a[2 * pos + 1] = (unsigned char) v;

                memset(buf, 0x5a, sizeof(buf));
                n = ngx_anon_addr_format(a, 16, buf);

                if (n < 2 || n >= NGX_ANON_ADDR_STRLEN || buf[n] != 0x5a) {
                    ck_abort_msg("group %u = %x: length %zu", pos, v, n);
                }

                if (ngx_anon_addr_parse(buf, n, b) != 16
                    || memcmp(a, b, 16) != 0)
                {
                    ck_abort_msg("group %u = %x: \"%.*s\"", pos, v,
                                 (int) n, buf);
                }
            }
        }
    }
}
END_TEST


START_TEST(test_parse_limits)
{
    size_t         i;
    unsigned char  a[16], text[1024];

    /* an empty text, also without a buffer */

    memset(a, 0xaa, sizeof(a));
    ck_assert_uint_eq(ngx_anon_addr_parse(NULL, 0, a), 0);
    ck_assert_uint_eq(ngx_anon_addr_parse((const unsigned char *) "1.2.3.4",
                                          0, a), 0);
    ck_assert_uint_eq(ngx_anon_addr_truncate_text(NULL, 0, text, 24, 48), 0);
    ck_assert_uint_eq(a[0], 0xaa);

    /* the longest texts that are still addresses */

    ck_assert_uint_eq(check_addr_parse_str(
        "0000:0000:0000:0000:0000:0000:255.255.255.255", a), 16);
    ck_assert_uint_eq(check_addr_parse_str(
        "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", a), 16);
    ck_assert_mem_eq(a, "\xff\xff\xff\xff\xff\xff\xff\xff"
                        "\xff\xff\xff\xff\xff\xff\xff\xff", 16);

    /* long runs of digits, zeros and colons */

    for (i = 0; i < sizeof(text); i++) {
        text[i] = '0';
    }

    for (i = 0; i <= sizeof(text); i += 7) {
        ck_assert_uint_eq(ngx_anon_addr_parse(text, i, a), 0);
    }

    for (i = 0; i < sizeof(text); i++) {
        text[i] = (i % 5 == 4) ? ':' : 'f';
    }

    for (i = 0; i <= sizeof(text); i++) {
        ck_assert_uint_eq(ngx_anon_addr_parse(text, i, a),
                          (i >= 36 && i <= 39) ? 16 : 0);
    }

    for (i = 0; i < sizeof(text); i++) {
        text[i] = ':';
    }

    for (i = 0; i <= sizeof(text); i++) {
        ck_assert_uint_eq(ngx_anon_addr_parse(text, i, a), i == 2 ? 16 : 0);
    }

    for (i = 0; i < sizeof(text); i++) {
        text[i] = (i % 4 == 3) ? '.' : '9';
    }

    for (i = 0; i <= sizeof(text); i++) {
        ck_assert_uint_eq(ngx_anon_addr_parse(text, i, a), 0);
    }

    /* every single byte, and every byte after "::" and after "1.2.3." */

    for (i = 0; i < 256; i++) {
        text[0] = (unsigned char) i;
        ck_assert_uint_eq(ngx_anon_addr_parse(text, 1, a), 0);

        memcpy(text, "::", 2);
        text[2] = (unsigned char) i;
        ck_assert_uint_eq(ngx_anon_addr_parse(text, 3, a),
                          ((i >= '0' && i <= '9') || (i >= 'a' && i <= 'f')
                           || (i >= 'A' && i <= 'F')) ? 16 : 0);

        memcpy(text, "1.2.3.", 6);
        text[6] = (unsigned char) i;
        ck_assert_uint_eq(ngx_anon_addr_parse(text, 7, a),
                          (i >= '0' && i <= '9') ? 4 : 0);
    }
}
END_TEST


/* texts that are not exactly one address */

START_TEST(test_parse_invalid)
{
    size_t                    n;
    unsigned char             a[16], buf[NGX_ANON_ADDR_STRLEN];
    const check_addr_text_t  *t;

    t = &check_addr_invalid[_i];

    memset(a, 0xaa, sizeof(a));

    n = ngx_anon_addr_parse(t->data, t->len, a);
    ck_assert_msg(n == 0, "\"%.*s\" (%zu bytes) parsed: %zu",
                  (int) t->len, t->data, t->len, n);

    /* nothing is written on failure */

    ck_assert_mem_eq(a, "\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"
                        "\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa", 16);

    memset(buf, 0x5a, sizeof(buf));
    ck_assert_uint_eq(ngx_anon_addr_truncate_text(t->data, t->len, buf, 0, 0),
                      0);
    ck_assert_uint_eq(buf[0], 0x5a);

    check_addr_guarded(t->data, t->len);
}
END_TEST


/*
 * Build a random address of "form" in "in" and, in "allow", the bits that
 * its truncation may keep.  Returns the address length.
 */

static size_t
check_addr_generate(int form, uint64_t *state, unsigned char *in,
    unsigned char *allow, unsigned prefix4, unsigned prefix6)
{
    size_t    i;
    unsigned  pl;
    uint64_t  r;

    /* RFC 6052 positions of the IPv4 address for prefixes 48, 56, 64, 96 */

    static const unsigned char  nat64_pos[4][4] = {
        { 6, 7, 9, 10 }, { 7, 9, 10, 11 }, { 9, 10, 11, 12 },
        { 12, 13, 14, 15 }
    };

    static const unsigned char  isatap_head[5][4] = {
        { 0x20, 0x03, 0xff, 0xff }, { 0x20, 0x01, 0x00, 0x01 },
        { 0x20, 0x01, 0x80, 0x00 }, { 0x00, 0x64, 0xff, 0x9b },
        { 0x00, 0x00, 0x00, 0x00 }
    };

    memset(allow, 0, 16);

    switch (form) {

    case CHECK_FORM_IPV4:
        check_addr_random(state, in, 4);
        check_addr_allow(allow, 0, 4, prefix4);
        return 4;

    case CHECK_FORM_NATIVE:

        do {
            check_addr_random(state, in, 16);
            r = check_addr_rand(state);

            /* zero groups now and then for the "::" forms */

            if (r & 0x100) {
                for (i = 0; i < 8; i++) {
                    if (r & (1u << i)) {
                        in[2 * i] = 0;
                        in[2 * i + 1] = 0;
                    }
                }
            }

        } while (ngx_anon_addr_kind6(in) != NGX_ANON_V6_NATIVE);

        check_addr_allow(allow, 0, 16, prefix6);
        return 16;

    case CHECK_FORM_MAPPED:
        memset(in, 0, 16);
        in[10] = 0xff;
        in[11] = 0xff;
        check_addr_random(state, in + 12, 4);
        check_addr_allow(allow, 10, 2, 16);
        check_addr_allow(allow, 12, 4, prefix4);
        return 16;

    case CHECK_FORM_COMPAT:

        do {
            memset(in, 0, 16);
            r = check_addr_rand(state);

            /* small addresses too, for the "::0.0.1.0" forms */

            check_addr_random(state, in + 12 + (r & 3), 4 - (r & 3));

        } while (ngx_anon_addr_kind6(in) != NGX_ANON_V6_COMPAT);

        check_addr_allow(allow, 12, 4, prefix4);
        return 16;

    case CHECK_FORM_6TO4:
        check_addr_random(state, in, 16);
        in[0] = 0x20;
        in[1] = 0x02;
        check_addr_allow(allow, 0, 2, 16);
        check_addr_allow(allow, 2, 4, prefix4);
        return 16;

    case CHECK_FORM_TEREDO:

        /* server IPv4, flags, port and client IPv4 (both obfuscated) */

        check_addr_random(state, in, 16);
        in[0] = 0x20;
        in[1] = 0x01;
        in[2] = 0x00;
        in[3] = 0x00;
        check_addr_allow(allow, 0, 4, 32);
        return 16;

    case CHECK_FORM_NAT64:
        memset(in, 0, 16);
        in[1] = 0x64;
        in[2] = 0xff;
        in[3] = 0x9b;
        check_addr_random(state, in + 12, 4);
        check_addr_allow(allow, 0, 12, 96);
        check_addr_allow(allow, 12, 4, prefix4);
        return 16;

    case CHECK_FORM_NAT64_LOCAL:
        check_addr_random(state, in, 16);
        in[0] = 0x00;
        in[1] = 0x64;
        in[2] = 0xff;
        in[3] = 0x9b;
        in[4] = 0x00;
        in[5] = 0x01;
        in[8] = 0x00;               /* the "u" octet */

        pl = (unsigned) (check_addr_rand(state) % 4);

        for (i = 0; i < 4; i++) {
            in[nat64_pos[pl][i]] = (unsigned char) check_addr_rand(state);
        }

        check_addr_allow(allow, 0, 6, 48);
        return 16;

    case CHECK_FORM_ISATAP:

        do {
            check_addr_random(state, in, 16);
            r = check_addr_rand(state);

            /* prefixes near 2002::/16, 2001:0::/32 and the NAT64 ones */

            if ((r & 7) == 0) {
                memcpy(in, isatap_head[(r >> 3) % 5], 4);
            }

            in[8] = (r & 0x100) ? 0x02 : 0x00;
            in[9] = 0x00;
            in[10] = 0x5e;
            in[11] = 0xfe;

        } while (ngx_anon_addr_kind6(in) != NGX_ANON_V6_ISATAP);

        check_addr_allow(allow, 0, 8, prefix6 < 64 ? prefix6 : 64);
        check_addr_allow(allow, 8, 4, 32);
        check_addr_allow(allow, 12, 4, prefix4);
        return 16;
    }

    ck_abort_msg("form %d", form);

    return 0;
}


static void
check_addr_one(int form, uint64_t *state, unsigned prefix4, unsigned prefix6)
{
    int            kind;
    size_t         i, n, m, alen;
    unsigned char  in[16], allow[16], more[16], exp[16], out[16], again[16];
    unsigned char  back[16];
    unsigned char  text[NGX_ANON_ADDR_STRLEN], itext[NGX_ANON_ADDR_STRLEN];
    unsigned char  ttext[NGX_ANON_ADDR_STRLEN];

    alen = check_addr_generate(form, state, in, allow, prefix4, prefix6);

    /*
     * A cut ISATAP prefix that became 6to4 or Teredo gets the rule of that
     * form too, and keeps even fewer bits.
     */

    if (form == CHECK_FORM_ISATAP) {

        for (i = 0; i < alen; i++) {
            exp[i] = in[i] & allow[i];
        }

        kind = ngx_anon_addr_kind6(exp);
        memset(more, 0xff, 16);

        if (kind == NGX_ANON_V6_6TO4) {
            memset(more, 0, 16);
            check_addr_allow(more, 0, 2, 16);
            check_addr_allow(more, 2, 4, prefix4);

        } else if (kind == NGX_ANON_V6_TEREDO) {
            memset(more, 0, 16);
            check_addr_allow(more, 0, 4, 32);
        }

        for (i = 0; i < alen; i++) {
            allow[i] &= more[i];
        }
    }

    for (i = 0; i < alen; i++) {
        exp[i] = in[i] & allow[i];
    }

    memcpy(out, in, alen);

    if (alen == 4) {
        ngx_anon_addr_truncate4(out, prefix4);

    } else {
        ngx_anon_addr_truncate6(out, prefix4, prefix6);
    }

    n = ngx_anon_addr_format(in, alen, itext);

    /* privacy: no bit the truncation may not keep, and no bit made up */

    for (i = 0; i < alen; i++) {
        if (out[i] & ~exp[i]) {
            ck_abort_msg("form %d: %.*s %u/%u: byte %zu is %02x, "
                         "may keep %02x", form, (int) n, itext, prefix4,
                         prefix6, i, out[i], exp[i]);
        }
    }

    /* and exactly those of the input */

    if (memcmp(out, exp, alen) != 0) {
        ck_abort_msg("form %d: %.*s %u/%u: not the masked input",
                     form, (int) n, itext, prefix4, prefix6);
    }

    /* idempotent */

    memcpy(again, out, alen);

    if (alen == 4) {
        ngx_anon_addr_truncate4(again, prefix4);

    } else {
        ngx_anon_addr_truncate6(again, prefix4, prefix6);
    }

    if (memcmp(again, out, alen) != 0) {
        ck_abort_msg("form %d: %.*s %u/%u: not idempotent",
                     form, (int) n, itext, prefix4, prefix6);
    }

    /* the texts of the input and the output parse back to their bytes */

    if (ngx_anon_addr_parse(itext, n, back) != alen
        || memcmp(back, in, alen) != 0)
    {
        ck_abort_msg("form %d: %.*s does not parse back", form, (int) n,
                     itext);
    }

    m = ngx_anon_addr_format(out, alen, text);

    if (ngx_anon_addr_parse(text, m, back) != alen
        || memcmp(back, out, alen) != 0)
    {
        ck_abort_msg("form %d: %.*s does not parse back", form, (int) m,
                     text);
    }

    /* and the text path gives the same */

    if (ngx_anon_addr_truncate_text(itext, n, ttext, prefix4, prefix6) != m
        || memcmp(ttext, text, m) != 0)
    {
        ck_abort_msg("form %d: %.*s %u/%u: text path differs",
                     form, (int) n, itext, prefix4, prefix6);
    }
}


START_TEST(test_privacy)
{
    size_t    i;
    unsigned  p4, p6;
    uint64_t  state;

    /* one fixed seed per form: repeatable runs */

    state = 0x9e3779b97f4a7c15ULL
            ^ (uint64_t) (_i + 1) * 0x2545f4914f6cdd1dULL;

    for (i = 0; i < CHECK_ADDR_SAMPLES; i++) {
        p4 = (unsigned) (check_addr_rand(&state) % 33);
        p6 = (unsigned) (check_addr_rand(&state) % 129);

        check_addr_one(_i, &state, p4, p6);
    }
}
END_TEST


Suite *
ngx_anon_addr_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("ngx_anon_addr");

    tc = tcase_create("core");
    tcase_add_loop_test(tc, test_trunc4, 0,
                        check_addr_nelts(check_addr_trunc4));
    tcase_add_loop_test(tc, test_trunc6, 0,
                        check_addr_nelts(check_addr_trunc6));
    tcase_add_loop_test(tc, test_kind6, 0,
                        check_addr_nelts(check_addr_kinds));
    tcase_add_loop_test(tc, test_format_nginx, 0,
                        check_addr_nelts(check_addr_formats));
    tcase_add_loop_test(tc, test_parse_valid, 0,
                        check_addr_nelts(check_addr_valid));
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_test(tc, test_prefix_limits);
    tcase_add_test(tc, test_format_limits);
    tcase_add_test(tc, test_parse_limits);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("invalid");
    tcase_add_loop_test(tc, test_parse_invalid, 0,
                        check_addr_nelts(check_addr_invalid));
    suite_add_tcase(s, tc);

    tc = tcase_create("property");
    tcase_add_loop_test(tc, test_privacy, 0, CHECK_FORM_LAST);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    return s;
}
