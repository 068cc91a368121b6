
/*
 * Copyright (C) ngx_anon authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_anon_addr.h"
#include "ngx_anon_args.h"
#include "ngx_http_anon_module.h"


#define NGX_HTTP_ANON_PIWIK_FIELDS  24


/* one name=value pair of a Matomo Tracking HTTP API request */

typedef struct {
    ngx_str_t                  name;
    ngx_str_t                  value;
} ngx_http_anon_piwik_field_t;


typedef struct {
    ngx_uint_t                 n;
    ngx_http_anon_piwik_field_t  fields[NGX_HTTP_ANON_PIWIK_FIELDS];
} ngx_http_anon_piwik_t;


static void ngx_http_anon_piwik_add(ngx_http_anon_piwik_t *pw, char *name,
    u_char *data, size_t len);
static ngx_int_t ngx_http_anon_piwik_url(ngx_http_request_t *r,
    ngx_str_t *url);
static ngx_int_t ngx_http_anon_piwik_cip(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf, ngx_str_t *cip);


/* the fields of anon_geoip2's answer, NGX_HTTP_ANON_GEO_* */

static char  *ngx_http_anon_piwik_geo[] = {
    "country", "region", "city", "lat", "long"
};


ngx_int_t
ngx_http_anon_piwik_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                     *p, *num;
    size_t                      len;
    ngx_int_t                   rc;
    ngx_str_t                   url, cip, ref;
    ngx_uint_t                  i;
    ngx_anon_bsn_t              bsn;
    ngx_table_elt_t            *h;
    ngx_http_request_t         *mr;
    ngx_http_anon_piwik_t       pw;
    ngx_http_anon_loc_conf_t   *alcf;
    ngx_http_variable_value_t   vid;
    ngx_http_anon_main_conf_t  *amcf;
    ngx_str_t                   place[NGX_HTTP_ANON_GEO_FIELDS];

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_anon_module);

    if (alcf->piwik_site == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    /* a mirror subrequest reports the page view of its main request */

    mr = r->main;

    num = ngx_pnalloc(r->pool, 4 * NGX_INT_T_LEN);
    if (num == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_anon_piwik_url(mr, &url) != NGX_OK
        || ngx_http_anon_piwik_cip(r, alcf, &cip) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_str_null(&ref);

    if (mr->headers_in.referer) {
        ref = mr->headers_in.referer->value;
    }

    /* no BSN reaches the analytics: redacted unless pseudonymized */

    amcf = ngx_http_get_module_main_conf(r, ngx_http_anon_module);

    if (ngx_http_anon_bsn_setup(amcf, alcf->bsn == NGX_ANON_BSN_OFF
                                      ? NGX_ANON_BSN_REDACT : alcf->bsn,
                                &bsn)
        != NGX_OK
        || ngx_http_anon_bsn_str(r, &bsn, &url) != NGX_OK
        || ngx_http_anon_bsn_str(r, &bsn, &ref) != NGX_OK)
    {
        return NGX_ERROR;
    }

    pw.n = 0;

    p = ngx_sprintf(num, "%ui", alcf->piwik_site);
    ngx_http_anon_piwik_add(&pw, "idsite", num, p - num);
    ngx_http_anon_piwik_add(&pw, "rec", (u_char *) "1", 1);
    ngx_http_anon_piwik_add(&pw, "apiv", (u_char *) "1", 1);
    ngx_http_anon_piwik_add(&pw, "url", url.data, url.len);

    if (ref.len) {
        ngx_http_anon_piwik_add(&pw, "urlref", ref.data, ref.len);
    }

    h = mr->headers_in.user_agent;
    if (h) {
        ngx_http_anon_piwik_add(&pw, "ua", h->value.data, h->value.len);
    }

#if (NGX_HTTP_HEADERS)
    h = mr->headers_in.accept_language;
    if (h) {
        ngx_http_anon_piwik_add(&pw, "lang", h->value.data, h->value.len);
    }
#endif

    ngx_http_anon_piwik_add(&pw, "cip", cip.data, cip.len);

    /* the original address's place, so that Matomo needs no address */

    rc = ngx_http_anon_geo_place(r, place);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_OK) {
        ngx_strlow(place[NGX_HTTP_ANON_GEO_COUNTRY].data,
                   place[NGX_HTTP_ANON_GEO_COUNTRY].data,
                   place[NGX_HTTP_ANON_GEO_COUNTRY].len);

        for (i = 0; i < NGX_HTTP_ANON_GEO_FIELDS; i++) {
            if (place[i].len) {
                ngx_http_anon_piwik_add(&pw, ngx_http_anon_piwik_geo[i],
                                        place[i].data, place[i].len);
            }
        }
    }

    /* a keyed visitor id: unique visitors without an address */

    if (ngx_http_anon_visitor_id_variable(r, &vid, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!vid.not_found) {
        ngx_http_anon_piwik_add(&pw, "_id", vid.data, vid.len);

        if (alcf->piwik_token.len) {
            ngx_http_anon_piwik_add(&pw, "cid", vid.data, vid.len);
        }
    }

    num = p;
    p = ngx_sprintf(num, "%T", ngx_time());
    ngx_http_anon_piwik_add(&pw, "cdt", num, p - num);

    ngx_http_anon_piwik_add(&pw, "send_image", (u_char *) "0", 1);

    /* in hex: a random decimal number may pass for a BSN */

    num = p;
    p = ngx_sprintf(num, "%08xi%08xi", (ngx_uint_t) ngx_random(),
                    (ngx_uint_t) ngx_random());
    ngx_http_anon_piwik_add(&pw, "rand", num, p - num);

    if (alcf->piwik_token.len) {
        ngx_http_anon_piwik_add(&pw, "token_auth", alcf->piwik_token.data,
                                alcf->piwik_token.len);
    }

    /* room for every byte escaped: the values are not walked twice */

    len = 0;

    for (i = 0; i < pw.n; i++) {
        len += pw.fields[i].name.len + 2 + 3 * pw.fields[i].value.len;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->data = p;

    for (i = 0; i < pw.n; i++) {
        if (i) {
            *p++ = '&';
        }

        p = ngx_cpymem(p, pw.fields[i].name.data, pw.fields[i].name.len);
        *p++ = '=';
        p += ngx_anon_args_encode(p, pw.fields[i].value.data,
                                  pw.fields[i].value.len);
    }

    v->len = p - v->data;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


static void
ngx_http_anon_piwik_add(ngx_http_anon_piwik_t *pw, char *name, u_char *data,
    size_t len)
{
    ngx_http_anon_piwik_field_t  *f;

    if (pw->n == NGX_HTTP_ANON_PIWIK_FIELDS) {
        return;
    }

    f = &pw->fields[pw->n++];

    f->name.len = ngx_strlen(name);
    f->name.data = (u_char *) name;
    f->value.len = len;
    f->value.data = data;
}


static ngx_int_t
ngx_http_anon_piwik_url(ngx_http_request_t *r, ngx_str_t *url)
{
    u_char                    *p;
    ngx_str_t                  scheme, host;
    ngx_http_core_srv_conf_t  *cscf;

    ngx_str_set(&scheme, "http://");

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        ngx_str_set(&scheme, "https://");
    }
#endif

    host = r->headers_in.server;

    if (host.len == 0) {
        cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);
        host = cscf->server_name;
    }

    /* the URI as the client sent it, with anon_args already applied */

    url->len = scheme.len + host.len + r->unparsed_uri.len;

    url->data = ngx_pnalloc(r->pool, url->len);
    if (url->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(url->data, scheme.data, scheme.len);
    p = ngx_cpymem(p, host.data, host.len);
    ngx_memcpy(p, r->unparsed_uri.data, r->unparsed_uri.len);

    return NGX_OK;
}


static ngx_int_t
ngx_http_anon_piwik_cip(ngx_http_request_t *r, ngx_http_anon_loc_conf_t *alcf,
    ngx_str_t *cip)
{
    switch (ngx_http_anon_truncated_text(r, alcf, cip)) {

    case NGX_OK:
        return NGX_OK;

    case NGX_DECLINED:
        /* a UNIX-domain client has no address to report */
        ngx_str_null(cip);
        return NGX_OK;

    default:
        return NGX_ERROR;
    }
}


char *
ngx_http_anon_piwik_site(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_anon_loc_conf_t *alcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (alcf->piwik_site != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        alcf->piwik_site = 0;
        return NGX_CONF_OK;
    }

    n = ngx_atoi(value[1].data, value[1].len);

    if (n == NGX_ERROR || n == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid site id \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    alcf->piwik_site = n;

    return NGX_CONF_OK;
}


char *
ngx_http_anon_piwik_token(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_anon_loc_conf_t *alcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i;

    if (alcf->piwik_token.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 0; i < value[1].len; i++) {
        if (!((value[1].data[i] >= '0' && value[1].data[i] <= '9')
              || (value[1].data[i] >= 'a' && value[1].data[i] <= 'z')
              || (value[1].data[i] >= 'A' && value[1].data[i] <= 'Z')))
        {
            break;
        }
    }

    /* the token itself is never repeated in a message */

    if (value[1].len == 0 || i < value[1].len) {
        return "has an invalid token, it must be letters and digits";
    }

    alcf->piwik_token = value[1];

    return NGX_CONF_OK;
}
