#!/usr/bin/perl

# anon strict: the address is truncated right after realip, so every phase
# (set, if, map, allow/deny, limit_req) sees only the truncated address.
# A server with "anon on" and the same locations is the control: there the
# same rules act on the real address.  Also: realip configured only in a
# location, anon_headers already applied in the rewrite phase, and an
# internal redirect to a location with "anon on".

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
    log_format t '$server_port|$remote_addr|$request_uri|$status|'
                 '$http_x_forwarded_for';
    access_log %%TESTDIR%%/access.log t;
    default_type text/plain;

    limit_req_zone $binary_remote_addr zone=strict:1m rate=1r/m;
    limit_req_zone $binary_remote_addr zone=on:1m rate=1r/m;

    map $remote_addr $m {
        198.51.100.7  full;
        198.51.0.0    truncated;
        default       other;
    }

    server {
        listen 127.0.0.1:%%PORT_1%%;
        anon strict;
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Real-IP;

        location = /set { set $x $remote_addr; return 200 "$x\n"; }
        location = /if {
            if ($remote_addr = 198.51.100.7) { return 403; }
            return 200 "not matched $remote_addr\n";
        }
        location = /map { return 200 "$m\n"; }
        location = /allow7 {
            allow 198.51.100.7;
            deny all;
            alias %%TESTDIR%%/html/ok.txt;
        }
        location = /allow0 {
            allow 198.51.0.0;
            deny all;
            alias %%TESTDIR%%/html/ok.txt;
        }
        location = /allow16 {
            allow 198.51.0.0/16;
            deny all;
            alias %%TESTDIR%%/html/ok.txt;
        }
        location = /limit {
            limit_req zone=strict;
            alias %%TESTDIR%%/html/ok.txt;
        }
        location = /xff {
            return 200 "$http_x_forwarded_for|$http_x_real_ip\n";
        }

        # internal redirects into a location with "anon on"
        location = /redir { error_page 404 = /onloc; return 404; }
        location = /named { root %%TESTDIR%%/html; try_files /none @on; }
        location = /onloc {
            anon on;
            allow 198.51.100.7;
            deny all;
            proxy_set_header X-Seen $remote_addr;
            proxy_pass http://%%RECORDER%%;
        }
        location @on {
            anon on;
            allow 198.51.100.7;
            deny all;
            proxy_set_header X-Seen $remote_addr;
            proxy_pass http://%%RECORDER%%;
        }
    }

    # the control: the same rules with "anon on"
    server {
        listen 127.0.0.1:%%PORT_2%%;
        anon on;
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Real-IP;

        location = /set { set $x $remote_addr; return 200 "$x\n"; }
        location = /if {
            if ($remote_addr = 198.51.100.7) { return 403; }
            return 200 "not matched $remote_addr\n";
        }
        location = /map { return 200 "$m\n"; }
        location = /allow7 {
            allow 198.51.100.7;
            deny all;
            alias %%TESTDIR%%/html/ok.txt;
        }
        location = /limit {
            limit_req zone=on;
            alias %%TESTDIR%%/html/ok.txt;
        }
    }

    # realip only in the location
    server {
        listen 127.0.0.1:%%PORT_3%%;
        anon strict;

        location = /lrealip {
            set_real_ip_from 127.0.0.1;
            real_ip_header X-LB-Client;
            allow 198.51.0.0/16;
            deny all;
            proxy_set_header X-Seen $remote_addr;
            proxy_set_header X-LB-Client "";
            proxy_pass http://%%RECORDER%%;
        }
    }
}
EOF

my ($S, $ON, $LR) = map { $t->port($_) } 1, 2, 3;

sub get {
    my ($port, $uri, %h) = @_;
    return parse_response($t->http_get($port, $uri, %h));
}

sub from {    # a request from $addr (X-Real-IP, trusted from 127.0.0.1)
    my ($port, $uri, $addr, %h) = @_;
    return get($port, $uri, 'X-Real-IP' => $addr, %h);
}

sub log_line {    # the access-log line of port and URI (unique URIs)
    my ($port, $uri) = @_;
    my $log = $t->wait_for_log('access.log', qr/^\Q$port|\E[^|]*\|\Q$uri|/m)
        // return '';
    my ($line) = $log =~ /^(\Q$port|\E[^|]*\|\Q$uri|\E.*)$/m;
    return $line;
}

sub recorded_for {    # the raw request the recorder got for $uri
    my ($uri) = @_;
    my @r = grep { m{\A\S+ \Q$uri\E HTTP/} } $t->recorded;
    return $r[-1] // '';
}

my ($st, $h, $body);

# set, if, map: evaluated in the rewrite phase

($st, $h, $body) = from($S, '/set', '198.51.100.7');
is $body, "198.51.0.0\n", 'strict: set $x $remote_addr is truncated';
($st, $h, $body) = from($ON, '/set', '198.51.100.7');
is $body, "198.51.100.7\n", 'on (control): set copies the real address';

($st, $h, $body) = from($S, '/if', '198.51.100.7');
is $st, 200, 'strict: if ($remote_addr = 198.51.100.7) does not match';
is $body, "not matched 198.51.0.0\n", 'strict: if sees 198.51.0.0';
($st) = from($ON, '/if', '198.51.100.7');
is $st, 403, 'on (control): the same if matches the real address';

($st, $h, $body) = from($S, '/map', '198.51.100.7');
is $body, "truncated\n", 'strict: map $remote_addr sees the truncated one';
($st, $h, $body) = from($ON, '/map', '198.51.100.7');
is $body, "full\n", 'on (control): map in the rewrite phase sees the real';

# allow/deny: per network, not per visitor.  The trade-off of strict: the
# rules compare the truncated address, so allowing one visitor's address
# matches nothing, while a rule for the network (198.51.0.0/16, or the
# truncated address 198.51.0.0 itself) matches every visitor in it.

($st) = from($S, '/allow7', '198.51.100.7');
is $st, 403, 'strict: allow 198.51.100.7; deny all denies .7 itself';
($st) = from($ON, '/allow7', '198.51.100.7');
is $st, 200, 'on (control): allow 198.51.100.7 allows .7';
($st) = from($ON, '/allow7', '198.51.100.8');
is $st, 403, 'on (control): allow 198.51.100.7 denies .8';

($st) = from($S, '/allow0', '198.51.100.99');
is $st, 200, 'strict: allow 198.51.0.0 (the truncated address) allows .99';
($st, $h, $body) = from($S, '/allow16', '198.51.100.8');
is $st, 200, 'strict: allow 198.51.0.0/16 allows .8';
is $body, "ok\n", 'strict: allowed request served';
($st) = from($S, '/allow16?other', '203.0.113.9');
is $st, 403, 'strict: allow 198.51.0.0/16 still denies 203.0.113.9';

like log_line($S, '/allow7'), qr/^\d+\|198\.51\.0\.0\|\/allow7\|403\|/,
    'strict: the 403 is logged with 198.51.0.0';
like $t->error_log, qr/access forbidden by rule, client: 198\.51\.0\.0,/,
    'strict: "access forbidden" error line shows 198.51.0.0';

# limit_req keyed on $binary_remote_addr: one bucket per /16

($st) = from($S, '/limit?1', '198.51.100.7');
is $st, 200, 'strict: limit_req first request from .7 passes';
($st) = from($S, '/limit?2', '198.51.100.8');
is $st, 503, 'strict: .8 shares the bucket of .7 (same /16): 503';
($st) = from($S, '/limit?3', '203.0.113.9');
is $st, 200, 'strict: another /16 has its own bucket';
like log_line($S, '/limit?2'), qr/^\d+\|198\.51\.0\.0\|\/limit\?2\|503\|/,
    'strict: the 503 is logged with 198.51.0.0';
like $t->error_log,
    qr/limiting requests, .* by zone "strict", client: 198\.51\.0\.0,/,
    'strict: "limiting requests" error line shows 198.51.0.0';

($st) = from($ON, '/limit?1', '198.51.100.7');
is $st, 200, 'on (control): limit_req first request from .7 passes';
($st) = from($ON, '/limit?2', '198.51.100.8');
is $st, 200, 'on (control): .8 has its own bucket';
($st) = from($ON, '/limit?3', '198.51.100.7');
is $st, 503, 'on (control): .7 again is limited (the limit works)';

# anon_headers: already scrubbed in the rewrite phase

($st, $h, $body) = from($S, '/xff', '198.51.100.7',
    'X-Forwarded-For' => '203.0.113.45, 198.51.100.7:4711, 2001:db8:cafe::17');
is $body, "203.0.0.0, 198.51.0.0:4711, 2001:db8::|198.51.0.0\n",
    'strict: $http_x_forwarded_for and $http_x_real_ip in return scrubbed';
like log_line($S, '/xff'),
    qr/\|\/xff\|200\|203\.0\.0\.0, 198\.51\.0\.0:4711, 2001:db8::$/,
    'strict: $http_x_forwarded_for logged scrubbed';

# realip configured only in the location

($st) = get($LR, '/lrealip', 'X-LB-Client' => '198.51.100.7');
is $st, 200, 'location realip: allow 198.51.0.0/16 matched the header';
like log_line($LR, '/lrealip'), qr/^\d+\|198\.51\.0\.0\|\/lrealip\|200\|/,
    'location realip: the header address is logged, truncated';
like recorded_for('/lrealip'), qr/^X-Seen: 198\.51\.0\.0\r$/m,
    'location realip: upstream sees 198.51.0.0';
($st) = get($LR, '/lrealip?deny', 'X-LB-Client' => '203.0.113.9');
is $st, 403, 'location realip: another network is denied';
like log_line($LR, '/lrealip?deny'),
    qr/^\d+\|203\.0\.0\.0\|\/lrealip\?deny\|403\|/,
    'location realip: the 403 shows 203.0.0.0';
unlike join("\n", grep { /^\Q$LR|/ } split /\n/, $t->access_log),
    qr/\|127\.0\.0\.[01]\|/, 'location realip: the proxy address not logged';

# internal redirect to "anon on": access checks see the real address

($st) = from($S, '/redir', '198.51.100.7');
is $st, 200, 'error_page to an "anon on" location: .7 is allowed';
like recorded_for('/onloc'), qr/^X-Seen: 198\.51\.0\.0\r$/m,
    'error_page to "anon on": the upstream sees 198.51.0.0';
($st) = from($S, '/redir?8', '198.51.100.8');
is $st, 403, 'error_page to "anon on": .8 is denied (per address)';
like log_line($S, '/redir'), qr/^\d+\|198\.51\.0\.0\|\/redir\|200\|/,
    'error_page to "anon on": logged truncated';

($st) = from($S, '/named', '198.51.100.7');
is $st, 200, 'try_files to an "anon on" named location: .7 is allowed';
like recorded_for('/named'), qr/^X-Seen: 198\.51\.0\.0\r$/m,
    'named location: the upstream sees 198.51.0.0';
($st) = from($S, '/named?8', '198.51.100.8');
is $st, 403, 'named location: .8 is denied (per address)';

# nothing full anywhere

my @full = qw(198.51.100.7 198.51.100.8 198.51.100.99 203.0.113.9
    203.0.113.45 2001:db8:cafe::17);
is_deeply [ leaks($t->all_texts, map { leak_forms($_) } @full) ], [],
    'no full address in the logs or the upstream requests';

$t->done_checks;
done_testing;
