
/*
 * Copyright (C) ngx_anon authors
 */


#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_anon_prf.h"


unsigned char *
ngx_anon_prf_field(unsigned char *p, const void *data, size_t len)
{
    if (len > 65535) {
        len = 65535;
    }

    *p++ = (unsigned char) (len >> 8);
    *p++ = (unsigned char) (len & 0xff);

    if (len) {
        memcpy(p, data, len);
    }

    return p + len;
}


int
ngx_anon_prf(const unsigned char *key, size_t key_len,
    const unsigned char *msg, size_t msg_len, unsigned char *out)
{
    unsigned int  n;

    n = 0;

    if (HMAC(EVP_sha256(), key, (int) key_len, msg, msg_len, out, &n)
        == NULL
        || n != NGX_ANON_PRF_KEY_LEN)
    {
        return -1;
    }

    return 0;
}


int
ngx_anon_prf_hex(const unsigned char *key, size_t key_len,
    const unsigned char *msg, size_t msg_len, unsigned char *hex,
    size_t nbytes)
{
    size_t             i;
    unsigned char      mac[NGX_ANON_PRF_KEY_LEN];
    static const char  digits[] = "0123456789abcdef";

    if (nbytes > NGX_ANON_PRF_KEY_LEN
        || ngx_anon_prf(key, key_len, msg, msg_len, mac) != 0)
    {
        return -1;
    }

    for (i = 0; i < nbytes; i++) {
        hex[2 * i] = digits[mac[i] >> 4];
        hex[2 * i + 1] = digits[mac[i] & 0x0f];
    }

    return 0;
}
