
/*
 * Copyright (C) ngx_anon authors
 */


#ifndef _CHECK_ANON_H_INCLUDED_
#define _CHECK_ANON_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <check.h>


/* one line per suite; add it to the list in check_anon.c too */

Suite *ngx_anon_addr_suite(void);
Suite *ngx_anon_bsn_suite(void);
Suite *ngx_anon_prf_suite(void);
Suite *ngx_anon_scrub_suite(void);
Suite *ngx_anon_scrub_ref_suite(void);
Suite *ngx_anon_args_suite(void);
Suite *ngx_anon_args_ref_suite(void);


/* helpers shared by the suites, in check_anon_scrub.c */

uint64_t check_anon_rand(uint64_t *state);

/* random prefixes, the defaults and the limits more often */
void check_anon_prefixes(uint64_t *state, unsigned *prefix4,
    unsigned *prefix6);

/* a random address of any form and spelling; buf holds 64 bytes */
size_t check_anon_random_address(uint64_t *state, unsigned char *buf);

/* random text of addresses, separators and junk, at most size bytes */
size_t check_anon_random_text(uint64_t *state, unsigned char *buf,
    size_t size);

/*
 * Whether text shows an address that is not truncated: a part of a run of
 * [0-9A-Fa-f.:] that parses as an address that truncation changes, and
 * that does not lie inside a longer part that parses as an address that
 * truncation leaves as it is ("28.0.0.0" inside "128.0.0.0" cut to 1 bit
 * is only a piece of it).  Returns 1 and the part in *off, *n if so.
 */
int check_anon_leak(const unsigned char *p, size_t len, unsigned prefix4,
    unsigned prefix6, size_t *off, size_t *n);

/* text for messages: printable ASCII as it is, other bytes as \xNN */
const char *check_anon_escape(const unsigned char *p, size_t len);

/*
 * "size" writable bytes that end right before an inaccessible page, so
 * that reading or writing past them faults; check_anon_guard_free() with
 * the same size unmaps them.
 */
unsigned char *check_anon_guard_alloc(size_t size);
void check_anon_guard_free(unsigned char *p, size_t size);

/*
 * each() for every file of a fuzz corpus directory (the tests run from the
 * top of the tree), with at most "size" bytes of it read into buf; the
 * test fails if the directory cannot be read or holds no file.  Returns
 * the number of files.
 */
typedef void (*check_anon_corpus_pt)(void *ctx, const unsigned char *data,
    size_t n);

size_t check_anon_corpus(const char *dir, unsigned char *buf, size_t size,
    check_anon_corpus_pt each, void *ctx);


#endif /* _CHECK_ANON_H_INCLUDED_ */
