#!/usr/bin/perl

# Keyed pseudonyms: $anon_visitor_id and $anon_pseudonym with an automatic
# key in shared memory (four workers, reload, rotation with a short
# period) and with a key file (a fleet of two frontends, replacing the
# file, the period keys computed here and compared exactly), the key file
# checks of nginx -t, and the visitor id in $anon_piwik_args.  The key
# itself must never show anywhere.

use strict;
use warnings;

use Digest::SHA qw(hmac_sha256 hmac_sha256_hex);
use File::Temp ();
use POSIX qw(floor strftime);
use Socket qw(inet_pton AF_INET AF_INET6);
use Test::More;
use Time::HiRes qw(time sleep);
use AnonTest;

my $HEX16 = qr/\A[0-9a-f]{16}\z/;
my $UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101';
my $CLIENT = '198.51.100.7';

my (@texts, @instances);    # everything to search for the key at the end

# a key that is easy to find: printable, 48 bytes
my $KEY1 = 'KEYSECRET-' . 'a1b2c3d4e5f6' x 3 . '-ONE';
my $KEY2 = 'KEYSECRET-' . 'f6e5d4c3b2a1' x 3 . '-TWO';

# the key files live outside every test directory, as on a fleet
my $keydir = File::Temp->newdir('anon-key-XXXXXX', TMPDIR => 1);
my $keyfile = "$keydir/anon.key";

sub write_key {
    my ($path, $bytes, $mode) = @_;
    unlink $path;
    open my $fh, '>', $path or die "$path: $!";
    binmode $fh;
    print {$fh} $bytes;
    close $fh or die "$path: $!";
    chmod $mode, $path or die "chmod $path: $!";
}

write_key($keyfile, $KEY1, 0600);

# the period of nginx: floor((now + gmtoff) / period), local wall clock

sub gmtoff {
    my ($t) = @_;
    my $z = strftime('%z', localtime $t);
    my ($sign, $h, $m) = $z =~ /\A([+-])(\d\d)(\d\d)\z/ or die "zone $z";
    return ($sign eq '-' ? -1 : 1) * ($h * 3600 + $m * 60);
}

sub period {
    my ($len, $t) = @_;
    $t //= time;
    return floor((int($t) + gmtoff($t)) / $len);
}

# the pseudonyms as the documentation defines them, for a key file

sub field { pack('n', length $_[0]) . $_[0] }

sub addr16 {
    my ($addr) = @_;
    return "\0" x 10 . "\xff\xff" . inet_pton(AF_INET, $addr)
        if $addr =~ /\A[\d.]+\z/;
    return inet_pton(AF_INET6, $addr);
}

sub expected {
    my ($key, $period, $site, $addr, $ua) = @_;
    my $pk = hmac_sha256(field('ngx_anon period') . $period, $key);
    my $a = addr16($addr);
    return (
        substr(hmac_sha256_hex(field('visitor') . field($site) . field($a)
            . field($ua), $pk), 0, 16),
        substr(hmac_sha256_hex(field('address') . field($site) . field($a),
            $pk), 0, 16),
    );
}

# one request: (visitor id, pseudonym, pid) from the response headers

sub ids {
    my ($t, $port, $addr, $ua, $uri) = @_;
    my $raw = $t->http_get($port, $uri // '/',
        'X-Real-IP' => $addr, defined $ua ? ('User-Agent' => $ua) : ());
    push @texts, $raw;
    my ($status, $h) = parse_response($raw);
    return ($h->{'x-visitor'} // '', $h->{'x-pseudonym'} // '',
        $h->{'x-pid'} // '', $status // 0);
}

# a request made wholly within one period of $len seconds: (period, ids)

sub ids_in_period {
    my ($len, @args) = @_;
    for (1 .. 5) {
        my $p = period($len);
        my @ids = ids(@args);
        return ($p, @ids) if period($len) == $p;
    }
    die 'cannot stay within one period';
}

sub globals {
    my ($workers) = @_;
    return "%%MODULE%%\npid %%TESTDIR%%/nginx.pid;\n"
        . "error_log %%TESTDIR%%/error.log info;\n"
        . "daemon off;\nmaster_process on;\n"
        . "worker_processes $workers;\n";
}

# a configuration: two sites, ids in the access log and response headers

sub conf {
    my (%o) = @_;
    my $http = $o{http} // '';
    my $g = globals($o{workers} // 4);
    return <<"EOF";
$g
events {
    worker_connections 64;
}

http {
    %%TEMPS%%

    log_format ids '\$pid \$remote_addr \$anon_visitor_id \$anon_pseudonym '
                   '"\$http_user_agent" \$server_name';
    access_log %%TESTDIR%%/access.log ids;

    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;

    $http

    server {
        listen 127.0.0.1:%%PORT_1%% reuseport;
        server_name www.example.nl alias.example.nl;

        anon on;
        anon_piwik_site 3;

        add_header X-Visitor \$anon_visitor_id always;
        add_header X-Pseudonym \$anon_pseudonym always;
        add_header X-Pid \$pid always;

        location / {
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
            proxy_pass http://%%RECORDER%%/matomo.php?\$anon_piwik_args;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_2%%;
        server_name other.example.nl;

        anon_piwik_site 4;
        anon_piwik_token_auth 0123456789abcdef0123456789abcdef;

        add_header X-Visitor \$anon_visitor_id always;
        add_header X-Pseudonym \$anon_pseudonym always;
        add_header X-Pid \$pid always;

        location / {
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
            proxy_pass http://%%RECORDER%%/matomo.php?\$anon_piwik_args;
        }
    }
}
EOF
}

###########################################################################
# an automatic key, four workers

my $t = AnonTest->new;
push @instances, $t;
$t->write_conf(conf(http => 'anon_pseudonym_key auto;'))->run;

my $p1 = $t->port(1);
my $p2 = $t->port(2);

# many connections from one client: every worker gives the same ids

my (%visitor, %pseudonym, %pids);

for (1 .. 40) {
    my ($v, $p, $pid, $status) = ids($t, $p1, $CLIENT, $UA);
    $visitor{$v}++;
    $pseudonym{$p}++;
    $pids{$pid}++;
}

my ($vid) = keys %visitor;
my ($pseu) = keys %pseudonym;

is(scalar keys %visitor, 1, 'one visitor id over 40 connections')
    or diag explain \%visitor;
is(scalar keys %pseudonym, 1, 'one pseudonym over 40 connections')
    or diag explain \%pseudonym;
like($vid, $HEX16, '$anon_visitor_id is 16 lowercase hex digits');
like($pseu, $HEX16, '$anon_pseudonym is 16 lowercase hex digits');
isnt($vid, $pseu, 'visitor id and pseudonym differ');
cmp_ok(scalar keys %pids, '>=', 2, 'served by at least two workers')
    or diag explain \%pids;

my @workers = $t->worker_pids;
is(scalar @workers, 4, 'four workers');
my %is_worker = map { $_ => 1 } @workers;
is(scalar(grep { !$is_worker{$_} } keys %pids), 0,
   'the pids are those of the workers');

# the access log shows the same, from every worker

my $log = $t->wait_for_log('access.log', qr/(?:.*\n){40}/);
my @lines = grep { /\Q$UA\E/ } split /\n/, $log // '';
is(scalar @lines, 40, '40 lines logged');

my (%log_ids, %log_pids);
for (@lines) {
    my ($pid, $addr, $v, $p) = split / /;
    $log_ids{"$v $p"}++;
    $log_pids{$pid}++;
}
is_deeply([ keys %log_ids ], [ "$vid $pseu" ],
          'the access log has the ids of the response headers');
cmp_ok(scalar keys %log_pids, '>=', 2, 'logged by at least two workers');
like($lines[0], qr/^\d+ 198\.51\.0\.0 /, 'the address itself is truncated');

# what the ids depend on

my ($v2, $ps2) = ids($t, $p1, $CLIENT, 'curl/7.88.1');
like($v2, $HEX16, 'another User-Agent: a visitor id');
isnt($v2, $vid, 'another User-Agent: another visitor id');
is($ps2, $pseu, 'another User-Agent: the same pseudonym');

my ($v3, $ps3) = ids($t, $p1, $CLIENT);
isnt($v3, $vid, 'no User-Agent: another visitor id');
is($ps3, $pseu, 'no User-Agent: the same pseudonym');

# the full address counts, not the truncated one (the same /16)
my ($v4, $ps4) = ids($t, $p1, '198.51.100.8', $UA);
isnt($v4, $vid, 'another client in the same /16: another visitor id');
isnt($ps4, $pseu, 'another client in the same /16: another pseudonym');

my ($v5, $ps5) = ids($t, $p1, '2001:db8::7', $UA);
like($v5, $HEX16, 'IPv6 client: a visitor id');
isnt($ps5, $pseu, 'IPv6 client: another pseudonym');

my ($v6, $ps6) = ids($t, $p1, "::ffff:$CLIENT", $UA);
is($v6, $vid, 'IPv4-mapped form of the client: the same visitor id');
is($ps6, $pseu, 'IPv4-mapped form of the client: the same pseudonym');

# another site, the same client and User-Agent

my ($v7, $ps7) = ids($t, $p2, $CLIENT, $UA);
like($v7, $HEX16, 'second site: a visitor id');
isnt($v7, $vid, 'second site: another visitor id');
isnt($ps7, $pseu, 'second site: another pseudonym');

# $anon_piwik_args: _id is the visitor id; cid only with a token

sub tracking {
    my ($tt, $ua) = @_;
    for (1 .. 40) {
        my @r = grep { m{^GET /matomo\.php\?\S*ua=\Q$ua\E[& ]} }
            $tt->recorded;
        return @r if @r;
        sleep 0.05;
    }
    return;
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

for my $site ([ $p1, 'www', 0 ], [ $p2, 'other', 1 ]) {
    my ($port, $name, $token) = @$site;
    my $ua = "PiwikProbe-$name";
    my ($v) = ids($t, $port, $CLIENT, $ua, '/page/x');
    my @req = tracking($t, $ua);
    is(scalar @req, 1, "$name: one tracking request");
    my $q = query($req[0] // '');
    like($v, $HEX16, "$name: the page has a visitor id");
    is($q->{_id}, $v, "$name: _id is \$anon_visitor_id");
    if ($token) {
        is($q->{cid}, $v, "$name: cid too, with anon_piwik_token_auth");
    } else {
        ok(!exists $q->{cid}, "$name: no cid without anon_piwik_token_auth");
    }
}

# a reload within the period keeps the key

my $day = period(86400);
ok($t->reload, 'reloaded');

my @new = $t->worker_pids;
is(scalar(grep { $is_worker{$_} } @new), 0, 'all workers are new');

my (%after, %after_pids);
for (1 .. 12) {
    my ($v, $p, $pid) = ids($t, $p1, $CLIENT, $UA);
    $after{"$v $p"}++;
    $after_pids{$pid}++;
}

SKIP: {
    skip 'the day changed during the test', 1 if period(86400) != $day;
    is_deeply([ keys %after ], [ "$vid $pseu" ],
              'after a reload: the same ids from the new workers');
}
is(scalar(grep { $is_worker{$_} } keys %after_pids), 0,
   'served by the new workers');

my ($v8) = ids($t, $p2, $CLIENT, $UA);
is($v8, $v7, 'after a reload: the second site keeps its id too');

push @texts, $t->all_texts, $t->recorded;

###########################################################################
# rotation: a 3 s period, four workers

my $r = AnonTest->new;
push @instances, $r;
$r->write_conf(conf(http => 'anon_pseudonym_rotate 3s;'))->run;

# start right after a boundary, so that a few requests fit in the period

sub wait_boundary {
    my ($len) = @_;
    my $p = period($len);
    my $end = time + $len + 1;
    sleep 0.05 while period($len) == $p && time < $end;
    sleep 0.3;
    return period($len);
}

my $per = wait_boundary(3);
my (%rot, %rot_pids);

for (1 .. 8) {
    my ($p, $v, $ps, $pid) = ids_in_period(3, $r, $r->port(1), $CLIENT, $UA);
    $rot{$p}{"$v $ps"}++;
    $rot_pids{$pid}++;
}

my @rot_periods = sort keys %rot;
is(scalar @rot_periods, 1, 'rotation: eight requests within one period');
is(scalar keys %{ $rot{ $rot_periods[0] } }, 1,
   'rotation: one id pair within the period, from every worker');
cmp_ok(scalar keys %rot_pids, '>=', 2,
       'rotation: served by at least two workers');

my ($before_ids) = keys %{ $rot{ $rot_periods[0] } };

my $next = wait_boundary(3);
cmp_ok($next, '>', $rot_periods[0], 'rotation: the next period began');

my %rot2;
for (1 .. 8) {
    my ($p, $v, $ps) = ids_in_period(3, $r, $r->port(1), $CLIENT, $UA);
    $rot2{$p}{"$v $ps"}++;
}

my ($p_next) = sort keys %rot2;
my @pairs = keys %{ $rot2{$p_next} };
is(scalar @pairs, 1, 'rotation: one id pair in the next period');
my ($nv, $nps) = split / /, $pairs[0];
my ($ov, $ops) = split / /, $before_ids;
like($nv, $HEX16, 'rotation: a visitor id');
isnt($nv, $ov, 'rotation: a fresh visitor id after the boundary');
isnt($nps, $ops, 'rotation: a fresh pseudonym after the boundary');

push @texts, $r->all_texts;
$r->done_checks;

###########################################################################
# a key file: a fleet of two frontends

my @fleet = map { AnonTest->new } 1 .. 2;
push @instances, @fleet;

for my $f (@fleet) {
    $f->write_conf(conf(workers => 2,
        http => "anon_pseudonym_key $keyfile;"))->run;
}

my (@fleet_ids, $p_day);
for my $f (@fleet) {
    my ($p, $v, $ps) = ids_in_period(86400, $f, $f->port(1), $CLIENT, $UA);
    push @fleet_ids, "$v $ps";
    $p_day = $p;
}

is($fleet_ids[0], $fleet_ids[1], 'fleet: the same ids on both frontends');
isnt($fleet_ids[0], "$vid $pseu", 'fleet: not the ids of an automatic key');

my ($ev, $eps) = expected($KEY1, $p_day, 'www.example.nl', $CLIENT, $UA);
is($fleet_ids[0], "$ev $eps",
   'fleet: the ids are HMAC-SHA256 under the period key of the file');

my ($ev2) = expected($KEY1, $p_day, 'other.example.nl', $CLIENT, $UA);
my ($fv2) = ids($fleet[1], $fleet[1]->port(2), $CLIENT, $UA);
is($fv2, $ev2, 'fleet: the second site, computed the same way');

# a new key file and a reload: new ids on the frontend reloaded

write_key($keyfile, $KEY2, 0600);
ok($fleet[0]->reload, 'fleet: reloaded with the new key file');

my ($pn, $v9, $ps9) = ids_in_period(86400, $fleet[0], $fleet[0]->port(1),
    $CLIENT, $UA);
my ($ev9, $eps9) = expected($KEY2, $pn, 'www.example.nl', $CLIENT, $UA);
is("$v9 $ps9", "$ev9 $eps9", 'new key file: the ids of the new key');
isnt("$v9 $ps9", $fleet_ids[0], 'new key file: different ids');

my (undef, $v10, $ps10) = ids_in_period(86400, $fleet[1], $fleet[1]->port(1),
    $CLIENT, $UA);
SKIP: {
    skip 'the day changed during the test', 1 if period(86400) != $p_day;
    is("$v10 $ps10", $fleet_ids[0],
       'the frontend not reloaded keeps the key it read');
}

# a key file with a 3 s period: the period key changes with the period

ok($fleet[0]->reload(conf(workers => 2,
    http => "anon_pseudonym_key $keyfile;\n    anon_pseudonym_rotate 3s;")),
   'fleet: reloaded with a 3 s period');

wait_boundary(3);
my ($q1, $v11, $ps11) = ids_in_period(3, $fleet[0], $fleet[0]->port(1),
    $CLIENT, $UA);
is("$v11 $ps11", join(' ', expected($KEY2, $q1, 'www.example.nl', $CLIENT,
   $UA)), 'key file, 3 s: the ids of this period');

wait_boundary(3);
my ($q2, $v12, $ps12) = ids_in_period(3, $fleet[0], $fleet[0]->port(1),
    $CLIENT, $UA);
cmp_ok($q2, '>', $q1, 'key file, 3 s: the next period');
is("$v12 $ps12", join(' ', expected($KEY2, $q2, 'www.example.nl', $CLIENT,
   $UA)), 'key file, 3 s: the ids of the next period');
isnt($v12, $v11, 'key file, 3 s: a fresh visitor id');

###########################################################################
# nginx -t and the key file

my $n = AnonTest->new;
push @instances, $n;
my $d = $n->dir;

sub conf_t {
    my ($http) = @_;
    return <<"EOF";
%%GLOBALS%%
events {}
http {
    %%TEMPS%%
    access_log %%TESTDIR%%/nginx_t_access.log;
    $http
    server {
        listen 127.0.0.1:%%PORT_1%%;
        location / { return 204; }
    }
}
EOF
}

sub nginx_t {
    my ($http) = @_;
    my ($rc, $out) = $n->nginx_t(conf_t($http));
    push @texts, $out;
    return ($rc, $out);
}

# the exact message of the C code, and where nginx -t places it
sub emerg {
    my ($text) = @_;
    return qr{^nginx: \[emerg\] \Q$text\E in \Q$d\E/nginx_t\.conf:\d+$}m;
}

my ($rc, $out) = nginx_t("anon_pseudonym_key $keyfile;");
is($rc, 0, 'nginx -t: a key file of mode 0600 is accepted') or diag $out;

write_key("$d/short.key", 'KEYSECRET-12345', 0600);    # 15 bytes
($rc, $out) = nginx_t("anon_pseudonym_key $d/short.key;");
isnt($rc, 0, 'nginx -t: a key of 15 bytes fails');
like($out, emerg(qq{key file "$d/short.key" must hold 16 to 4096 bytes}),
     'nginx -t: too short, the message');

write_key("$d/min.key", 'KEYSECRET-123456', 0600);     # 16 bytes
($rc, $out) = nginx_t("anon_pseudonym_key $d/min.key;");
is($rc, 0, 'nginx -t: a key of 16 bytes is accepted') or diag $out;

write_key("$d/long.key", 'KEYSECRET-' . 'x' x 4087, 0600);    # 4097 bytes
($rc, $out) = nginx_t("anon_pseudonym_key $d/long.key;");
isnt($rc, 0, 'nginx -t: a key of 4097 bytes fails');
like($out, emerg(qq{key file "$d/long.key" must hold 16 to 4096 bytes}),
     'nginx -t: too long, the message');

($rc, $out) = nginx_t("anon_pseudonym_key $d/missing.key;");
isnt($rc, 0, 'nginx -t: a missing key file fails');
like($out, emerg(qq{open() "$d/missing.key" failed }
    . '(2: No such file or directory)'), 'nginx -t: missing, the message');

symlink "$d/nowhere.key", "$d/dangling.key" or die "symlink: $!";
($rc, $out) = nginx_t("anon_pseudonym_key $d/dangling.key;");
isnt($rc, 0, 'nginx -t: a dangling symlink fails');
like($out, emerg(qq{open() "$d/dangling.key" failed }
    . '(2: No such file or directory)'),
    'nginx -t: dangling symlink, the message');

for my $mode (0644, 0604, 0602) {
    my $name = sprintf 'mode%o.key', $mode;
    write_key("$d/$name", $KEY1, $mode);
    ($rc, $out) = nginx_t("anon_pseudonym_key $d/$name;");
    isnt($rc, 0, sprintf 'nginx -t: a key file of mode %04o fails', $mode);
    like($out, emerg(qq{key file "$d/$name" is accessible by others, }
        . 'it must not be'), sprintf 'nginx -t: mode %04o, the message', $mode);
}

# unreadable even for root: a directory (0700, so not the mode check)

mkdir "$d/keydir", 0700 or die "mkdir: $!";
chmod 0700, "$d/keydir";
($rc, $out) = nginx_t("anon_pseudonym_key $d/keydir;");
isnt($rc, 0, 'nginx -t: a directory as key file fails');
like($out, emerg(qq{read() "$d/keydir" failed (21: Is a directory)}),
     'nginx -t: a directory, the message');

($rc, $out) = nginx_t("anon_pseudonym_rotate 0;");
isnt($rc, 0, 'nginx -t: anon_pseudonym_rotate 0 fails');
like($out, emerg('"anon_pseudonym_rotate" must be more than 0'),
     'nginx -t: rotate 0, the message');

($rc, $out) = nginx_t("anon_pseudonym_rotate 10s;\n    "
    . "anon_pseudonym_key auto;");
is($rc, 0, 'nginx -t: auto and a period are accepted') or diag $out;

($rc, $out) = nginx_t("anon_pseudonym_key auto;\n    "
    . "anon_pseudonym_key $keyfile;");
isnt($rc, 0, 'nginx -t: a second anon_pseudonym_key fails');
like($out, emerg('"anon_pseudonym_key" directive is duplicate'),
     'nginx -t: duplicate, the message');

###########################################################################
# the key never shows: logs, responses, upstream requests, nginx -t

for my $f (@fleet) {
    push @texts, $f->all_texts, $f->recorded;
}
push @texts, map { $_->file('nginx_t.out'), $_->file('stderr.log') }
    @instances;

my $all = join "\n", @texts;
ok(length $all > 10000, 'the texts searched are not empty');
unlike($all, qr/KEYSECRET/, 'no key file bytes in any log, response or '
    . 'message');
for my $k ($KEY1, $KEY2) {
    my $hex = unpack 'H*', $k;
    unlike($all, qr/\Q$hex\E/i, 'nor the key in hex');
}

$_->done_checks for $t, @fleet;

done_testing;
