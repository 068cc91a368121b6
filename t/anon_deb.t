#!/usr/bin/perl

# The Debian package (make deb) on this machine's stock Debian nginx: its
# control fields and files; dpkg -i enables the module in
# /etc/nginx/modules-enabled with a late sort key; a site with "anon on;"
# then passes nginx -t and, served from the package's module, logs only
# truncated addresses (checked with the one-liner of docs/operations.md);
# dpkg -r refuses while a site uses the module, and once it does not,
# leaves a configuration that passes nginx -t; reinstall and purge behave
# like Debian's own libnginx-mod-http-* packages.
#
# It installs and removes a package, so it runs only as root, only when the
# package is not installed already, one run at a time (a lock), and puts the
# machine back as it found it, also when it fails.

use strict;
use warnings;
use Cwd qw(abs_path);
use Fcntl qw(:flock);
use File::Basename qw(dirname);
use File::Temp ();
use Test::More;
use AnonTest;

my $PKG     = 'libnginx-mod-http-anon';
my $ENABLED = '/etc/nginx/modules-enabled/90-mod-http-anon.conf';
my $SNIPPET = '/usr/share/nginx/modules-available/mod-http-anon.conf';
my $SO      = '/usr/lib/nginx/modules/ngx_http_anon_module.so';
my $SITE    = '/etc/nginx/sites-enabled/zz-anon-deb-test';
my $NGINX   = '/usr/sbin/nginx';    # the package's nginx, not NGINX_BIN
my $ROOT    = abs_path(dirname(__FILE__) . '/..');

$ENV{DEBIAN_FRONTEND} = 'noninteractive';
delete $ENV{NGX_ANON_FORCE_REMOVE};

sub sh {    # (exit code, stdout and stderr) of a shell command
    my ($cmd) = @_;
    my $out = qx{$cmd 2>&1};
    return ($? >> 8, $out);
}

sub status {    # dpkg's status of a package, '' if it does not know it
    my ($rc, $out) = sh("dpkg-query -W -f='\${Status}' $_[0]");
    return $rc ? '' : $out =~ /not-installed/ ? '' : $out;
}

sub stock_t { sh("$NGINX -t") }    # /etc/nginx/nginx.conf

plan skip_all => 'installs a Debian package: root only' if $> != 0;
plan skip_all => 'needs Debian\'s nginx package'
    unless status('nginx') eq 'install ok installed' && -x $NGINX;

# one run at a time: two would fight over the package and dpkg's lock
my $lock;
open($lock, '>', '/run/lock/ngx-anon-deb-test.lock')
    or open($lock, '>', '/tmp/ngx-anon-deb-test.lock') or die "lock: $!";
flock $lock, LOCK_EX or die "flock: $!";

plan skip_all => "$PKG is installed here already; leaving it alone"
    if status($PKG) ne '';
plan skip_all => "$ENABLED or $SITE exists already; leaving it alone"
    if -e $ENABLED || -l $ENABLED || -l "$ENABLED.removed" || -e $SITE;
my ($stock_rc, $stock_out) = stock_t();
plan skip_all => "the stock configuration fails nginx -t already:\n$stock_out"
    if $stock_rc;

# the package: ANON_DEB, else the newest make deb built, else make deb
chomp(my $arch = qx{dpkg --print-architecture});
my $deb = $ENV{ANON_DEB}
    // (sort { -M $a <=> -M $b } glob "$ROOT/build/${PKG}_*_$arch.deb")[0];
if (!$deb) {
    my ($rc, $out) = sh("make -s -C $ROOT deb");
    BAIL_OUT("make deb failed:\n$out") if $rc;
    ($deb) = glob "$ROOT/build/${PKG}_*_$arch.deb";
}
BAIL_OUT("no package $ROOT/build/${PKG}_*_$arch.deb") unless $deb && -f $deb;
diag("$deb is older than build/ngx_http_anon_module.so; make deb?")
    if -f "$ROOT/build/ngx_http_anon_module.so"
    && -M $deb > -M "$ROOT/build/ngx_http_anon_module.so";

# From here on the machine is changed; END puts it back, even on failure.
my $owner = $$;
$SIG{$_} = sub { exit 1 } for qw(INT TERM HUP);
END {
    if (defined $owner && $$ == $owner) {
        local ($?, $!);
        unlink $SITE;
        if (status($PKG) ne '') {
            system("NGX_ANON_FORCE_REMOVE=1 dpkg --purge $PKG >/dev/null 2>&1");
        }
        for ($ENABLED, "$ENABLED.removed") {
            unlink $_ if -l $_ && status($PKG) eq '';
        }
    }
}

# control fields

my %f = map { /\A(\S+?):\s*(.*)\z/s ? ($1, $2) : () }
    split /\n(?=\S)/, scalar qx{dpkg-deb -f $deb};
is($f{Package}, $PKG, 'Package');
like($f{Version}, qr/\A\d+\.\d+\.\d+-\d+\z/, 'Version: upstream-revision');
is($f{Architecture}, $arch, 'Architecture: dpkg --print-architecture');
is($f{Section}, 'httpd', 'Section: httpd, as Debian\'s modules');
is($f{Recommends}, 'nginx', 'Recommends: nginx');
my @deps = map { /\A(\S+)/ ? $1 : () } split /\s*,\s*/, $f{Depends} // '';

my ($abi) = qx{cat /usr/share/nginx/src/debian/libnginx-mod.abisubstvars}
    =~ /^nginx:abi=(\S+)/m;
ok($abi && grep({ $_ eq $abi } @deps),
    "Depends on the ABI built against ($abi)");
like(qx{dpkg-query -W -f='\${Provides}' nginx}, qr/(?:^|, )\Q$abi\E(?:,|$)/,
    'which the installed nginx provides');

my $x = File::Temp->newdir('anon-deb-XXXXXX', TMPDIR => 1);
system("dpkg-deb -x $deb $x") == 0 or die "dpkg-deb -x failed";
my @needed = qx{objdump -p $x$SO} =~ /^\s*NEEDED\s+(\S+)/mg;
ok(scalar @needed, 'the module is linked with: ' . join ' ', @needed);
for my $lib (@needed) {
    my ($rc, $out) = sh("dpkg -S '*/$lib'");
    my ($owner_pkg) = $out =~ /^([^:\s]+)(?::\S+)?:\s/m;
    ok(!$rc && $owner_pkg && grep({ $_ eq $owner_pkg } @deps),
        "Depends on $lib\'s package (" . ($owner_pkg // '?') . ')');
}
ok(grep({ $_ eq 'libmaxminddb0' } @deps), 'Depends on libmaxminddb0')
    if grep { /^libmaxminddb\./ } @needed;

# files

my @list = qx{dpkg-deb -c $deb};
my %files = map { m{\s\./(\S*)$} ? ("/$1", $_) : () } @list;
for my $path ($SO, $SNIPPET, '/usr/bin/anon-scrub',
    map { "/usr/share/doc/$PKG/$_" } qw(copyright changelog.Debian.gz
        README.md docs/ngx_http_anon_module.md docs/operations.md
        docs/privacy.md))
{
    ok($files{$path}, "ships $path");
}
is_deeply([ grep { !m{\sroot/root\s} } @list ], [], 'every file root:root');
is_deeply([ grep { m{^/etc} } keys %files ], [],
    'nothing in /etc: the link is made by postinst');
is(scalar qx{cat $x$SNIPPET}, "load_module modules/ngx_http_anon_module.so;\n",
    'the snippet loads the module relative to the prefix, as Debian\'s do');
is(-l '/usr/share/nginx/modules' && readlink('/usr/share/nginx/modules'),
    '../../lib/nginx/modules', 'which is /usr/share/nginx/modules');
system("dpkg-deb -e $deb $x/DEBIAN") == 0 or die "dpkg-deb -e failed";
ok(-f "$x/DEBIAN/$_", "control archive has $_")
    for qw(control md5sums postinst prerm postrm);

# install

my ($rc, $out) = sh("dpkg -i $deb");
is($rc, 0, 'dpkg -i') or diag($out);
is(status($PKG), 'install ok installed', 'installed');
is(readlink($ENABLED), $SNIPPET, "enabled as $ENABLED");
my @enabled = sort glob '/etc/nginx/modules-enabled/*.conf';
is($enabled[-1], $ENABLED, 'sorted last of the enabled modules');
ok(-f $SO && -f '/usr/share/nginx/modules/ngx_http_anon_module.so',
    'the module is in nginx\'s modules directory');
($rc, $out) = sh("dpkg --verify $PKG");
is($out, '', 'dpkg --verify: every file matches md5sums');
($rc, $out) = stock_t();
is($rc, 0, 'stock nginx -t with the module loaded') or diag($out);

# installed over itself, as an upgrade is: the link stays as it is
($rc, $out) = sh("dpkg -i $deb");
is($rc, 0, 'dpkg -i over the installed package') or diag($out);
is(readlink($ENABLED), $SNIPPET, 'still enabled');
ok(!-l "$ENABLED.removed", 'no .removed link');

# a site with "anon on;" is all it takes

my $t = AnonTest->new(module => 0);
my $port = $t->port('site');
open my $fh, '>', $SITE or die "$SITE: $!";
print {$fh} "server {\n    listen 127.0.0.1:$port;\n"
    . "    server_name anon-deb-test.invalid;\n    anon on;\n}\n";
close $fh or die "$SITE: $!";
($rc, $out) = stock_t();
is($rc, 0, 'stock nginx -t with a site that has "anon on;"') or diag($out);

# Serve with the package's module, loaded as the stock configuration does
# (include modules-enabled; "modules/" is relative to the prefix).
symlink '/usr/share/nginx/modules', $t->dir . '/modules' or die "symlink: $!";
$t->write_conf(<<'EOF')->run;
include /etc/nginx/modules-enabled/*.conf;
%%GLOBALS%%
events {}
http {
    %%TEMPS%%
    set_real_ip_from 127.0.0.1;
    real_ip_header   X-Real-IP;
    server {
        listen 127.0.0.1:%%PORT_1%%;
        access_log %%TESTDIR%%/anon.log;
        anon on;
        location / {
            proxy_set_header X-Real-IP $remote_addr;
            proxy_pass http://%%RECORDER%%;
        }
    }
    server {
        listen 127.0.0.1:%%PORT_2%%;
        access_log %%TESTDIR%%/off.log;
        location / { return 200 "$remote_addr\n"; }
    }
}
EOF
my %sent = ('198.51.100.7' => '198.51.0.0',
    '2001:db8:85a3::8a2e:370:7334' => '2001:db8::');
my $n = 0;
for my $addr (sort keys %sent) {
    my $uri = '/page' . ++$n;
    my ($status) = parse_response(
        $t->http_get($t->port(1), $uri, 'X-Real-IP' => $addr));
    is($status, 200, "anon on: $addr proxied");
    my ($req) = grep { m{\AGET \Q$uri\E } } $t->recorded;
    like($req // '', qr/^X-Real-IP: \Q$sent{$addr}\E\r?$/mi,
        "the application got $sent{$addr}");
    my (undef, undef, $body) = parse_response(
        $t->http_get($t->port(2), '/', 'X-Real-IP' => $addr));
    is($body, "$addr\n", "a site without anon sees $addr");
}
$t->done_checks;
my ($anon_log, $off_log) = map { $t->dir . "/$_.log" } qw(anon off);
like($t->access_log('anon.log'),
    qr/\A198\.51\.0\.0 .*\n2001:db8:: .*\n\z/,
    'the anon site logged only truncated addresses')
    or diag($t->access_log('anon.log'));

# docs/operations.md: the one-liner that proves a log holds no full address
($rc, $out) = sh("/usr/bin/anon-scrub < $anon_log | cmp - $anon_log"
    . ' && echo "no full address"');
is($out, "no full address\n", 'one-liner: the anon site\'s log passes');
($rc, $out) = sh("/usr/bin/anon-scrub < $off_log | cmp - $off_log"
    . ' && echo "no full address"');
like($out, qr/differ: .*line 1\b/, 'and the log without anon fails it');

# remove: refused while a site uses the module

($rc, $out) = sh("dpkg -r $PKG");
isnt($rc, 0, 'dpkg -r refused while a site has "anon on;"');
like($out, qr/not removed: .*unknown directive "anon" in \Q$SITE\E:4/s,
    'saying which directive in which file');
is(status($PKG) =~ /ok installed\z/ ? 'installed' : status($PKG),
    'installed', 'package still installed');
is(readlink($ENABLED), $SNIPPET, 'module still enabled');
system("echo '$PKG install' | dpkg --set-selections");
($rc, $out) = stock_t();
is($rc, 0, 'stock nginx -t still passes') or diag($out);

# remove: once no site uses it, nginx keeps working

unlink $SITE or die "$SITE: $!";
($rc, $out) = sh("dpkg -r $PKG");
is($rc, 0, 'dpkg -r') or diag($out);
is(status($PKG), 'deinstall ok config-files', 'removed');
ok(!-e $ENABLED && !-l $ENABLED, "$ENABLED is gone");
is(readlink("$ENABLED.removed"), $SNIPPET,
    'kept as .removed until purge, as Debian does');
ok(!-e $SO && !-e '/usr/bin/anon-scrub' && !-e $SNIPPET, 'files removed');
($rc, $out) = stock_t();
is($rc, 0, 'stock nginx -t passes without the module') or diag($out);

# reinstall after remove: enabled again

($rc, $out) = sh("dpkg -i $deb");
is($rc, 0, 'dpkg -i again') or diag($out);
is(readlink($ENABLED), $SNIPPET, 'enabled again');
ok(!-l "$ENABLED.removed", '.removed link gone');

# purge: nothing left

($rc, $out) = sh("dpkg --purge $PKG");
is($rc, 0, 'dpkg --purge') or diag($out);
is(status($PKG), '', 'purged');
ok(!-l $ENABLED && !-l "$ENABLED.removed", 'no link left in modules-enabled');
is_deeply([ grep { -f $_ || -l $_ } keys %files ], [], 'no file left');
($rc, $out) = stock_t();
is($rc, 0, 'stock nginx -t passes after purge') or diag($out);

done_testing;
