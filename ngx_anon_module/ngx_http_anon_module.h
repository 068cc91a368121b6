
/*
 * Copyright (C) ngx_anon authors
 */


#ifndef _NGX_HTTP_ANON_MODULE_H_INCLUDED_
#define _NGX_HTTP_ANON_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


#define NGX_HTTP_ANON_OFF       0
#define NGX_HTTP_ANON_ON        1
#define NGX_HTTP_ANON_STRICT    2


typedef struct {
    ngx_uint_t                 mode;
    ngx_uint_t                 prefix4;
    ngx_uint_t                 prefix6;
} ngx_http_anon_loc_conf_t;


typedef struct {
    ngx_flag_t                 enabled;

    /* variables whose cached values change with the client address */
    ngx_array_t                indexes;          /* of ngx_int_t */
} ngx_http_anon_main_conf_t;


/*
 * One swap of the connection's address, kept as the payload of an r->pool
 * cleanup so that it is undone when the request ends, newest first.
 */

typedef struct {
    ngx_connection_t          *connection;

    struct sockaddr           *sockaddr;         /* the address replaced */
    socklen_t                  socklen;
    ngx_str_t                  addr_text;
    ngx_proxy_protocol_t      *proxy_protocol;

    struct sockaddr           *anon_sockaddr;    /* the address installed */
    ngx_str_t                  anon_addr_text;
    ngx_proxy_protocol_t      *anon_proxy_protocol;

    ngx_uint_t                 prefix4;
    ngx_uint_t                 prefix6;

    unsigned                   active:1;
} ngx_http_anon_state_t;


ngx_http_anon_state_t *ngx_http_anon_get_state(ngx_http_request_t *r);
ngx_int_t ngx_http_anon_truncate_sockaddr(struct sockaddr *sa,
    ngx_uint_t prefix4, ngx_uint_t prefix6);
ngx_int_t ngx_http_anon_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_anon_init_variables(ngx_conf_t *cf,
    ngx_http_anon_main_conf_t *amcf);
void ngx_http_anon_flush_variables(ngx_http_request_t *r);


extern ngx_module_t  ngx_http_anon_module;


#endif /* _NGX_HTTP_ANON_MODULE_H_INCLUDED_ */
