#!/usr/bin/perl

# Leak property at scale: 100,000 generated client addresses of every form
# (IPv4, IPv6, upper-case uncompressed IPv6, mapped, compatible, 6to4,
# Teredo, NAT64, link-local and global ISATAP) sent through realip
# (X-Real-IP) over pipelined HTTP/1.1 keepalive and over HTTP/2 (a small
# prior-knowledge client below, and nghttp for decoded response headers),
# and through the PROXY protocol, with proxied Matomo requests ("cip" in
# three encodings), mirror tracking ($anon_piwik_args), X-Forwarded-For,
# Forwarded, and error-provoking requests (403 deny, 404, invalid header
# lines, 400 duplicate Host) mixed in.  Not one full address may reach
# the access log, the error log, the recording upstream or the response
# headers, and every request must be there, logged with its truncated
# address.  ANON_SCALE_N sets the number of addresses (default 100000).

use strict;
use warnings;

use IO::Select;
use IO::Socket::IP;
use Socket qw(inet_pton inet_ntop AF_INET AF_INET6);
use Test::More;
use Time::HiRes qw(sleep time);
use AnonTest;

my $N = $ENV{ANON_SCALE_N} // 100_000;
$N =~ /\A\d+\z/ && $N >= 100 or die "ANON_SCALE_N must be a number >= 100\n";

# Addresses whose IPv4 starts with 32.2 or 94.254 are left out: their
# "hhhh:hhhh" leak form (2002:..., 5efe:...) is also the start of any
# truncated 6to4 or ISATAP address, which would look like a leak.
my @ADDR = grep { ($_->{v4} // '') !~ /\A(?:32\.2|94\.254)\./ }
    random_addresses($N + 100, 7);
splice @ADDR, $N;
my $T0 = time;

# who goes which way: 10% PROXY protocol, 10% HTTP/2, a few via nghttp

my $N_PP = int($N / 10);
my $N_H2 = int($N / 10);
my $N_NG = $N >= 1000 ? 200 : 20;
my $N_H1 = $N - $N_PP - $N_H2 - $N_NG;

my $t = AnonTest->new(log_level => 'info');
$t->write_file('html/page/x.html', "page\n");

my $locations = <<'EOF';
        anon on;
        anon_piwik_site 1;

        add_header X-Client $remote_addr always;
        add_header X-Fwd $proxy_add_x_forwarded_for always;
        add_header X-Real $http_x_real_ip always;

        location /r/ {
            return 200 "ok\n";
        }

        location = /matomo.php {
            proxy_pass http://recorder;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }

        location /page/ {
            mirror /_track;
            root %%TESTDIR%%/html;
        }

        location = /_track {
            internal;
            proxy_pass http://recorder/track?$anon_piwik_args;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }

        location /deny/ {
            deny all;
        }

        location /missing/ {
            root %%TESTDIR%%/nothing;
        }
EOF

$t->write_conf(<<"EOF")->run;
%%GLOBALS%%
events {
    worker_connections 1024;
}
http {
    %%TEMPS%%
    log_format scale 'ra=\$remote_addr|st=\$status|req=\$request'
                     '|xri=\$http_x_real_ip|xff=\$http_x_forwarded_for'
                     '|fwd=\$http_forwarded|pxff=\$proxy_add_x_forwarded_for'
                     '|pp=\$proxy_protocol_addr|rra=\$realip_remote_addr';
    access_log %%TESTDIR%%/access.log scale buffer=256k flush=1s;

    anon_error_log on;
    keepalive_requests 1000000;
    keepalive_timeout 120s;

    upstream recorder {
        server %%RECORDER%%;
        keepalive 16;
    }

    server {
        listen 127.0.0.1:%%PORT_h1%%;
        listen 127.0.0.1:%%PORT_h2%% http2;
        server_name scale.test;

        set_real_ip_from 127.0.0.1;
        real_ip_header X-Real-IP;
$locations
    }

    server {
        listen 127.0.0.1:%%PORT_pp%% proxy_protocol;
        server_name pp.test;

        set_real_ip_from 127.0.0.1;
        real_ip_header proxy_protocol;
$locations
    }
}
EOF

# the truncation rules of docs/ngx_http_anon_module.md, written out again
# (as in anon_leak.t), with the default prefixes /16 and /32

sub mask {
    my ($bytes, $bits) = @_;
    my @b = unpack 'C*', $bytes;
    for my $i (0 .. $#b) {
        my $keep = $bits - 8 * $i;
        $b[$i] = $keep >= 8 ? $b[$i]
            : $keep <= 0 ? 0 : $b[$i] & (0xff << (8 - $keep)) & 0xff;
    }
    return pack 'C*', @b;
}

sub truncated {
    my ($text) = @_;
    my ($p4, $p6) = (16, 32);
    return inet_ntop(AF_INET, mask(inet_pton(AF_INET, $text), $p4))
        unless $text =~ /:/;
    my $a = inet_pton(AF_INET6, $text) // die "bad address $text";
    my @g = unpack 'n8', $a;
    my $zero = sub { !grep { $_ } @g[ $_[0] .. $_[1] ] };
    my $v4 = sub { substr($a, 0, 12) . mask(substr($a, 12, 4), $p4) };
    if ($zero->(0, 4) && $g[5] == 0xffff) {                   # mapped
        $a = $v4->();
    } elsif ($zero->(0, 5) && ($g[6] || $g[7] > 1)) {         # compatible
        $a = $v4->();
    } elsif ($g[0] == 0x64 && $g[1] == 0xff9b && $zero->(2, 5)) {    # NAT64
        $a = $v4->();
    } elsif ($g[0] == 0x64 && $g[1] == 0xff9b && $g[2] == 1) {
        $a = mask($a, 48);
    } elsif ($g[0] == 0x2002) {                               # 6to4
        $a = substr($a, 0, 2) . mask(substr($a, 2, 4), $p4) . "\0" x 10;
    } elsif ($g[0] == 0x2001 && $g[1] == 0) {                 # Teredo
        $a = mask($a, 32);
    } elsif (($g[4] == 0 || $g[4] == 0x200) && $g[5] == 0x5efe) {   # ISATAP
        $a = mask(substr($a, 0, 8), $p6 < 64 ? $p6 : 64)
            . substr($a, 8, 4) . mask(substr($a, 12, 4), $p4);
    } else {
        $a = mask($a, $p6);
    }
    return canonical(inet_ntop(AF_INET6, $a));
}

sub decode_all {    # percent-decoding until nothing changes
    my ($s) = @_;
    1 while $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    return $s;
}

sub pct {
    my ($s, $how) = @_;
    return $s if $how == 0;
    return $s =~ s/:/%3A/gr if $how == 1;
    return join '', map { sprintf '%%%02X', ord } split //, $s;
}

# The requests.  Kinds for realip (HTTP/1.1, HTTP/2), by i % 20 (every
# form of address meets every kind): 0 /r/ with X-Real-IP (and
# X-Forwarded-For, Forwarded; 8 in 20), 4 the same with an invalid header
# line carrying the address (1), 5 a proxied Matomo request with cip (1),
# 6 a page with mirror tracking (1), 7 deny (2), 8 404 (2), 9 /r/ with cip
# in the query (5).  PROXY protocol, by i % 5: /r/, Matomo, deny, 404,
# 400 (duplicate Host).

my @KIND = ((0) x 8, 4, 5, 6, 7, 7, 8, 8, (9) x 5);

my @REQ;

sub realip_request {
    my ($i, $via) = @_;
    my $a = $ADDR[$i]{text};
    my $k = $KIND[ $i % 20 ];
    my $id = "n$i";
    my %h = ('X-Real-IP' => $a);
    $h{'X-Forwarded-For'} = "$a, 10.0.0.1" if $i % 2;
    $h{Forwarded} = $a =~ /:/ ? qq{for="[$a]:4711";proto=http}
        : "for=$a;by=10.0.0.1" if $i % 4 == 0;
    my ($uri, $want) = ("/r/$id", 200);
    my @bad;
    if ($k == 4) {
        @bad = ("X_Client: $a");    # underscores: an invalid header line
    } elsif ($k == 5) {
        $uri = "/matomo.php?idsite=1&rec=1&cip=" . pct($a, $i % 3)
            . "&id=$id";
    } elsif ($k == 6) {
        $uri = "/page/x.html?id=$id";
    } elsif ($k == 7) {
        ($uri, $want) = ("/deny/$id", 403);
    } elsif ($k == 8) {
        ($uri, $want) = ("/missing/$id", 404);
    } elsif ($k == 9) {
        $uri = "/r/$id?x=1&cip=" . pct($a, $i % 3);
    }
    return { i => $i, id => $id, via => $via, kind => $k, uri => $uri,
        want => $want, headers => \%h, bad => \@bad, addr => $a };
}

sub proxy_request {
    my ($i) = @_;
    my $a = $ADDR[$i]{text};
    my $k = $i % 5;
    my $id = "n$i";
    my ($uri, $want) = $k == 0 ? ("/r/$id", 200)
        : $k == 1 ? ("/matomo.php?idsite=1&cip=" . pct($a, $i % 3)
            . "&id=$id", 200)
        : $k == 2 ? ("/deny/$id", 403)
        : $k == 3 ? ("/missing/$id", 404)
        : ("/r/$id", 400);
    return { i => $i, id => $id, via => 'pp', kind => $k, uri => $uri,
        want => $want, addr => $a, dup_host => $k == 4 };
}

my $n = 0;
push @REQ, realip_request($n++, 'h1') for 1 .. $N_H1;
push @REQ, realip_request($n++, 'h2') for 1 .. $N_H2;
push @REQ, realip_request($n++, 'ng') for 1 .. $N_NG;
push @REQ, proxy_request($n++) for 1 .. $N_PP;

sub request_text {
    my ($r) = @_;
    my $h = $r->{headers};
    return "GET $r->{uri} HTTP/1.1\r\nHost: scale.test\r\n"
        . join('', map { "$_: $h->{$_}\r\n" } sort keys %$h)
        . join('', map { "$_\r\n" } @{ $r->{bad} }) . "\r\n";
}

# HTTP/1.1: pipelined batches of 200 on keepalive connections

sub read_responses {
    my ($s, $count, $deadline) = @_;
    my ($buf, @res) = ('');
    while (@res < $count) {
        my $len = length $buf
            ? AnonTest::Servers::message_end(\$buf, 1) : undef;
        if (defined $len && $len >= 0) {
            push @res, substr $buf, 0, $len, '';
            next;
        }
        last if time > $deadline
            || !IO::Select->new($s)->can_read($deadline - time);
        sysread($s, $buf, 262144, length $buf) or last;
    }
    return @res;
}

my @H1 = grep { $_->{via} eq 'h1' } @REQ;
{
    my $t1 = time;
    my @todo = @H1;
    while (@todo) {
        my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1',
            PeerPort => $t->port('h1'), Proto => 'tcp')
            or die "connect: $@";
        for (1 .. 50) {    # 10,000 requests per connection
            my @batch = splice @todo, 0, 200 or last;
            my $out = join '', map { request_text($_) } @batch;
            while (length $out) {
                my $w = syswrite $s, $out;
                die "write: $!" unless $w;
                substr $out, 0, $w, '';
            }
            my @res = read_responses($s, scalar @batch, time + 60);
            $batch[$_]{response} = $res[$_] for 0 .. $#res;
        }
        close $s;
    }
    note sprintf 'HTTP/1.1: %d requests in %.1fs', scalar @H1, time - $t1;
}

# PROXY protocol: one connection per address, 64 at a time

my @PP = grep { $_->{via} eq 'pp' } @REQ;
{
    my $t1 = time;
    my @todo = @PP;
    my (%live, $sel) = ();
    $sel = IO::Select->new;
    my $deadline = time + 300;
    while ((@todo || %live) && time < $deadline) {
        while (@todo && keys %live < 64) {
            my $r = shift @todo;
            my $six = $r->{addr} =~ /:/;
            my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1',
                PeerPort => $t->port('pp'), Proto => 'tcp')
                or die "connect: $@";
            my $msg = sprintf "PROXY %s %s %s %d 80\r\n",
                $six ? 'TCP6' : 'TCP4', $r->{addr},
                $six ? '::1' : '127.0.0.1', 1024 + $r->{i} % 60000;
            $msg .= "GET $r->{uri} HTTP/1.1\r\nHost: pp.test\r\n"
                . ($r->{dup_host} ? "Host: other.test\r\n" : '')
                . "X-Forwarded-For: $r->{addr}\r\nConnection: close\r\n\r\n";
            syswrite $s, $msg;
            $r->{response} = '';
            $live{ fileno $s } = [ $s, $r ];
            $sel->add($s);
        }
        for my $s ($sel->can_read(1)) {
            my $e = $live{ fileno $s };
            my $got = sysread $s, $e->[1]{response}, 65536,
                length $e->[1]{response};
            next if $got;
            $sel->remove($s);
            delete $live{ fileno $s };
            close $s;
        }
    }
    note sprintf 'PROXY protocol: %d connections in %.1fs', scalar @PP,
        time - $t1;
}

# HTTP/2 with prior knowledge: HPACK literals without indexing, so that
# every stream carries its own X-Real-IP; 100 streams at a time

sub h2_int {    # HPACK integer with a 7-bit prefix, H bit 0
    my ($v) = @_;
    return chr $v if $v < 127;
    my $s = chr 127;
    $v -= 127;
    while ($v >= 128) {
        $s .= chr(($v & 127) | 128);
        $v >>= 7;
    }
    return $s . chr $v;
}

sub h2_field { "\0" . h2_int(length $_[0]) . $_[0] . h2_int(length $_[1]) . $_[1] }

sub h2_frame {
    my ($type, $flags, $id, $payload) = @_;
    return substr(pack('N', length $payload), 1) . pack('CCN', $type, $flags,
        $id) . $payload;
}

sub h2_status {    # :status from the first field of a HEADERS block
    my ($block) = @_;
    my $b = ord $block;
    my %static = (8 => 200, 9 => 204, 10 => 206, 11 => 304, 12 => 400,
        13 => 404, 14 => 500);
    return $static{ $b & 0x7f } if $b & 0x80;
    return substr $block, 2, 3
        if ($b == 0x48 || $b == 0x08) && ord(substr $block, 1, 1) == 3;
    return undef;
}

sub h2_run {
    my ($port, $reqs) = @_;
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $port,
        Proto => 'tcp') or die "connect: $@";
    syswrite $s, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
        . h2_frame(4, 0, 0, pack 'nN', 4, 0x7fffffff)    # initial window
        . h2_frame(8, 0, 0, pack 'N', 0x7fffffff - 65535);
    my ($buf, $id, @todo) = ('', 1, @$reqs);
    while (my @batch = splice @todo, 0, 100) {
        my (%open, $out);
        for my $r (@batch) {
            my $block = h2_field(':method', 'GET') . h2_field(':scheme', 'http')
                . h2_field(':path', $r->{uri})
                . h2_field(':authority', 'scale.test')
                . join '', map { h2_field(lc $_, $r->{headers}{$_}) }
                    sort keys %{ $r->{headers} };
            $block .= h2_field('x_client', $r->{addr}) if @{ $r->{bad} };
            $out .= h2_frame(1, 0x5, $id, $block);    # END_STREAM|HEADERS
            $open{$id} = $r;
            $r->{stream} = $id;
            $id += 2;
        }
        syswrite $s, $out;
        my $deadline = time + 60;
        while (%open && time < $deadline) {
            while (length $buf >= 9) {
                my ($l1, $l2, $type, $flags, $sid) = unpack 'CnCCN', $buf;
                my $len = $l1 << 16 | $l2;
                last if length $buf < 9 + $len;
                my $payload = substr $buf, 9, $len;
                substr $buf, 0, 9 + $len, '';
                $sid &= 0x7fffffff;
                if ($type == 4 && !($flags & 1)) {    # SETTINGS: ack
                    syswrite $s, h2_frame(4, 1, 0, '');
                }
                my $r = $open{$sid} or next;
                if ($type == 1) {    # nginx sends neither padding nor priority
                    $r->{status} //= h2_status($payload);
                    $r->{response} .= $payload;
                }
                $r->{response} .= $payload if $type == 0;
                delete $open{$sid}
                    if (($type == 0 || $type == 1) && $flags & 1)
                    || $type == 3;
            }
            last if !%open
                || !IO::Select->new($s)->can_read($deadline - time);
            sysread($s, $buf, 262144, length $buf) or last;
        }
    }
    close $s;
}

my @H2 = grep { $_->{via} eq 'h2' } @REQ;
{
    my $t1 = time;
    my @todo = @H2;
    while (my @conn = splice @todo, 0, 2000) {
        h2_run($t->port('h2'), \@conn);
    }
    note sprintf 'HTTP/2: %d requests in %.1fs', scalar @H2, time - $t1;
}

# nghttp: decoded HTTP/2 response headers, one process per address

my @NG = grep { $_->{via} eq 'ng' } @REQ;
for my $r (@NG) {
    my $h = $r->{headers};
    my @args = map { ('-H', lc($_) . ": $h->{$_}") } sort keys %$h;
    push @args, '-H', "x_client: $r->{addr}" if @{ $r->{bad} };
    my $url = 'http://127.0.0.1:' . $t->port('h2') . $r->{uri};
    open my $fh, '-|', 'timeout', '10', 'nghttp', '-nv', @args, $url
        or die "nghttp: $!";
    local $/;
    $r->{response} = <$fh> // '';
    close $fh;
    ($r->{status}) = $r->{response} =~ /recv \(stream_id=\d+\) :status: (\d+)/;
}

note sprintf 'all %d requests sent in %.1fs', scalar @REQ, time - $T0;

# every request answered as its location answers

for my $r (@REQ) {
    next if $r->{via} eq 'h2' || $r->{via} eq 'ng';
    ($r->{status}) = (parse_response($r->{response}))[0];
}

my @wrong = grep { ($_->{status} // 0) != $_->{want} } @REQ;
is(scalar @wrong, 0, scalar(@REQ) . ' requests answered with their status')
    or diag join "\n", map { "$_->{via} $_->{uri}: " . ($_->{status} // '?')
        . " want $_->{want}" } @wrong[0 .. ($#wrong < 5 ? $#wrong : 5)];

# the access log: one line per request, with the truncated address

my @lines;
{
    my $end = time + 30;
    while (1) {
        @lines = split /\n/, $t->access_log;
        last if @lines >= @REQ || time > $end;
        sleep 0.2;
    }
}
is(scalar @lines, scalar @REQ, 'one access-log line per request');

my %line;
for (@lines) {
    my ($id) = m{\|req=GET /\S*?[/=](n\d+)[ ?&]} or next;
    $line{$id} = $_;
}

my (@bad_ra, $ra_ok);
for my $r (@REQ) {
    next if $r->{dup_host};    # 400 before realip: the peer's address
    my ($ra) = ($line{ $r->{id} } // '') =~ /\Ara=([^|]*)\|/;
    my $want = truncated($r->{addr});
    if (($ra // '') eq $want) {
        $ra_ok++;
    } else {
        push @bad_ra, "$r->{via} $r->{id} $r->{addr}: ra=" . ($ra // '?')
            . " want $want";
    }
}
is(scalar @bad_ra, 0, "every request logged with its truncated address"
    . " ($ra_ok lines)")
    or diag join "\n", @bad_ra[0 .. ($#bad_ra < 5 ? $#bad_ra : 5)];

# the recording upstream: every Matomo and every mirror request, with the
# truncated cip

my @records = $t->recorded;
my @proxied = grep {
    ($_->{via} ne 'pp' && ($_->{kind} == 5 || $_->{kind} == 6))
        || ($_->{via} eq 'pp' && $_->{kind} == 1)
} @REQ;
{
    my $end = time + 30;
    while (@records < @proxied && time < $end) {
        sleep 0.2;
        @records = $t->recorded;
    }
}
is(scalar @records, scalar @proxied,
    'recorder: one request per Matomo and mirror request ('
    . scalar(@proxied) . ')');

my (%rec_cip, @bad_cip);
for (@records) {
    my ($q) = m{\AGET \S*?\?(\S*)} or next;
    my %q;
    for (split /&/, $q) {
        my ($k, $v) = split /=/, $_, 2;
        $q{ lc decode_all($k) } = decode_all($v // '');
    }
    my $id = $q{id} // (($q{url} // '') =~ /[?&]id=(n\d+)/)[0] // next;
    $rec_cip{$id} = $q{cip};
}
for my $r (@proxied) {
    my $want = truncated($r->{addr});
    push @bad_cip, "$r->{id}: cip=" . ($rec_cip{ $r->{id} } // '?')
        . " want $want" if ($rec_cip{ $r->{id} } // '') ne $want;
}
is(scalar @bad_cip, 0, 'recorder: cip truncated in every tracking request')
    or diag join "\n", @bad_cip[0 .. ($#bad_cip < 5 ? $#bad_cip : 5)];

# the error log: one line per deny and per 404, at least one per invalid
# header line and per 400

my $errlog = $t->error_log;
my %count = (deny => 0, missing => 0, invalid => 0, dup => 0);
$count{deny}++ while $errlog =~ /access forbidden by rule/g;
$count{missing}++ while $errlog =~ /No such file or directory/g;
$count{invalid}++ while $errlog =~ /invalid header/g;
$count{dup}++ while $errlog =~ /duplicate "?Host"? header/ig;
my %want = (
    deny => scalar(grep { $_->{via} eq 'pp' ? $_->{kind} == 2
        : $_->{kind} == 7 } @REQ),
    missing => scalar(grep { $_->{via} eq 'pp' ? $_->{kind} == 3
        : $_->{kind} == 8 } @REQ),
    invalid => scalar(grep { $_->{via} eq 'h1' && $_->{kind} == 4 } @REQ),
    dup => scalar(grep { $_->{dup_host} } @REQ),
);
is($count{$_}, $want{$_}, "error log: $_ lines ($want{$_})")
    for qw(deny missing);
cmp_ok($count{$_}, '>=', $want{$_}, "error log: $_ lines (>= $want{$_})")
    for qw(invalid dup);

# response headers: X-Client is there and truncated (HTTP/1.1, PROXY
# protocol, nghttp's decoded HTTP/2 headers)

my @bad_hdr;
for my $r (grep { $_->{via} ne 'h2' } @REQ) {
    next if $r->{dup_host};
    my $want = truncated($r->{addr});
    my ($x) = $r->{via} eq 'ng'
        ? $r->{response} =~ /recv \(stream_id=\d+\) x-client: (\S+)/
        : $r->{response} =~ /^X-Client: (\S+)\r?$/mi;
    push @bad_hdr, "$r->{via} $r->{id}: X-Client " . ($x // '?')
        . " want $want" if ($x // '') ne $want;
}
is(scalar @bad_hdr, 0, 'X-Client response header truncated')
    or diag join "\n", @bad_hdr[0 .. ($#bad_hdr < 5 ? $#bad_hdr : 5)];

# negative: no full address anywhere.  Every run of [0-9A-Fa-f.:] is cut
# at its separators into candidates, looked up among the leak forms of all
# addresses, and a hit is confirmed with leaks().

my %FORM;
for my $a (@ADDR) {
    $FORM{ lc $_ } //= $_ for leak_forms($a->{text});
}

sub scan_leaks {
    my ($text) = @_;
    my (%seen, @found);
    while ($text =~ /([0-9A-Fa-f.:]{3,})/g) {
        my $run = $1;
        next if $seen{$run}++;
        my @cut = grep { substr($run, $_, 1) =~ /[.:]/ } 0 .. length($run) - 1;
        my @start = (0, map { $_ + 1 } @cut);
        my @end = (@cut, length $run);
        for my $s (@start) {
            for my $e (@end) {
                next if $e - $s < 3 || $e - $s > 45;
                my $f = $FORM{ lc substr $run, $s, $e - $s } // next;
                push @found, "$f in \"$run\"" if leaks($run, $f);
            }
        }
    }
    return @found;
}

sub no_leaks {
    my ($name, $text) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $decoded = decode_all($text);
    my @l = (scan_leaks($text), map { "$_ (decoded)" }
        $decoded eq $text ? () : scan_leaks($decoded));
    is(scalar @l, 0, "no full address in $name (" . length($text)
        . ' bytes)') or diag 'e.g. ' . join ', ', @l[0 .. ($#l < 5 ? $#l : 5)];
}

# the scanner finds what it must: one address of each form, planted in
# the syntaxes of the logs
my @missed = grep { !scan_leaks($_) } map {
    my $a = $ADDR[$_]{text};
    ("ra=$a|", "xff=10.0.0.1, $a|", "for=\"[$a]:4711\"", "client: $a,",
        "cip=" . decode_all(pct($a, $_ % 3)) . '&')
} 0 .. 10;
is(scalar @missed, 0, 'the leak scanner finds planted addresses')
    or diag join "\n", @missed;

no_leaks('access.log', $t->access_log);
no_leaks('error.log', $errlog);
no_leaks('the recorder', join "\n", @records);
no_leaks('response headers, HTTP/1.1 and PROXY protocol',
    join "\n", map { $_->{response} =~ /\A(.*?\r\n)\r\n/s ? $1 : '' }
        grep { $_->{via} eq 'h1' || $_->{via} eq 'pp' } @REQ);
no_leaks('response headers, HTTP/2 (nghttp)',
    join "\n", map { join "\n", $_->{response} =~ /recv .*/g }
        grep { $_->{via} eq 'ng' } @REQ);
no_leaks('HTTP/2 response frames', join "\n",
    map { $_->{response} // '' } grep { $_->{via} eq 'h2' } @REQ);

note sprintf 'total %.1fs', time - $T0;

$t->done_checks;
done_testing;
