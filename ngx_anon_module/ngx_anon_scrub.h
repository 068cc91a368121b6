
/*
 * Copyright (C) ngx_anon authors
 */


#ifndef _NGX_ANON_SCRUB_H_INCLUDED_
#define _NGX_ANON_SCRUB_H_INCLUDED_


#include <stddef.h>


/*
 * Truncate every address literal in free text: header values such as
 * X-Forwarded-For lists, log lines.  Address literals are found in runs of
 * the characters [0-9A-Fa-f.:]:
 *
 *   - a run that is an address, or an IPv4 address with ":port", or that
 *     is one once stray leading or trailing separators are set aside, is
 *     truncated (see ngx_anon_addr_truncate_text());
 *   - in any other run, every dotted quad found at any position is
 *     truncated, so "1198.51.100.7" cannot carry 198.51.100.7 through;
 *   - any other run that looks like IPv6 ("::", or two or more colons with
 *     a hex letter or a group of three or four digits) has all its digits
 *     replaced by "0": it cannot be parsed, so it cannot be kept.
 *
 * Other bytes, invalid UTF-8 included, are copied unchanged.  With dst set
 * to NULL nothing is written and the length of the output is returned;
 * otherwise the output is written to dst, which must hold that many bytes.
 */
size_t ngx_anon_scrub(unsigned char *dst, const unsigned char *src,
    size_t len, unsigned prefix4, unsigned prefix6);


#endif /* _NGX_ANON_SCRUB_H_INCLUDED_ */
