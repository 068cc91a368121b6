#!/usr/bin/perl

# Internal redirects and named locations with "anon on", no "strict" and
# no argument list: the module hooks the location rewrite phase only
# because named locations exist.  The address
# is truncated in the precontent phase of the first location; the location
# a redirect leads to (try_files to a named location, error_page to a URI)
# must again see the real address in its access checks and rate limits,
# and pass on and log only the truncated one.

use strict;
use warnings;
use Test::More;
use AnonTest;

my $t = AnonTest->new;
$t->write_file('html/ok.txt', "ok\n");
$t->write_conf(<<'EOF')->run;
%%GLOBALS%%
events {}
http {
    %%TEMPS%%
    log_format t '$remote_addr|$request_uri|$status';
    access_log %%TESTDIR%%/access.log t;
    default_type text/plain;

    limit_req_zone $binary_remote_addr zone=one:1m rate=1r/m;

    anon on;
    anon_args off;

    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;

    server {
        listen 127.0.0.1:%%PORT_1%%;

        location = /named { root %%TESTDIR%%/html; try_files /none @back; }
        location = /redir { error_page 404 = /inner; return 404; }
        location = /limited { root %%TESTDIR%%/html; try_files /none @limit; }

        location @back {
            allow 198.51.100.7;
            deny all;
            proxy_set_header X-Seen $remote_addr;
            proxy_pass http://%%RECORDER%%;
        }

        location = /inner {
            internal;
            allow 198.51.100.7;
            deny all;
            proxy_set_header X-Seen $remote_addr;
            proxy_pass http://%%RECORDER%%;
        }

        location @limit {
            limit_req zone=one;
            proxy_set_header X-Seen $remote_addr;
            proxy_pass http://%%RECORDER%%;
        }
    }
}
EOF

my $P = $t->port(1);

sub from {    # a request from $addr (X-Real-IP, trusted from 127.0.0.1)
    my ($uri, $addr) = @_;
    return parse_response($t->http_get($P, $uri, 'X-Real-IP' => $addr));
}

sub recorded_for {    # the raw request the recorder got for $uri
    my ($uri) = @_;
    my @r = grep { m{\A\S+ \Q$uri\E HTTP/} } $t->recorded;
    return $r[-1] // '';
}

my $st;

# try_files to a named location: allow/deny there see the real address

($st) = from('/named', '198.51.100.7');
is $st, 200, 'named location: allow 198.51.100.7 allows .7';
like recorded_for('/named'), qr/^X-Seen: 198\.51\.0\.0\r$/m,
    'named location: the upstream sees 198.51.0.0';
($st) = from('/named?8', '198.51.100.8');
is $st, 403, 'named location: .8 is denied (the rule sees the real address)';

# error_page to a URI: the same after an internal redirect

($st) = from('/redir', '198.51.100.7');
is $st, 200, 'error_page redirect: .7 is allowed';
like recorded_for('/inner'), qr/^X-Seen: 198\.51\.0\.0\r$/m,
    'error_page redirect: the upstream sees 198.51.0.0';
($st) = from('/redir?8', '198.51.100.8');
is $st, 403, 'error_page redirect: .8 is denied';

# limit_req in a named location counts per real address: .7 and .8 share
# a /16 but each gets its own first request

($st) = from('/limited', '198.51.100.7');
is $st, 200, 'named location limit_req: the first request of .7 passes';
like recorded_for('/limited'), qr/^X-Seen: 198\.51\.0\.0\r$/m,
    'named location limit_req: the upstream sees 198.51.0.0';
($st) = from('/limited?2', '198.51.100.8');
is $st, 200, 'named location limit_req: .8 is counted apart from .7';
($st) = from('/limited?3', '198.51.100.7');
is $st, 503, 'named location limit_req: the second request of .7 is limited';

# what was stored: only truncated addresses

my $log = $t->wait_for_log('access.log', qr{\|/limited\?3\|}) // '';
is scalar(() = $log =~ /^198\.51\.0\.0\|/mg), 7,
    'access log: each of the 7 requests logged with 198.51.0.0';
unlike $log . $t->error_log, qr/198\.51\.100\.[78]/,
    'no full address in the access log or the error log';
unlike join('', $t->recorded), qr/198\.51\.100\.[78]/,
    'no full address reached the upstream';

done_testing;
