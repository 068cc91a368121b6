#!/usr/bin/perl

# Matomo (Piwik) tracking through a frontend with "anon on": requests sent
# by the real matomo-tracker npm client (GET and bulk JSON POST), and the
# mirror recipe with $anon_piwik_args.  The recording upstream stands in
# for Matomo; it must only ever see truncated addresses.

use strict;
use warnings;

use Test::More;
use AnonTest;

my $node_path = $ENV{NODE_PATH} || 'build/npm/node_modules';
my $client = 't/lib/matomo-client.js';

ok(-d "$node_path/matomo-tracker", 'matomo-tracker npm package installed')
    or BAIL_OUT("run make integration, which installs it");

my $t = AnonTest->new;

$t->write_conf(<<'EOF')->run;
%%GLOBALS%%
events {}
http {
    %%TEMPS%%
    log_format site '$remote_addr "$request" $status "$http_x_real_ip"';
    access_log %%TESTDIR%%/access.log site;

    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;

    server {
        listen 127.0.0.1:%%PORT_1%%;
        server_name www.example.nl;

        anon on;
        anon_piwik_site 3;
        anon_piwik_token_auth 0123456789abcdef0123456789abcdef;

        # Matomo itself, behind the frontend
        location = /matomo.php {
            proxy_pass http://%%RECORDER%%;
        }

        # pages: one tracking request per page view
        location / {
            mirror /_piwik;
            mirror_request_body off;
            proxy_pass http://%%RECORDER%%/app;
        }

        # assets: not tracked
        location /assets/ {
            proxy_pass http://%%RECORDER%%;
        }

        location = /_piwik {
            internal;
            proxy_pass_request_headers off;
            proxy_pass_request_body off;
            proxy_pass http://%%RECORDER%%/matomo.php?$anon_piwik_args;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_2%%;
        server_name other.example.nl;

        anon on;
        anon_ipv4_prefix 8;
        anon_piwik_site 12;

        location / {
            mirror /_piwik;
            return 204;
        }

        location /page {
            mirror /_piwik;
            proxy_pass http://%%RECORDER%%/app;
        }

        location = /_piwik {
            internal;
            proxy_pass_request_headers off;
            proxy_pass_request_body off;
            proxy_pass http://%%RECORDER%%/matomo.php?$anon_piwik_args;
        }
    }
}
EOF

my $port = $t->port(1);
my $tracker = "http://127.0.0.1:$port/matomo.php";

sub node {
    my (@args) = @_;
    local $ENV{NODE_PATH} = $node_path;
    my $out = qx{node $client @args 2>&1};
    return ($? >> 8, $out);
}

sub query {
    my ($qs) = @_;
    my %q;

    for my $pair (split /&/, $qs) {
        my ($k, $v) = split /=/, $pair, 2;
        $v = '' unless defined $v;
        $v =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
        $q{$k} = $v;
    }

    return \%q;
}

sub tracking_requests {
    return grep { m{^(GET|POST) /matomo\.php} } $t->recorded;
}

sub wait_recorded {
    my ($n) = @_;

    for (1 .. 50) {
        last if tracking_requests() >= $n;
        select undef, undef, undef, 0.1;
    }

    return tracking_requests();
}

# the real client, one GET with cip and token_auth

my ($rc, $out) = node($tracker, 1, 'single', '198.51.100.7',
                      '0123456789abcdef0123456789abcdef');
is($rc, 0, 'matomo-tracker single request sent') or diag $out;

my @req = wait_recorded(1);
is(scalar @req, 1, 'Matomo got one tracking request');
like($req[0], qr{^GET /matomo\.php\?\S*cip=198\.51\.0\.0[& ]},
     'cip truncated in the tracking request line');
like($req[0], qr{token_auth=0123456789abcdef0123456789abcdef},
     'token_auth passed on');

# the real client, bulk tracking: one POST with a JSON body

($rc, $out) = node($tracker, 1, 'bulk', '2001:db8:85a3::8a2e:370:7334',
                   '0123456789abcdef0123456789abcdef');
is($rc, 0, 'matomo-tracker bulk request sent') or diag $out;
like($out, qr/bulk answered: recorded/, 'bulk request answered');

@req = wait_recorded(2);
my ($bulk) = grep { /^POST / } @req;
ok($bulk, 'Matomo got the bulk POST');

my ($head, $body) = split /\r\n\r\n/, $bulk // '', 2;
$body //= '';
my ($length) = $head =~ /^Content-Length: (\d+)/mi;

is($length, length $body, 'Content-Length matches the rewritten body');
my @cips = $body =~ /cip=([^&"]*)/g;
is(scalar @cips, 3, 'three events in the bulk body');
is_deeply([ map { s/%3A/:/gir } @cips ], [ ('2001:db8::') x 3 ],
          'every cip in the bulk body truncated to /32');
like($body, qr/^\{"requests":\["\?/, 'JSON structure kept');

# the mirror recipe: one tracking request per page view

my $before = () = tracking_requests();
my $referer = 'https://zoek.example/?q=a b&x=1';

my $r = $t->http_get($port, '/nieuws/artikel?id=42&cip=203.0.113.77',
    'Host' => 'www.example.nl',
    'X-Real-IP' => '203.0.113.5',
    'User-Agent' => 'Mozilla/5.0 (X11; Linux) Firefox/115.0',
    'Referer' => $referer,
    'Accept-Language' => 'nl-NL,nl;q=0.9,en;q=0.5');

my ($status) = parse_response($r);
is($status, 200, 'page served');

@req = wait_recorded($before + 1);
select undef, undef, undef, 0.3;
@req = tracking_requests();
is(scalar @req, $before + 1, 'exactly one tracking request for the page');

my ($line) = $req[-1] =~ m{^GET /matomo\.php\?(\S+) HTTP};
my $q = query($line // '');

is($q->{idsite}, 3, 'idsite');
is($q->{rec}, 1, 'rec');
is($q->{apiv}, 1, 'apiv');
is($q->{url}, 'http://www.example.nl/nieuws/artikel?id=42&cip=203.0.0.0',
   'url: scheme, host, URI and query, tracking argument truncated');
is($q->{urlref}, $referer, 'urlref decodes to the Referer');
is($q->{ua}, 'Mozilla/5.0 (X11; Linux) Firefox/115.0', 'ua');
is($q->{lang}, 'nl-NL,nl;q=0.9,en;q=0.5', 'lang');
is($q->{cip}, '203.0.0.0', 'cip truncated');
ok(abs(($q->{cdt} // 0) - time()) < 10, 'cdt is now');
is($q->{send_image}, 0, 'send_image=0');
like($q->{rand} // '', qr/^[0-9a-f]{16}$/, 'rand: hex, never a number');
is($q->{token_auth}, '0123456789abcdef0123456789abcdef', 'token_auth');
unlike($line // '', qr/[^A-Za-z0-9\-._~%=&]/, 'every value URL-encoded');
unlike($req[-1], qr/^(Referer|User-Agent|Cookie|X-Real-IP):/mi,
       'the page request\'s own headers are not passed on');

# assets are not tracked

$before = () = tracking_requests();
$r = $t->http_get($port, '/assets/site.css', 'X-Real-IP' => '203.0.113.5');
select undef, undef, undef, 0.3;
is(scalar(() = tracking_requests()), $before, 'no tracking for assets');

# a second site: its own idsite and prefixes, IPv6 client

$before = () = tracking_requests();
$r = $t->http_get($t->port(2), '/page',
    'Host' => 'other.example.nl',
    'X-Real-IP' => '2001:db8:aaaa:bbbb::1');
@req = wait_recorded($before + 1);
($line) = $req[-1] =~ m{^GET /matomo\.php\?(\S+) HTTP};
$q = query($line // '');
is($q->{idsite}, 12, 'second site: its own idsite');
is($q->{cip}, '2001:db8::', 'second site: IPv6 truncated to /32');
ok(!exists $q->{token_auth}, 'second site: no token_auth configured');

$before = () = tracking_requests();
$r = $t->http_get($t->port(2), '/page',
    'Host' => 'other.example.nl', 'X-Real-IP' => '198.51.100.7');
@req = wait_recorded($before + 1);
($line) = $req[-1] =~ m{^GET /matomo\.php\?(\S+) HTTP};
is(query($line // '')->{cip}, '198.0.0.0', 'second site: IPv4 /8');

# nothing Matomo or the logs got holds a full address

my @full = ('198.51.100.7', '2001:db8:85a3::8a2e:370:7334', '203.0.113.5',
            '203.0.113.77', '2001:db8:aaaa:bbbb::1');
my $all = join "\n", $t->all_texts, $t->recorded;
is_deeply([ leaks($all, @full) ], [], 'no full address stored or sent on');

$t->done_checks;
done_testing;
