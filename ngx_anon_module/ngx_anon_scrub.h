
/*
 * Copyright (C) ngx_anon authors
 */


#ifndef _NGX_ANON_SCRUB_H_INCLUDED_
#define _NGX_ANON_SCRUB_H_INCLUDED_


#include <stddef.h>


/*
 * The longest output for len bytes of input: at most 12 bytes for 5, as
 * "::fff" truncated to 28 bits is printed "::0.0.15.240".
 */
#define ngx_anon_scrub_max_size(len)  (12 * (len) / 5)


/*
 * Truncate every address literal in free text: header values such as
 * X-Forwarded-For lists, log lines.  Address literals are found in runs of
 * the characters [0-9A-Fa-f.:]:
 *
 *   - a run that is an address, or an IPv4 address with ":port", or that
 *     is one once a stray leading colon and trailing dots and colons are
 *     set aside (none of them "::" right after it), is truncated and
 *     printed as nginx does (see ngx_anon_addr_truncate_text()); an
 *     address that truncation leaves as it is keeps its text
 *     ("2001:DB8::");
 *   - any other run that looks like IPv6 ("::", six or more colons, or
 *     two or more colons between hex digits with a hex letter or three or
 *     more digits in a group right after a colon: "2001:db8:cafe", but not
 *     "2023:13:55:36") has all its hex digits replaced by "0";
 *   - in any other run, numbers separated by single dots are looked at as
 *     a whole: four of them that are a dotted quad are truncated, leading
 *     zeros read as decimal ("010.001.002.003" is 10.1.2.3); four or more
 *     that hold a dotted quad but are not one ("1198.51.100.7" holds
 *     198.51.100.7, "1.2.3.4.5" holds two) have all their digits replaced
 *     by "0", as no truncation keeps every quad in them truncated.
 *
 * Every part of the output that parses as an address is then truncated,
 * or is a piece of a longer part that is ("28.0.0.0" in "128.0.0.0", cut
 * to 1 bit), and scrubbing the output again changes nothing.  Other bytes,
 * invalid UTF-8 included, are copied unchanged.  With dst set to NULL
 * nothing is written and the length of the output is returned; otherwise
 * the output is written to dst, which must hold that many bytes, at most
 * ngx_anon_scrub_max_size(len).  Never reads beyond src + len.
 */
size_t ngx_anon_scrub(unsigned char *dst, const unsigned char *src,
    size_t len, unsigned prefix4, unsigned prefix6);


#endif /* _NGX_ANON_SCRUB_H_INCLUDED_ */
