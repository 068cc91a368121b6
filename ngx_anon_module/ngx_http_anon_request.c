
/*
 * Copyright (C) ngx_anon authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_anon_args.h"
#include "ngx_anon_json.h"
#include "ngx_anon_scrub.h"
#include "ngx_http_anon_module.h"


static ngx_int_t ngx_http_anon_scrub_headers(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf, ngx_http_anon_ctx_t *ctx,
    ngx_uint_t *changed);
static ngx_int_t ngx_http_anon_scrub_query(ngx_http_request_t *r,
    ngx_str_t *s, size_t start, size_t end, ngx_http_anon_loc_conf_t *alcf,
    ngx_str_t *orig, ngx_uint_t *changed);
static ngx_int_t ngx_http_anon_scrub_args(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf, ngx_uint_t *changed);
static size_t ngx_http_anon_uri_offset(ngx_http_request_t *r);
static ngx_uint_t ngx_http_anon_body_type(ngx_http_request_t *r);
static void ngx_http_anon_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_anon_scrub_body(ngx_http_request_t *r);
static ngx_array_t *ngx_http_anon_name_list(ngx_conf_t *cf,
    ngx_str_t *names, ngx_uint_t n, ngx_str_t *prefix);


#define NGX_HTTP_ANON_BODY_FORM  1
#define NGX_HTTP_ANON_BODY_JSON  2

/* queries scrubbed on the stack: up to about 200 bytes */
#define NGX_HTTP_ANON_ARGS_STACK   2048

/* ngx_http_anon_uri_offset(): the request line does not show the URI */
#define NGX_HTTP_ANON_NO_OFFSET    ((size_t) -1)


static ngx_str_t  ngx_http_anon_default_headers[] = {
    ngx_string("x-forwarded-for"),
    ngx_string("x-real-ip"),
    ngx_string("forwarded"),
    ngx_string("true-client-ip"),
    ngx_string("cf-connecting-ip"),
    ngx_string("x-client-ip"),
    ngx_null_string
};


static ngx_str_t  ngx_http_anon_default_args[] = {
    ngx_string("cip"),
    ngx_null_string
};


/* variables that show the request line or the arguments */

static ngx_str_t  ngx_http_anon_args_variables[] = {
    ngx_string("args"),
    ngx_string("query_string"),
    ngx_string("request_uri"),
    ngx_string("request"),
    ngx_null_string
};


ngx_int_t
ngx_http_anon_scrub_lists(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf, ngx_http_anon_ctx_t *ctx,
    ngx_uint_t what)
{
    ngx_uint_t  changed;

    /* see ngx_http_anon_scrub_request(); r is the main request */

    changed = 0;

    if ((what & NGX_HTTP_ANON_SCRUB_HEADERS)
        && ngx_http_anon_scrub_headers(r, alcf, ctx, &changed) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if ((what & NGX_HTTP_ANON_SCRUB_ARGS)
        && ngx_http_anon_scrub_args(r, alcf, &changed) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->scrubbed |= what;

    if (changed) {
        ngx_http_anon_flush_variables(r, NGX_HTTP_ANON_FLUSH_TEXT);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_anon_scrub_headers(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf, ngx_http_anon_ctx_t *ctx,
    ngx_uint_t *changed)
{
    u_char                 *p;
    size_t                  len, n;
    uint64_t                mask;
    ngx_str_t              *name, real;
    ngx_uint_t              i, j, key, same, nnames, *hashes;
    ngx_list_part_t        *part;
    ngx_table_elt_t        *h;
    ngx_http_anon_state_t  *st;

    name = alcf->headers->elts;
    nnames = alcf->headers->nelts;
    hashes = alcf->header_hashes;
    mask = alcf->header_mask;

    /*
     * The client's IPv4 address as realip took it from a header
     * (X-Real-IP): the swap has its truncated text already, which is the
     * text the scrubber makes of a dotted quad, ngx_anon_addr_format4() of
     * the address under the same mask.
     */

    st = ctx->state;

    if (st && st->active && st->prefix4 == alcf->prefix4
        && st->sockaddr->sa_family == AF_INET)
    {
        real = st->addr_text;

    } else {
        st = NULL;
        real.len = 0;
        real.data = NULL;
    }

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        key = hashes ? h[i].hash : h[i].key.len;

        if (!(mask & ((uint64_t) 1 << (key & 63)))) {
            continue;
        }

        for (j = 0; j < nnames; j++) {
            if (h[i].key.len == name[j].len
                && (hashes == NULL || hashes[j] == key)
                && ngx_memcmp(h[i].lowcase_key, name[j].data, name[j].len)
                   == 0)
            {
                break;
            }
        }

        if (j == nnames) {
            continue;
        }

        len = h[i].value.len;

        same = (len == real.len && len
                && ngx_memcmp(h[i].value.data, real.data, len) == 0);

        p = ngx_pnalloc(r->pool, (same ? st->anon_len
                                       : ngx_anon_scrub_max_size(len)) + 1);
        if (p == NULL) {
            h[i].value.len = 0;
            return NGX_ERROR;
        }

        if (same) {
            n = st->anon_len;
            ngx_memcpy(p, st->anon_text, n);

        } else {
            n = ngx_anon_scrub(p, h[i].value.data, len, alcf->prefix4,
                               alcf->prefix6);
        }

        if (n == len && ngx_memcmp(p, h[i].value.data, len) == 0) {
            continue;
        }

        p[n] = '\0';

        *changed = 1;

        /*
         * Only the value changes: the X-Forwarded-For array and x_real_ip
         * point to the same element, and upstream modules copy it.
         */

        h[i].value.len = n;
        h[i].value.data = p;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_anon_scrub_args(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf, ngx_uint_t *changed)
{
    u_char     *q, *sp, *last, *data;
    size_t      off, start, end, len;
    ngx_str_t   orig, *line, *uri;

    orig = r->args;
    uri = &r->unparsed_uri;
    line = &r->request_line;

    /* where the request line has the URI, found before either changes */

    off = ngx_http_anon_uri_offset(r);

    q = (uri->len == 0) ? NULL : memchr(uri->data, '?', uri->len);

    if (q && off != NGX_HTTP_ANON_NO_OFFSET && orig.data == q + 1
        && orig.len == (size_t) (uri->data + uri->len - orig.data))
    {
        /*
         * The arguments are the query of the URI as sent, which the
         * request line shows (HTTP/1.x), or a copy of it (HTTP/2): the
         * line is scrubbed once, and the URI and the arguments are its
         * bytes then.
         */

        data = line->data;
        len = line->len;
        start = off + (orig.data - uri->data);

        if (ngx_http_anon_scrub_query(r, line, start, start + orig.len, alcf,
                                      NULL, changed)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (line->data != data) {
            uri->data = line->data + off;
            uri->len = uri->len + line->len - len;
            r->args.data = line->data + start;
            r->args.len = orig.len + line->len - len;
        }

        return NGX_OK;
    }

    if (ngx_http_anon_scrub_query(r, &r->args, 0, r->args.len, alcf, NULL,
                                  changed)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /*
     * What the client sent: $request_uri, $request, the error log, where
     * the arguments are not its query as it is (a rewrite changed them,
     * or the line does not show the URI): scrubbed on their own.
     */

    if (q == NULL) {
        if (off != NGX_HTTP_ANON_NO_OFFSET) {
            return NGX_OK;
        }

        goto line;
    }

    start = q + 1 - uri->data;
    end = uri->len;

    if (off != NGX_HTTP_ANON_NO_OFFSET) {

        /* the line first; the URI is then the same bytes in its copy */

        data = line->data;
        len = line->len;

        if (ngx_http_anon_scrub_query(r, line, off + start, off + end, alcf,
                                      &orig, changed)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        if (line->data != data) {
            uri->data = line->data + off;
            uri->len = uri->len + line->len - len;
        }

        return NGX_OK;
    }

    if (ngx_http_anon_scrub_query(r, uri, start, end, alcf, &orig, changed)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

line:

    /*
     * A line where the URI was not found as it is: the query runs from the
     * first "?" to the protocol, or to the first space without one.
     */

    last = line->data + line->len;

    q = (line->len == 0) ? NULL : memchr(line->data, '?', line->len);

    if (q == NULL) {
        return NGX_OK;
    }

    if (r->http_protocol.len
        && (size_t) (last - q) > r->http_protocol.len
        && last[-(ssize_t) r->http_protocol.len - 1] == ' '
        && ngx_memcmp(last - r->http_protocol.len, r->http_protocol.data,
                      r->http_protocol.len)
           == 0)
    {
        sp = last - r->http_protocol.len - 1;

    } else {
        sp = ngx_strlchr(q, last, ' ');

        if (sp == NULL) {
            sp = last;
        }
    }

    return ngx_http_anon_scrub_query(r, line, q + 1 - line->data,
                                     sp - line->data, alcf, &orig, changed);
}


static size_t
ngx_http_anon_uri_offset(ngx_http_request_t *r)
{
    size_t      off;
    ngx_str_t  *line, *uri;

    line = &r->request_line;
    uri = &r->unparsed_uri;

    /* HTTP/1.x: the URI as it was sent, in the request line's buffer */

    if (uri->data >= line->data
        && uri->data + uri->len <= line->data + line->len)
    {
        return uri->data - line->data;
    }

    /*
     * HTTP/2 builds the line: the method, a space, the URI and a space;
     * so does a line scrubbed before an internal redirect.
     */

    off = r->method_name.len + 1;

    if (line->len >= off + uri->len
        && (line->len == off + uri->len || line->data[off + uri->len] == ' ')
        && ngx_memcmp(line->data + off, uri->data, uri->len) == 0)
    {
        return off;
    }

    return NGX_HTTP_ANON_NO_OFFSET;
}


static ngx_int_t
ngx_http_anon_scrub_query(ngx_http_request_t *r, ngx_str_t *s,
    size_t start, size_t end, ngx_http_anon_loc_conf_t *alcf,
    ngx_str_t *orig, ngx_uint_t *changed)
{
    u_char                     *dst, *work, *out;
    size_t                      len, n;
    ngx_anon_bsn_t              bsn;
    ngx_http_anon_main_conf_t  *amcf;
    u_char                      buf[NGX_HTTP_ANON_ARGS_STACK];

    len = end - start;

    if (len == 0) {
        return NGX_OK;
    }

    /* the same bytes as the arguments "orig" were: their scrubbed text */

    if (orig && orig->len == len
        && ngx_memcmp(orig->data, s->data + start, len) == 0)
    {
        if (orig->data == r->args.data) {
            /* nothing was changed in them */
            return NGX_OK;
        }

        n = r->args.len;
        dst = ngx_pnalloc(r->pool, start + n + s->len - end);
        if (dst == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(dst, s->data, start);
        ngx_memcpy(dst + start, r->args.data, n);
        goto done;
    }

    if (alcf->bsn == NGX_ANON_BSN_OFF) {

        /*
         * Addresses only: in one pass, on the stack for a query of the
         * usual size, and copied out if that changed it; a long query is
         * tested first, before its buffers are taken from the pool.
         */

        n = ngx_anon_args_dst_size(len);
        out = buf;

        if (n + ngx_anon_args_work_size(len) > sizeof(buf)) {

            if (!ngx_anon_args_match(s->data + start, len, alcf->args->elts,
                                     alcf->args->nelts))
            {
                return NGX_OK;
            }

            out = ngx_pnalloc(r->pool, n + ngx_anon_args_work_size(len));
            if (out == NULL) {
                return NGX_ERROR;
            }
        }

        n = ngx_anon_args_scrub(out, s->data + start, len, alcf->args->elts,
                                alcf->args->nelts, alcf->prefix4,
                                alcf->prefix6, out + n);
        if (n == 0) {
            return NGX_OK;
        }

        dst = ngx_pnalloc(r->pool, start + n + s->len - end);
        if (dst == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(dst, s->data, start);
        ngx_memcpy(dst + start, out, n);
        goto done;
    }

    if (!ngx_anon_args_match(s->data + start, len, alcf->args->elts,
                             alcf->args->nelts))
    {
        return NGX_OK;
    }

    /* BSNs in tracking arguments too: url, urlref, when they are named */

    amcf = ngx_http_get_module_main_conf(r, ngx_http_anon_module);

    if (ngx_http_anon_bsn_setup(amcf, alcf->bsn, &bsn) != NGX_OK) {
        return NGX_ERROR;
    }

    work = ngx_pnalloc(r->pool, ngx_anon_args_bsn_work_size(len));
    dst = ngx_pnalloc(r->pool,
                      start + ngx_anon_args_bsn_dst_size(len) + s->len - end);

    if (work == NULL || dst == NULL) {
        return NGX_ERROR;
    }

    /* with "anon off", anon_bsn alone: the addresses stay */

    n = ngx_anon_args_scrub_bsn(dst + start, s->data + start, len,
                                alcf->args->elts, alcf->args->nelts,
                                alcf->mode != NGX_HTTP_ANON_OFF,
                                alcf->prefix4, alcf->prefix6, &bsn, work);

    if (n == 0) {
        return NGX_OK;
    }

    ngx_memcpy(dst, s->data, start);

done:

    ngx_memcpy(dst + start + n, s->data + end, s->len - end);

    s->len = start + n + s->len - end;
    s->data = dst;

    *changed = 1;

    return NGX_OK;
}


ngx_int_t
ngx_http_anon_scrub_raw_line(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf)
{
    u_char      *p, *q, *end, *last;
    size_t       n;
    ngx_str_t    line;
    ngx_uint_t   changed;

    /*
     * A request line that did not parse (400): $request shows it as it
     * came, up to the end of the line, and the arguments were never split
     * off.  Its query is scrubbed as arguments are, and every address
     * literal left in it is truncated.
     */

    last = r->header_in->last;

    for (p = r->request_start; p < last; p++) {
        if (*p == CR || *p == LF) {
            break;
        }
    }

    line.data = r->request_start;
    line.len = p - r->request_start;

    q = (line.len == 0) ? NULL : memchr(line.data, '?', line.len);

    if (q && alcf->args) {

        /* the query ends where the protocol starts, if it is there */

        for (end = line.data + line.len; end > q + 1; end--) {
            if (end[-1] == ' ') {
                break;
            }
        }

        if (end == q + 1 || line.data + line.len - end < 5
            || ngx_strncmp(end, "HTTP/", 5) != 0)
        {
            end = line.data + line.len;

        } else {
            end--;
        }

        changed = 0;

        if (ngx_http_anon_scrub_query(r, &line, q + 1 - line.data,
                                      end - line.data, alcf, NULL, &changed)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    p = ngx_pnalloc(r->pool, ngx_anon_scrub_max_size(line.len));
    if (p == NULL) {
        return NGX_ERROR;
    }

    n = ngx_anon_scrub(p, line.data, line.len, alcf->prefix4, alcf->prefix6);

    r->request_line.data = p;
    r->request_line.len = n;

    ngx_http_anon_flush_variables(r, NGX_HTTP_ANON_FLUSH_TEXT);

    return NGX_OK;
}


ngx_int_t
ngx_http_anon_read_body(ngx_http_request_t *r, ngx_http_anon_loc_conf_t *alcf)
{
    ngx_int_t             rc;
    ngx_http_anon_ctx_t  *ctx;

    /*
     * A tracking request sent as POST carries its arguments in the body:
     * read it before the content handler, scrub it, and go on with the
     * phases, as mirror does with its request body.
     */

    if (r != r->main || alcf->args == NULL
        || (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked)
        || ngx_http_anon_body_type(r) == 0)
    {
        return NGX_DECLINED;
    }

    ctx = ngx_http_anon_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->scrubbed & NGX_HTTP_ANON_SCRUB_BODY) {
        return NGX_DECLINED;
    }

    ctx->scrubbed |= NGX_HTTP_ANON_SCRUB_BODY;

    rc = ngx_http_read_client_request_body(r, ngx_http_anon_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    ngx_http_finalize_request(r, NGX_DONE);

    return NGX_DONE;
}


static ngx_uint_t
ngx_http_anon_body_type(ngx_http_request_t *r)
{
    ngx_str_t  *type;

    static ngx_str_t  form = ngx_string("application/x-www-form-urlencoded");
    static ngx_str_t  json = ngx_string("application/json");
    static ngx_str_t  text = ngx_string("text/plain");

    if (r->headers_in.content_type == NULL) {
        return 0;
    }

    type = &r->headers_in.content_type->value;

    if (type->len >= form.len
        && ngx_strncasecmp(type->data, form.data, form.len) == 0)
    {
        return NGX_HTTP_ANON_BODY_FORM;
    }

    /* Matomo's bulk tracking; its JavaScript tracker may send text/plain */

    if ((type->len >= json.len
         && ngx_strncasecmp(type->data, json.data, json.len) == 0)
        || (type->len >= text.len
            && ngx_strncasecmp(type->data, text.data, text.len) == 0))
    {
        return NGX_HTTP_ANON_BODY_JSON;
    }

    return 0;
}


static void
ngx_http_anon_body_handler(ngx_http_request_t *r)
{
    if (ngx_http_anon_scrub_body(r) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->preserve_body = 1;

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


static ngx_int_t
ngx_http_anon_scrub_body(ngx_http_request_t *r)
{
    u_char                     *data, *dst, *work, *p;
    off_t                       size;
    size_t                      len, n;
    ssize_t                     rd;
    ngx_buf_t                  *b;
    ngx_uint_t                  type;
    ngx_chain_t                *cl;
    ngx_anon_bsn_t              bsn;
    ngx_http_request_body_t    *rb;
    ngx_http_anon_loc_conf_t   *alcf;
    ngx_http_anon_main_conf_t  *amcf;

    rb = r->request_body;

    if (rb == NULL || rb->bufs == NULL) {
        return NGX_OK;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_anon_module);
    type = ngx_http_anon_body_type(r);

    size = 0;

    for (cl = rb->bufs; cl; cl = cl->next) {
        size += ngx_buf_size(cl->buf);
    }

    if (size == 0) {
        return NGX_OK;
    }

    len = (size_t) size;

    data = ngx_pnalloc(r->pool, len);
    if (data == NULL) {
        return NGX_ERROR;
    }

    p = data;

    for (cl = rb->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        rd = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                           b->file_pos);

        if (rd != b->file_last - b->file_pos) {
            return NGX_ERROR;
        }

        p += rd;
    }

    if (type == NGX_HTTP_ANON_BODY_FORM) {
        work = ngx_pnalloc(r->pool, ngx_anon_args_bsn_work_size(len));
        dst = ngx_pnalloc(r->pool, ngx_anon_args_bsn_dst_size(len));

        if (work == NULL || dst == NULL) {
            return NGX_ERROR;
        }

        amcf = ngx_http_get_module_main_conf(r, ngx_http_anon_module);

        if (ngx_http_anon_bsn_setup(amcf, alcf->bsn, &bsn) != NGX_OK) {
            return NGX_ERROR;
        }

        n = ngx_anon_args_scrub_bsn(dst, data, len, alcf->args->elts,
                                    alcf->args->nelts,
                                    alcf->mode != NGX_HTTP_ANON_OFF,
                                    alcf->prefix4, alcf->prefix6, &bsn,
                                    work);

    } else {
        work = ngx_pnalloc(r->pool, ngx_anon_json_work_size(len));
        dst = ngx_pnalloc(r->pool, ngx_anon_json_dst_size(len));

        if (work == NULL || dst == NULL) {
            return NGX_ERROR;
        }

        n = ngx_anon_json_scrub(dst, data, len, alcf->args->elts,
                                alcf->args->nelts, alcf->prefix4,
                                alcf->prefix6, work);
    }

    if (n == 0) {
        return NGX_OK;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = dst;
    b->last = dst + n;
    b->start = dst;
    b->end = dst + n;
    b->temporary = 1;
    b->last_buf = 1;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    rb->bufs = cl;

    /* the body proxied upstream is sent with its new length */

    r->headers_in.content_length_n = n;

    if (r->headers_in.content_length) {
        p = ngx_pnalloc(r->pool, NGX_OFF_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        r->headers_in.content_length->value.len = ngx_sprintf(p, "%O",
                                                    (off_t) n) - p;
        r->headers_in.content_length->value.data = p;
    }

    return NGX_OK;
}


char *
ngx_http_anon_names(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t     *value;
    ngx_array_t  **a;

    a = (ngx_array_t **) (p + cmd->offset);

    if (*a != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        *a = NULL;
        return NGX_CONF_OK;
    }

    *a = ngx_http_anon_name_list(cf, &value[1], cf->args->nelts - 1,
                                 cmd->post);
    if (*a == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_anon_init_names(ngx_conf_t *cf, ngx_http_anon_main_conf_t *amcf)
{
    ngx_str_t  *name;

    for (name = ngx_http_anon_args_variables; name->len; name++) {
        if (ngx_http_anon_flush_index(cf, amcf, name,
                                      NGX_HTTP_ANON_FLUSH_TEXT)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


ngx_array_t *
ngx_http_anon_default_names(ngx_conf_t *cf, ngx_uint_t args)
{
    ngx_str_t   *name;
    ngx_uint_t   n;

    static ngx_str_t  http = ngx_string("http_");
    static ngx_str_t  arg = ngx_string("arg_");

    name = args ? ngx_http_anon_default_args : ngx_http_anon_default_headers;

    for (n = 0; name[n].len; n++) { /* void */ }

    return ngx_http_anon_name_list(cf, name, n, args ? &arg : &http);
}


static ngx_array_t *
ngx_http_anon_name_list(ngx_conf_t *cf, ngx_str_t *names, ngx_uint_t n,
    ngx_str_t *prefix)
{
    u_char                     *p;
    ngx_str_t                  *s, var;
    ngx_uint_t                  i, j, args;
    ngx_array_t                *a;
    ngx_anon_name_t            *an;
    ngx_http_anon_main_conf_t  *amcf;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_anon_module);

    args = (prefix->data[0] == 'a');

    a = ngx_array_create(cf->pool, n, args ? sizeof(ngx_anon_name_t)
                                           : sizeof(ngx_str_t));
    if (a == NULL) {
        return NULL;
    }

    for (i = 0; i < n; i++) {

        for (j = 0; j < names[i].len; j++) {
            if (names[i].data[j] <= ' ' || names[i].data[j] >= 0x7f
                || ngx_strchr("\"(),/:;<=>?@[\\]{}&%+", names[i].data[j]))
            {
                break;
            }
        }

        if (names[i].len == 0 || j < names[i].len
            || ngx_strcmp(names[i].data, "off") == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid name \"%V\"", &names[i]);
            return NULL;
        }

        /* the $http_ or $arg_ variable of the name, to flush its value */

        var.len = prefix->len + names[i].len;
        var.data = ngx_pnalloc(cf->pool, var.len);
        if (var.data == NULL) {
            return NULL;
        }

        p = ngx_cpymem(var.data, prefix->data, prefix->len);

        for (j = 0; j < names[i].len; j++) {
            p[j] = ngx_tolower(names[i].data[j]);

            if (!args && p[j] == '-') {
                p[j] = '_';
            }
        }

        if (ngx_http_anon_flush_index(cf, amcf, &var,
                                      NGX_HTTP_ANON_FLUSH_TEXT)
            != NGX_OK)
        {
            return NULL;
        }

        if (args) {
            an = ngx_array_push(a);
            if (an == NULL) {
                return NULL;
            }

            an->data = names[i].data;
            an->len = names[i].len;
            continue;
        }

        s = ngx_array_push(a);
        if (s == NULL) {
            return NULL;
        }

        s->len = names[i].len;
        s->data = ngx_pnalloc(cf->pool, s->len);
        if (s->data == NULL) {
            return NULL;
        }

        ngx_strlow(s->data, names[i].data, s->len);
    }

    return a;
}
