#!/usr/bin/perl

# anon_bsn: BSNs (valid numbers, in several spellings) in the path, the
# query and the Referer of requests to sites with "anon_bsn redact",
# "pseudonymize" and "off".  The access log, the error log and the
# tracking requests of $anon_piwik_args must hold none of them; the
# application upstream must get the request as it was sent.  The
# pseudonyms are computed here from the key file and compared exactly.

use strict;
use warnings;

use Digest::SHA qw(hmac_sha256 hmac_sha256_hex);
use POSIX qw(floor strftime);
use Test::More;
use Time::HiRes qw(time sleep);
use AnonTest;

# 123456782, 111222333 and 999999990 pass the eleven-test; 123456789 fails
my %BSN = (A => '123456782', B => '111222333', C => '999999990');
my $INVALID = '123456789';

my $KEY = 'bsn-test-key-0123456789abcdef-0123456789';

# field of a PRF message: two bytes of length, big-endian, the bytes
sub field { pack('n', length $_[0]) . $_[0] }

sub gmtoff {
    my ($t) = @_;
    my ($sign, $h, $m) = strftime('%z', localtime $t) =~ /\A([+-])(\d\d)(\d\d)/;
    return ($sign eq '-' ? -1 : 1) * ($h * 3600 + $m * 60);
}

sub day { my $t = time; floor((int($t) + gmtoff($t)) / 86400) }

sub pseudonym {
    my ($digits, $day) = @_;
    my $pk = hmac_sha256(field('ngx_anon period') . $day, $KEY);
    return 'bsn-' . substr hmac_sha256_hex(field('bsn') . field($digits), $pk),
        0, 16;
}

# the eleven-test, and every BSN a text shows in any spelling: plain,
# in three groups, with percent-encoded digits, after an escaped
# separator ("%2F"); the same views as the unit test's search

sub eleven {
    my ($d) = @_;
    return 0 if $d eq '000000000';
    my @d = split //, $d;
    my $sum = -$d[8];
    $sum += (9 - $_) * $d[$_] for 0 .. 7;
    return $sum % 11 == 0;
}

sub bsns_in {
    my ($text) = @_;
    my %found;
    for my $url (0, 1) {
        (my $d = $text) =~ s{%(3[0-9])|%([0-9A-Fa-f]{2})}{
            defined $1 ? chr hex $1
            : !$url ? "%$2"
            : chr(hex $2) =~ /[A-Za-z]/ ? 'a' : '!'
        }ge;
        while ($d =~ /(?<![0-9A-Za-z])(\d{9})(?![0-9A-Za-z])/g) {
            $found{$1} = 1 if eleven($1);
        }
        while ($d =~ /(?<![0-9A-Za-z])(?=(\d{2,4})([. -])(\d{2,4})\2(\d{2,4})
                      (?![0-9A-Za-z]))/gx)
        {
            my $n = "$1$3$4";
            $found{$n} = 1 if length $n == 9 && eleven($n);
        }
    }
    return sort keys %found;
}

# the requests: what is sent, and what the log must show instead
# ({A}, {B}, {C}: the replacement of each number)

my @REQ = (
    { uri => "/p/$BSN{A}/x?bsn=$BSN{B}&n=$INVALID&rq=1",
      path => "/p/$BSN{A}/x",
      args => "bsn=$BSN{B}&n=$INVALID&rq=1",
      ref => "https://portal.example.nl/dossier/$BSN{C}?x=1",
      s_uri => "/p/{A}/x?bsn={B}&n=$INVALID&rq=1",
      s_path => '/p/{A}/x',
      s_args => "bsn={B}&n=$INVALID&rq=1",
      s_ref => 'https://portal.example.nl/dossier/{C}?x=1' },

    { uri => '/p/1234.56.782?alt=%31%32%33%34%35%36%37%38%32&rq=2',
      path => '/p/1234.56.782',
      args => 'alt=%31%32%33%34%35%36%37%38%32&rq=2',
      ref => "https://portal.example.nl/?next=%2Fdossier%2F$BSN{B}",
      s_uri => '/p/{A}?alt={A}&rq=2',
      s_path => '/p/{A}',
      s_args => 'alt={A}&rq=2',
      s_ref => 'https://portal.example.nl/?next=%2Fdossier%2F{B}' },

    { uri => '/p/123-456-782/%31%31%31%32%32%32%33%33%33?rq=3',
      path => '/p/123-456-782/111222333',
      args => 'rq=3',
      ref => 'https://portal.example.nl/zoek?q=999 999 990',
      s_uri => '/p/{A}/{B}?rq=3',
      s_path => '/p/{A}/{B}',
      s_args => 'rq=3',
      s_ref => 'https://portal.example.nl/zoek?q={C}' },
);

my %DENY = (uri => "/deny/$BSN{A}?rq=4",
    ref => 'https://portal.example.nl/999.999.990',
    s_request => 'GET /deny/{A}?rq=4 HTTP/1.1',
    s_ref => 'https://portal.example.nl/{C}');

my %MISSING = (uri => "/missing/$BSN{B}?rq=5",
    s_request => 'GET /missing/{B}?rq=5 HTTP/1.1');

# a tracking request of the JavaScript tracker, through the frontend
my $TRACKER = '/matomo.php?idsite=99&rec=1&rq=7'
    . '&url=https%3A%2F%2Fwww.example.nl%2Fdossier%2F123456782'
    . '&urlref=https%3A%2F%2Fportal.example.nl%2F%3Fbsn%3D111222333';

sub fill {
    my ($tpl, $rep) = @_;
    return $tpl =~ s/\{([ABC])\}/$rep->{$1}/gr;
}

# four sites: redact (with "anon on"), pseudonymize, pseudonymize on
# another site (with "anon strict"), off; and locations for errors

sub site {
    my ($name, $port, $idsite, $conf) = @_;
    return <<"EOF";
    server {
        listen 127.0.0.1:%%PORT_$port%%;
        server_name $name.example.nl;
        access_log %%TESTDIR%%/access_$name.log bsn;

        $conf
        anon_piwik_site $idsite;

        location / {
            mirror /_piwik;
            proxy_pass http://%%RECORDER%%;
        }

        location /private/ {
            anon_bsn redact;
            proxy_pass http://%%RECORDER%%;
        }

        location /deny/ {
            deny all;
        }

        location /missing/ {
            root %%TESTDIR%%/nothing;
        }

        location = /_piwik {
            internal;
            proxy_pass_request_headers off;
            proxy_pass_request_body off;
            proxy_pass http://%%RECORDER%%/matomo.php?\$anon_piwik_args;
        }

        # Matomo behind the frontend: the JavaScript tracker's requests,
        # with the tracking arguments that carry page addresses named
        location = /matomo.php {
            anon_args cip url urlref;
            proxy_pass http://%%RECORDER%%;
        }
    }
EOF
}

sub conf {
    my ($http) = @_;
    my $sites = site('redact', 'r', 7, "anon on;\n        anon_bsn redact;")
        . site('pseudo', 'p', 8, 'anon_bsn pseudonymize;')
        . site('pseudo2', 'q', 9,
               "anon strict;\n        anon_bsn pseudonymize;")
        . site('off', 'o', 10, 'anon_bsn off;');
    return <<"EOF";
%%GLOBALS%%
events {}
http {
    %%TEMPS%%
    log_format bsn '\$request | \$request_uri | \$args | \$query_string | '
                   '\$uri | \$http_referer | \$anon_request | '
                   '\$anon_request_uri | \$anon_http_referer';
    access_log off;

    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;

    anon_pseudonym_key %%TESTDIR%%/bsn.key;
    $http

$sites
}
EOF
}

sub write_key {
    my ($t) = @_;
    my $path = $t->dir . '/bsn.key';
    open my $fh, '>', $path or die "$path: $!";
    print {$fh} $KEY;
    close $fh;
    chmod 0600, $path;
}

sub send_all {
    my ($t) = @_;
    for my $port (qw(r p q o)) {
        for my $req (@REQ, \%DENY, \%MISSING) {
            $t->http_get($t->port($port), $req->{uri},
                'X-Real-IP' => '198.51.100.7',
                $req->{ref} ? (Referer => $req->{ref}) : ());
        }
        $t->http_get($t->port($port), "/private/$BSN{A}?rq=6");
        $t->http_get($t->port($port), "$TRACKER&s=$port");
    }
}

sub tracking {
    my ($t, $n) = @_;
    my @r;
    for (1 .. 60) {
        @r = grep { m{^GET /matomo\.php\?idsite=(?:7|8|9|10)&} }
            $t->recorded;
        last if @r >= $n;
        sleep 0.05;
    }
    return @r;
}

sub query {
    my ($req) = @_;
    my ($qs) = $req =~ m{^GET /matomo\.php\?(\S*) HTTP} or return {};
    my %q;
    for (split /&/, $qs) {
        my ($k, $v) = split /=/, $_, 2;
        $q{$k} = ($v // '') =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ger;
    }
    return \%q;
}

###########################################################################
# without anon_error_log: the access log, the upstream, the tracking
# requests, and the request:/referrer: parts of error-log lines

my $t = AnonTest->new;
write_key($t);
$t->write_conf(conf(''))->run;

my $day = day();
send_all($t);

my %mask = map { $_ => 'XXXXXXXXX' } keys %BSN;
my %pseu = map { $_ => pseudonym($BSN{$_}, $day) } keys %BSN;

like($pseu{A}, qr/\Absn-[0-9a-f]{16}\z/, 'a pseudonym is bsn- and 16 hex');

my %logs = map { $_ => $t->wait_for_log("access_$_.log", qr/rq=6/) // '' }
    qw(redact pseudo pseudo2 off);

SKIP: {
    skip 'the day changed during the test', 4 * @REQ if day() != $day;

    for my $site ([ 'redact', \%mask ], [ 'pseudo', \%pseu ],
                  [ 'pseudo2', \%pseu ], [ 'off', undef ])
    {
        my ($name, $rep) = @$site;
        my @lines = split /\n/, $logs{$name};

        for my $i (0 .. $#REQ) {
            my $r = $REQ[$i];
            my ($line) = grep { /rq=${\($i + 1)}\b/ } @lines;
            my @f = split / \| /, $line // '', -1;
            my $off = $name eq 'off';
            my $s_uri = $off ? $r->{uri} : fill($r->{s_uri}, $rep);
            my $s_args = $off ? $r->{args} : fill($r->{s_args}, $rep);

            # $anon_* are redacted where anon_bsn is off
            my $anon = $off ? \%mask : $rep;

            is_deeply(\@f, [
                "GET $s_uri HTTP/1.1",
                $s_uri,
                $s_args,
                $s_args,
                $off ? $r->{path} : fill($r->{s_path}, $rep),
                $off ? $r->{ref} : fill($r->{s_ref}, $rep),
                'GET ' . fill($r->{s_uri}, $anon) . ' HTTP/1.1',
                fill($r->{s_uri}, $anon),
                fill($r->{s_ref}, $anon),
            ], "$name: request " . ($i + 1) . ': every field of the log')
                or diag $line;
        }
    }
}

# the control: with "off" the numbers are logged as sent

if ($logs{off} =~ m{GET /p/123456782/x\?bsn=111222333&n=123456789&rq=1 }) {
    pass('off: the request line logged as sent');
} else {
    fail('off: the request line logged as sent');
}

for my $name (qw(redact pseudo pseudo2)) {
    is_deeply([ bsns_in($logs{$name}) ], [], "$name: no BSN in the access log");
    like($logs{$name}, qr/\b\Q$INVALID\E\b/,
         "$name: the number failing the eleven-test stays");
}
is_deeply([ bsns_in($logs{off}) ], [ sort values %BSN ],
          'off: the control access log shows all three');
like($logs{redact}, qr/XXXXXXXXX/, 'redact: the mask is logged');
unlike($logs{redact}, qr/bsn-[0-9a-f]/, 'redact: no pseudonym');

# one pseudonym per number, whatever the spelling and the site

my %seen;
$seen{$_}++ for map { /(bsn-[0-9a-f]{16})/g } $logs{pseudo}, $logs{pseudo2};
is(scalar keys %seen, 3, 'pseudonymize: three pseudonyms for three numbers')
    or diag explain \%seen;
SKIP: {
    skip 'the day changed during the test', 1 if day() != $day;
    is_deeply([ sort keys %seen ], [ sort values %pseu ],
              'pseudonymize: the pseudonyms of the key file');
}

# a location's own anon_bsn, in the site where it is off

my ($private) = grep { /rq=6/ } split /\n/, $logs{off};
like($private // '', qr{^GET /private/XXXXXXXXX\?rq=6 HTTP/1\.1 \| },
     'off: a location with anon_bsn redact is redacted');

# the application gets the request as sent

my @app = grep { !m{^GET /matomo\.php} } $t->recorded;
is(scalar @app, 4 * (@REQ + 1), 'the upstream got every proxied request');

for my $i (0 .. $#REQ) {
    my $r = $REQ[$i];
    my @got = grep { /rq=${\($i + 1)}\b/ } @app;
    is(scalar @got, 4, 'request ' . ($i + 1) . ': four sites, four requests');
    is(scalar(grep { /\AGET \Q$r->{uri}\E HTTP\/1\.0\r\n/ } @got), 4,
       'request ' . ($i + 1) . ': the original request line upstream');
    is(scalar(grep { /\r\nReferer: \Q$r->{ref}\E\r\n/ } @got), 4,
       'request ' . ($i + 1) . ': the original Referer upstream');
}
is(scalar(grep { m{\AGET /private/123456782\?rq=6 } } @app), 4,
   '/private/: the original request line upstream');

# the tracking requests: url and urlref without a BSN, in every site

my @track = tracking($t, 4 * @REQ);
is(scalar @track, 4 * @REQ, 'one tracking request per page view');

my %track_site = (7 => \%mask, 8 => \%pseu, 9 => \%pseu, 10 => \%mask);
my %track_seen;

for my $req (@track) {
    my $q = query($req);
    my ($i) = ($q->{url} // '') =~ /rq=(\d)/ or next;
    my $r = $REQ[$i - 1];
    my $rep = $track_site{ $q->{idsite} } or next;
    $track_seen{ $q->{idsite} }++;
    is_deeply([ $q->{url}, $q->{urlref} ],
              [ 'http://localhost' . fill($r->{s_uri}, $rep),
                fill($r->{s_ref}, $rep) ],
              "tracking request $i of site $q->{idsite}: url and urlref "
              . 'replaced');
    is_deeply([ bsns_in("$q->{url} $q->{urlref}") ], [],
              "tracking request $i of site $q->{idsite}: no BSN in url, "
              . 'urlref');
}
is_deeply(\%track_seen, { 7 => 3, 8 => 3, 9 => 3, 10 => 3 },
          'tracking requests of every site, pseudonymized where the site '
          . 'pseudonymizes, redacted elsewhere (also with anon_bsn off)');

# nothing of a tracking request holds a BSN: the mirror subrequest
# proxies the headers of the page request, the Referer among them

my @track_on = grep { /^GET \S+idsite=(?:7|8|9)&/ } @track;
is_deeply([ bsns_in(join "\n", @track_on) ], [],
          'no BSN in the tracking requests as sent to Matomo, headers '
          . 'included (redact, pseudonymize)');

# the JavaScript tracker's requests through the frontend ("proxied
# tracking requests") to the sites that redact or pseudonymize

my @js = grep { m{^GET /matomo\.php\?idsite=99&} } $t->recorded;
is(scalar @js, 4, 'the tracker requests reached Matomo');
my @js_on = grep { m{^GET \S+&s=[rpq] } } @js;
is(scalar @js_on, 3, 'three of them from sites with anon_bsn on');
is_deeply([ bsns_in(join "\n", @js_on) ], [],
          'no BSN in proxied tracking requests (url, urlref)') or diag join "\n---\n", @js_on;

# error-log lines: request: and referrer: parts replaced

my $err = $t->wait_for_log('error.log', qr/missing.*server: off\.example/s)
    // '';

for my $name (qw(redact pseudo pseudo2)) {
    my $rep = $name eq 'redact' ? \%mask : \%pseu;
    my ($deny) = grep { /access forbidden/ && /server: \Q$name\E\./ }
        split /\n/, $err;
    like($deny // '', qr/request: "\Q${\ fill($DENY{s_request}, $rep)}\E"/,
         "$name: access forbidden, request: replaced");
    like($deny // '', qr/referrer: "\Q${\ fill($DENY{s_ref}, $rep)}\E"/,
         "$name: access forbidden, referrer: replaced");
    is_deeply([ bsns_in($deny // '') ], [], "$name: access forbidden, no BSN");

    # without anon_error_log the message itself is not covered: open()
    # names the path, number and all (a documented limit)
    my ($open) = grep { /open\(\)/ && /server: \Q$name\E\./ } split /\n/, $err;
    like($open // '', qr/request: "\Q${\ fill($MISSING{s_request}, $rep)}\E"/,
         "$name: open() failed, request: replaced");
    like($open // '', qr{open\(\) "[^"]*/missing/\Q$BSN{B}\E" failed},
         "$name: without anon_error_log, the open() path keeps the number");
}

my ($deny_off) = grep { /access forbidden/ && /server: off\./ }
    split /\n/, $err;
like($deny_off // '', qr{request: "GET /deny/123456782\?rq=4 HTTP/1\.1"},
     'off: the control error line shows the number');

$t->done_checks;

###########################################################################
# anon_error_log on with anon_bsn pseudonymize at the http level: whole
# error-log lines, of every site

my $e = AnonTest->new;
write_key($e);
$e->write_conf(conf("anon_error_log on;\n    anon_bsn pseudonymize;"))->run;

$day = day();
send_all($e);
%pseu = map { $_ => pseudonym($BSN{$_}, $day) } keys %BSN;

my $elog = $e->wait_for_log('error.log', qr/missing.*server: off\.example/s)
    // '';

is_deeply([ bsns_in($elog) ], [], 'anon_error_log: no BSN in the error log');

SKIP: {
    skip 'the day changed during the test', 5 if day() != $day;

    for my $name (qw(redact pseudo off)) {
        my ($open) = grep { /open\(\)/ && /server: \Q$name\E\./ }
            split /\n/, $elog;
        like($open // '', qr{open\(\) "[^"]*/missing/\Q$pseu{B}\E" failed},
             "anon_error_log, $name: the open() path pseudonymized");
    }

    my ($deny) = grep { /access forbidden/ && /server: off\./ }
        split /\n/, $elog;
    like($deny // '', qr{request: "GET /deny/\Q$pseu{A}\E\?rq=4 HTTP/1\.1"},
         'anon_error_log, off: the request: part pseudonymized too');

    # a site's own mode comes first for the request: part
    my ($rdeny) = grep { /access forbidden/ && /server: redact\./ }
        split /\n/, $elog;
    like($rdeny // '', qr{request: "GET /deny/XXXXXXXXX\?rq=4 HTTP/1\.1"},
         'anon_error_log, redact: the request: part redacted');
}

# the http-level mode is also the default of the sites that set none:
# the access log of a site with "off" still has its numbers

like($e->access_log('access_off.log'), qr{GET /p/123456782/x\?},
     'anon_error_log: the off site logs its numbers in the access log');

my @eapp = grep { !m{^GET /matomo\.php} } $e->recorded;
is(scalar(grep { m{\AGET /deny/} || m{\AGET /missing/} } @eapp), 0,
   'denied and missing requests never went upstream');
is(scalar(grep { /\AGET \Q$REQ[0]{uri}\E HTTP/ } @eapp), 4,
   'anon_error_log: the upstream still gets the original');

$e->done_checks;

done_testing;
