
/*
 * Copyright (C) ngx_anon authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <maxminddb.h>

#include "ngx_http_anon_module.h"


/* the buffer that copies a database into memory */
#define NGX_HTTP_ANON_GEO_COPY_SIZE  65536

/* "-2147483648", "18446744073709551615", "-180.0000" */
#define NGX_HTTP_ANON_GEO_NUMBER_LEN  32


/* one database: the file, and the private in-memory copy it is read from */

typedef struct {
    ngx_str_t                  path;
    MMDB_s                    *mmdb;
    ngx_file_info_t            info;             /* of the file copied */

    ngx_uint_t                 index;            /* in the request cache */
    ngx_uint_t                 generation;       /* one more per re-open */

    time_t                     interval;         /* auto_reload, 0: off */
    time_t                     next_check;
} ngx_http_anon_geo_db_t;


/* where one variable's value comes from */

typedef struct {
    ngx_http_anon_geo_db_t    *db;
    const char               **path;             /* NULL-terminated */
} ngx_http_anon_geo_source_t;


typedef struct {
    ngx_str_t                  name;
    ngx_array_t                sources;   /* of ngx_http_anon_geo_source_t */
    ngx_str_t                  value;            /* default= */
    unsigned                   has_default:1;
} ngx_http_anon_geo_var_t;


struct ngx_http_anon_geo_conf_s {
    ngx_array_t                dbs;        /* of ngx_http_anon_geo_db_t * */
    ngx_array_t                vars;       /* of ngx_http_anon_geo_var_t * */
};


/* the lookup of one database for one request */

typedef struct {
    ngx_uint_t                 generation;       /* 0: none yet */
    ngx_sockaddr_t             sockaddr;         /* the address looked up */
    socklen_t                  socklen;
    int                        error;            /* MMDB_* */
    MMDB_lookup_result_s       result;
} ngx_http_anon_geo_entry_t;


/* a field of $anon_piwik_args and the data paths that give it */

typedef struct {
    ngx_uint_t                 field;            /* NGX_HTTP_ANON_GEO_* */
    const char                *path[4];
} ngx_http_anon_geo_field_t;


static char *ngx_http_anon_geo_block(ngx_conf_t *cf, ngx_command_t *dummy,
    void *conf);
static char *ngx_http_anon_geo_auto_reload(ngx_conf_t *cf,
    ngx_http_anon_geo_db_t *db);
static char *ngx_http_anon_geo_source(ngx_conf_t *cf,
    ngx_http_anon_main_conf_t *amcf, ngx_http_anon_geo_db_t *db);
static ngx_http_anon_geo_var_t *ngx_http_anon_geo_add_variable(
    ngx_conf_t *cf, ngx_http_anon_main_conf_t *amcf, ngx_str_t *name);
static ngx_int_t ngx_http_anon_geo_open(ngx_http_anon_geo_db_t *db,
    MMDB_s *mmdb, ngx_file_info_t *fi, ngx_str_t *msg, ngx_err_t *err,
    ngx_log_t *log);
static ngx_int_t ngx_http_anon_geo_copy(ngx_fd_t fd, ngx_fd_t mfd,
    ngx_http_anon_geo_db_t *db, ngx_file_info_t *fi, ngx_str_t *msg,
    ngx_err_t *err, ngx_log_t *log);
static void ngx_http_anon_geo_close(void *data);
static void ngx_http_anon_geo_check(ngx_http_anon_geo_db_t *db,
    ngx_log_t *log);
static ngx_uint_t ngx_http_anon_geo_changed(ngx_file_info_t *a,
    ngx_file_info_t *b);
static ngx_http_anon_geo_entry_t *ngx_http_anon_geo_cache(
    ngx_http_request_t *r, ngx_http_anon_geo_conf_t *gcf);
static void ngx_http_anon_geo_cache_cleanup(void *data);
static ngx_int_t ngx_http_anon_geo_lookup(ngx_http_request_t *r,
    ngx_http_anon_geo_conf_t *gcf, ngx_http_anon_geo_db_t *db,
    MMDB_entry_s *entry);
static ngx_int_t ngx_http_anon_geo_addr(struct sockaddr *sa,
    socklen_t socklen, ngx_sockaddr_t *addr, socklen_t *len);
static ngx_int_t ngx_http_anon_geo_value(ngx_http_request_t *r,
    MMDB_entry_s *entry, const char **path, ngx_str_t *value);
static ngx_int_t ngx_http_anon_geo_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


/* MaxMind's schema first, then the flat one of ip-location-db */

static ngx_http_anon_geo_field_t  ngx_http_anon_geo_fields[] = {
    { NGX_HTTP_ANON_GEO_COUNTRY, { "country", "iso_code", NULL } },
    { NGX_HTTP_ANON_GEO_COUNTRY, { "country_code", NULL } },
    { NGX_HTTP_ANON_GEO_REGION, { "subdivisions", "0", "iso_code", NULL } },
    { NGX_HTTP_ANON_GEO_CITY, { "city", "names", "en", NULL } },
    { NGX_HTTP_ANON_GEO_CITY, { "city", NULL } },
    { NGX_HTTP_ANON_GEO_LAT, { "location", "latitude", NULL } },
    { NGX_HTTP_ANON_GEO_LAT, { "latitude", NULL } },
    { NGX_HTTP_ANON_GEO_LONG, { "location", "longitude", NULL } },
    { NGX_HTTP_ANON_GEO_LONG, { "longitude", NULL } },
    { 0, { NULL } }
};


char *
ngx_http_anon_geoip2(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_anon_main_conf_t *amcf = conf;

    char                       *rv;
    MMDB_s                     *mmdb;
    ngx_err_t                   err;
    ngx_str_t                  *value, msg;
    ngx_conf_t                  save;
    ngx_pool_cleanup_t         *cln;
    ngx_http_anon_geo_db_t     *db, **dbp;
    ngx_http_anon_geo_conf_t   *gcf;
    u_char                      buf[NGX_MAX_ERROR_STR];

    value = cf->args->elts;

    gcf = amcf->geo;

    if (gcf == NULL) {
        gcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_anon_geo_conf_t));
        if (gcf == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_array_init(&gcf->dbs, cf->pool, 2,
                           sizeof(ngx_http_anon_geo_db_t *))
            != NGX_OK
            || ngx_array_init(&gcf->vars, cf->pool, 8,
                              sizeof(ngx_http_anon_geo_var_t *))
               != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        amcf->geo = gcf;
    }

    db = ngx_pcalloc(cf->pool, sizeof(ngx_http_anon_geo_db_t));
    if (db == NULL) {
        return NGX_CONF_ERROR;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     db->mmdb = NULL;
     *     db->next_check = 0;
     */

    db->path = value[1];
    db->index = gcf->dbs.nelts;
    db->generation = 1;
    db->interval = NGX_CONF_UNSET;

    /* relative to the configuration's directory, as ssl_certificate */

    if (ngx_conf_full_name(cf->cycle, &db->path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    dbp = ngx_array_push(&gcf->dbs);
    if (dbp == NULL) {
        return NGX_CONF_ERROR;
    }

    *dbp = db;

    save = *cf;
    cf->handler = ngx_http_anon_geo_block;
    cf->handler_conf = (char *) db;

    rv = ngx_conf_parse(cf, NULL);

    *cf = save;

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (db->interval == NGX_CONF_UNSET) {
        db->interval = 0;
    }

    mmdb = ngx_alloc(sizeof(MMDB_s), cf->log);
    if (mmdb == NULL) {
        return NGX_CONF_ERROR;
    }

    msg.data = buf;

    if (ngx_http_anon_geo_open(db, mmdb, &db->info, &msg, &err, cf->log)
        != NGX_OK)
    {
        ngx_free(mmdb);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, err, "%V", &msg);
        return NGX_CONF_ERROR;
    }

    db->mmdb = mmdb;
    db->next_check = ngx_time() + db->interval;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_http_anon_geo_close(db);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_anon_geo_close;
    cln->data = db;

    return NGX_CONF_OK;
}


static char *
ngx_http_anon_geo_block(ngx_conf_t *cf, ngx_command_t *dummy, void *conf)
{
    ngx_http_anon_geo_db_t *db = conf;

    ngx_str_t                  *value;
    ngx_http_anon_main_conf_t  *amcf;

    value = cf->args->elts;

    if (value[0].len == sizeof("auto_reload") - 1
        && ngx_strcmp(value[0].data, "auto_reload") == 0)
    {
        return ngx_http_anon_geo_auto_reload(cf, db);
    }

    if (value[0].len < 2 || value[0].data[0] != '$') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid variable name \"%V\" in \"anon_geoip2\" "
                           "block, a line is \"$name data path;\" or "
                           "\"auto_reload interval;\"", &value[0]);
        return NGX_CONF_ERROR;
    }

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_anon_module);

    return ngx_http_anon_geo_source(cf, amcf, db);
}


static char *
ngx_http_anon_geo_auto_reload(ngx_conf_t *cf, ngx_http_anon_geo_db_t *db)
{
    ngx_int_t   n;
    ngx_str_t  *value;

    value = cf->args->elts;

    if (cf->args->nelts != 2) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid number of arguments in \"auto_reload\"");
        return NGX_CONF_ERROR;
    }

    if (db->interval != NGX_CONF_UNSET) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auto_reload\" is duplicate");
        return NGX_CONF_ERROR;
    }

    if (ngx_strcmp(value[1].data, "off") == 0) {
        db->interval = 0;
        return NGX_CONF_OK;
    }

    n = ngx_parse_time(&value[1], 1);

    if (n == NGX_ERROR || n == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"auto_reload\", "
                           "it must be a time of at least 1s or \"off\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    db->interval = (time_t) n;

    return NGX_CONF_OK;
}


static char *
ngx_http_anon_geo_source(ngx_conf_t *cf, ngx_http_anon_main_conf_t *amcf,
    ngx_http_anon_geo_db_t *db)
{
    ngx_str_t                   *value, name, def;
    const char                 **path;
    ngx_uint_t                   i, n, has_default;
    ngx_http_anon_geo_var_t     *gv;
    ngx_http_anon_geo_source_t  *src;

    value = cf->args->elts;

    has_default = 0;
    ngx_str_null(&def);

    path = ngx_pcalloc(cf->pool, cf->args->nelts * sizeof(const char *));
    if (path == NULL) {
        return NGX_CONF_ERROR;
    }

    n = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len >= sizeof("default=") - 1
            && ngx_strncmp(value[i].data, "default=", sizeof("default=") - 1)
               == 0)
        {
            if (has_default) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "duplicate \"default=\" for \"%V\"",
                                   &value[0]);
                return NGX_CONF_ERROR;
            }

            has_default = 1;
            def.len = value[i].len - (sizeof("default=") - 1);
            def.data = value[i].data + sizeof("default=") - 1;
            continue;
        }

        if (value[i].len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "empty element in the data path of \"%V\"",
                               &value[0]);
            return NGX_CONF_ERROR;
        }

        /* words of the configuration are null-terminated */

        path[n++] = (const char *) value[i].data;
    }

    if (n == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no data path for \"%V\", for example "
                           "\"%V country iso_code;\"", &value[0], &value[0]);
        return NGX_CONF_ERROR;
    }

    name.len = value[0].len - 1;
    name.data = value[0].data + 1;

    gv = ngx_http_anon_geo_add_variable(cf, amcf, &name);
    if (gv == NULL) {
        return NGX_CONF_ERROR;
    }

    if (has_default) {

        if (gv->has_default
            && (gv->value.len != def.len
                || ngx_strncmp(gv->value.data, def.data, def.len) != 0))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" already has another \"default=\"",
                               &value[0]);
            return NGX_CONF_ERROR;
        }

        gv->value = def;
        gv->has_default = 1;
    }

    src = ngx_array_push(&gv->sources);
    if (src == NULL) {
        return NGX_CONF_ERROR;
    }

    src->db = db;
    src->path = path;

    return NGX_CONF_OK;
}


static ngx_http_anon_geo_var_t *
ngx_http_anon_geo_add_variable(ngx_conf_t *cf,
    ngx_http_anon_main_conf_t *amcf, ngx_str_t *name)
{
    ngx_uint_t                 i;
    ngx_http_variable_t       *var;
    ngx_http_anon_geo_var_t   *gv, **gvp;
    ngx_http_anon_geo_conf_t  *gcf;

    gcf = amcf->geo;

    /* a variable of several lines or databases: the first value found */

    gvp = gcf->vars.elts;

    for (i = 0; i < gcf->vars.nelts; i++) {
        if (gvp[i]->name.len == name->len
            && ngx_strncasecmp(gvp[i]->name.data, name->data, name->len)
               == 0)
        {
            return gvp[i];
        }
    }

    gv = ngx_pcalloc(cf->pool, sizeof(ngx_http_anon_geo_var_t));
    if (gv == NULL) {
        return NULL;
    }

    gv->name = *name;

    if (ngx_array_init(&gv->sources, cf->pool, 2,
                       sizeof(ngx_http_anon_geo_source_t))
        != NGX_OK)
    {
        return NULL;
    }

    gvp = ngx_array_push(&gcf->vars);
    if (gvp == NULL) {
        return NULL;
    }

    *gvp = gv;

    var = ngx_http_add_variable(cf, name, 0);
    if (var == NULL) {
        return NULL;
    }

    /* a changeable variable of another module ("map", "set") is found */

    if (var->get_handler) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the duplicate \"%V\" variable", name);
        return NULL;
    }

    var->get_handler = ngx_http_anon_geo_variable;
    var->data = (uintptr_t) gv;

    /*
     * The value is cached, and always that of the original address; it is
     * computed again when the address is swapped, so that an address set
     * by realip in a location after an early read is seen.
     */

    if (ngx_http_anon_flush_index(cf, amcf, name, NGX_HTTP_ANON_FLUSH_ADDR)
        != NGX_OK)
    {
        return NULL;
    }

    return gv;
}


static ngx_int_t
ngx_http_anon_geo_open(ngx_http_anon_geo_db_t *db, MMDB_s *mmdb,
    ngx_file_info_t *fi, ngx_str_t *msg, ngx_err_t *err, ngx_log_t *log)
{
    int         rc;
    u_char     *last;
    ngx_fd_t    fd, mfd;
    ngx_int_t   copied;
    u_char      proc[sizeof("/proc/self/fd/") + NGX_INT_T_LEN];

    /*
     * libmaxminddb maps the file it opens.  Overwriting or truncating the
     * file in place while it is mapped would change the data under the
     * workers or kill them with SIGBUS, so the file is copied into an
     * anonymous, sealed memory file first, and that copy is mapped.  The
     * copy made by the master at configuration time is shared by the
     * workers.
     */

    last = msg->data + NGX_MAX_ERROR_STR;

    /* not blocked by a FIFO */

    fd = ngx_open_file(db->path.data, NGX_FILE_RDONLY|NGX_FILE_NONBLOCK,
                       NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        *err = ngx_errno;
        msg->len = ngx_slprintf(msg->data, last,
                                ngx_open_file_n " \"%V\" failed", &db->path)
                   - msg->data;
        return NGX_ERROR;
    }

    mfd = memfd_create("anon_geoip2", MFD_CLOEXEC|MFD_ALLOW_SEALING);

    if (mfd == -1) {
        *err = ngx_errno;
        msg->len = ngx_slprintf(msg->data, last,
                                "memfd_create() for \"%V\" failed",
                                &db->path) - msg->data;
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    copied = ngx_http_anon_geo_copy(fd, mfd, db, fi, msg, err, log);

    ngx_close_file(fd);

    if (copied != NGX_OK) {
        ngx_close_file(mfd);
        return copied;
    }

    ngx_sprintf(proc, "/proc/self/fd/%d%Z", mfd);

    rc = MMDB_open((char *) proc, MMDB_MODE_MMAP, mmdb);

    /* the mapping keeps the copy */

    ngx_close_file(mfd);

    if (rc != MMDB_SUCCESS) {
        *err = (rc == MMDB_IO_ERROR) ? ngx_errno : 0;
        msg->len = ngx_slprintf(msg->data, last,
                                "MMDB_open(\"%V\") failed: %s",
                                &db->path, MMDB_strerror(rc))
                   - msg->data;
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_anon_geo_copy(ngx_fd_t fd, ngx_fd_t mfd, ngx_http_anon_geo_db_t *db,
    ngx_file_info_t *fi, ngx_str_t *msg, ngx_err_t *err, ngx_log_t *log)
{
    off_t             size;
    u_char           *buf, *last;
    ssize_t           n;
    ngx_file_info_t   after;

    last = msg->data + NGX_MAX_ERROR_STR;
    *err = 0;

    if (ngx_fd_info(fd, fi) == NGX_FILE_ERROR) {
        *err = ngx_errno;
        msg->len = ngx_slprintf(msg->data, last,
                                ngx_fd_info_n " \"%V\" failed", &db->path)
                   - msg->data;
        return NGX_ERROR;
    }

    if (!ngx_is_file(fi)) {
        msg->len = ngx_slprintf(msg->data, last,
                                "\"%V\" is not a regular file", &db->path)
                   - msg->data;
        return NGX_ERROR;
    }

    buf = ngx_alloc(NGX_HTTP_ANON_GEO_COPY_SIZE, log);
    if (buf == NULL) {
        msg->len = ngx_slprintf(msg->data, last,
                                "no memory to copy \"%V\"", &db->path)
                   - msg->data;
        return NGX_ERROR;
    }

    size = 0;

    for ( ;; ) {
        n = ngx_read_fd(fd, buf, NGX_HTTP_ANON_GEO_COPY_SIZE);

        if (n == 0) {
            break;
        }

        if (n == -1) {
            *err = ngx_errno;
            msg->len = ngx_slprintf(msg->data, last,
                                    ngx_read_fd_n " \"%V\" failed",
                                    &db->path) - msg->data;
            ngx_free(buf);
            return NGX_ERROR;
        }

        if (ngx_write_fd(mfd, buf, n) != n) {
            *err = ngx_errno;
            msg->len = ngx_slprintf(msg->data, last,
                                    "copying \"%V\" into memory failed",
                                    &db->path) - msg->data;
            ngx_free(buf);
            return NGX_ERROR;
        }

        size += n;
    }

    ngx_free(buf);

    /* a file written while it was read is tried again later */

    if (ngx_fd_info(fd, &after) == NGX_FILE_ERROR
        || size != ngx_file_size(fi)
        || ngx_http_anon_geo_changed(fi, &after))
    {
        msg->len = ngx_slprintf(msg->data, last,
                                "\"%V\" changed while it was read",
                                &db->path) - msg->data;
        return NGX_AGAIN;
    }

    if (fcntl(mfd, F_ADD_SEALS,
              F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE|F_SEAL_SEAL)
        == -1)
    {
        *err = ngx_errno;
        msg->len = ngx_slprintf(msg->data, last,
                                "sealing the copy of \"%V\" failed",
                                &db->path) - msg->data;
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_anon_geo_close(void *data)
{
    ngx_http_anon_geo_db_t *db = data;

    if (db->mmdb) {
        MMDB_close(db->mmdb);
        ngx_free(db->mmdb);
        db->mmdb = NULL;
    }
}


static void
ngx_http_anon_geo_check(ngx_http_anon_geo_db_t *db, ngx_log_t *log)
{
    MMDB_s           *mmdb;
    ngx_err_t         err;
    ngx_int_t         rc;
    ngx_str_t         msg;
    ngx_file_info_t   fi;
    u_char            buf[NGX_MAX_ERROR_STR];

    /*
     * auto_reload: each worker looks at the file at most once per interval
     * and re-opens it if it changed.  Lookups cached for requests in
     * progress belong to the old generation and are made again.  If the
     * new file cannot be used, the database in use stays.
     */

    if (db->interval == 0 || ngx_time() < db->next_check) {
        return;
    }

    db->next_check = ngx_time() + db->interval;

    if (ngx_file_info(db->path.data, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "anon_geoip2: reload failed, the old data stays in "
                      "use: " ngx_file_info_n " \"%V\" failed", &db->path);
        return;
    }

    if (!ngx_http_anon_geo_changed(&fi, &db->info)) {
        return;
    }

    mmdb = ngx_alloc(sizeof(MMDB_s), log);
    if (mmdb == NULL) {
        return;
    }

    msg.data = buf;

    rc = ngx_http_anon_geo_open(db, mmdb, &fi, &msg, &err, log);

    if (rc != NGX_OK) {
        ngx_free(mmdb);

        ngx_log_error(NGX_LOG_ERR, log, err,
                      "anon_geoip2: reload failed, the old data stays in "
                      "use: %V", &msg);

        /* the same broken file is not tried again, a changing one is */

        if (rc == NGX_ERROR) {
            db->info = fi;
        }

        return;
    }

    MMDB_close(db->mmdb);
    ngx_free(db->mmdb);

    db->mmdb = mmdb;
    db->info = fi;
    db->generation++;

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "anon_geoip2: \"%V\" reloaded", &db->path);
}


static ngx_uint_t
ngx_http_anon_geo_changed(ngx_file_info_t *a, ngx_file_info_t *b)
{
    return a->st_dev != b->st_dev
           || a->st_ino != b->st_ino
           || a->st_size != b->st_size
           || a->st_mtim.tv_sec != b->st_mtim.tv_sec
           || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec
           || a->st_ctim.tv_sec != b->st_ctim.tv_sec
           || a->st_ctim.tv_nsec != b->st_ctim.tv_nsec;
}


static ngx_http_anon_geo_entry_t *
ngx_http_anon_geo_cache(ngx_http_request_t *r, ngx_http_anon_geo_conf_t *gcf)
{
    size_t               size;
    ngx_pool_cleanup_t  *cln;

    /*
     * The lookups of the request, one per database, in a pool cleanup: the
     * list is shared with subrequests and survives internal redirects,
     * which zero the module contexts.
     */

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_anon_geo_cache_cleanup) {
            return cln->data;
        }
    }

    size = gcf->dbs.nelts * sizeof(ngx_http_anon_geo_entry_t);

    cln = ngx_pool_cleanup_add(r->pool, size);
    if (cln == NULL) {
        return NULL;
    }

    ngx_memzero(cln->data, size);

    cln->handler = ngx_http_anon_geo_cache_cleanup;

    return cln->data;
}


static void
ngx_http_anon_geo_cache_cleanup(void *data)
{
    /* void: the cache is in the request pool */
}


static ngx_int_t
ngx_http_anon_geo_lookup(ngx_http_request_t *r, ngx_http_anon_geo_conf_t *gcf,
    ngx_http_anon_geo_db_t *db, MMDB_entry_s *entry)
{
    int                         error;
    socklen_t                   socklen;
    ngx_sockaddr_t              addr;
    struct sockaddr            *sa;
    ngx_http_anon_geo_entry_t  *e;

    /* the client's address before truncation, whenever this runs */

    sa = ngx_http_anon_original_addr(r, &socklen);

    if (ngx_http_anon_geo_addr(sa, socklen, &addr, &socklen) != NGX_OK) {
        return NGX_DECLINED;
    }

    e = ngx_http_anon_geo_cache(r, gcf);
    if (e == NULL) {
        return NGX_ERROR;
    }

    e = &e[db->index];

    if (e->generation == 0) {
        ngx_http_anon_geo_check(db, r->connection->log);
    }

    if (e->generation != db->generation
        || ngx_cmp_sockaddr(&e->sockaddr.sockaddr, e->socklen,
                            &addr.sockaddr, socklen, 0)
           != NGX_OK)
    {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "anon_geoip2: lookup in \"%V\"", &db->path);

        e->result = MMDB_lookup_sockaddr(db->mmdb, &addr.sockaddr, &error);

        e->generation = db->generation;
        e->sockaddr = addr;
        e->socklen = socklen;
        e->error = error;

        if (error != MMDB_SUCCESS
            && error != MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
        {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "anon_geoip2: lookup in \"%V\" failed: %s",
                          &db->path, MMDB_strerror(error));
        }
    }

    if (e->error != MMDB_SUCCESS || !e->result.found_entry) {
        return NGX_DECLINED;
    }

    *entry = e->result.entry;

    return NGX_OK;
}


static ngx_int_t
ngx_http_anon_geo_addr(struct sockaddr *sa, socklen_t socklen,
    ngx_sockaddr_t *addr, socklen_t *len)
{
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    switch (sa->sa_family) {

    case AF_INET:
        ngx_memcpy(&addr->sockaddr_in, sa, sizeof(struct sockaddr_in));
        *len = sizeof(struct sockaddr_in);
        return NGX_OK;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) sa;

        /* a dual-stack listener's IPv4 client is looked up as IPv4 */

        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            ngx_memzero(&addr->sockaddr_in, sizeof(struct sockaddr_in));
            addr->sockaddr_in.sin_family = AF_INET;
            ngx_memcpy(&addr->sockaddr_in.sin_addr,
                       &sin6->sin6_addr.s6_addr[12], 4);
            *len = sizeof(struct sockaddr_in);
            return NGX_OK;
        }

        ngx_memcpy(&addr->sockaddr_in6, sa, sizeof(struct sockaddr_in6));
        *len = sizeof(struct sockaddr_in6);
        return NGX_OK;
#endif

    default:
        return NGX_DECLINED;
    }
}


static ngx_int_t
ngx_http_anon_geo_value(ngx_http_request_t *r, MMDB_entry_s *entry,
    const char **path, ngx_str_t *value)
{
    u_char             *p, *last;
    MMDB_entry_data_s   data;

    if (MMDB_aget_value(entry, &data, path) != MMDB_SUCCESS
        || !data.has_data)
    {
        return NGX_DECLINED;
    }

    switch (data.type) {

    case MMDB_DATA_TYPE_UTF8_STRING:
    case MMDB_DATA_TYPE_BYTES:

        /* an empty string, as in flat schemas, is not a value */

        if (data.data_size == 0) {
            return NGX_DECLINED;
        }

        value->data = ngx_pnalloc(r->pool, data.data_size);
        if (value->data == NULL) {
            return NGX_ERROR;
        }

        value->len = data.data_size;
        ngx_memcpy(value->data, data.utf8_string, data.data_size);

        return NGX_OK;

    case MMDB_DATA_TYPE_DOUBLE:
    case MMDB_DATA_TYPE_FLOAT:
    case MMDB_DATA_TYPE_UINT16:
    case MMDB_DATA_TYPE_UINT32:
    case MMDB_DATA_TYPE_INT32:
    case MMDB_DATA_TYPE_UINT64:
    case MMDB_DATA_TYPE_BOOLEAN:
        break;

    default:
        /* maps, arrays and 128-bit numbers have no text */
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(r->pool, NGX_HTTP_ANON_GEO_NUMBER_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    value->data = p;
    last = p + NGX_HTTP_ANON_GEO_NUMBER_LEN;

    switch (data.type) {

    case MMDB_DATA_TYPE_DOUBLE:
        p = ngx_slprintf(p, last, "%.4f", data.double_value);
        break;

    case MMDB_DATA_TYPE_FLOAT:
        p = ngx_slprintf(p, last, "%.4f", (double) data.float_value);
        break;

    case MMDB_DATA_TYPE_UINT16:
        p = ngx_slprintf(p, last, "%uD", (uint32_t) data.uint16);
        break;

    case MMDB_DATA_TYPE_UINT32:
        p = ngx_slprintf(p, last, "%uD", data.uint32);
        break;

    case MMDB_DATA_TYPE_INT32:
        p = ngx_slprintf(p, last, "%D", data.int32);
        break;

    case MMDB_DATA_TYPE_UINT64:
        p = ngx_slprintf(p, last, "%uL", data.uint64);
        break;

    default: /* MMDB_DATA_TYPE_BOOLEAN */
        *p++ = data.boolean ? '1' : '0';
        break;
    }

    value->len = p - value->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_anon_geo_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_anon_geo_var_t *gv = (ngx_http_anon_geo_var_t *) data;

    ngx_int_t                    rc;
    ngx_str_t                    value;
    ngx_uint_t                   i;
    MMDB_entry_s                 entry;
    ngx_http_anon_geo_conf_t    *gcf;
    ngx_http_anon_main_conf_t   *amcf;
    ngx_http_anon_geo_source_t  *src;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_anon_module);
    gcf = amcf->geo;

    src = gv->sources.elts;

    for (i = 0; i < gv->sources.nelts; i++) {

        rc = ngx_http_anon_geo_lookup(r, gcf, src[i].db, &entry);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_DECLINED) {
            continue;
        }

        rc = ngx_http_anon_geo_value(r, &entry, src[i].path, &value);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_OK) {
            v->len = value.len;
            v->data = value.data;
            goto found;
        }
    }

    if (!gv->has_default) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = gv->value.len;
    v->data = gv->value.data;

found:

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


ngx_int_t
ngx_http_anon_geo_place(ngx_http_request_t *r, ngx_str_t *place)
{
    ngx_int_t                   rc;
    ngx_uint_t                  i, j;
    MMDB_entry_s                entry;
    ngx_http_anon_geo_db_t    **db;
    ngx_http_anon_geo_conf_t   *gcf;
    ngx_http_anon_geo_field_t  *f;
    ngx_http_anon_main_conf_t  *amcf;

    /*
     * The fields Matomo accepts instead of geolocating the address itself,
     * from the lookups the variables use: all from the first database, in
     * the order of the configuration, that knows the country.
     */

    amcf = ngx_http_get_module_main_conf(r, ngx_http_anon_module);
    gcf = amcf->geo;

    if (gcf == NULL) {
        return NGX_DECLINED;
    }

    for (i = 0; i < NGX_HTTP_ANON_GEO_FIELDS; i++) {
        ngx_str_null(&place[i]);
    }

    db = gcf->dbs.elts;

    for (i = 0; i < gcf->dbs.nelts; i++) {

        rc = ngx_http_anon_geo_lookup(r, gcf, db[i], &entry);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc == NGX_DECLINED) {
            continue;
        }

        for (f = ngx_http_anon_geo_fields; f->path[0]; f++) {

            if (place[f->field].len) {
                continue;
            }

            if (ngx_http_anon_geo_value(r, &entry, f->path,
                                        &place[f->field])
                == NGX_ERROR)
            {
                return NGX_ERROR;
            }
        }

        if (place[NGX_HTTP_ANON_GEO_COUNTRY].len) {
            return NGX_OK;
        }

        /* no fields of one place from two databases */

        for (j = 0; j < NGX_HTTP_ANON_GEO_FIELDS; j++) {
            ngx_str_null(&place[j]);
        }
    }

    return NGX_OK;
}
