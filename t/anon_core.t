#!/usr/bin/perl

# "anon on": what the access log, the error log, upstreams (proxy, FastCGI,
# mirror) and response headers see of the client address, with the default
# prefixes (/16, /32) and with /24, /48; access control and limit_req on
# the real address; early ends, internal redirects, keepalive, HTTP/2,
# PROXY protocol, UNIX sockets; sites without the module stay untouched.
# Clients are impersonated through realip (X-Real-IP from 127.0.0.1/::1).

use strict;
use warnings;

use Socket qw(inet_pton AF_INET AF_INET6);
use Test::More;
use Time::HiRes qw(sleep time);
use AnonTest;

my $V4     = '198.51.100.7';
my $V4B    = '198.51.100.8';    # same /16 and /24 as $V4
my $V6     = '2001:db8:85a3::8a2e:370:7334';
my $MAPPED = '::ffff:198.51.100.7';
my $CIP    = '203.0.113.9';
my $LOCAL  = '127.3.4.5';       # bound as the client address, no realip

# the two sites with "anon on", and what each makes of every address
my @SITES = (
    {
        name  => 'd',
        label => 'anon on, /16 /32',
        conf  => '',
        trunc => {
            $V4          => '198.51.0.0',
            $V4B         => '198.51.0.0',
            $V6          => '2001:db8::',
            $MAPPED      => '::ffff:198.51.0.0',
            $CIP         => '203.0.0.0',
            '127.0.0.1'  => '127.0.0.0',
            '::1'        => '::',
            $LOCAL       => '127.3.0.0',
        },
    },
    {
        name  => 'w',
        label => 'anon on, /24 /48',
        conf  => "anon_ipv4_prefix 24;\n        anon_ipv6_prefix 48;",
        trunc => {
            $V4          => '198.51.100.0',
            $V4B         => '198.51.100.0',
            $V6          => '2001:db8:85a3::',
            $MAPPED      => '::ffff:198.51.100.0',
            $CIP         => '203.0.113.0',
            '127.0.0.1'  => '127.0.0.0',
            '::1'        => '::',
            $LOCAL       => '127.3.4.0',
        },
    },
);

# location /p8/: anon_ipv4_prefix 8; anon_ipv6_prefix 40;
my %P8 = (
    $V4     => '198.0.0.0',
    $V6     => '2001:db8:8500::',
    $MAPPED => '::ffff:198.0.0.0',
);

# what a site without the module gives for $anon_remote_addr (defaults)
my %DEFAULT = %{ $SITES[0]{trunc} };

my $t = AnonTest->new;

sub site_conf {
    my ($s) = @_;
    my $n = $s->{name};
    my $up = "proxy_pass http://%%RECORDER%%;\n"
        . "            proxy_set_header X-Real-IP \$remote_addr;";
    return <<"EOF";
    limit_req_zone \$binary_remote_addr zone=z_$n:1m rate=1r/m;

    server {
        listen 127.0.0.1:%%PORT_$n%% default_server;
        listen [::1]:%%PORT_$n%% default_server;
        listen 127.0.0.1:%%PORT_${n}h2%% http2;
        server_name $n.test;

        anon on;
        $s->{conf}

        root %%TESTDIR%%/html;

        # read (and cached) in the server rewrite phase, real address
        set \$seen 0;
        if (\$remote_addr ~ "^198\\.51\\.100\\.7\$") {
            set \$seen 1;
        }

        add_header X-Client \$remote_addr always;
        add_header X-Anon \$anon_remote_addr always;

        location / {
            $up
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        }

        # client headers passed on as they are after scrubbing
        location /pass/ {
            proxy_pass http://%%RECORDER%%;
        }

        location /early/ {
            set \$copy \$remote_addr;
            access_log %%TESTDIR%%/access.log early;
            $up
            proxy_set_header X-Seen \$seen;
            proxy_set_header X-Copy \$copy;
        }

        location /fcgi/ {
            fastcgi_pass %%FASTCGI%%;
            include /etc/nginx/fastcgi_params;
        }

        location /admin/ {
            allow 198.51.100.7;
            deny all;
            $up
        }

        location /local/ {
            allow 127.0.0.1;
            allow ::1;
            deny all;
            $up
        }

        location /limit/ {
            limit_req zone=z_$n;
            $up
        }

        location /r204/ {
            return 204;
        }

        location /r444/ {
            return 444;
        }

        location /tf/ {
            try_files /nonexistent \@named;
        }

        location \@named {
            allow 198.51.100.7;
            deny all;
            $up
        }

        location /ep/ {
            error_page 404 = /fallback;
        }

        location = /fallback {
            allow 198.51.100.7;
            deny all;
            $up
            proxy_set_header X-Orig \$request_uri;
        }

        location /mir/ {
            mirror /m;
            $up
        }

        location = /m {
            internal;
            proxy_pass http://%%RECORDER%%/mirror;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Orig \$request_uri;
        }

        location /off/ {
            anon off;
            $up
        }

        location /p8/ {
            anon_ipv4_prefix 8;
            anon_ipv6_prefix 40;
            $up
        }
    }

    server {
        listen 127.0.0.1:%%PORT_${n}pp%% proxy_protocol;
        server_name $n.test;

        set_real_ip_from 127.0.0.1;
        real_ip_header proxy_protocol;

        anon on;
        $s->{conf}

        location / {
            $up
            proxy_set_header X-PP \$proxy_protocol_addr;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        }
    }

    server {
        listen unix:%%TESTDIR%%/$n.sock;
        server_name $n.test;

        set_real_ip_from unix:;
        real_ip_header X-Real-IP;

        anon on;
        $s->{conf}

        location / {
            $up
        }
    }
EOF
}

$t->write_conf(<<'EOF' . join('', map { site_conf($_) } @SITES) . "}\n")->run;
%%GLOBALS%%
events {}
http {
    %%TEMPS%%
    log_format core 'ra=$remote_addr|bin=$binary_remote_addr'
                    '|rra=$realip_remote_addr|anon=$anon_remote_addr'
                    '|xff=$proxy_add_x_forwarded_for|xri=$http_x_real_ip'
                    '|pp=$proxy_protocol_addr|st=$status|req=$request';
    log_format early 'ra=$remote_addr|seen=$seen|copy=$copy|st=$status'
                     '|req=$request';
    access_log %%TESTDIR%%/access.log core;

    set_real_ip_from 127.0.0.1;
    set_real_ip_from ::1;
    real_ip_header X-Real-IP;

    # the same port as site d, without the module
    server {
        listen 127.0.0.1:%%PORT_d%%;
        listen [::1]:%%PORT_d%%;
        server_name plain.test;

        add_header X-Client $remote_addr always;
        add_header X-Anon $anon_remote_addr always;

        location / {
            proxy_pass http://%%RECORDER%%;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }

        location /p8/ {
            anon_ipv4_prefix 8;
            anon_ipv6_prefix 40;
            proxy_pass http://%%RECORDER%%;
        }
    }

    # PROXY protocol without realip: only $proxy_protocol_addr has it
    server {
        listen 127.0.0.1:%%PORT_pp%% proxy_protocol;
        server_name pp.test;

        anon on;

        location / {
            proxy_pass http://%%RECORDER%%;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-PP $proxy_protocol_addr;
        }
    }

EOF

# helpers

my $seq = 0;
sub uid { sprintf 'k%03d', ++$seq }

sub get {
    my ($dest, $uri, %h) = @_;
    return parse_response($t->http_get($dest, $uri, %h));
}

sub id_re { my ($id) = @_; qr{/\Q$id\E(?![0-9A-Za-z])} }

# the access-log line of request $id, as { field => value }
sub entry {
    my ($id) = @_;
    my $re = id_re($id);
    my $text = $t->wait_for_log('access.log', $re) // '';
    my @lines = grep { $_ =~ $re } split /\n/, $text;
    return { _n => 0 } unless @lines;
    my %e = map { split /=/, $_, 2 } split /\|/, $lines[0];
    $e{_n} = @lines;
    $e{_line} = $lines[0];
    return \%e;
}

# error-log lines of request $id (waits for at least one)
sub errors {
    my ($id) = @_;
    my $re = id_re($id);
    my $text = $t->wait_for_log('error.log', $re) // '';
    return grep { $_ =~ $re } split /\n/, $text;
}

# requests the recorder got that mention $id, waiting for $n of them
sub recorded {
    my ($id, $n) = @_;
    my $re = id_re($id);
    my @r;
    my $end = time + 2;
    while (1) {
        @r = grep { $_ =~ $re } $t->recorded;
        last if @r >= ($n // 1) || time > $end;
        sleep 0.05;
    }
    return @r;
}

sub fastcgi {
    my ($id) = @_;
    my $re = id_re($id);
    my $end = time + 2;
    while (1) {
        my @p = grep { ($_->{REQUEST_URI} // '') =~ $re }
            $t->fastcgi_params_seen;
        return $p[0] if @p || time > $end;
        sleep 0.05;
    }
}

sub header {
    my ($req, $name) = @_;
    return $req =~ /^\Q$name\E:[ \t]*([^\r\n]*?)[ \t]*\r?$/mi ? $1 : undef;
}

# $binary_remote_addr as the access log writes it (\xHH escapes)
sub bin_logged {
    my ($text) = @_;
    my $bin = inet_pton($text =~ /:/ ? AF_INET6 : AF_INET, $text);
    return join '', map {
        my $o = ord;
        $o < 0x20 || $o == 0x22 || $o == 0x5c || $o >= 0x7f
            ? sprintf('\\x%02X', $o) : $_
    } split //, $bin;
}

# $text with every full address of %$trunc replaced by its truncation
sub scrubbed {
    my ($text, $trunc) = @_;
    my $alt = join '|', map { quotemeta } sort { length $b <=> length $a }
        keys %$trunc;
    return $text =~ s/(?<![0-9A-Fa-f.:])($alt)(?![0-9A-Fa-f.:])/$trunc->{$1}/gr;
}

sub uri_decode { my ($s) = @_; $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ger }

sub nghttp {
    my (@args) = @_;
    my $out = qx{timeout 10 nghttp -v -n @{[ map { "'$_'" } @args ]} 2>&1};
    return ($? >> 8, $out);
}

# 1. access log: every variable that carries the address

for my $s (@SITES) {
    my ($n, $tr) = ($s->{name}, $s->{trunc});
    my $port = $t->port($n);
    subtest "1. access log variables truncated ($s->{label})" => sub {
        for my $addr ($V4, $V6, $MAPPED) {
            my $id = uid();
            my ($st, $h) = get($port, "/log/$id", 'X-Real-IP' => $addr);
            is($st, 200, "$addr: served");
            my $e = entry($id);
            is($e->{_n}, 1, "$addr: one access-log line");
            is($e->{ra}, $tr->{$addr}, "$addr: \$remote_addr");
            is($e->{bin}, bin_logged($tr->{$addr}),
                "$addr: \$binary_remote_addr");
            isnt($e->{bin}, bin_logged($addr),
                "$addr: \$binary_remote_addr is not the full address");
            is($e->{rra}, $tr->{'127.0.0.1'},
                "$addr: \$realip_remote_addr (127.0.0.1 truncated)");
            is($e->{anon}, $tr->{$addr}, "$addr: \$anon_remote_addr");
            is($e->{xff}, $tr->{$addr}, "$addr: \$proxy_add_x_forwarded_for");
            is($e->{xri}, $tr->{$addr}, "$addr: X-Real-IP header as logged");
            is_deeply([ leaks($e->{_line} // '', leak_forms($addr)) ], [],
                "$addr: no full address in the line");
        }

        # over ::1: the address before realip is IPv6
        my $id = uid();
        get({ port => $port, peer => '::1' }, "/log/$id",
            'X-Real-IP' => $V4);
        my $e = entry($id);
        is($e->{ra}, $tr->{$V4}, 'via ::1: $remote_addr');
        is($e->{rra}, $tr->{'::1'}, 'via ::1: $realip_remote_addr');

        $id = uid();
        get({ port => $port, peer => '::1' }, "/log/$id");
        $e = entry($id);
        is($e->{ra}, $tr->{'::1'}, 'via ::1 without realip: $remote_addr');
        is($e->{bin}, bin_logged($tr->{'::1'}),
            'via ::1 without realip: $binary_remote_addr');
        is($e->{anon}, $tr->{'::1'}, 'via ::1: $anon_remote_addr');
    };
}

# 2. a site without the module, on the same port

subtest '2. site isolation: a server without anon logs the full address'
    => sub {
    my $port = $t->port('d');
    for my $addr ($V4, $V6, $MAPPED) {
        my $id = uid();
        my ($st, $h) = get($port, "/plain/$id", Host => 'plain.test',
            'X-Real-IP' => $addr);
        is($st, 200, "$addr: served");
        my $e = entry($id);
        is($e->{ra}, $addr, "$addr: \$remote_addr full");
        is($e->{bin}, bin_logged($addr), "$addr: \$binary_remote_addr full");
        is($e->{rra}, '127.0.0.1', "$addr: \$realip_remote_addr full");
        is($e->{xri}, $addr, "$addr: X-Real-IP header untouched");
        is($e->{anon}, $DEFAULT{$addr},
            "$addr: \$anon_remote_addr truncated with anon off");
        is($h->{'x-client'}, $addr, "$addr: add_header \$remote_addr full");
        is($h->{'x-anon'}, $DEFAULT{$addr},
            "$addr: add_header \$anon_remote_addr truncated");
        my ($req) = recorded($id);
        is(header($req // '', 'X-Real-IP'), $addr,
            "$addr: upstream got the full address");
    }

    # one connection, alternating between the two servers
    my @ids = map { uid() } 1 .. 3;
    my @res = $t->http_keepalive($port, [
        [ "/log/$ids[0]", { Host => 'd.test', 'X-Real-IP' => $V4 } ],
        [ "/plain/$ids[1]", { Host => 'plain.test', 'X-Real-IP' => $V4 } ],
        [ "/log/$ids[2]", { Host => 'd.test', 'X-Real-IP' => $V4 } ],
    ]);
    is(scalar @res, 3, 'keepalive: three responses');
    is(entry($ids[0])->{ra}, '198.51.0.0', 'keepalive: anon site truncated');
    is(entry($ids[1])->{ra}, $V4, 'keepalive: plain site full');
    is(entry($ids[2])->{ra}, '198.51.0.0', 'keepalive: anon site again');
};

# 3. variables read in the rewrite phases

for my $s (@SITES) {
    my ($n, $tr) = ($s->{name}, $s->{trunc});
    subtest "3. variables cached early ($s->{label})" => sub {
        my $id = uid();
        my ($st, $h) = get($t->port($n), "/early/$id", 'X-Real-IP' => $V4);
        is($st, 200, 'served');
        my $e = entry($id);
        is($e->{seen}, 1, 'server-level if saw the real address');
        is($e->{ra}, $tr->{$V4}, '$remote_addr in the log truncated');
        is($e->{copy}, $V4,
            'set $copy $remote_addr keeps the real address (known limit)');
        my ($req) = recorded($id);
        is(header($req // '', 'X-Real-IP'), $tr->{$V4},
            'upstream X-Real-IP truncated');
        is(header($req // '', 'X-Seen'), 1, 'upstream X-Seen');
        is(header($req // '', 'X-Copy'), $V4,
            'upstream X-Copy: the copy (known limit)');
        is($h->{'x-client'}, $tr->{$V4}, 'add_header truncated');

        $id = uid();
        get($t->port($n), "/early/$id", 'X-Real-IP' => $V4B);
        $e = entry($id);
        is($e->{seen}, 0, 'server-level if: no match for another address');
        is($e->{copy}, $V4B, 'the copy is the real other address');
    };
}

# 4. proxy_pass: what the upstream and the response headers get

for my $s (@SITES) {
    my ($n, $tr) = ($s->{name}, $s->{trunc});
    my $port = $t->port($n);
    subtest "4. proxied requests and add_header ($s->{label})" => sub {
        for my $addr ($V4, $V6, $MAPPED) {
            my $id = uid();
            my ($st, $h) = get($port, "/up/$id?cip=$CIP&x=1",
                'X-Real-IP' => $addr, 'X-Forwarded-For' => $CIP);
            is($st, 200, "$addr: served");
            my ($req) = recorded($id);
            $req //= '';
            like($req, qr{^GET /up/\Q$id?cip=$tr->{$CIP}&x=1\E HTTP},
                "$addr: cip argument truncated in the upstream request");
            is(header($req, 'X-Real-IP'), $tr->{$addr},
                "$addr: upstream X-Real-IP \$remote_addr");
            is(header($req, 'X-Forwarded-For'), "$tr->{$CIP}, $tr->{$addr}",
                "$addr: upstream \$proxy_add_x_forwarded_for");
            is($h->{'x-client'}, $tr->{$addr},
                "$addr: add_header \$remote_addr");
            is($h->{'x-anon'}, $tr->{$addr},
                "$addr: add_header \$anon_remote_addr");
            is_deeply([ leaks($req, leak_forms($addr), $CIP) ], [],
                "$addr: nothing full in the upstream request");
        }

        # client headers passed on without proxy_set_header: scrubbed
        my %sent = (
            'X-Real-IP'        => $V4,
            'X-Forwarded-For'  => "$CIP, $V4",
            'Forwarded'        => "for=$V4;proto=http, for=\"[$V6]:4711\"",
            'True-Client-IP'   => $V4,
            'CF-Connecting-IP' => $V6,
            'X-Client-IP'      => $MAPPED,
        );
        my $id = uid();
        my ($st) = get($port, "/pass/$id", %sent);
        is($st, 200, 'pass: served');
        my ($req) = recorded($id);
        $req //= '';
        for my $name (sort keys %sent) {
            is(header($req, $name), scrubbed($sent{$name}, $tr),
                "pass: $name scrubbed");
        }
        is_deeply([ leaks($req, map { leak_forms($_) } $V4, $V6, $CIP) ],
            [], 'pass: nothing full in the upstream request');
        my $e = entry($id);
        is($e->{xri}, $tr->{$V4}, 'pass: X-Real-IP in the log scrubbed');
        is($e->{xff}, "$tr->{$CIP}, $tr->{$V4}, $tr->{$V4}",
            'pass: $proxy_add_x_forwarded_for in the log');
    };
}

# 5. FastCGI

for my $s (@SITES) {
    my ($n, $tr) = ($s->{name}, $s->{trunc});
    subtest "5. FastCGI params ($s->{label})" => sub {
        my $id = uid();
        my ($st) = get($t->port($n), "/fcgi/$id?cip=$CIP&x=1",
            'X-Real-IP' => $V4, 'X-Forwarded-For' => $CIP);
        is($st, 200, 'served');
        my $p = fastcgi($id) // {};
        is($p->{REMOTE_ADDR}, $tr->{$V4}, 'REMOTE_ADDR');
        is($p->{REQUEST_URI}, "/fcgi/$id?cip=$tr->{$CIP}&x=1", 'REQUEST_URI');
        is($p->{QUERY_STRING}, "cip=$tr->{$CIP}&x=1", 'QUERY_STRING');
        is($p->{HTTP_X_REAL_IP}, $tr->{$V4}, 'HTTP_X_REAL_IP');
        is($p->{HTTP_X_FORWARDED_FOR}, $tr->{$CIP}, 'HTTP_X_FORWARDED_FOR');

        # an IPv6 cip, percent-encoded
        $id = uid();
        (my $enc = $V6) =~ s/:/%3A/g;
        get($t->port($n), "/fcgi/$id?x=1&cip=$enc", 'X-Real-IP' => $V6);
        $p = fastcgi($id) // {};
        is($p->{REMOTE_ADDR}, $tr->{$V6}, 'IPv6: REMOTE_ADDR');
        my ($cip) = ($p->{QUERY_STRING} // '') =~ /(?:^|&)cip=([^&]*)/;
        is(uri_decode($cip // ''), $tr->{$V6},
            'IPv6: encoded cip truncated in QUERY_STRING');
        like($p->{REQUEST_URI} // '', qr/^\Q\/fcgi\/$id?x=1&cip=\E/,
            'IPv6: REQUEST_URI keeps the rest');
        my $all = join "\n", map { "$_=$p->{$_}" } sort keys %$p;
        is_deeply([ leaks(uri_decode($all), leak_forms($V6)) ], [],
            'IPv6: no full address in any param');
    };
}

# 6. access control and limit_req on the real address

for my $s (@SITES) {
    my ($n, $tr) = ($s->{name}, $s->{trunc});
    my $port = $t->port($n);
    subtest "6. allow/deny and limit_req on the real address ($s->{label})"
        => sub {
        my $id = uid();
        my ($st) = get($port, "/admin/$id", 'X-Real-IP' => $V4);
        is($st, 200, "allow $V4: 200");
        my ($req) = recorded($id);
        is(header($req // '', 'X-Real-IP'), $tr->{$V4},
            'allowed request proxied truncated');

        $id = uid();
        ($st, my $h) = get($port, "/admin/$id", 'X-Real-IP' => $V4B);
        is($st, 403, "$V4B (same network): 403");
        is($h->{'x-client'}, $tr->{$V4B}, '403: add_header truncated');
        my $e = entry($id);
        is($e->{st}, 403, '403 logged');
        is($e->{ra}, $tr->{$V4B}, '403 logged with the truncated address');
        my @err = grep { /access forbidden by rule/ } errors($id);
        is(scalar @err, 1, 'one "access forbidden by rule" line');
        like($err[0] // '', qr/, client: \Q$tr->{$V4B}\E,/,
            'error log: truncated client');
        is_deeply([ leaks(join("\n", errors($id)), $V4B) ], [],
            'error log: no full address');

        my @ids = map { uid() } 1 .. 3;
        ($st) = get($port, "/limit/$ids[0]", 'X-Real-IP' => $V4);
        is($st, 200, "limit_req: first from $V4 passes");
        ($st, $h) = get($port, "/limit/$ids[1]", 'X-Real-IP' => $V4);
        is($st, 503, "limit_req: second from $V4 rejected");
        is($h->{'x-client'}, $tr->{$V4}, '503: add_header truncated');
        ($st) = get($port, "/limit/$ids[2]", 'X-Real-IP' => $V4B);
        is($st, 200, "limit_req: first from $V4B passes (own bucket)");
        $e = entry($ids[1]);
        is($e->{st}, 503, '503 logged');
        is($e->{ra}, $tr->{$V4}, '503 logged with the truncated address');
        @err = grep { /limiting requests/ } errors($ids[1]);
        is(scalar @err, 1, 'one "limiting requests" line');
        like($err[0] // '', qr/, client: \Q$tr->{$V4}\E,/,
            'limiting requests: truncated client');
        is_deeply([ leaks(join("\n", map { errors($_) } $ids[1]), $V4) ],
            [], 'limiting requests: no full address');
    };
}

# 7. requests that end before the precontent phase

for my $s (@SITES) {
    my ($n, $tr) = ($s->{name}, $s->{trunc});
    my $port = $t->port($n);
    subtest "7. early ends logged truncated ($s->{label})" => sub {
        my $id = uid();
        my ($st, $h) = get($port, "/r204/$id", 'X-Real-IP' => $V4);
        is($st, 204, 'return 204');
        is($h->{'x-client'}, $tr->{$V4}, 'return 204: add_header truncated');
        my $e = entry($id);
        is("$e->{st}|$e->{ra}", "204|$tr->{$V4}", 'return 204 logged');

        $id = uid();
        my $raw = $t->http_get($port, "/r444/$id", 'X-Real-IP' => $V6);
        is($raw, '', 'return 444: connection closed');
        $e = entry($id);
        is("$e->{st}|$e->{ra}", "444|$tr->{$V6}", 'return 444 logged');

        $id = uid();
        ($st, $h) = get($port, "/admin/$id?cip=$CIP", 'X-Real-IP' => $V6);
        is($st, 403, 'deny: 403');
        is($h->{'x-client'}, $tr->{$V6}, 'deny: add_header truncated');
        $e = entry($id);
        is("$e->{st}|$e->{ra}", "403|$tr->{$V6}", 'deny logged');
        like($e->{req} // '', qr/cip=\Q$tr->{$CIP}\E /,
            'deny: cip argument truncated in $request');

        # 400 after the Host header: realip has not run
        my %bad = (
            'duplicate Host' => "Host: localhost\r\nHost: other\r\n",
            'invalid header' => "Host: localhost\r\nBad Header: x\r\n",
        );
        for my $what (sort keys %bad) {
            $id = uid();
            $raw = $t->http_raw({ port => $port, local => $LOCAL },
                "GET /bad/$id?cip=$CIP HTTP/1.1\r\nX-Real-IP: $V4\r\n"
                . "$bad{$what}\r\n");
            ($st, $h) = parse_response($raw);
            is($st, 400, "$what: 400");
            is($h->{'x-client'}, $tr->{$LOCAL}, "$what: add_header truncated");
            $e = entry($id);
            is($e->{st}, 400, "$what: 400 logged");
            is($e->{ra}, $tr->{$LOCAL}, "$what: logged truncated");
            is($e->{xri}, $tr->{$V4}, "$what: X-Real-IP header scrubbed");
            like($e->{req} // '', qr/cip=\Q$tr->{$CIP}\E /,
                "$what: cip argument truncated in \$request");
            is_deeply([ leaks($e->{_line} // '', $LOCAL, $V4, $CIP) ], [],
                "$what: nothing full in the line");
        }
    };
}

# 8. internal redirects: access checked again on the real address

for my $s (@SITES) {
    my ($n, $tr) = ($s->{name}, $s->{trunc});
    my $port = $t->port($n);
    subtest "8. try_files to a named location, error_page ($s->{label})"
        => sub {
        for my $loc ('tf', 'ep') {
            my $id = uid();
            my ($st, $h) = get($port, "/$loc/$id", 'X-Real-IP' => $V4);
            is($st, 200, "$loc: $V4 allowed after the redirect");
            my ($req) = recorded($id);
            $req //= '';
            is(header($req, 'X-Real-IP'), $tr->{$V4},
                "$loc: upstream got the truncated address");
            like($req, $loc eq 'tf' ? qr{^GET /tf/$id } : qr{^GET /fallback },
                "$loc: the redirect's target proxied");
            is($h->{'x-client'}, $tr->{$V4}, "$loc: add_header truncated");
            my $e = entry($id);
            is("$e->{st}|$e->{ra}", "200|$tr->{$V4}",
                "$loc: logged truncated");
            is_deeply([ leaks(join("\n", errors($id)), $V4) ], [],
                "$loc: error log lines truncated");

            $id = uid();
            ($st, $h) = get($port, "/$loc/$id", 'X-Real-IP' => $V4B);
            is($st, 403, "$loc: $V4B denied after the redirect");
            is($h->{'x-client'}, $tr->{$V4B}, "$loc: 403 add_header truncated");
            $e = entry($id);
            is("$e->{st}|$e->{ra}", "403|$tr->{$V4B}",
                "$loc: 403 logged truncated");
            my @err = grep { /access forbidden/ } errors($id);
            like($err[0] // '', qr/, client: \Q$tr->{$V4B}\E,/,
                "$loc: access forbidden line truncated");
        }
    };
}

# 9. mirror

for my $s (@SITES) {
    my ($n, $tr) = ($s->{name}, $s->{trunc});
    subtest "9. mirror subrequest ($s->{label})" => sub {
        my $id = uid();
        my ($st) = get($t->port($n), "/mir/$id?cip=$CIP",
            'X-Real-IP' => $V4, 'X-Forwarded-For' => $CIP);
        is($st, 200, 'served');
        my @req = recorded($id, 2);
        my ($main) = grep { m{^GET /mir/} } @req;
        my ($mirror) = grep { m{^GET /mirror} } @req;
        ok($main, 'main request proxied');
        ok($mirror, 'mirror request sent');
        is(header($mirror // '', 'X-Real-IP'), $tr->{$V4},
            'mirror: X-Real-IP truncated');
        is(header($mirror // '', 'X-Forwarded-For'),
            "$tr->{$CIP}, $tr->{$V4}", 'mirror: X-Forwarded-For truncated');
        is(header($mirror // '', 'X-Orig'), "/mir/$id?cip=$tr->{$CIP}",
            'mirror: $request_uri with the cip argument truncated');
        is(header($main // '', 'X-Real-IP'), $tr->{$V4},
            'main: X-Real-IP truncated');
        is_deeply([ leaks(join("\n", @req), $V4, $CIP) ], [],
            'nothing full in either');
    };
}

# 10. keepalive: every request starts from the real address

for my $s (@SITES) {
    my ($n, $tr) = ($s->{name}, $s->{trunc});
    subtest "10. keepalive requests ($s->{label})" => sub {
        my @ids = map { uid() } 1 .. 7;
        my @res = map { [ parse_response($_) ] }
            $t->http_keepalive($t->port($n), [
            [ "/ka/$ids[0]", { 'X-Real-IP' => $V4 } ],
            [ "/ka/$ids[1]" ],
            [ "/off/$ids[2]" ],
            [ "/local/$ids[3]" ],
            [ "/admin/$ids[4]", { 'X-Real-IP' => $V4 } ],
            [ "/off/$ids[5]", { 'X-Real-IP' => $V4B } ],
            [ "/admin/$ids[6]", { 'X-Real-IP' => $V4B } ],
        ]);
        is(scalar @res, 7, 'seven responses on one connection');
        is(entry($ids[0])->{ra}, $tr->{$V4}, '1: realip address truncated');
        is(entry($ids[1])->{ra}, $tr->{'127.0.0.1'},
            '2: no X-Real-IP: 127.0.0.1 truncated');
        is(entry($ids[2])->{ra}, '127.0.0.1',
            '3: anon off: the real 127.0.0.1 again');
        is($res[3][0], 200, '4: allow 127.0.0.1 sees the real address');
        is(entry($ids[3])->{ra}, $tr->{'127.0.0.1'}, '4: logged truncated');
        is($res[4][0], 200, "5: allow $V4 sees the real address");
        is(entry($ids[4])->{ra}, $tr->{$V4}, '5: logged truncated');
        is(entry($ids[5])->{ra}, $V4B, '6: anon off: realip address full');
        is($res[1][1]{'x-client'}, $tr->{'127.0.0.1'},
            '2: add_header truncated');
        is($res[6][0], 403, "7: $V4B denied");
        my @err = grep { /access forbidden/ } errors($ids[6]);
        like($err[0] // '', qr/, client: \Q$tr->{$V4B}\E,/,
            '7: error log of a keepalive request truncated');
    };
}

# 11. HTTP/2: each stream on its own

for my $s (@SITES) {
    my ($n, $tr) = ($s->{name}, $s->{trunc});
    my $base = 'http://127.0.0.1:' . $t->port("${n}h2");
    subtest "11. HTTP/2 streams ($s->{label})" => sub {
        my @ids = map { uid() } 1 .. 8;
        my ($rc, $out) = nghttp('-H', "x-real-ip: $V4",
            "$base/h2/$ids[0]", "$base/off/$ids[1]", "$base/admin/$ids[2]",
            "$base/h2/$ids[3]?cip=$CIP");
        is($rc, 0, 'nghttp with X-Real-IP') or diag $out;
        like($out, qr/x-client: \Q$tr->{$V4}\E$/m,
            'add_header truncated over HTTP/2');
        is(() = $out =~ /x-client: \Q$V4\E$/mg, 1,
            'add_header full only for the anon off stream');
        my $e = entry($ids[0]);
        is("$e->{st}|$e->{ra}|$e->{rra}",
            "200|$tr->{$V4}|$tr->{'127.0.0.1'}", 'stream 1 logged truncated');
        is(entry($ids[1])->{ra}, $V4, 'anon off stream: full address');
        is(entry($ids[2])->{st}, 200, "allow $V4: real address checked");
        is(entry($ids[2])->{ra}, $tr->{$V4}, 'allowed stream truncated');
        $e = entry($ids[3]);
        is($e->{ra}, $tr->{$V4}, 'stream 4 logged truncated');
        like($e->{req} // '', qr/cip=\Q$tr->{$CIP}\E /,
            'stream 4: cip truncated in $request');
        my ($req) = recorded($ids[3]);
        is(header($req // '', 'X-Real-IP'), $tr->{$V4},
            'stream 4: upstream got the truncated address');

        ($rc, $out) = nghttp("$base/h2/$ids[4]", "$base/off/$ids[5]",
            "$base/local/$ids[6]");
        is($rc, 0, 'nghttp without X-Real-IP') or diag $out;
        is(entry($ids[4])->{ra}, $tr->{'127.0.0.1'},
            'no realip: 127.0.0.1 truncated');
        is(entry($ids[5])->{ra}, '127.0.0.1', 'anon off stream: 127.0.0.1');
        is(entry($ids[6])->{st}, 200, 'allow 127.0.0.1 on the real address');

        ($rc, $out) = nghttp('-H', "x-real-ip: $V4B", "$base/admin/$ids[7]");
        is($rc, 0, 'nghttp denied') or diag $out;
        $e = entry($ids[7]);
        is("$e->{st}|$e->{ra}", "403|$tr->{$V4B}", 'denied stream logged');
        my @err = grep { /access forbidden/ } errors($ids[7]);
        like($err[0] // '', qr/, client: \Q$tr->{$V4B}\E,/,
            'denied stream: error log truncated');
    };
}

# 12. PROXY protocol

for my $s (@SITES) {
    my ($n, $tr) = ($s->{name}, $s->{trunc});
    subtest "12. PROXY protocol ($s->{label})" => sub {
        for my $pp ([ TCP4 => $V4, '127.0.0.1' ], [ TCP6 => $V6, '::1' ]) {
            my ($proto, $addr, $dst) = @$pp;
            my $id = uid();
            my ($st, $h) = parse_response($t->http_raw($t->port("${n}pp"),
                "PROXY $proto $addr $dst 5555 80\r\n"
                . "GET /pp/$id HTTP/1.1\r\nHost: localhost\r\n"
                . "Connection: close\r\n\r\n"));
            is($st, 200, "$proto: served");
            my $e = entry($id);
            is($e->{ra}, $tr->{$addr}, "$proto: \$remote_addr");
            is($e->{pp}, $tr->{$addr}, "$proto: \$proxy_protocol_addr");
            is($e->{rra}, $tr->{'127.0.0.1'}, "$proto: \$realip_remote_addr");
            is($e->{xff}, $tr->{$addr},
                "$proto: \$proxy_add_x_forwarded_for");
            my ($req) = recorded($id);
            is(header($req // '', 'X-Real-IP'), $tr->{$addr},
                "$proto: upstream X-Real-IP");
            is(header($req // '', 'X-PP'), $tr->{$addr},
                "$proto: upstream \$proxy_protocol_addr");
        }
    };
}

subtest '12. PROXY protocol without realip' => sub {
    my $id = uid();
    my ($st) = parse_response($t->http_raw($t->port('pp'),
        "PROXY TCP4 $V4 127.0.0.1 5555 80\r\n"
        . "GET /pp/$id HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n\r\n"));
    is($st, 200, 'served');
    my $e = entry($id);
    is($e->{ra}, '127.0.0.0', '$remote_addr: the peer, truncated');
    is($e->{pp}, '198.51.0.0', '$proxy_protocol_addr truncated');
    my ($req) = recorded($id);
    is(header($req // '', 'X-PP'), '198.51.0.0',
        'upstream $proxy_protocol_addr truncated');
};

# 13. UNIX-domain socket listener

for my $s (@SITES) {
    my ($n, $tr) = ($s->{name}, $s->{trunc});
    my $sock = $t->dir . "/$n.sock";
    subtest "13. UNIX-domain socket ($s->{label})" => sub {
        my $id = uid();
        my $out = qx{curl -s -i --max-time 5 --unix-socket $sock \\
            http://localhost/unix/$id 2>&1};
        my ($st, $h) = parse_response($out);
        is($st, 200, 'served over the UNIX socket');
        my $e = entry($id);
        is($e->{ra}, 'unix:', '$remote_addr is unix:');
        is($e->{anon}, 'unix:', '$anon_remote_addr is unix:');
        my ($req) = recorded($id);
        is(header($req // '', 'X-Real-IP'), 'unix:', 'upstream got unix:');

        # a load balancer on the socket names the visitor: truncated
        $id = uid();
        $out = qx{curl -s -i --max-time 5 --unix-socket $sock \\
            -H 'X-Real-IP: $V4' http://localhost/unix/$id 2>&1};
        ($st) = parse_response($out);
        is($st, 200, 'served with X-Real-IP');
        $e = entry($id);
        is($e->{ra}, $tr->{$V4}, 'realip address truncated');
        is($e->{rra}, 'unix:', '$realip_remote_addr unix:');
        ($req) = recorded($id);
        is(header($req // '', 'X-Real-IP'), $tr->{$V4},
            'upstream got the truncated address');
    };
}

# 14. $anon_remote_addr with the prefixes of the location

subtest '14. $anon_remote_addr in a location with other prefixes' => sub {
    for my $s (@SITES) {
        my $n = $s->{name};
        for my $addr ($V4, $V6, $MAPPED) {
            my $id = uid();
            my ($st, $h) = get($t->port($n), "/p8/$id", 'X-Real-IP' => $addr);
            my $e = entry($id);
            is($e->{anon}, $P8{$addr}, "$n.test $addr: \$anon_remote_addr");
            is($e->{ra}, $P8{$addr}, "$n.test $addr: \$remote_addr");
            is($h->{'x-anon'}, $P8{$addr}, "$n.test $addr: add_header");
        }
    }
    for my $addr ($V4, $V6, $MAPPED) {
        my $id = uid();
        my ($st, $h) = get($t->port('d'), "/p8/$id", Host => 'plain.test',
            'X-Real-IP' => $addr);
        my $e = entry($id);
        is($e->{anon}, $P8{$addr}, "plain.test $addr: \$anon_remote_addr");
        is($e->{ra}, $addr, "plain.test $addr: \$remote_addr full");
        is($h->{'x-anon'}, $P8{$addr}, "plain.test $addr: add_header");
    }
};

$t->done_checks;
done_testing;
