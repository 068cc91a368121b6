#!/usr/bin/perl

# anon_geoip2: geolocation from the client's original address, before it
# is truncated.  Test databases map each client's address and its
# truncated address to different countries, so every consumer (access
# log, proxy header, FastCGI parameter, $anon_piwik_args and a header of a
# mirror subrequest, all evaluated after truncation) shows which one was
# looked up; with "anon on" and "anon strict", MaxMind's schema and the
# flat one of ip-location-db, several databases, IPv4, IPv6 and IPv4-mapped
# clients.  One lookup per request and database.  nginx -t errors.
# Replacing a database in place and by rename under load: no crash, and
# the new data after auto_reload or a reload.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep time);
use POSIX qw(WNOHANG);
use AnonTest;
use AnonTest::GeoDB qw(mmdb write_mmdb city flat);

my $V4       = '198.51.100.7';
my $V6       = '2001:db8:85a3::8a2e:370:7334';
my $MAPPED   = '::ffff:198.51.100.7';
my $FLATONLY = '192.0.2.10';       # only the flat IPv4 database knows it
my $UNKNOWN  = '203.0.113.9';      # no database knows it

my %PLACE = (
    NL => { region => 'NH', region_name => 'North Holland',
            city => 'Amsterdam', lat => 52.374, long => 4.8897 },
    BE => { region => 'VAN', region_name => 'Flanders',
            city => 'Antwerp', lat => 51.2194, long => 4.4025 },
    DE => { region => 'BE', region_name => 'Berlin',
            city => 'Berlin', lat => 52.52, long => 13.405 },
    FR => { region => 'IDF', region_name => 'Ile-de-France',
            city => 'Paris', lat => 48.8566, long => 2.3522 },
    AT => { region_name => 'Vienna', city => 'Vienna', lat => 48.2082,
            long => 16.3738 },
    IT => { region_name => 'Lazio', city => 'Rome', lat => 41.9028,
            long => 12.4964 },
    LU => { region_name => 'Luxembourg', city => 'Luxembourg',
            lat => 49.6117, long => 6.13 },
    MC => { region_name => 'Monaco', city => 'Monaco', lat => 43.7384,
            long => 7.4246 },
    LO => { region => 'LO', city => 'Loopback', lat => 0, long => 0 },
);

sub c { city(country => $_[0], %{ $PLACE{ $_[0] } }) }
sub f { flat(country => $_[0], %{ $PLACE{ $_[0] } }) }

# each client address and its truncated address (/16, /32) differ
my @CITY = (
    '198.51.100.0/24'    => c('NL'),    # $V4
    '198.51.0.0/24'      => c('BE'),    # $V4 truncated
    '2001:db8:85a3::/48' => c('DE'),    # $V6
    '2001:db8::/48'      => c('FR'),    # $V6 truncated
    '192.0.0.0/24'       => c('MC'),    # $FLATONLY truncated
    '127.0.0.0/8'        => c('LO'),    # the test client itself
);
my @FLAT4 = (
    '198.51.100.0/24' => f('NL'),
    '198.51.0.0/24'   => f('BE'),
    '192.0.2.0/24'    => f('LU'),
    '192.0.0.0/24'    => f('MC'),
);
my @FLAT6 = (
    '2001:db8:85a3::/48' => f('AT'),
    '2001:db8::/48'      => f('IT'),
);

my $t = AnonTest->new(log_level => 'debug');
my $d = $t->dir;

write_mmdb("$d/city.mmdb", networks => \@CITY);
write_mmdb("$d/flat4.mmdb", schema => 'flat', ip_version => 4,
    networks => \@FLAT4);
write_mmdb("$d/flat6.mmdb", schema => 'flat', ip_version => 6,
    networks => \@FLAT6);

sub site {
    my ($mode) = @_;
    return <<"EOF";
    server {
        listen 127.0.0.1:%%PORT_$mode%%;
        server_name $mode.example;

        anon $mode;
        anon_piwik_site 3;
        anon_piwik_token_auth 0123456789abcdef;

        # read in the server's rewrite phase, before realip of /rl/
        set \$early \$geo_log_country;

        location / {
            mirror /_piwik;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_set_header X-Geo-Country \$geo_hdr_country;
            proxy_set_header X-Page \$request_uri;
            proxy_pass http://%%RECORDER%%/app;
        }

        location = /_piwik {
            internal;
            proxy_set_header X-Mirror-Country \$geo_mirror_country;
            proxy_set_header X-Page \$request_uri;
            proxy_pass http://%%RECORDER%%/matomo.php?\$anon_piwik_args;
        }

        location /fcgi/ {
            fastcgi_param REQUEST_URI     \$request_uri;
            fastcgi_param REMOTE_ADDR     \$remote_addr;
            fastcgi_param MM_COUNTRY_CODE \$geo_fcgi_country;
            fastcgi_param MM_REGION_CODE  \$geo_fcgi_region;
            fastcgi_param MM_CITY_NAME    \$geo_fcgi_city;
            fastcgi_param MM_LATITUDE     \$geo_fcgi_lat;
            fastcgi_param MM_LONGITUDE    \$geo_fcgi_long;
            fastcgi_pass %%FASTCGI%%;
        }

        # realip of the location, after the server's "set"
        location /rl/ {
            real_ip_header X-Other;
            proxy_pass http://%%RECORDER%%;
        }
    }
EOF
}

$t->write_conf(<<"EOF")->run;
%%GLOBALS%%
events {}
http {
    %%TEMPS%%
    log_format geo 'u=\$request_uri|ra=\$remote_addr|c=\$geo_log_country|'
                   'city=\$geo_log_city|r=\$geo_log_region|'
                   'lat=\$geo_log_lat|fc=\$flat_log_country|'
                   'fr=\$flat_log_region|any=\$any_country|'
                   'def=\$geo_default|early=\$early|id=\$geo_id|eu=\$geo_eu|'
                   'i32=\$geo_i32|u64=\$geo_u64|acc=\$geo_acc|map=\$geo_map|';
    access_log %%TESTDIR%%/access.log geo;

    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;

    anon_geoip2 city.mmdb {
        \$geo_log_country    country iso_code;
        \$geo_log_city       city names en;
        \$geo_log_region     subdivisions 0 iso_code;
        \$geo_log_lat        location latitude;
        \$geo_hdr_country    country iso_code;
        \$geo_mirror_country country iso_code;
        \$geo_fcgi_country   country iso_code;
        \$geo_fcgi_region    subdivisions 0 iso_code;
        \$geo_fcgi_city      city names en;
        \$geo_fcgi_lat       location latitude;
        \$geo_fcgi_long      location longitude;
        \$geo_default        default=ZZ country iso_code;
        \$geo_id             country geoname_id;
        \$geo_eu             country is_in_european_union;
        \$geo_i32            anon_test int32;
        \$geo_u64            anon_test uint64;
        \$geo_acc            location accuracy_radius;
        \$geo_map            country names default=map;
        \$any_country        country iso_code;
    }

    anon_geoip2 %%TESTDIR%%/flat4.mmdb {
        \$flat_log_country   country_code;
        \$flat_log_region    state1;
        \$any_country        country_code;
    }

    anon_geoip2 "%%TESTDIR%%/flat6.mmdb" {
        \$flat_log_country   country_code;
        \$flat_log_region    state1;
        \$any_country        country_code default=--;
    }

@{[ site('on') ]}
@{[ site('strict') ]}
}
EOF

# what each client must get: always its own address's answer
my %WANT = (
    $V4 => { c => 'NL', city => 'Amsterdam', r => 'NH', lat => '52.3740',
             long => '4.8897', fc => 'NL', fr => 'North Holland',
             any => 'NL', def => 'NL', trunc => '198.51.0.0' },
    $MAPPED => { c => 'NL', city => 'Amsterdam', r => 'NH',
             lat => '52.3740', long => '4.8897', fc => 'NL',
             fr => 'North Holland', any => 'NL', def => 'NL',
             trunc => '::ffff:198.51.0.0' },
    $V6 => { c => 'DE', city => 'Berlin', r => 'BE', lat => '52.5200',
             long => '13.4050', fc => 'AT', fr => 'Vienna', any => 'DE',
             def => 'DE', trunc => '2001:db8::' },
    $FLATONLY => { c => '-', city => '-', r => '-', lat => '-',
             fc => 'LU', fr => 'Luxembourg', any => 'LU', def => 'ZZ',
             trunc => '192.0.0.0' },
    $UNKNOWN => { c => '-', city => '-', r => '-', lat => '-', fc => '-',
             fr => '-', any => '--', def => 'ZZ', trunc => '203.0.0.0' },
);

# Matomo's fields: all from the first database that knows the country
my %PIWIK = (
    $V4       => { country => 'nl', region => 'NH', city => 'Amsterdam',
                   lat => '52.3740', long => '4.8897' },
    $MAPPED   => { country => 'nl', region => 'NH', city => 'Amsterdam',
                   lat => '52.3740', long => '4.8897' },
    $V6       => { country => 'de', region => 'BE', city => 'Berlin',
                   lat => '52.5200', long => '13.4050' },
    $FLATONLY => { country => 'lu', city => 'Luxembourg', lat => '49.6117',
                   long => '6.1300' },
    $UNKNOWN  => {},
);

sub log_lines {
    my %by;
    for my $line (split /\n/, $t->access_log) {
        my %f = map { split /=/, $_, 2 } grep { /=/ } split /\|/, $line;
        $by{ $f{u} } = \%f if defined $f{u};
    }
    return \%by;
}

sub query {
    my ($qs) = @_;
    my %q;
    for (split /&/, $qs // '') {
        my ($k, $v) = split /=/, $_, 2;
        $q{$k} = ($v // '') =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ger;
    }
    return \%q;
}

sub recorded_for {    # the recorder's requests with "X-Page: $page"
    my ($page, $n) = @_;
    my @r;
    for (1 .. 40) {
        @r = grep { /^X-Page: \Q$page\E\r?$/mi } $t->recorded;
        last if @r >= $n;
        sleep 0.05;
    }
    return @r;
}

sub header {
    my ($req, $name) = @_;
    return $req =~ /^\Q$name\E: ([^\r\n]*)/mi ? $1 : undef;
}

# lookups per connection and database, from the debug log
sub lookups {
    my %n;
    my $log = $t->error_log;
    while ($log =~ /\*(\d+) anon_geoip2: lookup in "[^"]*\/(\w+)\.mmdb"/g) {
        $n{$1}{$2}++;
    }
    return \%n;
}

sub conn_of {    # the connection number of the request for $uri
    my ($uri) = @_;
    my ($n) = $t->error_log =~ /\*(\d+) http request line: "GET \Q$uri\E /;
    return $n;
}

my $i = 0;

for my $mode (qw(on strict)) {
    for my $addr ($V4, $MAPPED, $V6, $FLATONLY, $UNKNOWN) {
        my $w = $WANT{$addr};
        my $tag = "anon $mode, $addr";
        my $page = "/$mode/" . ++$i;

        my ($status) = parse_response($t->http_get($t->port($mode), $page,
            'X-Real-IP' => $addr));
        is($status, 200, "$tag: page served");

        # the proxied request: a header first evaluated after truncation

        my ($app) = grep { m{^GET /app} } recorded_for($page, 2);
        is(header($app // '', 'X-Real-IP'), $w->{trunc},
           "$tag: upstream got the truncated address");
        is(header($app // '', 'X-Geo-Country'),
           $w->{c} eq '-' ? undef : $w->{c},
           "$tag: proxy header has the original's country");

        # the mirror subrequest: its own header and $anon_piwik_args

        my ($m) = grep { m{^GET /matomo\.php} } recorded_for($page, 2);
        ok($m, "$tag: mirror subrequest sent");
        is(header($m // '', 'X-Mirror-Country'),
           $w->{c} eq '-' ? undef : $w->{c},
           "$tag: mirror header has the original's country");

        my ($qs) = ($m // '') =~ m{^GET /matomo\.php\?(\S*) HTTP};
        my $q = query($qs);
        is($q->{cip}, $w->{trunc}, "$tag: piwik cip truncated");
        is_deeply({ map { exists $q->{$_} ? ($_ => $q->{$_}) : () }
                    qw(country region city lat long) },
                  $PIWIK{$addr}, "$tag: piwik place of the original");

        # the access log, written after truncation

        my $l = log_lines()->{$page} // {};
        is($l->{ra}, $w->{trunc}, "$tag: log has the truncated address");
        is_deeply([ @$l{qw(c city r lat fc fr any def early)} ],
                  [ @$w{qw(c city r lat fc fr any def)}, $w->{c} eq '-'
                    ? '' : $w->{c} ],
                  "$tag: log has the original's answers");

        # one lookup per database, however many variables

        my $conn = conn_of($page);
        my $n = lookups()->{ $conn // -1 } // {};
        is($n->{city}, 1, "$tag: one lookup in city.mmdb");
        ok(!grep({ $_ > 1 } values %$n), "$tag: at most one per database")
            or diag explain $n;
    }
}

# values of each type; a map has no text (default); untouched records

my $l = log_lines()->{'/on/1'} // {};
is_deeply([ @$l{qw(id eu i32 u64 acc map)} ],
          [ '2750405', '1', '-42', '18446744073709551615', '50', 'map' ],
          'uint32, boolean, int32, uint64, uint16; a map gives the default');

# FastCGI, for Matomo's "GeoIP (HTTP Server Module)"

for my $mode (qw(on strict)) {
    for my $addr ($V4, $V6) {
        my $page = "/fcgi/$mode/" . ++$i;
        my $w = $WANT{$addr};
        $t->http_get($t->port($mode), $page, 'X-Real-IP' => $addr);
        my ($p) = grep { ($_->{REQUEST_URI} // '') eq $page }
            $t->fastcgi_params_seen;
        is_deeply([ @{ $p // {} }{qw(REMOTE_ADDR MM_COUNTRY_CODE
                        MM_REGION_CODE MM_CITY_NAME MM_LATITUDE
                        MM_LONGITUDE)} ],
                  [ @$w{qw(trunc c r city lat long)} ],
                  "anon $mode, $addr: FastCGI MM_* of the original");
    }
}

# realip of a location changes the address after an early lookup: the
# cached value is computed again, from the new original address

{
    my $page = '/rl/' . ++$i;
    $t->http_get($t->port('on'), $page, 'X-Other' => $V4);
    recorded_for($page, 1);
    my $l = log_lines()->{$page} // {};
    is($l->{early}, 'LO', 'realip in location: early read got the old one');
    is($l->{c}, 'NL', 'realip in location: log has the new original');
    is($l->{ra}, '198.51.0.0', 'realip in location: log address truncated');
    my $n = lookups()->{ conn_of($page) // -1 } // {};
    is($n->{city}, 2, 'realip in location: one lookup per address');
}

# nothing in the debug log names a full client address

unlike($t->error_log, qr/anon_geoip2:[^\n]*(?:198\.51\.100\.|85a3)/,
       'lookups do not log the address');

$t->done_checks;

###########################################################################
# nginx -t

my $good = mmdb(networks => \@CITY);
my $c = AnonTest->new;
my $cd = $c->dir;

sub spew {
    my ($path, $bytes) = @_;
    open my $fh, '>', $path or die "$path: $!";
    binmode $fh;
    print {$fh} $bytes;
    close $fh or die "$path: $!";
}

spew("$cd/good.mmdb", $good);
spew("$cd/half.mmdb", substr $good, 0, length($good) / 2);
spew("$cd/garbage.mmdb", join '', map { chr int rand 256 } 1 .. 4096);
spew("$cd/empty.mmdb", '');
mkdir "$cd/dir.mmdb";
POSIX::mkfifo("$cd/fifo.mmdb", 0644);

sub conf_t {
    my ($block, $more) = @_;
    $more //= '';
    return $c->nginx_t(<<"EOF");
%%GLOBALS%%
events {}
http {
    %%TEMPS%%
    access_log off;
$block
    server {
        listen 127.0.0.1:%%PORT_1%%;
        $more
        location / { return 200 "\$g"; }
    }
}
EOF
}

my ($rc, $out) = conf_t("anon_geoip2 good.mmdb { \$g country iso_code; }");
is($rc, 0, 'nginx -t: good database') or diag $out;

for my $case (
    [ 'missing', "missing.mmdb",
      qr/\[emerg\] open\(\) "\Q$cd\E\/missing\.mmdb" failed \(2: No such file or directory\) in \S+nginx_t\.conf:\d+/ ],
    [ 'corrupt (random bytes)', "garbage.mmdb",
      qr/\[emerg\] MMDB_open\("\Q$cd\E\/garbage\.mmdb"\) failed: \S/ ],
    [ 'corrupt (truncated)', "half.mmdb",
      qr/\[emerg\] MMDB_open\("\Q$cd\E\/half\.mmdb"\) failed: \S/ ],
    [ 'empty', "empty.mmdb",
      qr/\[emerg\] MMDB_open\("\Q$cd\E\/empty\.mmdb"\) failed: \S/ ],
    [ 'a directory', "dir.mmdb",
      qr/\[emerg\] "\Q$cd\E\/dir\.mmdb" is not a regular file/ ],
    [ 'a FIFO (no hang)', "fifo.mmdb",
      qr/\[emerg\] "\Q$cd\E\/fifo\.mmdb" is not a regular file/ ],
)
{
    my ($name, $file, $re) = @$case;
    ($rc, $out) = conf_t("anon_geoip2 $file { \$g country iso_code; }");
    isnt($rc, 0, "nginx -t fails: $name");
    like($out, $re, "nginx -t: $name: message");
    like($out, qr/test failed/, "nginx -t: $name: test failed");
}

SKIP: {
    skip 'root reads any file', 2 if $> == 0;
    spew("$cd/secret.mmdb", $good);
    chmod 0, "$cd/secret.mmdb";
    ($rc, $out) = conf_t("anon_geoip2 secret.mmdb { \$g country iso_code; }");
    isnt($rc, 0, 'nginx -t fails: unreadable');
    like($out, qr/open\(\) "\Q$cd\E\/secret\.mmdb" failed \(13: Permission denied\)/,
         'nginx -t: unreadable: message');
}

for my $case (
    [ 'no data path', "anon_geoip2 good.mmdb { \$g; }",
      qr/no data path for "\$g", for example "\$g country iso_code;"/ ],
    [ 'no $', "anon_geoip2 good.mmdb { g country iso_code; }",
      qr/invalid variable name "g" in "anon_geoip2" block/ ],
    [ 'two defaults',
      "anon_geoip2 good.mmdb { \$g default=a country default=b; }",
      qr/duplicate "default=" for "\$g"/ ],
    [ 'conflicting defaults',
      "anon_geoip2 good.mmdb { \$g country iso_code default=a; }\n"
      . "anon_geoip2 good.mmdb { \$g country_code default=b; }",
      qr/"\$g" already has another "default="/ ],
    [ 'empty path element', "anon_geoip2 good.mmdb { \$g country \"\"; }",
      qr/empty element in the data path of "\$g"/ ],
    [ 'bad auto_reload',
      "anon_geoip2 good.mmdb { auto_reload soon; \$g country iso_code; }",
      qr/invalid value "soon" in "auto_reload", it must be a time of at least 1s or "off"/ ],
    [ 'auto_reload 0',
      "anon_geoip2 good.mmdb { auto_reload 0; \$g country iso_code; }",
      qr/invalid value "0" in "auto_reload"/ ],
    [ 'duplicate auto_reload',
      "anon_geoip2 good.mmdb { auto_reload 1m; auto_reload 2m; "
      . "\$g country iso_code; }",
      qr/"auto_reload" is duplicate/ ],
    [ 'auto_reload arguments',
      "anon_geoip2 good.mmdb { auto_reload; \$g country iso_code; }",
      qr/invalid number of arguments in "auto_reload"/ ],
    [ 'a block in the block',
      "anon_geoip2 good.mmdb { \$g country { } }",
      qr/unexpected "\{"/ ],
    [ 'no block', "anon_geoip2 good.mmdb;",
      qr/directive "anon_geoip2" has no opening "\{"/ ],
    [ 'a variable of another module',
      "map \$uri \$g { default x; }\n"
      . "anon_geoip2 good.mmdb { \$g country iso_code; }",
      qr/the duplicate "g" variable/ ],
)
{
    my ($name, $block, $re) = @$case;
    ($rc, $out) = conf_t($block);
    isnt($rc, 0, "nginx -t fails: $name");
    like($out, $re, "nginx -t: $name: message");
}

($rc, $out) = conf_t("anon_geoip2 good.mmdb { \$x country iso_code; }",
                     "anon_geoip2 good.mmdb { \$g country iso_code; }");
like($out, qr/"anon_geoip2" directive is not allowed here/,
     'nginx -t: anon_geoip2 only in http');

($rc, $out) = conf_t("anon_geoip2 good.mmdb { auto_reload off; "
                     . "\$g city names nl; \$g city names en; }");
is($rc, 0, 'nginx -t: two lines for one variable, auto_reload off')
    or diag $out;

###########################################################################
# replacing the databases while nginx runs, under load

my $r = AnonTest->new;
my $rd = $r->dir;

sub db_of { mmdb(networks => [ '198.51.100.0/24' => c($_[0]) ]) }

my %DB = map { $_ => db_of($_) } qw(NL BE DE FR);

sub c2 { city(country => $_[0]) }
$DB{SE} = mmdb(networks => [ '198.51.100.0/24' => c2('SE') ]);
$DB{DK} = mmdb(networks => [ '198.51.100.0/24' => c2('DK') ]);
$DB{FI} = mmdb(networks => [ '198.51.100.0/24' => c2('FI') ]);

spew("$rd/live.mmdb", $DB{NL});
spew("$rd/static.mmdb", $DB{NL});

$r->write_conf(<<'EOF')->run;
%%GLOBALS%%
events {}
http {
    %%TEMPS%%
    access_log %%TESTDIR%%/access.log;

    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;

    anon_geoip2 live.mmdb {
        auto_reload 1s;
        $live country iso_code default=none;
    }

    anon_geoip2 static.mmdb {
        $static country iso_code default=none;
    }

    server {
        listen 127.0.0.1:%%PORT_1%%;
        anon on;
        location / {
            return 200 "$live $static\n";
        }
    }
}
EOF

sub answer {
    my ($status, undef, $body) = parse_response($r->http_get($r->port(1),
        '/', 'X-Real-IP' => $V4));
    return ($status // 0) == 200 ? $body =~ s/\n\z//r : "status $status";
}

sub answer_becomes {
    my ($want, $secs) = @_;
    my $end = time + $secs;
    my $got;
    while (time < $end) {
        $got = answer();
        return $got if $got eq $want;
        sleep 0.1;
    }
    return $got;
}

is(answer(), 'NL NL', 'replace: NL from both databases');
my @workers = $r->worker_pids;
is(scalar @workers, 1, 'replace: one worker');

# the load: a bounded loop of requests, each answer recorded

my $load_log = "$rd/load.txt";
my $stop = "$rd/load.stop";
my $load = fork // die "fork: $!";

if (!$load) {
    open my $fh, '>', $load_log or POSIX::_exit(1);
    $fh->autoflush(1);
    for (1 .. 3000) {
        last if -e $stop;
        my $a = eval { answer() } // 'error';
        print {$fh} "$a\n";
        sleep 0.005;
    }
    close $fh;
    POSIX::_exit(0);
}

sub overwrite_in_place {    # same inode: emptied, then written slowly
    my ($path, $bytes) = @_;
    open my $fh, '+<', $path or die "$path: $!";
    binmode $fh;
    truncate $fh, 0;
    sleep 0.3;
    my $n = int(length($bytes) / 4) + 1;
    for (my $o = 0; $o < length $bytes; $o += $n) {
        syswrite $fh, $bytes, $n, $o;
        sleep 0.1;
    }
    close $fh;
}

sub replace_by_rename {
    my ($path, $bytes, $mode) = @_;
    spew("$path.tmp", $bytes);
    chmod $mode, "$path.tmp" if defined $mode;
    rename "$path.tmp", $path or die "rename: $!";
}

sleep 0.3;

# the static database (no auto_reload) overwritten in place: the mapped
# copy is private, so the worker neither dies nor sees the new data
overwrite_in_place("$rd/static.mmdb", $DB{SE});

# the live one replaced atomically: new data within the interval
replace_by_rename("$rd/live.mmdb", $DB{DE});
is(answer_becomes('DE NL', 4), 'DE NL',
   'replace: rename picked up by auto_reload, in-place overwrite unseen');

# the live one overwritten in place, emptied first
overwrite_in_place("$rd/live.mmdb", $DB{DK});
is(answer_becomes('DK NL', 4), 'DK NL',
   'replace: in-place overwrite picked up by auto_reload');

# a broken file: the data loaded before stays
overwrite_in_place("$rd/live.mmdb", 'not a database' x 100);
sleep 2.5;
is(answer(), 'DK NL', 'replace: a broken file keeps the old data');
like($r->error_log,
     qr/\[error\] [^\n]*anon_geoip2: reload failed, the old data stays in use: MMDB_open\("\Q$rd\E\/live\.mmdb"\) failed: /,
     'replace: a broken file is an [error]');

SKIP: {
    skip 'the worker runs as root', 3 if !grep { (stat "/proc/$_")[4] } @workers;

    replace_by_rename("$rd/live.mmdb", $DB{FI}, 0);
    sleep 2.5;
    is(answer(), 'DK NL', 'replace: an unreadable file keeps the old data');
    like($r->error_log,
         qr/\[error\] [^\n]*anon_geoip2: reload failed, the old data stays in use: open\(\) "\Q$rd\E\/live\.mmdb" failed \(13: Permission denied\)/,
         'replace: an unreadable file is an [error]');

    chmod 0644, "$rd/live.mmdb";
    is(answer_becomes('FI NL', 4), 'FI NL',
       'replace: readable again, picked up');
}

# the load ends

open my $sfh, '>', $stop or die;
close $sfh;
waitpid $load, 0;

my @answers = split /\n/, $r->file($load_log);
cmp_ok(scalar @answers, '>', 50, 'replace: load ran') or diag scalar @answers;
my @odd = grep { !/\A(?:NL|DE|DK|FI) NL\z/ } @answers;
ok(!@odd, 'replace: every answer under load is 200 and a known country')
    or diag explain [ @odd[0 .. ($#odd < 9 ? $#odd : 9)] ];
is_deeply([ $r->worker_pids ], \@workers, 'replace: the worker never died');

# a reload takes the static database's new data
ok($r->reload, 'replace: reload');
like(answer(), qr/ SE\z/, 'replace: reload picked up the in-place overwrite');

unlike($r->error_log, qr/\[alert\]|exited on signal/,
       'replace: no alert, no worker killed');

$r->done_checks;

done_testing;
