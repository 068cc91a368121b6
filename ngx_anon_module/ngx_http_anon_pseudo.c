
/*
 * Copyright (C) ngx_anon authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ngx_anon_bsn.h"
#include "ngx_anon_prf.h"
#include "ngx_http_anon_module.h"


#define NGX_HTTP_ANON_KEY_MIN  16            /* bytes in a key file */


/* the key of the current period, shared by the workers */

typedef struct {
    time_t                     period;
    u_char                     key[NGX_ANON_PRF_KEY_LEN];
} ngx_http_anon_key_shm_t;


static ngx_int_t ngx_http_anon_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_anon_address(ngx_http_request_t *r, u_char *a16);
static ngx_int_t ngx_http_anon_pseudonym_hex(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_uint_t visitor);
static void ngx_http_anon_bsn_pseudonym(void *data, const u_char *digits,
    u_char *out);


char *
ngx_http_anon_pseudonym_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_anon_main_conf_t *amcf = conf;

    u_char           *key;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t        *value, name;
    ngx_file_info_t   fi;

    if (amcf->key_file.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "auto") == 0) {
        ngx_str_set(&amcf->key_file, "auto");
        return NGX_CONF_OK;
    }

    name = value[1];

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* the key itself never appears in a message */

    fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", &name);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", &name);
        goto failed;
    }

    if (fi.st_mode & (S_IROTH|S_IWOTH)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "key file \"%V\" is accessible by others, "
                           "it must not be", &name);
        goto failed;
    }

    if (ngx_file_size(&fi) < NGX_HTTP_ANON_KEY_MIN
        || ngx_file_size(&fi) > 4096)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "key file \"%V\" must hold %d to 4096 bytes",
                           &name, NGX_HTTP_ANON_KEY_MIN);
        goto failed;
    }

    key = ngx_pnalloc(cf->pool, ngx_file_size(&fi));
    if (key == NULL) {
        goto failed;
    }

    n = ngx_read_fd(fd, key, ngx_file_size(&fi));

    if (n != (ssize_t) ngx_file_size(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%V\" failed", &name);
        goto failed;
    }

    ngx_close_file(fd);

    amcf->key_file = name;
    amcf->file_key.data = key;
    amcf->file_key.len = n;

    return NGX_CONF_OK;

failed:

    ngx_close_file(fd);

    return NGX_CONF_ERROR;
}


ngx_int_t
ngx_http_anon_init_pseudonyms(ngx_conf_t *cf,
    ngx_http_anon_main_conf_t *amcf)
{
    ngx_shm_zone_t  *shm_zone;

    static ngx_str_t  name = ngx_string("ngx_http_anon_pseudonym_key");

    if (amcf->rotate == NGX_CONF_UNSET) {
        amcf->rotate = 86400;
    }

    if (amcf->rotate == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"anon_pseudonym_rotate\" must be more than 0");
        return NGX_ERROR;
    }

    amcf->key_period = -1;

    if (amcf->file_key.data) {
        return NGX_OK;
    }

    /* an automatic key lives in shared memory, the same for all workers */

    shm_zone = ngx_shared_memory_add(cf, &name, 8 * ngx_pagesize,
                                     &ngx_http_anon_module);
    if (shm_zone == NULL) {
        return NGX_ERROR;
    }

    shm_zone->init = ngx_http_anon_init_zone;
    shm_zone->data = amcf;

    amcf->shm_zone = shm_zone;

    return NGX_OK;
}


static ngx_int_t
ngx_http_anon_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t          *shpool;
    ngx_http_anon_key_shm_t  *ks;

    /* a reload keeps the key of the running period */

    if (data) {
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    ks = ngx_slab_calloc(shpool, sizeof(ngx_http_anon_key_shm_t));
    if (ks == NULL) {
        return NGX_ERROR;
    }

    ks->period = -1;

    shm_zone->data = ks;

    return NGX_OK;
}


const ngx_anon_prf_key_t *
ngx_http_anon_period_prf(ngx_http_anon_main_conf_t *amcf)
{
    u_char                   *p;
    time_t                    now, period;
    ngx_time_t               *tp;
    ngx_slab_pool_t          *shpool;
    ngx_http_anon_key_shm_t  *ks;
    u_char                    msg[64], key[NGX_ANON_PRF_KEY_LEN];

    /*
     * Periods start at local wall-clock boundaries: midnight for 1d.  The
     * worker keeps the period's key as HMAC state, prepared once.
     */

    tp = ngx_timeofday();
    now = tp->sec + tp->gmtoff * 60;
    period = now / amcf->rotate;

    if (period == amcf->key_period) {
        return &amcf->prf;
    }

    if (amcf->file_key.data) {
        p = ngx_anon_prf_field(msg, "ngx_anon period", 15);
        p = ngx_sprintf(p, "%T", period);

        if (ngx_anon_prf(amcf->file_key.data, amcf->file_key.len, msg,
                         p - msg, key)
            != 0)
        {
            return NULL;
        }

    } else {
        shpool = (ngx_slab_pool_t *) amcf->shm_zone->shm.addr;
        ks = amcf->shm_zone->data;

        ngx_shmtx_lock(&shpool->mutex);

        if (ks->period != period) {

            /* the new key overwrites, and so wipes, the old one */

            if (RAND_bytes(ks->key, NGX_ANON_PRF_KEY_LEN) != 1) {
                ngx_shmtx_unlock(&shpool->mutex);
                return NULL;
            }

            ks->period = period;
        }

        ngx_memcpy(key, ks->key, NGX_ANON_PRF_KEY_LEN);

        ngx_shmtx_unlock(&shpool->mutex);
    }

    ngx_anon_prf_init(&amcf->prf, key, NGX_ANON_PRF_KEY_LEN);
    OPENSSL_cleanse(key, sizeof(key));

    amcf->key_period = period;

    return &amcf->prf;
}


ngx_int_t
ngx_http_anon_visitor_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    return ngx_http_anon_pseudonym_hex(r, v, 1);
}


ngx_int_t
ngx_http_anon_pseudonym_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    return ngx_http_anon_pseudonym_hex(r, v, 0);
}


static ngx_int_t
ngx_http_anon_pseudonym_hex(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_uint_t visitor)
{
    u_char                     *msg, *p;
    size_t                      len;
    ngx_str_t                   ua, site;
    const ngx_anon_prf_key_t   *prf;
    ngx_http_core_srv_conf_t   *cscf;
    ngx_http_anon_main_conf_t  *amcf;
    u_char                      a16[16];

    if (ngx_http_anon_address(r, a16) != NGX_OK) {
        v->not_found = 1;
        return NGX_OK;
    }

    /* the site separates domains: one visitor, other ids elsewhere */

    cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);
    site = cscf->server_name;

    ngx_str_null(&ua);

    if (visitor && r->headers_in.user_agent) {
        ua = r->headers_in.user_agent->value;
    }

    len = ngx_anon_prf_field_size(7) + ngx_anon_prf_field_size(site.len)
          + ngx_anon_prf_field_size(16) + ngx_anon_prf_field_size(ua.len);

    msg = ngx_pnalloc(r->pool, len);
    if (msg == NULL) {
        return NGX_ERROR;
    }

    p = ngx_anon_prf_field(msg, visitor ? "visitor" : "address", 7);
    p = ngx_anon_prf_field(p, site.data, site.len);
    p = ngx_anon_prf_field(p, a16, 16);

    if (visitor) {
        p = ngx_anon_prf_field(p, ua.data, ua.len);
    }

    v->data = ngx_pnalloc(r->pool, 16);
    if (v->data == NULL) {
        return NGX_ERROR;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_anon_module);

    prf = ngx_http_anon_period_prf(amcf);
    if (prf == NULL) {
        return NGX_ERROR;
    }

    ngx_anon_prf_mac_hex(prf, msg, p - msg, v->data, 8);

    v->len = 16;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_anon_address(ngx_http_request_t *r, u_char *a16)
{
    socklen_t             socklen;
    struct sockaddr      *sa;
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    /* the full address, IPv4 as IPv4-mapped: one client, one pseudonym */

    sa = ngx_http_anon_original_addr(r, &socklen);

    switch (sa->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) sa;
        ngx_memzero(a16, 10);
        a16[10] = 0xff;
        a16[11] = 0xff;
        ngx_memcpy(a16 + 12, &sin->sin_addr, 4);
        return NGX_OK;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) sa;
        ngx_memcpy(a16, sin6->sin6_addr.s6_addr, 16);
        return NGX_OK;
#endif

    default:
        return NGX_DECLINED;
    }
}


ngx_int_t
ngx_http_anon_bsn_setup(ngx_http_anon_main_conf_t *amcf, ngx_uint_t mode,
    ngx_anon_bsn_t *bsn)
{
    const ngx_anon_prf_key_t  *prf;

    bsn->mode = mode;
    bsn->pseudonym = NULL;
    bsn->data = NULL;

    if (mode != NGX_ANON_BSN_PSEUDONYMIZE) {
        return NGX_OK;
    }

    prf = ngx_http_anon_period_prf(amcf);
    if (prf == NULL) {
        return NGX_ERROR;
    }

    bsn->pseudonym = ngx_http_anon_bsn_pseudonym;
    bsn->data = (void *) prf;

    return NGX_OK;
}


static void
ngx_http_anon_bsn_pseudonym(void *data, const u_char *digits, u_char *out)
{
    u_char  *p;
    u_char   msg[16];

    p = ngx_anon_prf_field(msg, "bsn", 3);
    p = ngx_anon_prf_field(p, digits, 9);

    ngx_memcpy(out, "bsn-", 4);

    ngx_anon_prf_mac_hex(data, msg, p - msg, out + 4, 8);
}


ngx_int_t
ngx_http_anon_bsn_str(ngx_http_request_t *r, ngx_anon_bsn_t *bsn,
    ngx_str_t *s)
{
    u_char  *p;
    size_t   len, found;

    if (s->len == 0) {
        return NGX_OK;
    }

    len = ngx_anon_bsn_scrub(NULL, s->data, s->len, bsn, &found);

    if (found == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_anon_bsn_scrub(p, s->data, s->len, bsn, NULL);
    p[len] = '\0';

    s->data = p;
    s->len = len;

    return NGX_OK;
}


ngx_int_t
ngx_http_anon_bsn_request(ngx_http_request_t *r,
    ngx_http_anon_loc_conf_t *alcf)
{
    ngx_anon_bsn_t              bsn;
    ngx_http_anon_main_conf_t  *amcf;

    /*
     * The log phase: the request has been passed on unchanged, and what
     * is logged from now on has its BSNs replaced, in place.
     */

    if (alcf->bsn == NGX_ANON_BSN_OFF || r != r->main) {
        return NGX_OK;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_anon_module);

    if (ngx_http_anon_bsn_setup(amcf, alcf->bsn, &bsn) != NGX_OK
        || ngx_http_anon_bsn_str(r, &bsn, &r->request_line) != NGX_OK
        || ngx_http_anon_bsn_str(r, &bsn, &r->unparsed_uri) != NGX_OK
        || ngx_http_anon_bsn_str(r, &bsn, &r->args) != NGX_OK
        || ngx_http_anon_bsn_str(r, &bsn, &r->uri) != NGX_OK
        || (r->headers_in.referer
            && ngx_http_anon_bsn_str(r, &bsn, &r->headers_in.referer->value)
               != NGX_OK))
    {
        return NGX_ERROR;
    }

    ngx_http_anon_flush_variables(r, NGX_HTTP_ANON_FLUSH_TEXT);

    return NGX_OK;
}


ngx_int_t
ngx_http_anon_bsn_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                   s;
    ngx_anon_bsn_t              bsn;
    ngx_http_anon_loc_conf_t   *alcf;
    ngx_http_anon_main_conf_t  *amcf;

    /* $anon_request, $anon_request_uri, $anon_http_referer */

    switch (data) {

    case 0:
        s = r->main->request_line;
        break;

    case 1:
        s = r->main->unparsed_uri;
        break;

    default:
        if (r->headers_in.referer == NULL) {
            v->not_found = 1;
            return NGX_OK;
        }

        s = r->headers_in.referer->value;
        break;
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_anon_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_anon_module);

    if (ngx_http_anon_bsn_setup(amcf, alcf->bsn == NGX_ANON_BSN_OFF
                                      ? NGX_ANON_BSN_REDACT : alcf->bsn,
                                &bsn)
        != NGX_OK
        || ngx_http_anon_bsn_str(r, &bsn, &s) != NGX_OK)
    {
        return NGX_ERROR;
    }

    v->len = s.len;
    v->data = s.data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
