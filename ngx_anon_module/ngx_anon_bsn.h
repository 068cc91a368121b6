
/*
 * Copyright (C) ngx_anon authors
 */


#ifndef _NGX_ANON_BSN_H_INCLUDED_
#define _NGX_ANON_BSN_H_INCLUDED_


#include <stddef.h>


#define NGX_ANON_BSN_OFF           0
#define NGX_ANON_BSN_REDACT        1
#define NGX_ANON_BSN_PSEUDONYMIZE  2

/* what replaces a BSN: "XXXXXXXXX", or "bsn-" and 16 hex digits */
#define NGX_ANON_BSN_MASK          "XXXXXXXXX"
#define NGX_ANON_BSN_PSEUDONYM_LEN 20


/*
 * Writes the pseudonym of the nine digits to "out" (exactly
 * NGX_ANON_BSN_PSEUDONYM_LEN bytes).
 */
typedef void (*ngx_anon_bsn_pseudonym_pt)(void *data,
    const unsigned char *digits, unsigned char *out);


typedef struct {
    unsigned                    mode;        /* NGX_ANON_BSN_* */
    ngx_anon_bsn_pseudonym_pt   pseudonym;
    void                       *data;
} ngx_anon_bsn_t;


/* the eleven-test on nine ASCII digits; 000000000 fails */
int ngx_anon_bsn_valid(const unsigned char *digits);

/*
 * Replace every BSN in text: nine digits passing the eleven-test, standing
 * alone (no digit or ASCII letter right before or after), written
 *
 *   - as nine digits in a row ("123456782"),
 *   - in three groups of two to four digits with one separator, the same
 *     twice: ".", " ", "-" ("1234.56.782", "123 456 782", "123-456-782"),
 *
 * where any digit may also be percent-encoded ("%31" for "1", as in
 * URLs).  The whole match is replaced by NGX_ANON_BSN_MASK or by the
 * pseudonym, which gets the nine digits as ASCII.  With dst NULL, only
 * the output length is returned; it is never more than 3 * len.  Returns
 * the output length; *found (if not NULL) counts the BSNs replaced.
 */
size_t ngx_anon_bsn_scrub(unsigned char *dst, const unsigned char *src,
    size_t len, const ngx_anon_bsn_t *bsn, size_t *found);


#endif /* _NGX_ANON_BSN_H_INCLUDED_ */
