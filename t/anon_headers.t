#!/usr/bin/perl

# anon_headers: address literals in the incoming forwarding headers are
# truncated in place, so a proxy_pass without proxy_set_header forwards
# only truncated values, and $http_* in the access log shows them too
# (also for a request denied before the content phase).  Structure is
# kept: lists, ports, [v6]:port, RFC 7239 quoting, unknown, _hidden.
# "anon_headers NAME" replaces the default list, "anon_headers off"
# disables it.  HTTP/1.1 and HTTP/2.

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
    large_client_header_buffers 4 32k;
    log_format t '$request_uri|$status|$http_x_forwarded_for|'
                 '$http_forwarded|$http_x_real_ip|$http_x_custom';
    access_log %%TESTDIR%%/access.log t;

    server {
        listen 127.0.0.1:%%PORT_1%%;
        listen 127.0.0.1:%%PORT_2%% http2;
        anon on;

        location / { proxy_pass http://%%RECORDER%%; }
        location /deny { deny all; proxy_pass http://%%RECORDER%%; }

        # read (and cached) in the rewrite phase, used after the scrub
        location /cached {
            if ($http_x_forwarded_for = "none") { return 418; }
            if ($http_x_real_ip = "none") { return 418; }
            if ($http_forwarded = "none") { return 418; }
            if ($http_cf_connecting_ip = "none") { return 418; }
            proxy_set_header X-Copy
                "$http_x_forwarded_for|$http_x_real_ip|$http_forwarded";
            proxy_set_header X-Copy2 $http_cf_connecting_ip;
            proxy_pass http://%%RECORDER%%;
        }
    }

    # overrides; their log keeps what passes unchanged
    server {
        listen 127.0.0.1:%%PORT_3%%;
        anon on;
        access_log %%TESTDIR%%/override.log t;

        location /custom {
            anon_headers X-Custom;
            proxy_pass http://%%RECORDER%%;
        }
        location /off {
            anon_headers off;
            proxy_pass http://%%RECORDER%%;
        }
    }

    # behind a load balancer: the client's address from X-Real-IP, whose
    # truncated text the swap has made already
    server {
        listen 127.0.0.1:%%PORT_4%%;
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Real-IP;
        anon on;
        access_log %%TESTDIR%%/realip.log t;

        location / {
            proxy_set_header X-Remote $remote_addr;
            proxy_pass http://%%RECORDER%%;
        }
        location /24 {
            anon_ipv4_prefix 24;
            proxy_set_header X-Remote $remote_addr;
            proxy_pass http://%%RECORDER%%;
        }
    }
}
EOF

my ($P, $H2, $O, $R) = map { $t->port($_) } 1, 2, 3, 4;
my @sent;    # addresses sent to the scrubbing server, for the leak check
my $n = 0;

# Send one request with the headers, return the request the recorder got.
sub via {
    my ($port, $path, @h) = @_;
    my $uri = "$path/" . ++$n;
    my %h;
    while (my ($k, $v) = splice @h, 0, 2) {
        push @{ $h{$k} }, $v;
    }
    my ($st) = parse_response($t->http_get($port, $uri, %h));
    return ($st, recorded_for($uri), $uri);
}

sub recorded_for {
    my ($uri) = @_;
    my ($r) = grep { m{\A\S+ \Q$uri\E HTTP/} } $t->recorded;
    return $r // '';
}

sub values_of {    # every value of header $name in a raw request
    my ($raw, $name) = @_;
    my ($head) = $raw =~ /\A(.*?)\r\n\r\n/s;
    return map { /\A[^:]+:[ \t]*(.*?)[ \t]*\z/ }
        grep { /\A\Q$name\E:/i } split /\r\n/, $head // '';
}

sub log_line {
    my ($name, $uri) = @_;
    my $log = $t->wait_for_log($name, qr/^\Q$uri|\E/m) // '';
    my ($line) = $log =~ /^(\Q$uri|\E.*)$/m;
    return $line // '';
}

# Each default header, IPv4 and IPv6.

my @default = qw(X-Forwarded-For X-Real-IP True-Client-IP CF-Connecting-IP
    X-Client-IP);

for my $name (@default) {
    my ($st, $rec) = via($P, '/one', $name => '198.51.100.7');
    is $st, 200, "$name: proxied";
    is_deeply [ values_of($rec, $name) ], ['198.51.0.0'],
        "$name: 198.51.100.7 arrives as 198.51.0.0";
    ($st, $rec) = via($P, '/one', $name => '2001:db8:cafe::17');
    is_deeply [ values_of($rec, $name) ], ['2001:db8::'],
        "$name: 2001:db8:cafe::17 arrives as 2001:db8::";
}
push @sent, '198.51.100.7', '2001:db8:cafe::17';

{
    my ($st, $rec) = via($P, '/one', Forwarded => 'for=198.51.100.7');
    is_deeply [ values_of($rec, 'Forwarded') ], ['for=198.51.0.0'],
        'Forwarded: for=198.51.100.7 arrives as for=198.51.0.0';
}

# Exact rewrites of structured values: sent => expected.

my @cases = (
    [ 'X-Forwarded-For', '3-element list',
      '203.0.113.45, 198.51.100.7, 192.0.2.33',
      '203.0.0.0, 198.51.0.0, 192.0.0.0' ],
    [ 'X-Forwarded-For', 'mixed IPv4/IPv6 with ports',
      '198.51.100.7:4711, [2001:db8:cafe::17]:4711, 2001:db8:cafe::17, '
        . '::ffff:198.51.100.7, [::ffff:198.51.100.7]:80',
      '198.51.0.0:4711, [2001:db8::]:4711, 2001:db8::, '
        . '::ffff:198.51.0.0, [::ffff:198.51.0.0]:80' ],
    [ 'X-Forwarded-For', 'no spaces, IPv6 without brackets first',
      '2001:db8:cafe::17,198.51.100.7,unknown',
      '2001:db8::,198.51.0.0,unknown' ],
    [ 'X-Real-IP', '[v6]:port', '[2001:db8::1]:4711', '[2001:db8::]:4711' ],
    [ 'Forwarded', 'RFC 7239 example',
      'for="[2001:db8:cafe::17]:4711";proto=https;by=203.0.113.43, '
        . 'for=unknown, for=_hidden',
      'for="[2001:db8::]:4711";proto=https;by=203.0.0.0, '
        . 'for=unknown, for=_hidden' ],
    [ 'Forwarded', 'RFC 7239 quoted v4 with port, host, obfuscated by',
      'for="198.51.100.7:8080";by=_Sec-Proxy_1;host="example.com:8080";'
        . 'proto=http',
      'for="198.51.0.0:8080";by=_Sec-Proxy_1;host="example.com:8080";'
        . 'proto=http' ],
    [ 'Forwarded', 'upper-case FOR, two elements',
      'FOR=198.51.100.7, For="[2001:DB8:CAFE::17]"',
      'FOR=198.51.0.0, For="[2001:db8::]"' ],
    [ 'X-Forwarded-For', 'upper-case hex', '2001:DB8:CAFE::17', '2001:db8::' ],
    [ 'X-Forwarded-For', 'uncompressed IPv6',
      '2001:0db8:cafe:0000:0000:0000:0000:0017', '2001:db8::' ],
    [ 'X-Forwarded-For', 'uncompressed upper-case IPv6',
      '2001:0DB8:CAFE:0000:0000:0000:0000:0017', '2001:db8::' ],
    [ 'X-Forwarded-For', 'text without addresses unchanged',
      'unknown, _hidden, hello world, <b>bad</b>, 1.2.3, ::, deadbeef',
      'unknown, _hidden, hello world, <b>bad</b>, 1.2.3, ::, deadbeef' ],
);
push @sent, qw(203.0.113.45 192.0.2.33 203.0.113.43 2001:db8::1);

for my $c (@cases) {
    my ($name, $what, $value, $want) = @$c;
    my ($st, $rec) = via($P, '/case', $name => $value);
    is_deeply [ values_of($rec, $name) ], [$want], "$name: $what";
}

# Garbage: whatever arrives, no full address in any form.

my @garbage = (
    [ '1198.51.100.7',          '198.51.100.7' ],
    [ '198.51.100.7.5',         '198.51.100.7' ],
    [ '198.051.100.007',        '198.51.100.7' ],
    [ 'x198.51.100.7y',         '198.51.100.7' ],
    [ 'for=198.51.100.7;by=a',  '198.51.100.7' ],
    [ '"198.51.100.7"',         '198.51.100.7' ],
    [ '198.51.100.7/24',        '198.51.100.7' ],
    [ '198.51.100.7:',          '198.51.100.7' ],
    [ '2001:db8:cafe::17::1',   '2001:db8:cafe::17' ],
    [ '2001:db8:cafe:0:0:0:0:17:1', '2001:db8:cafe::17' ],
    [ 'fe80::cafe:17%eth0',     'fe80::cafe:17' ],
    [ '[2001:db8:cafe::17',     '2001:db8:cafe::17' ],
    [ '2001:db8:cafe::17/64',   '2001:db8:cafe::17' ],
    [ ':::2001:db8:cafe::17',   '2001:db8:cafe::17' ],
    [ '::ffff:198.51.100.7:4711', '198.51.100.7' ],
);

for my $g (@garbage) {
    my ($value, $addr) = @$g;
    my ($st, $rec) = via($P, '/garbage', 'X-Forwarded-For' => $value);
    my ($got) = values_of($rec, 'X-Forwarded-For');
    ok defined $got, "garbage '$value': header forwarded";
    is_deeply [ leaks($got // '', leak_forms($addr)) ], [],
        "garbage '$value': no full address in '" . ($got // '') . "'";
    unlike $got // '', qr/\Q$addr\E|cafe|100\.7|100\.007/i,
        "garbage '$value': no fragment of the address either";
    push @sent, $addr;
}

# Duplicated header lines: both scrubbed, both forwarded.

{
    my ($st, $rec, $uri) = via($P, '/dup',
        'X-Forwarded-For' => '198.51.100.7',
        'X-Forwarded-For' => '2001:db8:cafe::17, 203.0.113.45');
    is_deeply [ values_of($rec, 'X-Forwarded-For') ],
        [ '198.51.0.0', '2001:db8::, 203.0.0.0' ],
        'two X-Forwarded-For lines: both forwarded, both scrubbed';
    is log_line('access.log', $uri),
        "$uri|200|198.51.0.0, 2001:db8::, 203.0.0.0|-|-|-",
        'two X-Forwarded-For lines: $http_x_forwarded_for scrubbed';
    ($st, $rec) = via($P, '/dup',
        'X-Real-IP' => '198.51.100.7', 'X-Real-IP' => '203.0.113.45');
    is_deeply [ values_of($rec, 'X-Real-IP') ], [ '198.51.0.0', '203.0.0.0' ],
        'two X-Real-IP lines: both forwarded, both scrubbed';
}

# A very long list: 300 addresses of every form, about 8 KB.

{
    my @addr = random_addresses(300, 'headers');
    my $value = join ', ', map { $_->{text} } @addr;
    cmp_ok length $value, '>', 8000, 'long list is over 8000 bytes';
    my ($st, $rec) = via($P, '/long', 'X-Forwarded-For' => $value);
    is $st, 200, 'long list: proxied';
    my ($got) = values_of($rec, 'X-Forwarded-For');
    $got //= '';
    my @el = split /, /, $got;
    is scalar @el, 300, 'long list: 300 elements arrive';
    is_deeply [ leaks($got, map { leak_forms($_->{text}) } @addr) ], [],
        'long list: no full address arrives';
    my @v4 = grep { $addr[$_]{form} eq 'ipv4' } 0 .. $#addr;
    is_deeply [ @el[@v4] ],
        [ map { $addr[$_]{text} =~ s/\.\d+\.\d+\z/.0.0/r } @v4 ],
        'long list: every IPv4 element truncated in place';
    push @sent, @addr;
}

# The access log: $http_* are scrubbed, also for a 403 (early end).

{
    my ($st, $rec, $uri) = via($P, '/logged',
        'X-Forwarded-For' => '198.51.100.7, 2001:db8:cafe::17',
        'Forwarded' => 'for=203.0.113.45', 'X-Real-IP' => '192.0.2.33');
    is log_line('access.log', $uri),
        "$uri|200|198.51.0.0, 2001:db8::|for=203.0.0.0|192.0.0.0|-",
        'access log: $http_* scrubbed';
    ($st, $rec, $uri) = via($P, '/deny',
        'X-Forwarded-For' => '198.51.100.7, 2001:db8:cafe::17',
        'Forwarded' => 'for=203.0.113.45', 'X-Real-IP' => '192.0.2.33');
    is $st, 403, 'deny: 403';
    is $rec, '', 'deny: nothing proxied';
    is log_line('access.log', $uri),
        "$uri|403|198.51.0.0, 2001:db8::|for=203.0.0.0|192.0.0.0|-",
        'access log: $http_* scrubbed for a 403';
}

# HTTP/2

{
    my $uri = '/h2/' . ++$n;
    my @h = (
        'x-forwarded-for: 198.51.100.7, [2001:db8:cafe::17]:4711',
        'x-forwarded-for: 203.0.113.45',
        'forwarded: for="[2001:db8:cafe::17]:4711";by=192.0.2.33',
        'x-real-ip: 198.51.100.7',
        'true-client-ip: 2001:DB8:CAFE::17',
    );
    my $out = `nghttp -n @{[ map { "-H '$_'" } @h ]} \\
        'http://127.0.0.1:$H2$uri' 2>&1`;
    is $?, 0, 'HTTP/2: nghttp succeeded' or diag $out;
    my $rec = recorded_for($uri);
    is_deeply [ values_of($rec, 'X-Forwarded-For') ],
        [ '198.51.0.0, [2001:db8::]:4711', '203.0.0.0' ],
        'HTTP/2: both x-forwarded-for fields scrubbed';
    is_deeply [ values_of($rec, 'Forwarded') ],
        [ 'for="[2001:db8::]:4711";by=192.0.0.0' ], 'HTTP/2: forwarded';
    is_deeply [ values_of($rec, 'X-Real-IP') ], ['198.51.0.0'],
        'HTTP/2: x-real-ip';
    is_deeply [ values_of($rec, 'True-Client-IP') ], ['2001:db8::'],
        'HTTP/2: true-client-ip';
    is log_line('access.log', $uri), "$uri|200|"
        . '198.51.0.0, [2001:db8::]:4711, 203.0.0.0|'
        . 'for=\x22[2001:db8::]:4711\x22;by=192.0.0.0|198.51.0.0|-',
        'HTTP/2: access log scrubbed';
}

# Values read before the scrub (if in the rewrite phase) are not reused.

{
    my ($st, $rec, $uri) = via($P, '/cached',
        'X-Forwarded-For' => '198.51.100.7, 2001:db8:cafe::17',
        'X-Real-IP' => '203.0.113.45', 'Forwarded' => 'for=192.0.2.33',
        'CF-Connecting-IP' => '198.51.100.7');
    is_deeply [ values_of($rec, 'X-Copy') ],
        ['198.51.0.0, 2001:db8::|203.0.0.0|for=192.0.0.0'],
        '$http_* read in the rewrite phase, used later: scrubbed';
    is_deeply [ values_of($rec, 'X-Copy2') ], ['198.51.0.0'],
        '$http_cf_connecting_ip read early, used later: scrubbed';
    is log_line('access.log', $uri),
        "$uri|200|198.51.0.0, 2001:db8::|for=192.0.0.0|203.0.0.0|-",
        '$http_* read early: access log scrubbed';
}

# Keepalive: every request on a connection is scrubbed.

{
    my @res = $t->http_keepalive($P, [
        [ '/ka/1', { 'X-Forwarded-For' => '198.51.100.7' } ],
        [ '/ka/2', { 'X-Forwarded-For' => '203.0.113.45:80' } ],
        [ '/ka/3', { 'X-Real-IP' => '2001:db8:cafe::17' } ],
    ]);
    is scalar @res, 3, 'keepalive: three responses';
    is_deeply [ map { values_of(recorded_for("/ka/$_"), 'X-Forwarded-For') }
        1, 2 ], [ '198.51.0.0', '203.0.0.0:80' ],
        'keepalive: each request scrubbed';
    is_deeply [ values_of(recorded_for('/ka/3'), 'X-Real-IP') ],
        ['2001:db8::'], 'keepalive: third request scrubbed';
}

# Overrides: anon_headers X-Custom replaces the list; off disables it.
# These addresses pass unchanged by design and stay out of @sent.

{
    my ($st, $rec, $uri) = via($O, '/custom',
        'X-Custom' => '192.0.2.77, 2001:db8:77::77',
        'X-Forwarded-For' => '192.0.2.78', 'X-Real-IP' => '192.0.2.79');
    is_deeply [ values_of($rec, 'X-Custom') ], ['192.0.0.0, 2001:db8::'],
        'anon_headers X-Custom: X-Custom scrubbed';
    is_deeply [ values_of($rec, 'X-Forwarded-For') ], ['192.0.2.78'],
        'anon_headers X-Custom: X-Forwarded-For no longer in the list';
    is_deeply [ values_of($rec, 'X-Real-IP') ], ['192.0.2.79'],
        'anon_headers X-Custom: X-Real-IP no longer in the list';
    is log_line('override.log', $uri), "$uri|200|192.0.2.78|-|192.0.2.79|"
        . '192.0.0.0, 2001:db8::', 'anon_headers X-Custom: the access log';

    ($st, $rec) = via($O, '/off', 'X-Forwarded-For' => '192.0.2.78',
        'Forwarded' => 'for=192.0.2.80', 'X-Custom' => '192.0.2.77');
    is_deeply [ values_of($rec, 'X-Forwarded-For') ], ['192.0.2.78'],
        'anon_headers off: X-Forwarded-For unchanged';
    is_deeply [ values_of($rec, 'Forwarded') ], ['for=192.0.2.80'],
        'anon_headers off: Forwarded unchanged';
}

# realip took the client's address from X-Real-IP: the header arrives as
# the scrubber makes it, the same text as $remote_addr, with the
# location's prefix; a header that differs from it is scrubbed as usual.

for my $c (
    [ '/', '198.51.100.7', {}, '198.51.0.0' ],
    [ '/24', '198.51.100.7', {}, '198.51.100.0' ],
    [ '/', '198.51.100.7', { 'CF-Connecting-IP' => '198.51.100.7',
        'X-Forwarded-For' => '203.0.113.45, 198.51.100.7' }, '198.51.0.0' ],
    [ '/', '10.0.0.1', {}, '10.0.0.0' ],
    [ '/24', '203.0.113.255', {}, '203.0.113.0' ],
    [ '/', '2001:db8:cafe::17', {}, '2001:db8::' ],

    # not an address to realip (INADDR_NONE): the connection's stays
    [ '/24', '255.255.255.255', {}, '255.255.255.0', '127.0.0.0' ],
)
{
    my ($loc, $addr, $more, $want, $remote) = @$c;
    my ($st, $rec, $uri) = via($R, $loc, 'X-Real-IP' => $addr, %$more);
    is $st, 200, "realip $addr at $loc: proxied";
    is_deeply [ values_of($rec, 'X-Real-IP') ], [$want],
        "realip $addr at $loc: X-Real-IP arrives as $want";
    is_deeply [ values_of($rec, 'X-Remote') ], [$remote // $want],
        "realip $addr at $loc: \$remote_addr is the same text";
    if (%$more) {
        is_deeply [ values_of($rec, 'CF-Connecting-IP') ], [$want],
            "realip $addr at $loc: the same address in another header";
        is_deeply [ values_of($rec, 'X-Forwarded-For') ],
            ["203.0.0.0, $want"], "realip $addr at $loc: X-Forwarded-For";
    }
    is log_line('realip.log', $uri), "$uri|200|"
        . (%$more ? "203.0.0.0, $want" : '-') . "|-|$want|-",
        "realip $addr at $loc: access log";
    push @sent, $addr;
}

# Nothing full reached the main server's log or upstream requests.

my $main = join "\n", $t->access_log, $t->access_log('realip.log'),
    grep { !m{\A\S+ /(?:custom|off)/} } $t->recorded;
is_deeply [ leaks($main, map { leak_forms(ref $_ ? $_->{text} : $_) }
    @sent) ], [], 'no full address in the access log or upstream requests';

$t->done_checks;
done_testing;
