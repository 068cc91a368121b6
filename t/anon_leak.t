#!/usr/bin/perl

# Leak search: 1500 generated client addresses of every form (IPv4, IPv6,
# mapped, compatible, 6to4, Teredo, NAT64, ISATAP) sent through realip, in
# X-Forwarded-For and in a "cip" argument (raw and percent-encoded) to three
# sites ("anon on" /16 /32, "anon on" /24 /48, "anon strict"), mixing
# proxied, FastCGI, denied and 404 requests.  No full address may reach the
# access logs, the error log, the recorder, the FastCGI params or the
# response headers; the truncated forms must be there instead.

use strict;
use warnings;

use Socket qw(inet_pton inet_ntop AF_INET AF_INET6);
use Test::More;
use Time::HiRes qw(sleep time);
use AnonTest;

my $N = 1500;
my @ADDR = random_addresses($N, 42);

my @SITES = (
    { name => 'on',     p4 => 16, p6 => 32, conf => 'anon on;' },
    { name => 'wide',   p4 => 24, p6 => 48,
      conf => "anon on;\n        anon_ipv4_prefix 24;\n"
          . "        anon_ipv6_prefix 48;" },
    # realip from X-Forwarded-For here, with a trusted 10.0.0.1 hop
    { name => 'strict', p4 => 16, p6 => 32, xff => 1,
      conf => "anon strict;\n        real_ip_header X-Forwarded-For;\n"
          . "        real_ip_recursive on;\n"
          . "        set_real_ip_from 10.0.0.0/8;\n"
          . "        set_real_ip_from 127.0.0.1;" },
);

my $t = AnonTest->new(log_level => 'info');

my $servers = join '', map { <<"EOF" } @SITES;
    server {
        listen 127.0.0.1:%%PORT_$_->{name}%%;
        server_name $_->{name}.test;
        access_log %%TESTDIR%%/access_$_->{name}.log leak;

        $_->{conf}

        add_header X-Client \$remote_addr always;
        add_header X-Fwd \$proxy_add_x_forwarded_for always;
        add_header X-Anon \$anon_remote_addr always;

        location / {
            proxy_pass http://recorder;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        }

        location /pass/ {
            proxy_pass http://recorder;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }

        location /deny/ {
            deny all;
        }

        location /missing/ {
            root %%TESTDIR%%/nothing;
        }

        location /fcgi/ {
            fastcgi_pass %%FASTCGI%%;
            include /etc/nginx/fastcgi_params;
        }
    }
EOF

$t->write_conf(<<"EOF")->run;
%%GLOBALS%%
events {}
http {
    %%TEMPS%%
    log_format leak 'ra=\$remote_addr|rra=\$realip_remote_addr'
                    '|xff=\$proxy_add_x_forwarded_for|anon=\$anon_remote_addr'
                    '|xri=\$http_x_real_ip|st=\$status|req=\$request';
    access_log off;

    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;

    upstream recorder {
        server %%RECORDER%%;
        keepalive 8;
    }

$servers}
EOF

# the truncation rules of docs/ngx_http_anon_module.md, written out again

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
    my ($text, $p4, $p6) = @_;
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

# the requests: two per address, spread over the sites and locations

my @LOCS = ('/', '/pass/', '/deny/', '/missing/', '/', '/pass/');

sub cip_query {
    my ($addr, $i) = @_;
    my $v = $i % 5;
    return "cip=$addr" if $v == 0;
    return 'x=1&cip=' . ($addr =~ s/:/%3a/gr) if $v == 1;
    return 'cip=' . join('', map { sprintf '%%%02X', ord } split //, $addr)
        if $v == 2;
    return '%63ip=' . ($addr =~ s/:/%253A/gr =~ s/\./%252E/gr) . '&y=2'
        if $v == 3;
    return "a=1&Cip=$addr&b=2";
}

my (@REQ, %by_site);
for my $i (0 .. $N - 1) {
    my $addr = $ADDR[$i]{text};
    for my $pass ('a', 'b') {
        my $site = $SITES[ ($i + ($pass eq 'b')) % @SITES ];
        my $j = int($i / @SITES) + ($pass eq 'b') * 2;   # every site
        my $loc = $j % 10 == 4 ? '/fcgi/' : $LOCS[ $j % @LOCS ];
        my %h;
        my $forwarded = $addr =~ /:/ ? "for=\"[$addr]\"" : "for=$addr";
        if ($pass eq 'a') {    # $addr is the client
            $h{'X-Real-IP'} = $addr;
            $h{'X-Forwarded-For'} = "$addr, 10.0.0.1"
                if $site->{xff} || $i % 2;
            $h{Forwarded} = $forwarded if $i % 4 == 0;
        } else {               # only in headers and arguments
            $h{ $site->{xff} ? 'X-Real-IP' : 'X-Forwarded-For' } =
                "$addr, 10.0.0.1";
            $h{Forwarded} = $forwarded if $i % 4 == 1;
        }
        my $id = "i$i$pass";
        push @REQ, {
            id => $id, i => $i, pass => $pass, site => $site, loc => $loc,
            addr => $addr,
            uri => "$loc$id?" . cip_query($addr, $i + ($pass eq 'b')),
            headers => \%h,
            client => $pass eq 'a' ? $addr : '127.0.0.1',
        };
        push @{ $by_site{ $site->{name} } }, $REQ[-1];
    }
}

my $t0 = time;
for my $site (@SITES) {
    my @reqs = @{ $by_site{ $site->{name} } };
    while (my @batch = splice @reqs, 0, 100) {
        my @res = $t->http_keepalive($t->port($site->{name}),
            [ map { [ $_->{uri}, $_->{headers} ] } @batch ]);
        $batch[$_]{response} = $res[$_] for 0 .. $#res;
    }
}
note sprintf '%d requests in %.1fs', scalar @REQ, time - $t0;

# every request answered, as its location answers

my %want = ('/' => 200, '/pass/' => 200, '/deny/' => 403,
    '/missing/' => 404, '/fcgi/' => 200);
sub status { (parse_response($_[0]{response}))[0] // 0 }

my @wrong = map { "$_->{uri}: " . status($_) }
    grep { status($_) != $want{ $_->{loc} } } @REQ;
is(scalar @wrong, 0, 'every request answered with its status')
    or diag join "\n", @wrong[0 .. ($#wrong < 5 ? $#wrong : 5)];

# all logged; wait for the last lines

my %lines;
for my $site (@SITES) {
    my $n = @{ $by_site{ $site->{name} } };
    my $end = time + 10;
    my @l;
    while (1) {
        @l = split /\n/, $t->access_log("access_$site->{name}.log");
        last if @l >= $n || time > $end;
        sleep 0.1;
    }
    is(scalar @l, $n, "$site->{name}: one access-log line per request");
    for (@l) {
        my %e = map { split /=/, $_, 2 } split /\|/;
        my ($id) = ($e{req} // '') =~ m{^\S+ /[a-z]*/?(i\d+[ab])\?};
        $e{_line} = $_;
        $lines{ $id // 'unknown' } = \%e;
    }
}

my @records = $t->recorded;
my @fcgi = $t->fastcgi_params_seen;
my $errlog = $t->error_log;

# positive: the truncated forms are there

sub expect {
    my ($r, $text) = @_;
    return truncated($text, $r->{site}{p4}, $r->{site}{p6});
}

sub query_cip {    # the cip value of a query string, fully decoded
    my ($q) = @_;
    for (split /&/, $q // '') {
        my ($k, $v) = split /=/, $_, 2;
        return decode_all($v // '') if lc decode_all($k) eq 'cip';
    }
    return undef;
}

sub check {
    my ($name, @bad) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    is(scalar @bad, 0, $name)
        or diag join "\n", @bad[0 .. ($#bad < 5 ? $#bad : 5)];
}

my (@ra, @anon, @xri, @xff, @cip, @rra);
for my $r (@REQ) {
    my $e = $lines{ $r->{id} } // {};
    my $client = expect($r, $r->{client});
    push @ra, "$r->{id} $r->{client}: ra=" . ($e->{ra} // '?')
        . " want $client" if ($e->{ra} // '') ne $client;
    push @anon, "$r->{id}: anon=" . ($e->{anon} // '?') . " want $client"
        if ($e->{anon} // '') ne $client;
    push @rra, "$r->{id}: rra=" . ($e->{rra} // '?')
        if ($e->{rra} // '') ne '127.0.0.0';
    my $cip = expect($r, $r->{addr});
    my ($q) = ($e->{req} // '') =~ /\?(\S*)/;
    my $got = query_cip($q);
    push @cip, "$r->{id}: cip=" . ($got // '?') . " want $cip"
        if ($got // '') ne $cip;
    my $xff = join ', ', map { expect($r, $_) }
        split(/, /, $r->{headers}{'X-Forwarded-For'} // ''), $r->{client};
    push @xff, "$r->{id}: xff=" . ($e->{xff} // '?') . " want $xff"
        if ($e->{xff} // '') ne $xff;
    if (defined(my $sent = $r->{headers}{'X-Real-IP'})) {
        my $x = join ', ', map { expect($r, $_) } split /, /, $sent;
        push @xri, "$r->{id}: xri=" . ($e->{xri} // '?') . " want $x"
            if ($e->{xri} // '') ne $x;
    }
}
check('$remote_addr logged truncated, every form', @ra);
check('$anon_remote_addr logged truncated', @anon);
check('$realip_remote_addr logged as 127.0.0.0', @rra);
check('cip argument in $request truncated, every encoding', @cip);
check('X-Real-IP header in the log scrubbed', @xri);
check('$proxy_add_x_forwarded_for logged truncated', @xff);

# upstreams got the truncated forms

my (%rec, %fc);
for (@records) {
    $rec{$1} = $_ if m{^GET /\S*?(i\d+[ab])\?};
}
for (@fcgi) {
    $fc{$1} = $_ if ($_->{REQUEST_URI} // '') =~ m{(i\d+[ab])\?};
}
my (@up, @fp);
for my $r (@REQ) {
    my $client = expect($r, $r->{client});
    my $cip = expect($r, $r->{addr});
    if ($r->{loc} eq '/' || $r->{loc} eq '/pass/') {
        my $req = $rec{ $r->{id} };
        if (!$req) {
            push @up, "$r->{id}: not recorded";
            next;
        }
        my ($q) = $req =~ /\A\S+ \S*?\?(\S*)/;
        push @up, "$r->{id}: cip " . (query_cip($q) // '?')
            if (query_cip($q) // '') ne $cip;
        if ($r->{loc} eq '/') {
            my ($x) = $req =~ /^X-Real-IP: (\S*)\r?$/m;
            push @up, "$r->{id}: X-Real-IP " . ($x // '?') . " want $client"
                if ($x // '') ne $client;
        }
    }
    if ($r->{loc} eq '/fcgi/') {
        my $p = $fc{ $r->{id} } // {};
        push @fp, "$r->{id}: REMOTE_ADDR " . ($p->{REMOTE_ADDR} // '?')
            . " want $client" if ($p->{REMOTE_ADDR} // '') ne $client;
        push @fp, "$r->{id}: QUERY_STRING cip"
            if (query_cip($p->{QUERY_STRING}) // '') ne $cip;
    }
}
check('recorder: truncated X-Real-IP and cip', @up);
check('FastCGI: truncated REMOTE_ADDR and cip', @fp);
is(scalar(keys %rec),
    scalar(grep { $_->{loc} eq '/' || $_->{loc} eq '/pass/' } @REQ),
    'recorder got every proxied request');
is(scalar(keys %fc), scalar(grep { $_->{loc} eq '/fcgi/' } @REQ),
    'FastCGI got every request');

# error log: one line per denied and per missing file, truncated client

my (@el);
for my $r (grep { $_->{loc} eq '/deny/' || $_->{loc} eq '/missing/' } @REQ) {
    my @l = grep { /\Q$r->{id}\E\?/ } split /\n/, $errlog;
    my $what = $r->{loc} eq '/deny/' ? 'access forbidden by rule'
        : 'No such file or directory';
    my $client = expect($r, $r->{client});
    push @el, "$r->{id}: " . scalar(@l) . " lines: " . ($l[0] // '')
        unless @l == 1 && $l[0] =~ /\Q$what\E/
        && $l[0] =~ /, client: \Q$client\E,/;
}
check('error log: one line per deny and 404, client truncated', @el);

# negative: no full address anywhere

my @full = map { leak_forms($_->{text}) } @ADDR;

sub no_leaks {
    my ($name, $text) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my @l = leaks($text, @full);
    push @l, map { "$_ (decoded)" } leaks(decode_all($text), @full);
    is(scalar @l, 0, "no full address in $name")
        or diag 'e.g. ' . join ', ', @l[0 .. ($#l < 5 ? $#l : 5)];
}

for my $site (@SITES) {
    no_leaks("access_$site->{name}.log",
        $t->access_log("access_$site->{name}.log"));
}
no_leaks('error.log', $errlog);
no_leaks('upstream requests', join "\n", @records);
no_leaks('FastCGI params',
    join "\n", map { my $p = $_; map { "$_=$p->{$_}" } sort keys %$p } @fcgi);

# add_header X-Client, X-Fwd, X-Anon: per site and status
for my $site (@SITES) {
    for my $st (200, 403, 404) {
        my @heads = map { $_->{response} =~ /\A(.*?\r\n)\r\n/s ? $1 : '' }
            grep { status($_) == $st } @{ $by_site{ $site->{name} } };
        my $x = grep { /^X-Client: /m } @heads;
        ok(@heads && $x == @heads,
            "$site->{name}: $st responses carry X-Client");
        no_leaks("$site->{name}: response headers of $st responses",
            join "\n", @heads);
    }
}

$t->done_checks;
done_testing;
