
/*
 * Copyright (C) ngx_anon authors
 */


#ifndef _NGX_HTTP_ANON_MODULE_H_INCLUDED_
#define _NGX_HTTP_ANON_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_anon_addr.h"
#include "ngx_anon_bsn.h"
#include "ngx_anon_prf.h"


#define NGX_HTTP_ANON_OFF       0
#define NGX_HTTP_ANON_ON        1
#define NGX_HTTP_ANON_STRICT    2


/* the anon_geoip2 databases and variables (ngx_http_anon_geo.c) */
typedef struct ngx_http_anon_geo_conf_s  ngx_http_anon_geo_conf_t;


typedef struct {
    ngx_uint_t                 mode;
    ngx_uint_t                 prefix4;
    ngx_uint_t                 prefix6;
    uint32_t                   mask4;            /* prefix4, network order */
    ngx_array_t               *headers;          /* of ngx_str_t */
    ngx_uint_t                *header_hashes;    /* NULL: compare names */
    uint64_t                   header_mask;      /* bit hash or len % 64 */
    ngx_flag_t                 xff_listed;       /* X-Forwarded-For in it */
    ngx_array_t               *args;             /* of ngx_anon_name_t */
    ngx_uint_t                 piwik_site;       /* 0: off */
    ngx_str_t                  piwik_token;
    ngx_uint_t                 bsn;              /* NGX_ANON_BSN_* */
    ngx_flag_t                 rewrite;          /* strict, or arguments */
    ngx_uint_t                 lists;            /* NGX_HTTP_ANON_SCRUB_* */
    ngx_array_t               *flush;            /* the address variables */
} ngx_http_anon_loc_conf_t;


typedef struct {
    ngx_flag_t                 enabled;
    ngx_flag_t                 strict;
    ngx_flag_t                 rewrite;          /* location rewrite hook */
    ngx_flag_t                 error_log;

    /* the http level's prefixes and BSN mode, for the error log */
    ngx_uint_t                 prefix4;
    ngx_uint_t                 prefix6;
    ngx_uint_t                 bsn;

    /* pseudonym keys: "auto" in shared memory, or derived from a file */
    ngx_str_t                  key_file;
    ngx_str_t                  file_key;
    time_t                     rotate;
    ngx_shm_zone_t            *shm_zone;

    /* this worker's copy of the current period's key */
    time_t                     key_period;
    ngx_anon_prf_key_t         prf;

    /*
     * Variables whose cached values change with the client address or
     * with the scrubbed request: the names, and the indexes of those the
     * configuration uses, NGX_HTTP_ANON_FLUSH_ADDR and _TEXT
     */
    ngx_array_t                flush_names;      /* ngx_http_anon_flush_t */
    ngx_array_t                indexes[2];       /* of ngx_int_t */

    ngx_array_t               *default_headers;
    ngx_array_t               *default_args;

    ngx_http_anon_geo_conf_t  *geo;              /* NULL: no anon_geoip2 */
} ngx_http_anon_main_conf_t;


/* what changed: which variables are flushed */
#define NGX_HTTP_ANON_FLUSH_ADDR     1
#define NGX_HTTP_ANON_FLUSH_TEXT     2
#define NGX_HTTP_ANON_FLUSH_ALL      3


typedef struct {
    ngx_str_t                  name;
    ngx_uint_t                 what;             /* NGX_HTTP_ANON_FLUSH_* */
} ngx_http_anon_flush_t;


#define NGX_HTTP_ANON_SCRUB_ARGS     1
#define NGX_HTTP_ANON_SCRUB_HEADERS  2
#define NGX_HTTP_ANON_SCRUB_ALL      3
#define NGX_HTTP_ANON_SCRUB_BODY     4


/* the fields of ngx_http_anon_geo_place(), as Matomo names them */
#define NGX_HTTP_ANON_GEO_COUNTRY    0
#define NGX_HTTP_ANON_GEO_REGION     1
#define NGX_HTTP_ANON_GEO_CITY       2
#define NGX_HTTP_ANON_GEO_LAT        3
#define NGX_HTTP_ANON_GEO_LONG       4
#define NGX_HTTP_ANON_GEO_FIELDS     5


/* the addresses this module truncates */

typedef union {
    struct sockaddr            sockaddr;
    struct sockaddr_in         sockaddr_in;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6        sockaddr_in6;
#endif
} ngx_http_anon_sockaddr_t;


/*
 * One swap of the connection's address, undone by its r->pool cleanup when
 * the request ends, newest first.  The truncated address and its text live
 * in the same allocation.
 */

typedef struct {
    ngx_pool_cleanup_t         cleanup;          /* data: this state */

    ngx_connection_t          *connection;

    struct sockaddr           *sockaddr;         /* the address replaced */
    ngx_str_t                  addr_text;
    ngx_proxy_protocol_t      *proxy_protocol;
    socklen_t                  socklen;

    u_char                     prefix4;
    u_char                     prefix6;
    u_char                     active;
    u_char                     anon_len;         /* of anon_text */

    ngx_proxy_protocol_t      *anon_proxy_protocol;
    ngx_http_anon_sockaddr_t   anon_sa;          /* the address installed */
    u_char                     anon_text[NGX_ANON_ADDR_STRLEN];
} ngx_http_anon_state_t;


#define ngx_http_anon_installed(st)  (&(st)->anon_sa.sockaddr)


/*
 * The main request's context: what was scrubbed, and the newest swap, so
 * that finding it does not walk the cleanup list; the first swap is kept
 * in it.  An internal redirect clears the context, not the swaps: the list
 * is walked once more then.
 */

typedef struct {
    ngx_http_anon_state_t     *state;            /* NULL: none */

    /* all done for this location while this address is installed */
    ngx_http_anon_loc_conf_t  *done_conf;
    struct sockaddr           *done_sockaddr;

    uint32_t                   scrubbed;         /* NGX_HTTP_ANON_SCRUB_* */
    uint32_t                   first_used;

    ngx_http_anon_state_t      first;
} ngx_http_anon_ctx_t;


/*
 * Hidden: the module's own code reaches it without the GOT; nginx finds it
 * through ngx_modules[], which the .so resolves itself
 */

#if (__GNUC__ >= 4)
extern ngx_module_t  ngx_http_anon_module
    __attribute__ ((visibility ("hidden")));
#else
extern ngx_module_t  ngx_http_anon_module;
#endif


ngx_http_anon_ctx_t *ngx_http_anon_create_ctx(ngx_http_request_t *r);

/*
 * The slow paths of per-request work: functions of their own, called from
 * fast paths that stay small enough to need no stack frame
 */
ngx_int_t ngx_http_anon_swap(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf, ngx_http_anon_ctx_t *ctx);
ngx_proxy_protocol_t *ngx_http_anon_proxy_protocol(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf);
ngx_int_t ngx_http_anon_prepare(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf);
ngx_int_t ngx_http_anon_log_request(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf);
ngx_int_t ngx_http_anon_restart(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf);
ngx_int_t ngx_http_anon_location(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf);
ngx_int_t ngx_http_anon_scrub_lists(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf, ngx_http_anon_ctx_t *ctx,
    ngx_uint_t what);


/*
 * The main request has had the address truncated and the lists scrubbed
 * for this location, and nothing changed since (a swap by a subrequest, an
 * internal redirect, which clears the context)
 */

static ngx_inline ngx_uint_t
ngx_http_anon_done(ngx_http_request_t *r, ngx_http_anon_loc_conf_t *alcf)
{
    ngx_http_anon_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_anon_module);

    return ctx && ctx->done_conf == alcf
           && ctx->done_sockaddr == r->connection->sockaddr;
}


static ngx_inline ngx_http_anon_ctx_t *
ngx_http_anon_get_ctx(ngx_http_request_t *r)
{
    ngx_http_anon_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_anon_module);

    return ctx ? ctx : ngx_http_anon_create_ctx(r);
}


/* cached values of the variables listed in "indexes" are computed again */

static ngx_inline void
ngx_http_anon_flush(ngx_http_request_t *r, ngx_array_t *indexes)
{
    ngx_int_t   *index;
    ngx_uint_t   i;

    index = indexes->elts;

    for (i = 0; i < indexes->nelts; i++) {
        r->variables[index[i]].valid = 0;
        r->variables[index[i]].not_found = 0;
    }
}


/*
 * Scrub the headers and arguments of the main request, once: the
 * arguments in the rewrite phase, before access checks can log the request
 * line, the headers once realip has read them.  Headers are shared with
 * subrequests, and a subrequest in the access phase (auth_request) may
 * proxy them before the main request reaches precontent; a subrequest's
 * arguments come from the configuration.  Again after an internal
 * redirect, which clears the context and may bring another location's
 * lists.
 */

static ngx_inline ngx_int_t
ngx_http_anon_scrub_request(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf, ngx_uint_t what)
{
    ngx_http_anon_ctx_t  *ctx;

    if (r != r->main) {
        what &= NGX_HTTP_ANON_SCRUB_HEADERS;
    }

    what &= alcf->lists;

    if (what == 0) {
        return NGX_OK;
    }

    ctx = ngx_http_anon_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    what &= ~ctx->scrubbed;

    if (what == 0) {
        return NGX_OK;
    }

    return ngx_http_anon_scrub_lists(r->main, alcf, ctx, what);
}


ngx_http_anon_state_t *ngx_http_anon_get_state(ngx_http_request_t *r);
struct sockaddr *ngx_http_anon_original_addr(ngx_http_request_t *r,
    socklen_t *socklen);
size_t ngx_http_anon_sockaddr_text(struct sockaddr *sa, u_char *text);
ngx_int_t ngx_http_anon_truncated_text(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf, ngx_str_t *text);
ngx_int_t ngx_http_anon_truncate_sockaddr(struct sockaddr *sa,
    ngx_uint_t prefix4, ngx_uint_t prefix6);
ngx_int_t ngx_http_anon_scrub_raw_line(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf);
ngx_int_t ngx_http_anon_read_body(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf);
char *ngx_http_anon_names(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_anon_init_names(ngx_conf_t *cf,
    ngx_http_anon_main_conf_t *amcf);
ngx_array_t *ngx_http_anon_default_names(ngx_conf_t *cf, ngx_uint_t args);
ngx_int_t ngx_http_anon_flush_index(ngx_conf_t *cf,
    ngx_http_anon_main_conf_t *amcf, ngx_str_t *name, ngx_uint_t what);
ngx_int_t ngx_http_anon_init_flush(ngx_cycle_t *cycle,
    ngx_http_anon_main_conf_t *amcf);
ngx_int_t ngx_http_anon_piwik_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
char *ngx_http_anon_piwik_site(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_anon_piwik_token(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_anon_geoip2(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_anon_geo_place(ngx_http_request_t *r, ngx_str_t *place);
ngx_int_t ngx_http_anon_wrap_log(ngx_pool_t *pool, ngx_log_t *log,
    ngx_http_anon_main_conf_t *amcf);
ngx_int_t ngx_http_anon_init_module(ngx_cycle_t *cycle);
void ngx_http_anon_init_phases(ngx_http_core_main_conf_t *cmcf);
char *ngx_http_anon_pseudonym_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_anon_init_pseudonyms(ngx_conf_t *cf,
    ngx_http_anon_main_conf_t *amcf);
const ngx_anon_prf_key_t *ngx_http_anon_period_prf(
    ngx_http_anon_main_conf_t *amcf);
ngx_int_t ngx_http_anon_visitor_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_anon_pseudonym_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_anon_bsn_setup(ngx_http_anon_main_conf_t *amcf,
    ngx_uint_t mode, ngx_anon_bsn_t *bsn);
ngx_int_t ngx_http_anon_bsn_str(ngx_http_request_t *r, ngx_anon_bsn_t *bsn,
    ngx_str_t *s);
ngx_int_t ngx_http_anon_bsn_request(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf);
ngx_int_t ngx_http_anon_bsn_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
ngx_int_t ngx_http_anon_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_anon_init_variables(ngx_conf_t *cf,
    ngx_http_anon_main_conf_t *amcf);
void ngx_http_anon_flush_variables(ngx_http_request_t *r, ngx_uint_t what);


#endif /* _NGX_HTTP_ANON_MODULE_H_INCLUDED_ */
