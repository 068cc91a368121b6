# ngx_anon: build, run and test the nginx anonymization module.
#
# make          build build/ngx_http_anon_module.so against Debian's nginx-dev,
#               and build/anon-scrub
# make run      start nginx in the foreground with docs/examples/nginx.conf
# make test     unit tests (Check) and integration tests (prove)
# make unit     unit tests only
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
               libmaxminddb-dev:/usr/include/maxminddb.h \
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
               libmaxmind-db-writer-perl:/usr/share/perl5/MaxMind/DB/Writer.pm

SRCS        := $(wildcard ngx_anon_module/*.c ngx_anon_module/*.h) config
CORE_SRCS   := $(wildcard ngx_anon_module/ngx_anon_*.c)
UNIT_SRCS   := $(wildcard t/unit/*.c)

UNIT_CFLAGS := -g -O1 -std=c99 -D_DEFAULT_SOURCE -Wall -Wextra -Werror \
               -Ingx_anon_module -It/unit

.PHONY: all deps run test unit integration clean help

all: $(MODULE) $(BUILD)/anon-scrub

help:
	@sed -n '1,/^$$/p' Makefile

# Install what is missing, in one apt-get call; as non-root, say what to run.
deps: $(BUILD)/.deps

$(BUILD)/.deps: Makefile
	@missing=""; \
	for p in $(DEB_PKGS); do \
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

integration: $(MODULE) $(BUILD)/anon-scrub $(NODE_MODULES)/matomo-tracker
	ANON_MODULE=$(MODULE) NGINX_BIN=$(NGINX_BIN) \
	    NODE_PATH=$(NODE_MODULES) prove -I t/lib t/

test: unit integration

run: $(MODULE)
	@mkdir -p $(RUN_PREFIX)/logs $(RUN_PREFIX)/modules
	@ln -sf $(MODULE) $(RUN_PREFIX)/modules/
	@$(NGINX_BIN) -p $(RUN_PREFIX)/ -c $(CURDIR)/docs/examples/nginx.conf -t -q
	@echo "nginx with ngx_http_anon_module: 127.0.0.1:8080 anon on," \
	      "8081 off, 8082 strict; access log below; Ctrl-C stops"
	exec $(NGINX_BIN) -p $(RUN_PREFIX)/ -c $(CURDIR)/docs/examples/nginx.conf

clean:
	rm -rf $(BUILD)
