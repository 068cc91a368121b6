
/*
 * Copyright (C) ngx_anon authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_anon_scrub.h"
#include "ngx_http_anon_module.h"


/*
 * Every node of an error_log chain gets this writer, which scrubs the
 * formatted line and then does what the node did: call its own writer
 * (syslog, memory) or write to its file.
 */

typedef struct {
    ngx_log_writer_pt           writer;
    void                       *wdata;
    ngx_http_anon_main_conf_t  *amcf;
    ngx_log_t                  *log;
} ngx_http_anon_log_wrap_t;


static void ngx_http_anon_log_writer(ngx_log_t *log, ngx_uint_t level,
    u_char *buf, size_t len);
static size_t ngx_http_anon_log_header(u_char *line, size_t len);
static void ngx_http_anon_log_unwrap(void *data);


ngx_int_t
ngx_http_anon_wrap_log(ngx_pool_t *pool, ngx_log_t *log,
    ngx_http_anon_main_conf_t *amcf)
{
    ngx_pool_cleanup_t        *cln;
    ngx_http_anon_log_wrap_t  *wrap;

    for ( /* void */ ; log; log = log->next) {

        if (log->writer == ngx_http_anon_log_writer) {
            continue;
        }

        /*
         * The cleanup gives the log its own writer back when the
         * configuration goes away: the lines nginx writes while it frees
         * the pool must not reach this module once it is unloaded, and
         * the cleanup runs before the one unloading it.
         */

        cln = ngx_pool_cleanup_add(pool, sizeof(ngx_http_anon_log_wrap_t));
        if (cln == NULL) {
            return NGX_ERROR;
        }

        wrap = cln->data;

        wrap->writer = log->writer;
        wrap->wdata = log->wdata;
        wrap->amcf = amcf;
        wrap->log = log;

        cln->handler = ngx_http_anon_log_unwrap;

        log->writer = ngx_http_anon_log_writer;
        log->wdata = wrap;
    }

    return NGX_OK;
}


static void
ngx_http_anon_log_unwrap(void *data)
{
    ngx_http_anon_log_wrap_t  *wrap = data;

    wrap->log->writer = wrap->writer;

    /* a memory log's own cleanup may have cleared wdata already */

    if (wrap->log->wdata == wrap) {
        wrap->log->wdata = wrap->wdata;
    }
}


ngx_int_t
ngx_http_anon_init_module(ngx_cycle_t *cycle)
{
    ngx_uint_t                  i;
    ngx_listening_t            *ls;
    ngx_http_conf_ctx_t        *ctx;
    ngx_http_anon_main_conf_t  *amcf;

    ctx = (ngx_http_conf_ctx_t *) cycle->conf_ctx[ngx_http_module.index];

    if (ctx == NULL) {
        return NGX_OK;
    }

    amcf = ctx->main_conf[ngx_http_anon_module.ctx_index];

    /* the phase engine is built: our entries get our checkers */

    ngx_http_anon_init_phases(ctx->main_conf[ngx_http_core_module.ctx_index]);

    /* the configuration is complete: which of the variables are indexed */

    if (ngx_http_anon_init_flush(cycle, amcf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!amcf->error_log) {
        return NGX_OK;
    }

    /*
     * The main chain may have grown after the http block (a later
     * error_log, the default log); listening sockets copied their log
     * before modules were initialized, and connections copy theirs from
     * the listening socket, so TLS handshake errors and timeouts before
     * any request use the writer only once it is copied in again.
     */

    if (ngx_http_anon_wrap_log(cycle->pool, &cycle->new_log, amcf)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].logp) {
            ls[i].log.writer = ls[i].logp->writer;
            ls[i].log.wdata = ls[i].logp->wdata;
        }
    }

    return NGX_OK;
}


static void
ngx_http_anon_log_writer(ngx_log_t *log, ngx_uint_t level, u_char *buf,
    size_t len)
{
    u_char                    *p;
    size_t                     n, skip, found;
    ssize_t                    written;
    ngx_log_t                  orig;
    ngx_anon_bsn_t             bsn;
    ngx_http_anon_log_wrap_t  *wrap;
    u_char                     line[3 * NGX_MAX_ERROR_STR];
    u_char                     out[9 * NGX_MAX_ERROR_STR];

    wrap = log->wdata;

    if (wrap == NULL) {
        /* a memory log whose buffer is gone */
        return;
    }

    n = ngx_anon_scrub(NULL, buf, len, wrap->amcf->prefix4,
                       wrap->amcf->prefix6);

    if (n > sizeof(line)) {
        /* ngx_anon_scrub_max_size() fits; never write a line unscrubbed */
        return;
    }

    ngx_anon_scrub(line, buf, len, wrap->amcf->prefix4, wrap->amcf->prefix6);

    p = line;
    found = 0;

    if (wrap->amcf->bsn != NGX_ANON_BSN_OFF) {

        /* a pseudonym at most triples a line; fall back to the mask */

        if (ngx_http_anon_bsn_setup(wrap->amcf, wrap->amcf->bsn, &bsn)
            != NGX_OK)
        {
            bsn.mode = NGX_ANON_BSN_REDACT;
            bsn.pseudonym = NULL;
        }

        /* not in "2026/01/01 00:00:00 [error] pid#tid: *connection " */

        skip = ngx_http_anon_log_header(line, n);

        if (skip + ngx_anon_bsn_scrub(NULL, line + skip, n - skip, &bsn,
                                      &found)
            <= sizeof(out))
        {
            ngx_memcpy(out, line, skip);
            n = skip + ngx_anon_bsn_scrub(out + skip, line + skip, n - skip,
                                          &bsn, NULL);
            p = out;
        }

        if (found && p == line) {
            /* too long to replace them: never write them */
            return;
        }
    }

    if (wrap->writer) {
        orig = *log;
        orig.writer = wrap->writer;
        orig.wdata = wrap->wdata;

        wrap->writer(&orig, level, p, n);
        return;
    }

    if (ngx_time() == log->disk_full_time) {
        return;
    }

    written = ngx_write_fd(log->file->fd, p, n);

    if (written == -1 && ngx_errno == NGX_ENOSPC) {
        log->disk_full_time = ngx_time();
    }
}


static size_t
ngx_http_anon_log_header(u_char *line, size_t len)
{
    u_char  *p, *last;

    last = line + len;

    p = ngx_strlchr(line, last, ']');
    if (p == NULL) {
        return 0;
    }

    p = ngx_strlchr(p, last, ':');
    if (p == NULL || last - p < 2) {
        return 0;
    }

    p += 2;

    if (p < last && *p == '*') {
        do {
            p++;
        } while (p < last && *p >= '0' && *p <= '9');
    }

    return p - line;
}
