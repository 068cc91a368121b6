
/*
 * Copyright (C) ngx_anon authors
 */


#include <stdlib.h>
#include <check.h>

#include "check_anon.h"


typedef Suite *(*check_anon_suite_pt)(void);


/* every suite of the unit tests; keep in step with check_anon.h */

static const check_anon_suite_pt  check_anon_suites[] = {
    ngx_anon_addr_suite,
    ngx_anon_bsn_suite,
    ngx_anon_prf_suite,
    ngx_anon_scrub_suite,
    ngx_anon_scrub_ref_suite,
    ngx_anon_args_suite,
    ngx_anon_args_ref_suite,
    NULL
};


int
main(void)
{
    int       failed;
    size_t    i;
    SRunner  *sr;

    sr = srunner_create(NULL);

    for (i = 0; check_anon_suites[i] != NULL; i++) {
        srunner_add_suite(sr, check_anon_suites[i]());
    }

    srunner_run_all(sr, CK_NORMAL);

    failed = srunner_ntests_failed(sr);

    srunner_free(sr);

    return (failed == 0) ? EXIT_SUCCESS : EXIT_FAILURE;
}
