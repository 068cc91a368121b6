
/*
 * Copyright (C) ngx_anon authors
 */


/*
 * anon-scrub: truncate every address literal in logs, standard input to
 * standard output, with the module's own scrubber (ngx_anon_scrub.c).
 */


#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "ngx_anon_scrub.h"


#define ANON_SCRUB_CHUNK  (1024 * 1024)    /* lines up to it are kept whole */
#define ANON_SCRUB_BATCH  (128 * 1024)     /* scrubbed at once, in the cache */
#define ANON_SCRUB_MAP    (4 * 1024 * 1024) /* a file from here is mapped */


/* where a mapped file was read up to, kept across a SIGBUS */
static volatile off_t  anon_scrub_pos;
static sigjmp_buf      anon_scrub_bus;


static int anon_scrub_read(unsigned char *in, unsigned char *out,
    unsigned prefix4, unsigned prefix6);
static int anon_scrub_map(unsigned char *out, unsigned prefix4,
    unsigned prefix6);
static void anon_scrub_sigbus(int signo);
static int anon_scrub_prefix(const char *arg, unsigned max, unsigned *bits);
static size_t anon_scrub_cut(const unsigned char *buf, size_t len,
    int lines);
static int anon_scrub_is_run(unsigned char ch);
static int anon_scrub_write(const unsigned char *buf, size_t len);
static void anon_scrub_usage(FILE *f);


int
main(int argc, char **argv)
{
    int             i, rc;
    unsigned        prefix4, prefix6;
    unsigned char  *in, *out;

    prefix4 = 16;
    prefix6 = 32;

    for (i = 1; i < argc; i++) {

        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            anon_scrub_usage(stdout);
            return 0;
        }

        if ((strcmp(argv[i], "-4") == 0 || strcmp(argv[i], "-6") == 0)
            && i + 1 < argc)
        {
            if (anon_scrub_prefix(argv[i + 1], argv[i][1] == '4' ? 32 : 128,
                                  argv[i][1] == '4' ? &prefix4 : &prefix6)
                != 0)
            {
                fprintf(stderr, "anon-scrub: invalid value \"%s\" for %s, "
                        "it must be a number from 0 to %u\n", argv[i + 1],
                        argv[i], argv[i][1] == '4' ? 32 : 128);
                return 2;
            }

            i++;
            continue;
        }

        fprintf(stderr, "anon-scrub: invalid option \"%s\"\n", argv[i]);
        anon_scrub_usage(stderr);
        return 2;
    }

    /* input: a chunk plus the unfinished line carried over */

    in = malloc(2 * ANON_SCRUB_CHUNK);
    out = malloc(ngx_anon_scrub_max_size(2 * ANON_SCRUB_CHUNK) + 64);

    if (in == NULL || out == NULL) {
        fprintf(stderr, "anon-scrub: out of memory\n");
        free(in);
        free(out);
        return 1;
    }

    /* a large regular file is read through a mapping first */

    rc = (anon_scrub_map(out, prefix4, prefix6) != 0
          || anon_scrub_read(in, out, prefix4, prefix6) != 0);

    free(in);
    free(out);

    return rc;
}


static int
anon_scrub_read(unsigned char *in, unsigned char *out, unsigned prefix4,
    unsigned prefix6)
{
    int       eof, zeroing;
    size_t    have, cut, n;
    ssize_t   rd;

    /* standard input to its end, a batch of whole lines at a time */

    have = 0;
    eof = 0;
    zeroing = 0;

    while (!eof || have) {

        if (!eof) {
            n = 2 * ANON_SCRUB_CHUNK - have;
            rd = read(0, in + have, (n < ANON_SCRUB_BATCH) ? n
                                                           : ANON_SCRUB_BATCH);

            if (rd == -1) {
                if (errno == EINTR) {
                    continue;
                }

                fprintf(stderr, "anon-scrub: read: %s\n", strerror(errno));
                return 1;
            }

            if (rd == 0) {
                eof = 1;

            } else {
                have += rd;

                if (have < ANON_SCRUB_BATCH) {
                    continue;
                }
            }
        }

        if (have == 0) {
            break;
        }

        /*
         * Scrub whole lines, or the whole rest at the end of input; a line
         * longer than the batch is read on, up to the chunk size.
         */

        cut = eof ? have : anon_scrub_cut(in, have, have < ANON_SCRUB_CHUNK);

        if (cut == 0 && !eof && have < ANON_SCRUB_CHUNK) {
            continue;
        }

        if (zeroing || cut == 0) {

            /*
             * A line over a megabyte of nothing but address characters:
             * it cannot be split safely, so its digits are not kept, up
             * to the first byte that ends the run.
             */

            for (n = 0; n < have && anon_scrub_is_run(in[n]); n++) {
                out[n] = (in[n] == ':' || in[n] == '.') ? in[n] : '0';
            }

            zeroing = (n == have);
            cut = n;

        } else {
            n = ngx_anon_scrub(out, in, cut, prefix4, prefix6);
        }

        if (anon_scrub_write(out, n) != 0) {
            fprintf(stderr, "anon-scrub: write: %s\n", strerror(errno));
            return 1;
        }

        memmove(in, in + cut, have - cut);
        have -= cut;
    }

    return 0;
}


static int
anon_scrub_map(unsigned char *out, unsigned prefix4, unsigned prefix6)
{
    off_t              base, size, pos;
    size_t             len, n, cut;
    long               page;
    struct stat        st;
    unsigned char     *map, *p;
    struct sigaction   sa, old;

    /*
     * A regular file of some size: scrubbed from a mapping in batches of
     * whole lines, without read(2) copying it.  The file position is left
     * where the batches ended, for the read(2) loop to go on from: the
     * rest of a line longer than a megabyte, data appended since, or
     * everything, if the file shrank while it was read, which read(2)
     * sees as it is.  Returns -1 on an error, which it reported.
     */

    if (fstat(0, &st) == -1 || !S_ISREG(st.st_mode)) {
        return 0;
    }

    pos = lseek(0, 0, SEEK_CUR);
    page = sysconf(_SC_PAGESIZE);
    size = st.st_size;

    if (pos == -1 || page <= 0 || size - pos < ANON_SCRUB_MAP) {
        return 0;
    }

    base = pos - pos % page;
    len = (size_t) (size - base);

    if ((off_t) len != size - base) {
        return 0;
    }

    map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, 0, base);
    if (map == MAP_FAILED) {
        return 0;
    }

    (void) madvise(map, len, MADV_SEQUENTIAL);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = anon_scrub_sigbus;
    sigemptyset(&sa.sa_mask);

    if (sigaction(SIGBUS, &sa, &old) == -1) {
        munmap(map, len);
        return 0;
    }

    anon_scrub_pos = pos;

    if (sigsetjmp(anon_scrub_bus, 1) == 0) {

        for ( ;; ) {
            pos = anon_scrub_pos;
            p = map + (pos - base);
            n = (size - pos < ANON_SCRUB_CHUNK) ? (size_t) (size - pos)
                                                : ANON_SCRUB_CHUNK;

            /* a batch of whole lines; the last one waits for read(2) */

            cut = anon_scrub_cut(p, (n < ANON_SCRUB_BATCH) ? n
                                                           : ANON_SCRUB_BATCH,
                                 1);

            if (cut == 0) {
                cut = anon_scrub_cut(p, n, 1);
            }

            if (cut == 0) {
                break;
            }

            n = ngx_anon_scrub(out, p, cut, prefix4, prefix6);

            /* bytes of a shrunk file read as zeros are not passed on */

            if (fstat(0, &st) == -1 || st.st_size < pos + (off_t) cut) {
                break;
            }

            if (anon_scrub_write(out, n) != 0) {
                fprintf(stderr, "anon-scrub: write: %s\n", strerror(errno));
                sigaction(SIGBUS, &old, NULL);
                munmap(map, len);
                return -1;
            }

            anon_scrub_pos = pos + cut;
        }
    }

    /* here also after a SIGBUS: the file shrank under the mapping */

    sigaction(SIGBUS, &old, NULL);
    munmap(map, len);

    if (lseek(0, anon_scrub_pos, SEEK_SET) == -1) {
        fprintf(stderr, "anon-scrub: lseek: %s\n", strerror(errno));
        return -1;
    }

    return 0;
}


static void
anon_scrub_sigbus(int signo)
{
    (void) signo;

    siglongjmp(anon_scrub_bus, 1);
}


static int
anon_scrub_prefix(const char *arg, unsigned max, unsigned *bits)
{
    unsigned long  n;
    char          *end;

    if (*arg < '0' || *arg > '9') {
        return -1;
    }

    errno = 0;
    n = strtoul(arg, &end, 10);

    if (errno || *end != '\0' || n > max) {
        return -1;
    }

    *bits = (unsigned) n;

    return 0;
}


static size_t
anon_scrub_cut(const unsigned char *buf, size_t len, int lines)
{
    size_t  i;

    /*
     * After the last line feed, else, unless only whole lines may be
     * taken, after the last non-address byte
     */

    for (i = len; i > 0; i--) {
        if (buf[i - 1] == '\n') {
            return i;
        }
    }

    if (lines) {
        return 0;
    }

    for (i = len; i > 0; i--) {
        if (!anon_scrub_is_run(buf[i - 1])) {
            return i;
        }
    }

    return 0;
}


static int
anon_scrub_is_run(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || ch == '.' || ch == ':'
           || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
}


static int
anon_scrub_write(const unsigned char *buf, size_t len)
{
    ssize_t  n;

    while (len) {
        n = write(1, buf, len);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            return -1;
        }

        buf += n;
        len -= n;
    }

    return 0;
}


static void
anon_scrub_usage(FILE *f)
{
    fprintf(f,
        "usage: anon-scrub [-4 bits] [-6 bits] < log > scrubbed-log\n"
        "\n"
        "Truncates every IPv4 and IPv6 address in the input, as\n"
        "ngx_http_anon_module does: IPv4 keeps its first bits (-4,\n"
        "default 16), native IPv6 its first bits (-6, default 32), IPv4\n"
        "inside IPv6 the IPv4 rule.  Ports, brackets, lists and other\n"
        "bytes are kept; lines are neither lost nor reordered.\n"
        "\n"
        "  -4 bits     IPv4 bits to keep, 0 to 32\n"
        "  -6 bits     IPv6 bits to keep, 0 to 128\n"
        "  -h, --help  this text\n");
}
