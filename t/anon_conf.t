#!/usr/bin/perl

# Configuration: nginx -t refuses malformed and out-of-range values with
# the exact nginx-style message, accepts the valid ones; inheritance and
# merging of anon and the prefixes between http, server and location,
# checked with the access log of real requests; the module loaded but
# unused changes nothing.

use strict;
use warnings;
use Test::More;
use AnonTest;

my $t = AnonTest->new;

# A config with $directive placed in http, server or location.
sub conf {
    my ($where, $directive) = @_;
    my %at = (http => '', server => '', location => '');
    $at{$where} = "$directive\n";
    return <<"EOF";
%%GLOBALS%%
events {}
http {
    %%TEMPS%%
    access_log %%TESTDIR%%/nginx_t_access.log;
    $at{http}
    server {
        listen 127.0.0.1:%%PORT_T%%;
        $at{server}
        location / {
            $at{location}
            return 204;
        }
    }
}
EOF
}

# nginx -t: exit code, the [emerg] line, the config line of the marker.
sub check {
    my ($tpl, $marker) = @_;
    my ($rc, $out) = $t->nginx_t($tpl);
    my @lines = split /\n/, $t->file('nginx_t.conf');
    my ($line) = reverse grep { index($lines[$_ - 1], $marker) >= 0 }
        1 .. @lines;
    my ($emerg) = $out =~ /^(nginx: \[emerg\] .*)$/m;
    return ($rc, $emerg // '', $line // 0, $out);
}

my $file = $t->dir . '/nginx_t.conf';

my @bad = (
    # directive, message (without " in FILE:LINE")
    [ 'anon_ipv4_prefix 33;', 'invalid value "33" in "anon_ipv4_prefix" '
        . 'directive, it must be a number from 0 to 32' ],
    [ 'anon_ipv4_prefix -1;', 'invalid value "-1" in "anon_ipv4_prefix" '
        . 'directive, it must be a number from 0 to 32' ],
    [ 'anon_ipv4_prefix abc;', 'invalid value "abc" in "anon_ipv4_prefix" '
        . 'directive, it must be a number from 0 to 32' ],
    [ 'anon_ipv4_prefix 16x;', 'invalid value "16x" in "anon_ipv4_prefix" '
        . 'directive, it must be a number from 0 to 32' ],
    [ 'anon_ipv4_prefix "";', 'invalid value "" in "anon_ipv4_prefix" '
        . 'directive, it must be a number from 0 to 32' ],
    [ 'anon_ipv4_prefix 4294967312;', 'invalid value "4294967312" in '
        . '"anon_ipv4_prefix" directive, it must be a number from 0 to 32' ],
    [ 'anon_ipv4_prefix 99999999999999999999;', 'invalid value '
        . '"99999999999999999999" in "anon_ipv4_prefix" directive, '
        . 'it must be a number from 0 to 32' ],
    [ 'anon_ipv6_prefix 129;', 'invalid value "129" in "anon_ipv6_prefix" '
        . 'directive, it must be a number from 0 to 128' ],
    [ 'anon_ipv6_prefix /48;', 'invalid value "/48" in "anon_ipv6_prefix" '
        . 'directive, it must be a number from 0 to 128' ],
    [ 'anon maybe;', 'invalid value "maybe"' ],
    [ 'anon "";', 'invalid value ""' ],
    [ 'anon_headers "";', 'invalid name ""' ],
    [ 'anon_headers "X-Bad:Name";', 'invalid name "X-Bad:Name"' ],
    [ 'anon_headers X-Real-IP "X Bad";', 'invalid name "X Bad"' ],
    [ 'anon_headers off X-Real-IP;', 'invalid name "off"' ],
    [ 'anon_args off cip;', 'invalid name "off"' ],
    [ 'anon_args "c&ip";', 'invalid name "c&ip"' ],
    [ 'anon_args "c=ip";', 'invalid name "c=ip"' ],
    [ 'anon_args "";', 'invalid name ""' ],
    [ "anon_ipv4_prefix 16;\nanon_ipv4_prefix 24;",
        '"anon_ipv4_prefix" directive is duplicate' ],
    [ "anon_ipv6_prefix 32;\nanon_ipv6_prefix 32;",
        '"anon_ipv6_prefix" directive is duplicate' ],
    [ "anon on;\nanon strict;", '"anon" directive is duplicate' ],
    [ "anon_headers X-Real-IP;\nanon_headers off;",
        '"anon_headers" directive is duplicate' ],
    [ "anon_args cip;\nanon_args ip;", '"anon_args" directive is duplicate' ],
    [ 'anon_ipv4_prefix 16 24;',
        'invalid number of arguments in "anon_ipv4_prefix" directive' ],
    [ 'anon;', 'invalid number of arguments in "anon" directive' ],
    [ 'anon_headers;',
        'invalid number of arguments in "anon_headers" directive' ],
);

for my $case (@bad) {
    my ($directive, $msg) = @$case;
    for my $where (qw(http server location)) {
        # the error is reported at the last line of the directive(s)
        my ($last) = (split /\n/, $directive)[-1];
        my ($rc, $emerg, $line, $out) =
            check(conf($where, $directive), $last);
        my $name = "$where: " . ($directive =~ s/\n/ /gr);
        isnt $rc, 0, "$name: nginx -t fails";
        is $emerg, "nginx: [emerg] $msg in $file:$line",
            "$name: message" or diag $out;
    }
}

# valid values

my @good = (
    'anon on;', 'anon off;', 'anon strict;', 'anon Strict;',
    'anon_ipv4_prefix 0;', 'anon_ipv4_prefix 32;',
    'anon_ipv6_prefix 0;', 'anon_ipv6_prefix 128;',
    'anon_headers off;', 'anon_headers X-Custom x-other_name;',
    'anon_args off;', 'anon_args cip ip _id;',
);

for my $directive (@good) {
    for my $where (qw(http server location)) {
        my $conf = conf($where,
            $directive =~ /^anon / ? $directive : "anon on;\n$directive");
        my ($rc, $out) = $t->nginx_t($conf);
        is $rc, 0, "$where: $directive: nginx -t succeeds"
            or diag $out;
        like $out, qr/test is successful/, "$where: $directive: successful";
    }
}

# the whole set in one block, strict with every list

{
    my ($rc, $out) = $t->nginx_t(conf('location', join "\n",
        'anon strict;', 'anon_ipv4_prefix 24;', 'anon_ipv6_prefix 48;',
        'anon_headers X-Forwarded-For Forwarded;', 'anon_args cip ip;'));
    is $rc, 0, 'all directives together pass nginx -t' or diag $out;
}

# inheritance and merging, seen in the access log

sub request {    # status of a request from $addr via X-Real-IP
    my ($port, $uri, $addr) = @_;
    my ($st) = parse_response($t->http_get($port, $uri, 'X-Real-IP' => $addr));
    return $st;
}

my $A4 = '198.51.100.7';
my $A6 = '2001:db8:85a3:1234:5678:8a2e:370:7334';

my $common = <<'EOF';
    %%TEMPS%%
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;
    log_format t '$server_port $uri $remote_addr $anon_remote_addr';
    access_log %%TESTDIR%%/access.log t;
EOF

# http-level "anon on" with the default prefixes

$t->write_conf(<<"EOF")->run;
%%GLOBALS%%
events {}
http {
$common
    anon on;

    server {
        listen 127.0.0.1:%%PORT_1%%;
        location / { return 204; }
    }
    server {
        listen 127.0.0.1:%%PORT_2%%;
        anon off;
        location / { return 204; }
        location /on { anon on; return 204; }
    }
    server {
        listen 127.0.0.1:%%PORT_3%%;
        anon_ipv4_prefix 8;
        location / { return 204; }
        location /l24 {
            anon_ipv4_prefix 24;
            anon_ipv6_prefix 64;
            return 204;
        }
        location /off { anon off; return 204; }
        location /p0 {
            anon_ipv4_prefix 0;
            anon_ipv6_prefix 0;
            return 204;
        }
        location /p32 {
            anon_ipv4_prefix 32;
            anon_ipv6_prefix 128;
            return 204;
        }
    }
}
EOF

my ($p1, $p2, $p3) = map { $t->port($_) } 1, 2, 3;

request($p1, '/4', $A4);
request($p1, '/6', $A6);
request($p2, '/4', $A4);
request($p2, '/on', $A4);
request($p3, '/4', $A4);
request($p3, '/6', $A6);
request($p3, '/l24', $A4);
request($p3, '/l24', $A6);
request($p3, '/off', $A4);
request($p3, '/p0', $A4);
request($p3, '/p0', $A6);
request($p3, '/p32', $A4);
request($p3, '/p32', $A6);

# server_port uri remote_addr anon_remote_addr, in request order
my @lines = grep { length } split /\n/, $t->access_log;
is_deeply \@lines, [
    "$p1 /4 198.51.0.0 198.51.0.0",
    "$p1 /6 2001:db8:: 2001:db8::",
    "$p2 /4 $A4 198.51.0.0",
    "$p2 /on 198.51.0.0 198.51.0.0",
    "$p3 /4 198.0.0.0 198.0.0.0",
    "$p3 /6 2001:db8:: 2001:db8::",
    "$p3 /l24 198.51.100.0 198.51.100.0",
    "$p3 /l24 2001:db8:85a3:1234:: 2001:db8:85a3:1234::",
    "$p3 /off $A4 198.0.0.0",
    "$p3 /p0 0.0.0.0 0.0.0.0",
    "$p3 /p0 :: ::",
    "$p3 /p32 $A4 $A4",
    "$p3 /p32 $A6 $A6",
], 'http-level anon on: inheritance and overrides in the access log';
$t->done_checks;

# prefixes at http level, "anon on" only in a server or a location

unlink $t->dir . '/access.log';
$t->write_conf(<<"EOF")->run;
%%GLOBALS%%
events {}
http {
$common
    anon_ipv4_prefix 24;
    anon_ipv6_prefix 48;

    server {
        listen 127.0.0.1:%%PORT_1%%;
        anon on;
        location / { return 204; }
    }
    server {
        listen 127.0.0.1:%%PORT_2%%;
        location / { return 204; }
        location /strict { anon strict; return 204; }
    }
}
EOF

request($p1, '/a', $A4);
request($p1, '/a', $A6);
request($p2, '/a', $A4);
request($p2, '/strict', $A4);
request($p2, '/strict', $A6);
@lines = grep { length } split /\n/, $t->access_log;
is_deeply \@lines, [
    "$p1 /a 198.51.100.0 198.51.100.0",
    "$p1 /a 2001:db8:85a3:: 2001:db8:85a3::",
    "$p2 /a $A4 198.51.100.0",
    "$p2 /strict 198.51.100.0 198.51.100.0",
    "$p2 /strict 2001:db8:85a3:: 2001:db8:85a3::",
], 'http-level prefixes inherited by "anon on" in a server and a location';
$t->done_checks;

# loaded, never used: nothing changes, $anon_remote_addr works

unlink $t->dir . '/access.log';
$t->write_conf(<<"EOF")->run;
%%GLOBALS%%
events {}
http {
$common

    server {
        listen 127.0.0.1:%%PORT_1%%;
        location / { return 200 "\$remote_addr \$anon_remote_addr\\n"; }
        location /up { proxy_pass http://%%RECORDER%%; }
    }
}
EOF

my ($st, $h, $body) = parse_response($t->http_get($p1, '/x?cip=192.0.2.77',
    'X-Real-IP' => $A4));
is $st, 200, 'unused module: request served';
is $body, "$A4 198.51.0.0\n",
    'unused module: $remote_addr real, $anon_remote_addr truncated';
($st) = parse_response($t->http_get($p1, '/up?cip=192.0.2.77',
    'X-Real-IP' => $A6, 'X-Forwarded-For' => '192.0.2.78'));
is $st, 200, 'unused module: proxied request served';
my ($rec) = $t->recorded;
like $rec // '', qr{\AGET /up\?cip=192\.0\.2\.77 HTTP/1\.0\r\n},
    'unused module: arguments untouched';
like $rec // '', qr/^X-Forwarded-For: 192\.0\.2\.78\r$/m,
    'unused module: headers untouched';
@lines = grep { length } split /\n/, $t->access_log;
is_deeply \@lines, [
    "$p1 /x $A4 198.51.0.0",
    "$p1 /up $A6 2001:db8::",
], 'unused module: access log has the real address';
$t->done_checks;

done_testing;
