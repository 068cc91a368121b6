
/*
 * Copyright (C) ngx_anon authors
 */


#ifndef _NGX_ANON_ADDR_H_INCLUDED_
#define _NGX_ANON_ADDR_H_INCLUDED_


#include <stddef.h>


/*
 * Pure address core: no nginx headers, no allocation.  Addresses are raw
 * network-order bytes: 4 for IPv4, 16 for IPv6.
 */


#define NGX_ANON_ADDR_STRLEN     46      /* INET6_ADDRSTRLEN */


/* what an IPv6 address carries; ngx_anon_addr_kind6() */

#define NGX_ANON_V6_NATIVE       0
#define NGX_ANON_V6_MAPPED       1       /* ::ffff:0:0/96 */
#define NGX_ANON_V6_COMPAT       2       /* ::/96 except :: and ::1 */
#define NGX_ANON_V6_6TO4         3       /* 2002::/16 */
#define NGX_ANON_V6_TEREDO       4       /* 2001:0::/32 */
#define NGX_ANON_V6_NAT64        5       /* 64:ff9b::/96 */
#define NGX_ANON_V6_NAT64_LOCAL  6       /* 64:ff9b:1::/48 */
#define NGX_ANON_V6_ISATAP       7       /* IID 0000:5efe or 0200:5efe */


int ngx_anon_addr_kind6(const unsigned char *a6);

/*
 * Keep the first "prefix4" bits of an IPv4 address, zero the rest.
 * prefix4 above 32 counts as 32.
 */
void ngx_anon_addr_truncate4(unsigned char *a4, unsigned prefix4);

/*
 * Truncate an IPv6 address in place.  Native addresses keep "prefix6" bits.
 * An embedded IPv4 address (mapped, compatible, 6to4, NAT64, ISATAP) keeps
 * "prefix4" of its own bits and every bit outside the well-known prefix and
 * the embedded address is zeroed.  Teredo keeps its /32 prefix only, and the
 * local-use NAT64 prefix 64:ff9b:1::/48 keeps its /48 only: the position of
 * the IPv4 address inside it depends on the operator's prefix length.
 * ISATAP keeps min(prefix6, 64) bits of its prefix, its marker and the
 * IPv4 rule.  If truncation turns the address into another form (2003::/16
 * cut to 15 bits is 2002::, 6to4), the rule of the new form applies too,
 * so truncation is idempotent and only ever keeps fewer bits.
 */
void ngx_anon_addr_truncate6(unsigned char *a6, unsigned prefix4,
    unsigned prefix6);

/*
 * Parse a textual IPv4 (dotted quad) or IPv6 address (RFC 4291 forms, with
 * an optional trailing dotted quad); no brackets, ports or zone ids.
 * Returns 4 or 16 (the number of bytes written to "addr", which must hold
 * 16), or 0 if the text is not exactly one address; "addr" is then left
 * untouched.  Parts with leading zeros ("01") are refused: they are octal
 * to some parsers.
 */
size_t ngx_anon_addr_parse(const unsigned char *p, size_t len,
    unsigned char *addr);

/*
 * Print an address the way nginx does (ngx_sock_ntop(): lowercase, the
 * first longest zero run compressed, a trailing dotted quad when that run
 * starts the address and is five groups before ffff, six groups, or seven
 * groups with neither of the last two bytes being 0 and 1 respectively).
 * "alen" is 4 or 16; "buf" holds NGX_ANON_ADDR_STRLEN bytes.
 * Returns the number of bytes written (no NUL), 0 if alen is wrong; no
 * byte of buf past them is touched.
 */
size_t ngx_anon_addr_format(const unsigned char *addr, size_t alen,
    unsigned char *buf);

/*
 * The same text for an IPv4 address, faster: "buf" holds 16 bytes, and
 * any of them may be written.
 */
size_t ngx_anon_addr_format4(const unsigned char *a4, unsigned char *buf);

/*
 * Parse, truncate and print in one step.  Returns the length written to
 * "buf" (NGX_ANON_ADDR_STRLEN bytes), 0 if "p" is not an address.
 */
size_t ngx_anon_addr_truncate_text(const unsigned char *p, size_t len,
    unsigned char *buf, unsigned prefix4, unsigned prefix6);


#endif /* _NGX_ANON_ADDR_H_INCLUDED_ */
