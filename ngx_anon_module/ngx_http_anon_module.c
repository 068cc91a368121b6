
/*
 * Copyright (C) ngx_anon authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_anon_addr.h"
#include "ngx_http_anon_module.h"


static ngx_inline ngx_int_t ngx_http_anon_apply(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf, ngx_http_anon_ctx_t *ctx);
static void ngx_http_anon_install(ngx_http_anon_state_t *st);
static void ngx_http_anon_restore(ngx_http_anon_state_t *st);
static void ngx_http_anon_cleanup(void *data);
static ngx_int_t ngx_http_anon_give_back(ngx_http_request_t *r);
static void ngx_http_anon_blank(ngx_connection_t *c);
static ngx_inline ngx_int_t ngx_http_anon_server_rewrite_handler(
    ngx_http_request_t *r);
static ngx_inline ngx_int_t ngx_http_anon_rewrite_handler(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_anon_preaccess_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_anon_realip_handler(ngx_http_request_t *r);
static ngx_inline ngx_int_t ngx_http_anon_precontent_handler(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_anon_server_rewrite_phase(ngx_http_request_t *r,
    ngx_http_phase_handler_t *ph);
static ngx_int_t ngx_http_anon_rewrite_phase(ngx_http_request_t *r,
    ngx_http_phase_handler_t *ph);
static ngx_int_t ngx_http_anon_precontent_phase(ngx_http_request_t *r,
    ngx_http_phase_handler_t *ph);
static ngx_inline ngx_int_t ngx_http_anon_rewrite_result(
    ngx_http_request_t *r, ngx_int_t rc);
static ngx_int_t ngx_http_anon_log_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_anon_header_filter(ngx_http_request_t *r);
static u_char *ngx_http_anon_log_error(ngx_log_t *log, u_char *buf,
    size_t len);

static char *ngx_http_anon(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_anon_prefix(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void *ngx_http_anon_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_anon_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_anon_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_anon_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_anon_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_anon_init_preaccess(
    ngx_http_core_main_conf_t *cmcf);
static ngx_int_t ngx_http_anon_insert_handler(ngx_array_t *a,
    ngx_uint_t i, ngx_http_handler_pt h);


static ngx_conf_enum_t  ngx_http_anon_modes[] = {
    { ngx_string("off"), NGX_HTTP_ANON_OFF },
    { ngx_string("on"), NGX_HTTP_ANON_ON },
    { ngx_string("strict"), NGX_HTTP_ANON_STRICT },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_anon_bsn_modes[] = {
    { ngx_string("off"), NGX_ANON_BSN_OFF },
    { ngx_string("redact"), NGX_ANON_BSN_REDACT },
    { ngx_string("pseudonymize"), NGX_ANON_BSN_PSEUDONYMIZE },
    { ngx_null_string, 0 }
};


static ngx_uint_t  ngx_http_anon_prefix4_max = 32;
static ngx_uint_t  ngx_http_anon_prefix6_max = 128;

/* the prefixes of the variables that show a header or an argument */
static ngx_str_t  ngx_http_anon_headers_prefix = ngx_string("http_");
static ngx_str_t  ngx_http_anon_args_prefix = ngx_string("arg_");


static ngx_command_t  ngx_http_anon_commands[] = {

    { ngx_string("anon"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_anon,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_anon_loc_conf_t, mode),
      &ngx_http_anon_modes },

    { ngx_string("anon_ipv4_prefix"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_anon_prefix,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_anon_loc_conf_t, prefix4),
      &ngx_http_anon_prefix4_max },

    { ngx_string("anon_ipv6_prefix"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_anon_prefix,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_anon_loc_conf_t, prefix6),
      &ngx_http_anon_prefix6_max },

    { ngx_string("anon_headers"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_anon_names,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_anon_loc_conf_t, headers),
      &ngx_http_anon_headers_prefix },

    { ngx_string("anon_args"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_anon_names,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_anon_loc_conf_t, args),
      &ngx_http_anon_args_prefix },

    { ngx_string("anon_error_log"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_anon_main_conf_t, error_log),
      NULL },

    { ngx_string("anon_pseudonym_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_anon_pseudonym_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("anon_pseudonym_rotate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_anon_main_conf_t, rotate),
      NULL },

    { ngx_string("anon_bsn"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_anon_loc_conf_t, bsn),
      &ngx_http_anon_bsn_modes },

    { ngx_string("anon_piwik_site"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_anon_piwik_site,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("anon_piwik_token_auth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_anon_piwik_token,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("anon_geoip2"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_BLOCK|NGX_CONF_TAKE1,
      ngx_http_anon_geoip2,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_anon_module_ctx = {
    ngx_http_anon_add_variables,           /* preconfiguration */
    ngx_http_anon_init,                    /* postconfiguration */

    ngx_http_anon_create_main_conf,        /* create main configuration */
    ngx_http_anon_init_main_conf,          /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_anon_create_loc_conf,         /* create location configuration */
    ngx_http_anon_merge_loc_conf           /* merge location configuration */
};


ngx_module_t  ngx_http_anon_module = {
    NGX_MODULE_V1,
    &ngx_http_anon_module_ctx,             /* module context */
    ngx_http_anon_commands,                /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_anon_init_module,             /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/* the connection log handler that ngx_http_anon_log_error() wraps */
static ngx_log_handler_pt  ngx_http_anon_next_log_error;

static ngx_http_output_header_filter_pt  ngx_http_anon_next_header_filter;


ngx_http_anon_ctx_t *
ngx_http_anon_create_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t   *cln;
    ngx_http_anon_ctx_t  *ctx;

    r = r->main;

    ctx = ngx_palloc(r->pool, sizeof(ngx_http_anon_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    ctx->scrubbed = 0;
    ctx->state = NULL;
    ctx->done_conf = NULL;
    ctx->done_sockaddr = NULL;
    ctx->first_used = 0;

    /*
     * Cleanups are prepended, so the first one found is the newest swap;
     * the list is shared with subrequests and survives internal redirects,
     * which zero the module contexts and set r->internal.  Every later swap
     * is recorded here, in the main request's context.
     */

    for (cln = r->internal ? r->pool->cleanup : NULL; cln; cln = cln->next)
    {
        if (cln->handler == ngx_http_anon_cleanup) {
            ctx->state = cln->data;
            break;
        }
    }

    ngx_http_set_ctx(r, ctx, ngx_http_anon_module);

    return ctx;
}


ngx_http_anon_state_t *
ngx_http_anon_get_state(ngx_http_request_t *r)
{
    ngx_http_anon_ctx_t  *ctx;

    ctx = ngx_http_anon_get_ctx(r);

    return ctx ? ctx->state : NULL;
}


struct sockaddr *
ngx_http_anon_original_addr(ngx_http_request_t *r, socklen_t *socklen)
{
    struct sockaddr        *sa;
    ngx_pool_cleanup_t     *cln;
    ngx_http_anon_state_t  *st;

    /*
     * The client's address before any truncation: follow the swaps back
     * from the newest, each of which replaced the address the one before
     * it installed.  Swaps that are undone or were made by someone else
     * (realip) end the chain.
     */

    sa = r->connection->sockaddr;
    *socklen = r->connection->socklen;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {

        if (cln->handler != ngx_http_anon_cleanup) {
            continue;
        }

        st = cln->data;

        if (st->active && ngx_http_anon_installed(st) == sa) {
            sa = st->sockaddr;
            *socklen = st->socklen;
        }
    }

    return sa;
}


ngx_int_t
ngx_http_anon_truncate_sockaddr(struct sockaddr *sa, ngx_uint_t prefix4,
    ngx_uint_t prefix6)
{
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    switch (sa->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) sa;
        ngx_anon_addr_truncate4((u_char *) &sin->sin_addr, prefix4);
        return NGX_OK;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) sa;
        ngx_anon_addr_truncate6(sin6->sin6_addr.s6_addr, prefix4, prefix6);
        return NGX_OK;
#endif

    default:
        return NGX_DECLINED;
    }
}


size_t
ngx_http_anon_sockaddr_text(struct sockaddr *sa, u_char *text)
{
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    /*
     * What ngx_sock_ntop() prints without a port (the same text, checked
     * in the unit tests), at a fraction of its cost; "text" holds
     * NGX_ANON_ADDR_STRLEN bytes.
     */

    switch (sa->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) sa;
        return ngx_anon_addr_format((u_char *) &sin->sin_addr, 4, text);

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) sa;
        return ngx_anon_addr_format(sin6->sin6_addr.s6_addr, 16, text);
#endif

    default:
        return 0;
    }
}


ngx_int_t
ngx_http_anon_truncated_text(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf, ngx_str_t *text)
{
    ngx_sockaddr_t     sa;
    ngx_connection_t  *c;

    /* NGX_DECLINED: no IP address (UNIX-domain), text left alone */

    c = r->connection;

    if (c->socklen > sizeof(sa)) {
        return NGX_ERROR;
    }

    ngx_memcpy(&sa, c->sockaddr, c->socklen);

    if (ngx_http_anon_truncate_sockaddr(&sa.sockaddr, alcf->prefix4,
                                        alcf->prefix6)
        != NGX_OK)
    {
#if (NGX_HAVE_UNIX_DOMAIN)
        if (c->sockaddr->sa_family == AF_UNIX) {
            return NGX_DECLINED;
        }
#endif

        return NGX_ERROR;
    }

    text->data = ngx_pnalloc(r->pool, NGX_SOCKADDR_STRLEN);
    if (text->data == NULL) {
        return NGX_ERROR;
    }

    text->len = ngx_http_anon_sockaddr_text(&sa.sockaddr, text->data);

    return NGX_OK;
}


ngx_int_t
ngx_http_anon_prepare(ngx_http_request_t *r, ngx_http_anon_loc_conf_t *alcf)
{
    ngx_http_anon_ctx_t  *ctx;

    /*
     * The address truncated and the lists scrubbed for this location: once
     * the main request has had both, the hooks only check that nothing
     * changed since, with ngx_http_anon_done().
     */

    ctx = ngx_http_anon_get_ctx(r);

    if (ctx == NULL
        || ngx_http_anon_apply(r, alcf, ctx) != NGX_OK
        || ngx_http_anon_scrub_request(r, alcf, NGX_HTTP_ANON_SCRUB_ALL)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (r == r->main) {

        /* a request line that did not parse, shown as it came (400, 408) */

        if (r->request_start && r->request_end == NULL
            && ngx_http_anon_scrub_raw_line(r, alcf) != NGX_OK)
        {
            return NGX_ERROR;
        }

        ctx->done_conf = alcf;
        ctx->done_sockaddr = r->connection->sockaddr;
    }

    return NGX_OK;
}


static ngx_inline ngx_int_t
ngx_http_anon_apply(ngx_http_request_t *r, ngx_http_anon_loc_conf_t *alcf,
    ngx_http_anon_ctx_t *ctx)
{
    ngx_http_anon_state_t  *st;

    /* the address truncated for this location, if it is not yet */

    st = ctx->state;

    if (st && st->active
        && r->connection->sockaddr == ngx_http_anon_installed(st)
        && st->prefix4 == alcf->prefix4 && st->prefix6 == alcf->prefix6)
    {
        return NGX_OK;
    }

    return ngx_http_anon_swap(r, alcf, ctx);
}


ngx_int_t
ngx_http_anon_swap(ngx_http_request_t *r, ngx_http_anon_loc_conf_t *alcf,
    ngx_http_anon_ctx_t *ctx)
{
    size_t                  len;
    ngx_connection_t       *c;
    ngx_proxy_protocol_t   *pp;
    struct sockaddr_in     *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6    *sin6;
#endif
    ngx_http_anon_state_t  *st;

    c = r->connection;
    st = ctx->state;

    /* the swap undone for access checks: installed again */

    if (st && !st->active && c->sockaddr == st->sockaddr
        && st->prefix4 == alcf->prefix4 && st->prefix6 == alcf->prefix6)
    {
        ngx_http_anon_install(st);
        ngx_http_anon_flush(r, alcf->flush);
        return NGX_OK;
    }

    /* a new swap: the address is real, or was changed since (realip) */

    if (ctx->first_used) {
        st = ngx_palloc(r->pool, sizeof(ngx_http_anon_state_t));
        if (st == NULL) {
            return NGX_ERROR;
        }

    } else {
        st = &ctx->first;
    }

    switch (c->sockaddr->sa_family) {

    case AF_INET:
        sin = &st->anon_sa.sockaddr_in;
        *sin = *(struct sockaddr_in *) c->sockaddr;
        sin->sin_addr.s_addr &= alcf->mask4;

        len = ngx_anon_addr_format4((u_char *) &sin->sin_addr, st->anon_text);
        break;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = &st->anon_sa.sockaddr_in6;
        *sin6 = *(struct sockaddr_in6 *) c->sockaddr;
        ngx_anon_addr_truncate6(sin6->sin6_addr.s6_addr, alcf->prefix4,
                                alcf->prefix6);

        len = ngx_anon_addr_format(sin6->sin6_addr.s6_addr, 16,
                                   st->anon_text);
        break;
#endif

#if (NGX_HAVE_UNIX_DOMAIN)
    case AF_UNIX:
        return NGX_OK;
#endif

    default:
        ngx_log_error(NGX_LOG_ERR, c->log, 0,
                      "anon: unknown address family %d",
                      (int) c->sockaddr->sa_family);
        return NGX_ERROR;
    }

    pp = NULL;

    if (c->proxy_protocol) {
        pp = ngx_http_anon_proxy_protocol(r, alcf);
        if (pp == NULL) {
            return NGX_ERROR;
        }
    }

    st->connection = c;
    st->sockaddr = c->sockaddr;
    st->socklen = c->socklen;
    st->addr_text = c->addr_text;
    st->proxy_protocol = c->proxy_protocol;
    st->anon_len = (u_char) len;
    st->anon_proxy_protocol = pp;
    st->prefix4 = (u_char) alcf->prefix4;
    st->prefix6 = (u_char) alcf->prefix6;
    st->active = 0;

    /* the cleanup last: a failed swap is never undone */

    st->cleanup.handler = ngx_http_anon_cleanup;
    st->cleanup.data = st;
    st->cleanup.next = r->pool->cleanup;
    r->pool->cleanup = &st->cleanup;

    ctx->state = st;
    ctx->first_used = 1;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "anon: client address truncated to /%ui, /%ui",
                   alcf->prefix4, alcf->prefix6);

    ngx_http_anon_install(st);
    ngx_http_anon_flush(r, alcf->flush);

    return NGX_OK;
}


ngx_proxy_protocol_t *
ngx_http_anon_proxy_protocol(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf)
{
    size_t                 n;
    ngx_proxy_protocol_t  *pp;
    u_char                 buf[NGX_ANON_ADDR_STRLEN];

    /* the PROXY protocol header's source address, truncated */

    pp = ngx_palloc(r->pool, sizeof(ngx_proxy_protocol_t));
    if (pp == NULL) {
        return NULL;
    }

    *pp = *r->connection->proxy_protocol;

    n = ngx_anon_addr_truncate_text(pp->src_addr.data, pp->src_addr.len, buf,
                                    alcf->prefix4, alcf->prefix6);

    /* what does not parse as an address is not passed on */

    pp->src_addr.data = ngx_pnalloc(r->pool, n);
    if (pp->src_addr.data == NULL) {
        return NULL;
    }

    pp->src_addr.len = n;
    ngx_memcpy(pp->src_addr.data, buf, n);

    return pp;
}


static void
ngx_http_anon_install(ngx_http_anon_state_t *st)
{
    ngx_connection_t  *c;

    c = st->connection;

    c->sockaddr = ngx_http_anon_installed(st);
    c->addr_text.len = st->anon_len;
    c->addr_text.data = st->anon_text;
    c->proxy_protocol = st->anon_proxy_protocol;

    st->active = 1;
}


static void
ngx_http_anon_restore(ngx_http_anon_state_t *st)
{
    ngx_connection_t  *c;

    if (!st->active) {
        return;
    }

    st->active = 0;

    c = st->connection;

    /* a later swap (realip in a subrequest) is undone by its own cleanup */

    if (c->sockaddr != ngx_http_anon_installed(st)) {
        return;
    }

    c->sockaddr = st->sockaddr;
    c->socklen = st->socklen;
    c->addr_text = st->addr_text;
    c->proxy_protocol = st->proxy_protocol;
}


static void
ngx_http_anon_cleanup(void *data)
{
    ngx_http_anon_restore(data);
}


static ngx_int_t
ngx_http_anon_give_back(ngx_http_request_t *r)
{
    ngx_http_anon_ctx_t    *ctx;
    ngx_http_anon_state_t  *st;

    /* the real address again, if it is this module that truncated it */

    ctx = ngx_http_anon_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    st = ctx->state;

    if (st && st->active
        && r->connection->sockaddr == ngx_http_anon_installed(st))
    {
        ngx_http_anon_restore(st);
        ngx_http_anon_flush_variables(r, NGX_HTTP_ANON_FLUSH_ADDR);
    }

    return NGX_OK;
}


static void
ngx_http_anon_blank(ngx_connection_t *c)
{
    /*
     * Last resort when truncation failed where the request cannot fail
     * any more (the log phase): the log must not get the full address.
     * The connection keeps the blank address until it is closed.
     */

    ngx_memzero(c->sockaddr, c->socklen);

    c->sockaddr->sa_family = AF_INET;
    ngx_str_set(&c->addr_text, "0.0.0.0");
    c->proxy_protocol = NULL;
}


static ngx_inline ngx_int_t
ngx_http_anon_server_rewrite_handler(ngx_http_request_t *r)
{
    ngx_log_t                 *log;
    ngx_http_anon_loc_conf_t  *alcf;

    /* error-log lines of this request show the truncated address */

    log = r->connection->log;

    if (log->handler != ngx_http_anon_log_error) {

        if (ngx_http_anon_next_log_error == NULL) {
            ngx_http_anon_next_log_error = log->handler;
        }

        if (log->handler == ngx_http_anon_next_log_error) {
            log->handler = ngx_http_anon_log_error;
        }
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_anon_module);

    if (!r->internal && alcf->mode != NGX_HTTP_ANON_STRICT) {
        return NGX_DECLINED;
    }

    return ngx_http_anon_restart(r, alcf);
}


ngx_int_t
ngx_http_anon_restart(ngx_http_request_t *r, ngx_http_anon_loc_conf_t *alcf)
{
    /*
     * An internal redirect or a named location starts the phases again:
     * access checks in the new location see the real address again, and
     * the precontent phase truncates it once more.  Subrequests never
     * restore: the connection is shared with the running main request.
     */

    if (r->internal && r == r->main && ngx_http_anon_give_back(r) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (alcf->mode != NGX_HTTP_ANON_STRICT) {
        return NGX_DECLINED;
    }

    if (ngx_http_anon_prepare(r, alcf) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DECLINED;
}


static ngx_inline ngx_int_t
ngx_http_anon_rewrite_handler(ngx_http_request_t *r)
{
    ngx_http_anon_loc_conf_t   *alcf;
    ngx_http_anon_main_conf_t  *amcf;

    /* the location is known: its mode and argument list apply from now on */

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_anon_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_anon_module);

    if (!alcf->rewrite && !amcf->strict && !r->internal) {
        return NGX_DECLINED;
    }

    return ngx_http_anon_location(r, alcf);
}


ngx_int_t
ngx_http_anon_location(ngx_http_request_t *r, ngx_http_anon_loc_conf_t *alcf)
{
    ngx_http_anon_ctx_t        *ctx;
    ngx_http_anon_main_conf_t  *amcf;

    if (alcf->mode == NGX_HTTP_ANON_STRICT) {

        if (ngx_http_anon_prepare(r, alcf) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

    } else if (r == r->main) {

        /*
         * A location that is not strict in a strict server: the server's
         * truncation gives way, access checks here see the real address.
         * So does a named location, which skips the server rewrite phase.
         */

        amcf = ngx_http_get_module_main_conf(r, ngx_http_anon_module);

        if ((amcf->strict || r->internal)
            && ngx_http_anon_give_back(r) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (alcf->args == NULL
        || (alcf->mode == NGX_HTTP_ANON_OFF && alcf->bsn == NGX_ANON_BSN_OFF))
    {
        return NGX_DECLINED;
    }

    /* the location's own list, even if the server's was applied already */

    ctx = ngx_http_anon_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->scrubbed &= ~NGX_HTTP_ANON_SCRUB_ARGS;

    if (ngx_http_anon_scrub_request(r, alcf, NGX_HTTP_ANON_SCRUB_ARGS)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_anon_preaccess_handler(ngx_http_request_t *r)
{
    ngx_http_anon_loc_conf_t  *alcf;

    /*
     * Runs just before realip's preaccess handler.  With "strict", realip
     * configured in a location must still find the address it trusts;
     * ngx_http_anon_realip_handler() truncates right after it.
     */

    if (r != r->main) {
        return NGX_DECLINED;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_anon_module);

    if (alcf->mode != NGX_HTTP_ANON_STRICT) {
        return NGX_DECLINED;
    }

    if (ngx_http_anon_give_back(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_anon_realip_handler(ngx_http_request_t *r)
{
    ngx_http_anon_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_anon_module);

    if (alcf->mode != NGX_HTTP_ANON_STRICT) {
        return NGX_DECLINED;
    }

    if (ngx_http_anon_prepare(r, alcf) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DECLINED;
}


static ngx_inline ngx_int_t
ngx_http_anon_precontent_handler(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_http_anon_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_anon_module);

    if (alcf->mode == NGX_HTTP_ANON_OFF) {

        /* anon_bsn alone: tracking requests sent as POST */

        return (alcf->bsn == NGX_ANON_BSN_OFF) ? NGX_DECLINED
                                               : ngx_http_anon_read_body(r,
                                                                      alcf);
    }

    if (!ngx_http_anon_done(r, alcf)
        && ngx_http_anon_prepare(r, alcf) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked) {
        return NGX_DECLINED;
    }

    rc = ngx_http_anon_read_body(r, alcf);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    /* NGX_OK would skip the rest of the phase: try_files and mirror */

    return NGX_DECLINED;
}


/*
 * The phase engine's entries of the handlers above get these checkers
 * (ngx_http_anon_init_phases()): the same results as nginx's rewrite and
 * generic checkers, without their indirect call on every request.
 */

static ngx_int_t
ngx_http_anon_server_rewrite_phase(ngx_http_request_t *r,
    ngx_http_phase_handler_t *ph)
{
    ngx_int_t  rc;

    rc = ngx_http_anon_server_rewrite_handler(r);

    return ngx_http_anon_rewrite_result(r, rc);
}


static ngx_int_t
ngx_http_anon_rewrite_phase(ngx_http_request_t *r,
    ngx_http_phase_handler_t *ph)
{
    ngx_int_t  rc;

    rc = ngx_http_anon_rewrite_handler(r);

    return ngx_http_anon_rewrite_result(r, rc);
}


/* what ngx_http_core_rewrite_phase() does with a handler's result */

static ngx_inline ngx_int_t
ngx_http_anon_rewrite_result(ngx_http_request_t *r, ngx_int_t rc)
{
    if (rc == NGX_DECLINED) {
        r->phase_handler++;
        return NGX_AGAIN;
    }

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_anon_precontent_phase(ngx_http_request_t *r,
    ngx_http_phase_handler_t *ph)
{
    ngx_int_t  rc;

    rc = ngx_http_anon_precontent_handler(r);

    if (rc == NGX_DECLINED) {
        r->phase_handler++;
        return NGX_AGAIN;
    }

    if (rc == NGX_OK) {
        r->phase_handler = ph->next;
        return NGX_AGAIN;
    }

    if (rc == NGX_AGAIN || rc == NGX_DONE) {
        return NGX_OK;
    }

    ngx_http_finalize_request(r, rc);

    return NGX_OK;
}


void
ngx_http_anon_init_phases(ngx_http_core_main_conf_t *cmcf)
{
    ngx_http_phase_handler_t  *ph;

    for (ph = cmcf->phase_engine.handlers; ph->checker; ph++) {

        if (ph->checker == ngx_http_core_rewrite_phase) {

            if (ph->handler == ngx_http_anon_server_rewrite_handler) {
                ph->checker = ngx_http_anon_server_rewrite_phase;

            } else if (ph->handler == ngx_http_anon_rewrite_handler) {
                ph->checker = ngx_http_anon_rewrite_phase;
            }

        } else if (ph->checker == ngx_http_core_generic_phase
                   && ph->handler == ngx_http_anon_precontent_handler)
        {
            ph->checker = ngx_http_anon_precontent_phase;
        }
    }
}


static ngx_int_t
ngx_http_anon_log_handler(ngx_http_request_t *r)
{
    ngx_http_anon_loc_conf_t  *alcf;

    /*
     * Runs before the access log, for requests that ended before the
     * precontent phase: deny, limit_req, return, 444, bad headers.
     */

    if (r->loc_conf == NULL) {
        return NGX_OK;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_anon_module);

    if (alcf->bsn == NGX_ANON_BSN_OFF
        && (alcf->mode == NGX_HTTP_ANON_OFF || ngx_http_anon_done(r, alcf)))
    {
        return NGX_OK;
    }

    return ngx_http_anon_log_request(r, alcf);
}


ngx_int_t
ngx_http_anon_log_request(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf)
{
    ngx_http_anon_ctx_t  *ctx;

    if (alcf->mode == NGX_HTTP_ANON_OFF) {

        if (ngx_http_anon_bsn_request(r, alcf) != NGX_OK) {
            r->request_line.len = 0;
            ngx_http_anon_flush_variables(r, NGX_HTTP_ANON_FLUSH_TEXT);
        }

        return NGX_OK;
    }

    if (ngx_http_anon_done(r, alcf)) {
        goto bsn;
    }

    ctx = ngx_http_anon_get_ctx(r);

    if (ctx == NULL || ngx_http_anon_apply(r, alcf, ctx) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "anon: client address blanked for logging");
        ngx_http_anon_blank(r->connection);
        ngx_http_anon_flush_variables(r, NGX_HTTP_ANON_FLUSH_ADDR);
    }

    if (ngx_http_anon_scrub_request(r, alcf, NGX_HTTP_ANON_SCRUB_ALL)
        != NGX_OK)
    {
        goto blank;
    }

    if (r->request_start && r->request_end == NULL
        && ngx_http_anon_scrub_raw_line(r, alcf) != NGX_OK)
    {
        goto blank;
    }

bsn:

    if (alcf->bsn != NGX_ANON_BSN_OFF
        && ngx_http_anon_bsn_request(r, alcf) != NGX_OK)
    {
        goto blank;
    }

    return NGX_OK;

blank:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "anon: request line blanked for logging");

    r->args.len = 0;
    r->uri.len = 0;
    r->unparsed_uri.len = 0;
    r->request_line.len = 0;

    if (r->headers_in.referer) {
        r->headers_in.referer->value.len = 0;
    }

    ngx_http_anon_flush_variables(r, NGX_HTTP_ANON_FLUSH_TEXT);

    return NGX_OK;
}


static ngx_int_t
ngx_http_anon_header_filter(ngx_http_request_t *r)
{
    ngx_http_anon_loc_conf_t  *alcf;

    /*
     * Runs before the headers filter evaluates add_header: a response to
     * a request that ended before the precontent phase (return, deny,
     * limit_req, 400) must not carry the full address either.
     */

    if (r != r->main || r->loc_conf == NULL) {
        return ngx_http_anon_next_header_filter(r);
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_anon_module);

    if (alcf->mode != NGX_HTTP_ANON_OFF && !ngx_http_anon_done(r, alcf)
        && ngx_http_anon_prepare(r, alcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_anon_next_header_filter(r);
}


static u_char *
ngx_http_anon_log_error(ngx_log_t *log, u_char *buf, size_t len)
{
    u_char                     *p;
    ngx_str_t                   text, line, ref, saved_ref;
    ngx_uint_t                  swapped;
    ngx_anon_bsn_t              bsn;
    ngx_sockaddr_t              sa;
    ngx_connection_t           *c;
    ngx_http_request_t         *r, *mr;
    ngx_http_log_ctx_t         *ctx;
    ngx_http_anon_loc_conf_t   *alcf;
    ngx_http_anon_main_conf_t  *amcf;
    u_char                      addr[NGX_SOCKADDR_STRLEN];

    ctx = log->data;
    c = ctx->connection;
    mr = ctx->request;

    if (mr == NULL || mr->loc_conf == NULL || c->socklen > sizeof(sa)) {
        return ngx_http_anon_next_log_error(log, buf, len);
    }

    r = ctx->current_request ? ctx->current_request : mr;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_anon_module);

    text = c->addr_text;
    line = mr->request_line;
    ngx_str_null(&saved_ref);
    swapped = 0;

    if (alcf->mode != NGX_HTTP_ANON_OFF) {
        ngx_memcpy(&sa, c->sockaddr, c->socklen);

        if (ngx_http_anon_truncate_sockaddr(&sa.sockaddr, alcf->prefix4,
                                            alcf->prefix6)
            == NGX_OK)
        {
            c->addr_text.len = ngx_http_anon_sockaddr_text(&sa.sockaddr,
                                                           addr);
            c->addr_text.data = addr;
        }
    }

    /* the request line and the referrer parts, with BSNs replaced */

    if (alcf->bsn != NGX_ANON_BSN_OFF) {
        amcf = ngx_http_get_module_main_conf(r, ngx_http_anon_module);

        if (ngx_http_anon_bsn_setup(amcf, alcf->bsn, &bsn) != NGX_OK) {
            bsn.mode = NGX_ANON_BSN_REDACT;
            bsn.pseudonym = NULL;
        }

        if (ngx_http_anon_bsn_str(mr, &bsn, &mr->request_line) != NGX_OK) {
            mr->request_line.len = 0;
        }

        if (mr->headers_in.referer) {
            saved_ref = mr->headers_in.referer->value;
            ref = saved_ref;

            if (ngx_http_anon_bsn_str(mr, &bsn, &ref) != NGX_OK) {
                ref.len = 0;
            }

            mr->headers_in.referer->value = ref;
        }

        swapped = 1;
    }

    p = ngx_http_anon_next_log_error(log, buf, len);

    c->addr_text = text;

    if (swapped) {
        mr->request_line = line;

        if (mr->headers_in.referer) {
            mr->headers_in.referer->value = saved_ref;
        }
    }

    return p;
}


static char *
ngx_http_anon(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_anon_loc_conf_t *alcf = conf;

    char                       *rv;
    ngx_http_anon_main_conf_t  *amcf;

    rv = ngx_conf_set_enum_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (alcf->mode != NGX_HTTP_ANON_OFF) {
        amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_anon_module);
        amcf->enabled = 1;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_anon_prefix(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_int_t    n;
    ngx_str_t   *value;
    ngx_uint_t  *field, *max;

    field = (ngx_uint_t *) (p + cmd->offset);
    max = cmd->post;

    if (*field != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = ngx_atoi(value[1].data, value[1].len);

    if (n == NGX_ERROR || (ngx_uint_t) n > *max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\" directive, "
                           "it must be a number from 0 to %ui",
                           &value[1], &cmd->name, *max);
        return NGX_CONF_ERROR;
    }

    *field = n;

    return NGX_CONF_OK;
}


static void *
ngx_http_anon_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_anon_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_anon_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     amcf->enabled = 0;
     *     amcf->default_headers = NULL;
     *     amcf->default_args = NULL;
     *     amcf->key_file = { 0, NULL };
     *     amcf->file_key = { 0, NULL };
     *     amcf->shm_zone = NULL;
     *     amcf->geo = NULL;
     */

    amcf->error_log = NGX_CONF_UNSET;
    amcf->rotate = NGX_CONF_UNSET;

    if (ngx_array_init(&amcf->flush_names, cf->pool, 16,
                       sizeof(ngx_http_anon_flush_t))
        != NGX_OK
        || ngx_array_init(&amcf->indexes[0], cf->pool, 8, sizeof(ngx_int_t))
           != NGX_OK
        || ngx_array_init(&amcf->indexes[1], cf->pool, 8, sizeof(ngx_int_t))
           != NGX_OK)
    {
        return NULL;
    }

    return amcf;
}


static char *
ngx_http_anon_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_anon_main_conf_t *amcf = conf;

    ngx_http_anon_loc_conf_t  *alcf;

    /* the error log uses the prefixes set at the http level */

    alcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_anon_module);

    amcf->prefix4 = (alcf->prefix4 == NGX_CONF_UNSET_UINT) ? 16
                                                           : alcf->prefix4;
    amcf->prefix6 = (alcf->prefix6 == NGX_CONF_UNSET_UINT) ? 32
                                                           : alcf->prefix6;

    amcf->bsn = (alcf->bsn == NGX_CONF_UNSET_UINT) ? NGX_ANON_BSN_OFF
                                                   : alcf->bsn;

    ngx_conf_init_value(amcf->error_log, 0);

    if (ngx_http_anon_init_pseudonyms(cf, amcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_anon_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_anon_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_anon_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->piwik_token = { 0, NULL };
     */

    conf->mode = NGX_CONF_UNSET_UINT;
    conf->prefix4 = NGX_CONF_UNSET_UINT;
    conf->prefix6 = NGX_CONF_UNSET_UINT;
    conf->headers = NGX_CONF_UNSET_PTR;
    conf->args = NGX_CONF_UNSET_PTR;
    conf->piwik_site = NGX_CONF_UNSET_UINT;
    conf->bsn = NGX_CONF_UNSET_UINT;

    return conf;
}


static char *
ngx_http_anon_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_anon_loc_conf_t *prev = parent;
    ngx_http_anon_loc_conf_t *conf = child;

    u_char                      c, mask[4];
    ngx_str_t                  *name;
    ngx_uint_t                  i, j;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_anon_main_conf_t  *amcf;

    ngx_conf_merge_uint_value(conf->mode, prev->mode, NGX_HTTP_ANON_OFF);
    ngx_conf_merge_uint_value(conf->prefix4, prev->prefix4, 16);
    ngx_conf_merge_uint_value(conf->prefix6, prev->prefix6, 32);

    ngx_memset(mask, 0xff, 4);
    ngx_anon_addr_truncate4(mask, conf->prefix4);
    ngx_memcpy(&conf->mask4, mask, 4);
    ngx_conf_merge_uint_value(conf->piwik_site, prev->piwik_site, 0);
    ngx_conf_merge_uint_value(conf->bsn, prev->bsn, NGX_ANON_BSN_OFF);
    ngx_conf_merge_str_value(conf->piwik_token, prev->piwik_token, "");

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_anon_module);

    if (conf->bsn != NGX_ANON_BSN_OFF) {
        amcf->enabled = 1;
    }

    if (conf->mode == NGX_HTTP_ANON_STRICT) {
        amcf->strict = 1;
    }

    if (amcf->error_log) {

        /* the core module's merge ran: this location's chain is final */

        clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

        if (clcf->error_log != &cf->cycle->new_log
            && ngx_http_anon_wrap_log(cf->pool, clcf->error_log, amcf)
               != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    if (conf->headers == NGX_CONF_UNSET_PTR
        || conf->args == NGX_CONF_UNSET_PTR)
    {
        if (amcf->default_headers == NULL) {
            amcf->default_headers = ngx_http_anon_default_names(cf, 0);
            amcf->default_args = ngx_http_anon_default_names(cf, 1);

            if (amcf->default_headers == NULL || amcf->default_args == NULL)
            {
                return NGX_CONF_ERROR;
            }
        }

        ngx_conf_merge_ptr_value(conf->headers, prev->headers,
                                 amcf->default_headers);
        ngx_conf_merge_ptr_value(conf->args, prev->args, amcf->default_args);
    }

    /* the rewrite phase has work for every request here */

    conf->rewrite = (conf->mode == NGX_HTTP_ANON_STRICT
                     || (conf->args
                         && !(conf->mode == NGX_HTTP_ANON_OFF
                              && conf->bsn == NGX_ANON_BSN_OFF)));

    if (conf->rewrite) {
        amcf->rewrite = 1;
    }

    conf->flush = &amcf->indexes[0];

    conf->lists = (conf->headers ? NGX_HTTP_ANON_SCRUB_HEADERS : 0)
                  | (conf->args ? NGX_HTTP_ANON_SCRUB_ARGS : 0);

    conf->xff_listed = 0;
    conf->header_hashes = NULL;
    conf->header_mask = 0;

    if (conf->headers) {
        name = conf->headers->elts;

        /*
         * nginx hashes a header name over its lower-case letters, digits
         * and hyphens; names of only those have the hash of their text
         */

        conf->header_hashes = ngx_palloc(cf->pool, conf->headers->nelts
                                                   * sizeof(ngx_uint_t));
        if (conf->header_hashes == NULL) {
            return NGX_CONF_ERROR;
        }

        for (i = 0; i < conf->headers->nelts; i++) {

            for (j = 0; j < name[i].len; j++) {
                c = name[i].data[j];

                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                      || c == '-'))
                {
                    conf->header_hashes = NULL;
                    break;
                }
            }

            if (conf->header_hashes) {
                conf->header_hashes[i] = ngx_hash_key(name[i].data,
                                                      name[i].len);
            }

            if (name[i].len == 15
                && ngx_strncmp(name[i].data, "x-forwarded-for", 15) == 0)
            {
                conf->xff_listed = 1;
            }
        }

        /* a quick filter: most headers have no listed name */

        for (i = 0; i < conf->headers->nelts; i++) {
            conf->header_mask |= (uint64_t) 1
                                 << ((conf->header_hashes
                                      ? conf->header_hashes[i]
                                      : name[i].len)
                                     & 63);
        }
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_anon_init(ngx_conf_t *cf)
{
    ngx_uint_t                  i;
    ngx_http_handler_pt        *h;
    ngx_http_core_srv_conf_t  **cscfp;
    ngx_http_core_main_conf_t  *cmcf;
    ngx_http_anon_main_conf_t  *amcf;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_anon_module);

    if (ngx_http_anon_init_variables(cf, amcf) != NGX_OK
        || (amcf->enabled && ngx_http_anon_init_names(cf, amcf) != NGX_OK))
    {
        return NGX_ERROR;
    }

    if (!amcf->enabled) {
        return NGX_OK;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    /*
     * Handlers pushed last run first within a phase, so a dynamic module
     * runs before the static modules: before rewrite, before try_files and
     * mirror.  Two places need more care: the preaccess phase, where the
     * strict mode truncates right after realip, and the log phase, which
     * runs its handlers in order and must run ours before the access log.
     */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_SERVER_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_anon_server_rewrite_handler;

    /*
     * The location rewrite phase has work only for "strict", argument
     * lists, and named locations, which skip the server rewrite phase
     */

    cscfp = cmcf->servers.elts;

    for (i = 0; i < cmcf->servers.nelts; i++) {
        if (cscfp[i]->named_locations) {
            amcf->rewrite = 1;
        }
    }

    if (amcf->rewrite || amcf->strict) {
        h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        *h = ngx_http_anon_rewrite_handler;
    }

    /* only "strict" works in the preaccess phase */

    if (amcf->strict) {
        if (ngx_http_anon_init_preaccess(cmcf) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_anon_precontent_handler;

    /* loaded after the filter modules, this filter runs before them */

    ngx_http_anon_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_anon_header_filter;

    return ngx_http_anon_insert_handler(
                                &cmcf->phases[NGX_HTTP_LOG_PHASE].handlers,
                                0, ngx_http_anon_log_handler);
}


static ngx_int_t
ngx_http_anon_init_preaccess(ngx_http_core_main_conf_t *cmcf)
{
    ngx_uint_t            i, j, n;
    ngx_array_t          *a;
    ngx_http_handler_pt  *h, *post_read;

    /* realip registers one handler in both post-read and preaccess */

    a = &cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers;
    h = a->elts;
    post_read = cmcf->phases[NGX_HTTP_POST_READ_PHASE].handlers.elts;
    n = cmcf->phases[NGX_HTTP_POST_READ_PHASE].handlers.nelts;

    for (i = a->nelts; i > 0; i--) {
        for (j = 0; j < n; j++) {
            if (h[i - 1] == post_read[j]) {
                goto found;
            }
        }
    }

found:

    /* i - 1 is realip's slot; inserting at it runs the handler after it */

    if (ngx_http_anon_insert_handler(a, i ? i - 1 : a->nelts,
                                     ngx_http_anon_realip_handler)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    h = ngx_array_push(a);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_anon_preaccess_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_http_anon_insert_handler(ngx_array_t *a, ngx_uint_t i,
    ngx_http_handler_pt h)
{
    ngx_http_handler_pt  *p;

    p = ngx_array_push(a);
    if (p == NULL) {
        return NGX_ERROR;
    }

    p = a->elts;

    ngx_memmove(&p[i + 1], &p[i], (a->nelts - 1 - i) * sizeof(*p));
    p[i] = h;

    return NGX_OK;
}
