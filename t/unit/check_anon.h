
/*
 * Copyright (C) ngx_anon authors
 */


#ifndef _CHECK_ANON_H_INCLUDED_
#define _CHECK_ANON_H_INCLUDED_


#include <check.h>


/* one line per suite; add it to the list in check_anon.c too */

Suite *ngx_anon_addr_suite(void);


#endif /* _CHECK_ANON_H_INCLUDED_ */
