
/*
 * Copyright (C) ngx_anon authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_anon_scrub.h"
#include "ngx_http_anon_module.h"


/* a variable of another module whose value is scrubbed while truncated */

typedef struct {
    ngx_http_get_variable_pt   get_handler;
    uintptr_t                  data;
    ngx_uint_t                 xff;    /* $proxy_add_x_forwarded_for */
} ngx_http_anon_wrap_t;


static ngx_int_t ngx_http_anon_remote_addr_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_anon_xff_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_anon_wrapped_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_http_variable_t *ngx_http_anon_find_variable(ngx_conf_t *cf,
    ngx_str_t *name);


static ngx_http_variable_t  ngx_http_anon_vars[] = {

    { ngx_string("anon_remote_addr"), NULL,
      ngx_http_anon_remote_addr_variable, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("anon_piwik_args"), NULL,
      ngx_http_anon_piwik_variable, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("anon_visitor_id"), NULL,
      ngx_http_anon_visitor_id_variable, 0, 0, 0 },

    { ngx_string("anon_pseudonym"), NULL,
      ngx_http_anon_pseudonym_variable, 0, 0, 0 },

    { ngx_string("anon_request"), NULL,
      ngx_http_anon_bsn_variable, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("anon_request_uri"), NULL,
      ngx_http_anon_bsn_variable, 1, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("anon_http_referer"), NULL,
      ngx_http_anon_bsn_variable, 2, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


/* variables whose values carry the client address or the request */

static ngx_http_anon_flush_t  ngx_http_anon_flushed[] = {
    { ngx_string("remote_addr"), NGX_HTTP_ANON_FLUSH_ADDR },
    { ngx_string("binary_remote_addr"), NGX_HTTP_ANON_FLUSH_ADDR },
    { ngx_string("realip_remote_addr"), NGX_HTTP_ANON_FLUSH_ADDR },
    { ngx_string("proxy_protocol_addr"), NGX_HTTP_ANON_FLUSH_ADDR },
    { ngx_string("proxy_add_x_forwarded_for"), NGX_HTTP_ANON_FLUSH_ALL },
    { ngx_string("anon_remote_addr"), NGX_HTTP_ANON_FLUSH_ADDR },
    { ngx_string("request"), NGX_HTTP_ANON_FLUSH_TEXT },
    { ngx_string("request_uri"), NGX_HTTP_ANON_FLUSH_TEXT },
    { ngx_string("args"), NGX_HTTP_ANON_FLUSH_TEXT },
    { ngx_string("query_string"), NGX_HTTP_ANON_FLUSH_TEXT },
    { ngx_string("uri"), NGX_HTTP_ANON_FLUSH_TEXT },
    { ngx_string("document_uri"), NGX_HTTP_ANON_FLUSH_TEXT },
    { ngx_string("http_referer"), NGX_HTTP_ANON_FLUSH_TEXT },
    { ngx_null_string, 0 }
};


/* variables that carry addresses other than c->sockaddr's */

static ngx_str_t  ngx_http_anon_wrapped[] = {
    ngx_string("realip_remote_addr"),
    ngx_string("proxy_add_x_forwarded_for"),
    ngx_null_string
};


ngx_int_t
ngx_http_anon_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_anon_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_anon_init_variables(ngx_conf_t *cf, ngx_http_anon_main_conf_t *amcf)
{
    ngx_str_t              *name;
    ngx_http_variable_t    *v;
    ngx_http_anon_wrap_t   *w;
    ngx_http_anon_flush_t  *f;

    if (!amcf->enabled) {
        return NGX_OK;
    }

    for (f = ngx_http_anon_flushed; f->name.len; f++) {
        if (ngx_http_anon_flush_index(cf, amcf, &f->name, f->what) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    for (name = ngx_http_anon_wrapped; name->len; name++) {

        v = ngx_http_anon_find_variable(cf, name);

        if (v == NULL || v->get_handler == NULL
            || v->get_handler == ngx_http_anon_wrapped_variable
            || v->get_handler == ngx_http_anon_xff_variable)
        {
            continue;
        }

        w = ngx_palloc(cf->pool, sizeof(ngx_http_anon_wrap_t));
        if (w == NULL) {
            return NGX_ERROR;
        }

        w->get_handler = v->get_handler;
        w->data = v->data;
        w->xff = (name->data[0] == 'p');

        v->get_handler = w->xff ? ngx_http_anon_xff_variable
                                : ngx_http_anon_wrapped_variable;
        v->data = (uintptr_t) w;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_anon_flush_index(ngx_conf_t *cf, ngx_http_anon_main_conf_t *amcf,
    ngx_str_t *name, ngx_uint_t what)
{
    ngx_http_anon_flush_t  *f;

    /*
     * Only the name: the index is looked up once the configuration is
     * complete, as a variable nothing indexes is never cached.
     */

    f = ngx_array_push(&amcf->flush_names);
    if (f == NULL) {
        return NGX_ERROR;
    }

    f->name = *name;
    f->what = what;

    return NGX_OK;
}


ngx_int_t
ngx_http_anon_init_flush(ngx_cycle_t *cycle, ngx_http_anon_main_conf_t *amcf)
{
    ngx_int_t                  *ip;
    ngx_uint_t                  i, j, k, what;
    ngx_http_variable_t        *v;
    ngx_http_anon_flush_t      *f;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_core_module);

    v = cmcf->variables.elts;
    f = amcf->flush_names.elts;

    amcf->indexes[0].nelts = 0;
    amcf->indexes[1].nelts = 0;

    for (i = 0; i < cmcf->variables.nelts; i++) {

        what = 0;

        for (j = 0; j < amcf->flush_names.nelts; j++) {
            if (v[i].name.len == f[j].name.len
                && ngx_strncasecmp(v[i].name.data, f[j].name.data,
                                   f[j].name.len)
                   == 0)
            {
                what |= f[j].what;
            }
        }

        for (k = 0; k < 2; k++) {

            if (!(what & (1 << k))) {
                continue;
            }

            ip = ngx_array_push(&amcf->indexes[k]);
            if (ip == NULL) {
                return NGX_ERROR;
            }

            *ip = i;
        }
    }

    return NGX_OK;
}


void
ngx_http_anon_flush_variables(ngx_http_request_t *r, ngx_uint_t what)
{
    ngx_int_t                  *index;
    ngx_uint_t                  i, k;
    ngx_http_variable_value_t  *v;
    ngx_http_anon_main_conf_t  *amcf;

    /*
     * Values read before the change are cached in r->variables, which
     * subrequests share; the next reader computes them again.
     */

    amcf = ngx_http_get_module_main_conf(r, ngx_http_anon_module);

    for (k = 0; k < 2; k++) {

        if (!(what & (1 << k))) {
            continue;
        }

        index = amcf->indexes[k].elts;

        for (i = 0; i < amcf->indexes[k].nelts; i++) {
            v = &r->variables[index[i]];
            v->valid = 0;
            v->not_found = 0;
        }
    }
}


static ngx_int_t
ngx_http_anon_remote_addr_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                  text;
    ngx_http_anon_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_anon_module);

    switch (ngx_http_anon_truncated_text(r, alcf, &text)) {

    case NGX_OK:
        break;

    case NGX_DECLINED:
        text = r->connection->addr_text;
        break;

    default:
        return NGX_ERROR;
    }

    v->len = text.len;
    v->data = text.data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_anon_xff_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
#if (NGX_HTTP_X_FORWARDED_FOR)

    /* documented: without X-Forwarded-For, the same as $remote_addr */

#if (nginx_version < 1023000)
    if (r->headers_in.x_forwarded_for.nelts == 0) {
#else
    if (r->headers_in.x_forwarded_for == NULL) {
#endif
        v->len = r->connection->addr_text.len;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = r->connection->addr_text.data;

        return NGX_OK;
    }

#endif

    return ngx_http_anon_wrapped_variable(r, v, data);
}


static ngx_int_t
ngx_http_anon_wrapped_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_anon_wrap_t *w = (ngx_http_anon_wrap_t *) data;

    u_char                    *p;
    size_t                     len;
    ngx_http_anon_ctx_t       *ctx;
    ngx_http_anon_state_t     *st;
    ngx_http_anon_loc_conf_t  *alcf;

    if (w->get_handler(r, v, w->data) != NGX_OK) {
        return NGX_ERROR;
    }

    if (v->not_found || !v->valid) {
        return NGX_OK;
    }

    /* the connection's own, truncated, address: nothing else in it */

    if (v->data == r->connection->addr_text.data
        && v->len == r->connection->addr_text.len)
    {
        return NGX_OK;
    }

    st = ngx_http_anon_get_state(r);

    if (st == NULL || !st->active) {
        return NGX_OK;
    }

    /* X-Forwarded-For scrubbed already, and the address appended to it */

    if (w->xff) {
        ctx = ngx_http_get_module_ctx(r->main, ngx_http_anon_module);
        alcf = ngx_http_get_module_loc_conf(r, ngx_http_anon_module);

        if (ctx && (ctx->scrubbed & NGX_HTTP_ANON_SCRUB_HEADERS)
            && alcf->xff_listed)
        {
            return NGX_OK;
        }
    }

    p = ngx_pnalloc(r->pool, ngx_anon_scrub_max_size(v->len));
    if (p == NULL) {
        return NGX_ERROR;
    }

    len = ngx_anon_scrub(p, v->data, v->len, st->prefix4, st->prefix6);

    v->len = len;
    v->data = p;

    return NGX_OK;
}


static ngx_http_variable_t *
ngx_http_anon_find_variable(ngx_conf_t *cf, ngx_str_t *name)
{
    ngx_uint_t                  i;
    ngx_hash_key_t             *key;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    key = cmcf->variables_keys->keys.elts;

    for (i = 0; i < cmcf->variables_keys->keys.nelts; i++) {
        if (name->len == key[i].key.len
            && ngx_strncmp(name->data, key[i].key.data, name->len) == 0)
        {
            return key[i].value;
        }
    }

    return NULL;
}
