#!/usr/bin/perl

# anon_args: query arguments named in the list (default "cip") carry an
# address that is truncated in $args, $query_string, $arg_cip,
# $request_uri, $request, the error log's request: part and the URI that
# proxy_pass sends, with and without a URI part and after a rewrite.
# Percent-encoded and double-encoded values and names count; every other
# argument stays byte for byte.  HTTP/1.x and HTTP/2.

use strict;
use warnings;
use Test::More;
use AnonTest;

my $t = AnonTest->new;
$t->write_conf(<<'EOF')->run;
%%GLOBALS%%
events {}
http {
    %%TEMPS%%
    large_client_header_buffers 4 64k;
    log_format t '$request_uri|$status|$args|$query_string|$arg_cip|'
                 '$request';
    access_log %%TESTDIR%%/access.log t;

    server {
        listen 127.0.0.1:%%PORT_1%%;
        listen 127.0.0.1:%%PORT_2%% http2;
        anon on;

        # read (and cached) in the server rewrite phase, before the scrub
        if ($arg_cip = "none") { return 418; }
        if ($request_uri = "none") { return 418; }
        if ($request = "none") { return 418; }
        if ($args = "none") { return 418; }

        location / { proxy_pass http://%%RECORDER%%; }
        location = /t { proxy_pass http://%%RECORDER%%/track; }
        location /p/ { proxy_pass http://%%RECORDER%%/track/; }
        location /rw {
            rewrite ^ /x?$args break;
            proxy_pass http://%%RECORDER%%;
        }
        location /rwarg {
            rewrite ^ /y?c=$arg_cip break;
            proxy_pass http://%%RECORDER%%;
        }
        location /var { proxy_pass http://%%RECORDER%%/v?c=$arg_cip; }
        location ~ ^/re/(.*)$ {
            proxy_pass http://%%RECORDER%%/regex/$1$is_args$args;
        }
        location /ret { return 200 "$args|$arg_cip|$request_uri\n"; }
        location /deny { deny all; }
        location /fcgi {
            include /etc/nginx/fastcgi_params;
            fastcgi_pass %%FASTCGI%%;
        }
        location /ip {
            anon_args cip ip;
            proxy_pass http://%%RECORDER%%;
        }
    }

    # anon_args off: cip passes unchanged, in its own log
    server {
        listen 127.0.0.1:%%PORT_3%%;
        anon on;
        access_log %%TESTDIR%%/off.log t;
        location / { anon_args off; proxy_pass http://%%RECORDER%%; }
    }
}
EOF

my ($P, $H2, $OFF) = map { $t->port($_) } 1, 2, 3;
my @sent;    # addresses sent in scrubbed arguments, for the leak check
my $n = 0;

sub get {
    my ($port, $uri) = @_;
    my ($st) = parse_response($t->http_get($port, $uri));
    return $st;
}

sub request_line {    # the request line the recorder got for path $path
    my ($path) = @_;
    for ($t->recorded) {
        return $1 if m{\A(\S+ \Q$path\E[?\s][^\r\n]*)\r\n};
    }
    return '';
}

sub log_line {    # the access-log line whose $request_uri starts with $path
    my ($name, $path) = @_;
    my $log = $t->wait_for_log($name, qr/^\Q$path\E[?|]/m) // '';
    my ($line) = $log =~ /^(\Q$path\E[?|].*)$/m;
    return $line // '';
}

sub arg_cip {    # what nginx shows as $arg_cip for a query
    my ($q) = @_;
    my ($v) = $q =~ /(?:\A|&)cip=([^&]*)/i;
    return !defined $v ? '-' : length $v ? $v : '';
}

# sent query => expected query; the addresses in it

my @cases = (
    [ 'x=1&cip=198.51.100.7&y=2', 'x=1&cip=198.51.0.0&y=2',
        'IPv4 in the middle', '198.51.100.7' ],
    [ 'cip=2001:db8:cafe::17', 'cip=2001%3Adb8%3A%3A',
        'raw IPv6', '2001:db8:cafe::17' ],
    [ 'cip=2001%3Adb8%3Acafe%3A%3A17', 'cip=2001%3Adb8%3A%3A',
        'URL-encoded IPv6', '2001:db8:cafe::17' ],
    [ 'cip=2001%3adb8%3acafe%3a%3a17', 'cip=2001%3Adb8%3A%3A',
        'URL-encoded IPv6, lower-case escapes', '2001:db8:cafe::17' ],
    [ 'cip=2001%253Adb8%253Acafe%253A%253A17', 'cip=2001%3Adb8%3A%3A',
        'double-encoded IPv6', '2001:db8:cafe::17' ],
    [ 'cip=2001%25253Adb8%25253Acafe%25253A%25253A17', 'cip=2001%3Adb8%3A%3A',
        'triple-encoded IPv6', '2001:db8:cafe::17' ],
    [ 'cip=%31%39%38%2E%35%31%2E%31%30%30%2E%37', 'cip=198.51.0.0',
        'every character encoded', '198.51.100.7' ],
    [ 'cip=%3A%3Affff%3A198.51.100.7', 'cip=%3A%3Affff%3A198.51.0.0',
        'IPv4-mapped', '::ffff:198.51.100.7' ],
    [ 'CIP=198.51.100.7', 'CIP=198.51.0.0', 'upper-case name',
        '198.51.100.7' ],
    [ 'a=1&Cip=198.51.100.7', 'a=1&Cip=198.51.0.0', 'mixed-case name',
        '198.51.100.7' ],
    [ 'c%69p=198.51.100.7', 'c%69p=198.51.0.0', 'encoded name c%69p',
        '198.51.100.7' ],
    [ '%63%49%70=198.51.100.7', '%63%49%70=198.51.0.0',
        'fully encoded name', '198.51.100.7' ],
    [ 'cip=198.51.100.7&cip=203.0.113.45', 'cip=198.51.0.0&cip=203.0.0.0',
        'cip twice', '198.51.100.7', '203.0.113.45' ],
    [ 'cip=198.51.100.7%2C2001%3Adb8%3Acafe%3A%3A17',
        'cip=198.51.0.0%2C2001%3Adb8%3A%3A', 'a list in one value',
        '198.51.100.7', '2001:db8:cafe::17' ],
    [ 'cip=198.51.100.7:4711', 'cip=198.51.0.0%3A4711', 'with a port',
        '198.51.100.7' ],
    [ 'cip=%5B2001%3Adb8%3Acafe%3A%3A17%5D%3A4711',
        'cip=%5B2001%3Adb8%3A%3A%5D%3A4711', '[v6]:port, encoded',
        '2001:db8:cafe::17' ],
    [ 'cip=2001%3A0DB8%3ACAFE%3A0%3A0%3A0%3A0%3A17', 'cip=2001%3Adb8%3A%3A',
        'uncompressed upper-case IPv6', '2001:db8:cafe::17' ],
    [ 'a=%7E%20b+c&utm=x%3Ay&cip=198.51.100.7&z=%25%26&empty=&flag'
        . '&ip=192.0.2.1&xcip=192.0.2.2&cipx=192.0.2.3&c=%zz',
      'a=%7E%20b+c&utm=x%3Ay&cip=198.51.0.0&z=%25%26&empty=&flag'
        . '&ip=192.0.2.1&xcip=192.0.2.2&cipx=192.0.2.3&c=%zz',
      'other arguments byte for byte', '198.51.100.7' ],
    [ 'cip=hello&cip=&cip', 'cip=hello&cip=&cip', 'cip without address',
        undef ],
    [ 'x=192.0.2.5', 'x=192.0.2.5', 'other names keep addresses',
        undef ],
);

for my $c (@cases) {
    my ($q, $want, $what, @addr) = @$c;
    my $path = '/a/' . ++$n;
    push @sent, grep { defined } @addr;
    is get($P, "$path?$q"), 200, "$what: 200";
    is request_line($path), "GET $path?$want HTTP/1.0",
        "$what: proxy_pass without URI part";
    is log_line('access.log', $path), join('|', "$path?$want", 200, $want,
        $want, arg_cip($want), "GET $path?$want HTTP/1.1"),
        "$what: \$request_uri, \$args, \$query_string, \$arg_cip, \$request";
}

# proxy_pass with a URI part, exact and prefix location

is get($P, '/t?n=1&cip=198.51.100.7&z=%3A'), 200, 'proxy_pass /track: 200';
is request_line('/track'), 'GET /track?n=1&cip=198.51.0.0&z=%3A HTTP/1.0',
    'proxy_pass with URI part: scrubbed';
is get($P, '/p/q?n=2&cip=2001%3Adb8%3Acafe%3A%3A17'), 200, 'prefix: 200';
is request_line('/track/q'), 'GET /track/q?n=2&cip=2001%3Adb8%3A%3A HTTP/1.0',
    'proxy_pass with URI part, prefix location: scrubbed';

# rewrite ^ /x?$args break; and $arg_cip in a rewrite and in proxy_pass

is get($P, '/rw?n=3&cip=198.51.100.7'), 200, 'rewrite: 200';
is request_line('/x'), 'GET /x?n=3&cip=198.51.0.0&n=3&cip=198.51.0.0 HTTP/1.0',
    'rewrite ^ /x?$args break: scrubbed';
is get($P, '/rwarg?cip=203.0.113.45'), 200, 'rewrite $arg_cip: 200';
is request_line('/y'), 'GET /y?c=203.0.0.0&cip=203.0.0.0 HTTP/1.0',
    'rewrite ^ /y?c=$arg_cip: scrubbed';
is get($P, '/var?cip=192.0.2.33'), 200, 'proxy_pass with $arg_cip: 200';
is request_line('/v'), 'GET /v?c=192.0.0.0 HTTP/1.0',
    'proxy_pass http://.../v?c=$arg_cip: scrubbed';
is get($P, '/re/z?cip=192.0.2.34&k=%2F'), 200, 'regex location: 200';
is request_line('/regex/z'), 'GET /regex/z?cip=192.0.0.0&k=%2F HTTP/1.0',
    'proxy_pass http://.../regex/$1$is_args$args: scrubbed';
push @sent, qw(203.0.113.45 192.0.2.33 192.0.2.34);

# return in the rewrite phase already sees the scrubbed arguments

{
    my ($st, $h, $body) = parse_response($t->http_get($P,
        '/ret?cip=198.51.100.7&y=1'));
    is $body, "cip=198.51.0.0&y=1|198.51.0.0|/ret?cip=198.51.0.0&y=1\n",
        'return: $args, $arg_cip, $request_uri scrubbed';
}

# the error log's request: part, for a denied request

is get($P, '/deny?n=4&cip=198.51.100.7'), 403, 'deny: 403';
{
    my $req = 'request: "GET /deny?n=4&cip=198.51.0.0 HTTP/1.1"';
    like $t->wait_for_log('error.log', qr/access forbidden/) // '',
        qr/access forbidden by rule, .*, \Q$req\E/,
        'error log request: part scrubbed';
}
is log_line('access.log', '/deny'), '/deny?n=4&cip=198.51.0.0|403|'
    . 'n=4&cip=198.51.0.0|n=4&cip=198.51.0.0|198.51.0.0|'
    . 'GET /deny?n=4&cip=198.51.0.0 HTTP/1.1', 'deny: access log scrubbed';

# absolute URI, HTTP/1.0, extra spaces in the request line

{
    my $raw = $t->http_raw($P, "GET http://localhost/abs?cip=198.51.100.7 "
        . "HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    is((parse_response($raw))[0], 200, 'absolute URI: 200');
    like log_line('access.log', '/abs'),
        qr{\|GET http://localhost/abs\?cip=198\.51\.0\.0 HTTP/1\.1\z},
        'absolute URI: $request scrubbed';
    is request_line('/abs'), 'GET /abs?cip=198.51.0.0 HTTP/1.0',
        'absolute URI: upstream scrubbed';

    $raw = $t->http_raw($P, "GET /h10?cip=198.51.100.7 HTTP/1.0\r\n\r\n");
    is((parse_response($raw))[0], 200, 'HTTP/1.0: 200');
    like log_line('access.log', '/h10'),
        qr{\|GET /h10\?cip=198\.51\.0\.0 HTTP/1\.0\z},
        'HTTP/1.0: $request scrubbed';

    $raw = $t->http_raw($P, "GET  /sp?cip=198.51.100.7  HTTP/1.1\r\n"
        . "Host: localhost\r\nConnection: close\r\n\r\n");
    is((parse_response($raw))[0], 200, 'extra spaces: 200');
    my $line = log_line('access.log', '/sp');
    like $line, qr/\A\/sp\?cip=198\.51\.0\.0\|/,
        'extra spaces: $request_uri scrubbed';
    is_deeply [ leaks($line, '198.51.100.7') ], [],
        'extra spaces: no full address in $request';
    like $line, qr{\|GET  /sp\?cip=198\.51\.0\.0  HTTP/1\.1\z},
        'extra spaces: $request keeps its spaces, only the address changes';

    # a space inside the URI: 400, and $request is the line as it came
    $raw = $t->http_raw($P, "GET /spq?a=1 b&cip=198.51.100.9 HTTP/1.1\r\n"
        . "Host: localhost\r\nConnection: close\r\n\r\n");
    is((parse_response($raw))[0], 400, 'a space in the query: 400');
    my $log = $t->wait_for_log('access.log', qr{GET /spq\?}) // '';
    ($line) = $log =~ m{^(.*GET /spq\?.*)$}m;
    is $line, '-|400|-|-|-|GET /spq?a=1 b&cip=198.51.0.0 HTTP/1.1',
        'a space in the query: $request of the 400 scrubbed';
    push @sent, '198.51.100.9';
}

# FastCGI: QUERY_STRING and REQUEST_URI from fastcgi_params

is get($P, '/fcgi?n=6&cip=2001%3Adb8%3Acafe%3A%3A20&q=%3A'), 200,
    'FastCGI: 200';
{
    my ($p) = grep { ($_->{DOCUMENT_URI} // '') eq '/fcgi' }
        $t->fastcgi_params_seen;
    is $p->{QUERY_STRING}, 'n=6&cip=2001%3Adb8%3A%3A&q=%3A',
        'FastCGI: QUERY_STRING scrubbed';
    is $p->{REQUEST_URI}, '/fcgi?n=6&cip=2001%3Adb8%3A%3A&q=%3A',
        'FastCGI: REQUEST_URI scrubbed';
    push @sent, '2001:db8:cafe::20';
}

# A long query: 200 cip arguments of every address form, raw, encoded and
# double-encoded, between arguments that must stay as they are.

{
    my @addr = random_addresses(200, 'args');
    my @enc = (sub { $_[0] }, sub { $_[0] =~ s/:/%3A/gr },
        sub { $_[0] =~ s/:/%253A/gr });
    my $q = join '&', map {
        'cip=' . $enc[ $_ % 3 ]->($addr[$_]{text}) . "&k$_=%3A$_"
    } 0 .. $#addr;
    is get($P, "/long?$q"), 200, 'long query: 200';
    my $line = request_line('/long');
    is scalar(() = $line =~ /&k(\d+)=%3A\1(?=&|\s)/g), 200,
        'long query: the other arguments unchanged';
    is scalar(() = $line =~ /(?:\?|&)cip=/g), 200,
        'long query: 200 cip arguments arrive';
    is_deeply [ leaks($line, map { leak_forms($_->{text}) } @addr) ], [],
        'long query: no full address upstream';
    push @sent, @addr;
}

# anon_args cip ip;

is get($P, '/ip?ip=198.51.100.8&cip=2001%3Adb8%3Acafe%3A%3A18&x=192.0.2.4'),
    200, 'anon_args cip ip: 200';
is request_line('/ip'),
    'GET /ip?ip=198.51.0.0&cip=2001%3Adb8%3A%3A&x=192.0.2.4 HTTP/1.0',
    'anon_args cip ip: both scrubbed, x untouched';
is log_line('access.log', '/ip'),
    '/ip?ip=198.51.0.0&cip=2001%3Adb8%3A%3A&x=192.0.2.4|200|'
    . 'ip=198.51.0.0&cip=2001%3Adb8%3A%3A&x=192.0.2.4|'
    . 'ip=198.51.0.0&cip=2001%3Adb8%3A%3A&x=192.0.2.4|2001%3Adb8%3A%3A|'
    . 'GET /ip?ip=198.51.0.0&cip=2001%3Adb8%3A%3A&x=192.0.2.4 HTTP/1.1',
    'anon_args cip ip: access log';
push @sent, qw(198.51.100.8 2001:db8:cafe::18);

# anon_args off; (addresses kept by design, not in @sent)

is get($OFF, '/off?cip=192.0.2.77'), 200, 'anon_args off: 200';
is request_line('/off'), 'GET /off?cip=192.0.2.77 HTTP/1.0',
    'anon_args off: cip passes unchanged';
is log_line('off.log', '/off'), '/off?cip=192.0.2.77|200|cip=192.0.2.77|'
    . 'cip=192.0.2.77|192.0.2.77|GET /off?cip=192.0.2.77 HTTP/1.1',
    'anon_args off: access log unchanged';

# HTTP/2

{
    my $out = `nghttp -n \\
        'http://127.0.0.1:$H2/h2?n=5&cip=2001%3Adb8%3Acafe%3A%3A19&y=%7E' 2>&1`;
    is $?, 0, 'HTTP/2: nghttp succeeded' or diag $out;
    is request_line('/h2'), 'GET /h2?n=5&cip=2001%3Adb8%3A%3A&y=%7E HTTP/1.0',
        'HTTP/2: upstream request line scrubbed';
    is log_line('access.log', '/h2'),
        '/h2?n=5&cip=2001%3Adb8%3A%3A&y=%7E|200|'
        . 'n=5&cip=2001%3Adb8%3A%3A&y=%7E|n=5&cip=2001%3Adb8%3A%3A&y=%7E|'
        . '2001%3Adb8%3A%3A|GET /h2?n=5&cip=2001%3Adb8%3A%3A&y=%7E HTTP/2.0',
        'HTTP/2: $request and the rest scrubbed';
    push @sent, '2001:db8:cafe::19';
}

# nothing full in the logs and upstream requests of the main server

# (a line the error log writes while the request line is still being
# read is the connection's: anon_error_log covers it, see anon_errorlog.t)
my $main = join "\n", $t->access_log,
    grep { !/while reading client request line/ } split(/\n/, $t->error_log),
    $t->file('fastcgi.log'), grep { !m{\A\S+ /off\?} } $t->recorded;
is_deeply [ leaks($main, map { leak_forms(ref $_ ? $_->{text} : $_) }
    @sent) ], [],
    'no full address in the logs or upstream requests';
unlike $main, qr/cafe/i, 'no IPv6 fragment (cafe) anywhere';

$t->done_checks;
done_testing;
