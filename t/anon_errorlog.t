#!/usr/bin/perl

# anon_error_log on: every error-log line is scrubbed before it is
# written, connection-level lines included (timeouts, invalid requests,
# TLS handshake failures, HTTP/2 garbage, keepalive close, accept: debug
# lines), to every target: the main file (debug), stderr, syslog (a UDP
# receiver here), memory, http, server and location files.  Each case
# comes from its own 127.N.77.N source address, also over a dual-stack
# listener (::ffff:127.N.77.N) and ::1; it must be logged, truncated,
# and the full address must be nowhere.  Again after a reload, after a
# reopen of rotated files, and with http-level prefixes.  No nginx
# process may crash (workers exit on every reload), not even when a
# reload drops the module.  anon_error_log off (the default) logs the
# full address, and with anon on request lines show it truncated.

use strict;
use warnings;
use Test::More;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::IP;
use POSIX ();
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(time sleep);
use AnonTest;

my $SCRUB = $ENV{ANON_SCRUB}
    // abs_path(dirname(__FILE__) . '/..') . '/build/anon-scrub';

# IPv6 in this sandbox: ::1, and [::] taking IPv4 too
my $V6 = IO::Socket::IP->new(LocalHost => '::1', Proto => 'tcp') ? 1 : 0;
my $DS = IO::Socket::IP->new(LocalHost => '::', LocalPort => 0,
    Proto => 'tcp', Listen => 1, V6Only => 0) ? 1 : 0;

my $t = AnonTest->new(log_level => 'debug');
my $d = $t->dir;

# a throw-away self-signed certificate for the TLS listener
{
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', "$d/openssl.err";
        exec 'openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
            'ec_paramgen_curve:prime256v1', '-nodes', '-keyout',
            "$d/key.pem", '-out', "$d/crt.pem", '-days', '2', '-subj',
            '/CN=localhost' or POSIX::_exit(127);
    }
    waitpid $pid, 0;
    die "openssl: no test certificate\n" . $t->file('openssl.err')
        if $? || !-s "$d/crt.pem";
}
mkdir "$d/html";

# syslog: one UDP receiver for the main and the server-level target
my $udp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Proto => 'udp')
    or die "udp: $!";
setsockopt $udp, SOL_SOCKET, SO_RCVBUF, 4 << 20;
my $SYS = $udp->sockport;
my $syslog = '';

sub syslog_text {
    my $sel = IO::Select->new($udp);
    while ($sel->can_read(0.05)) {
        defined $udp->recv(my $dgram, 65536) or last;
        $syslog .= "$dgram\n";
    }
    return $syslog;
}

sub conf {
    my ($http) = @_;
    my $v6 = $V6 ? 'listen [::1]:%%PORT_main%%;' : '';
    my $ds = $DS ? 'server { listen [::]:%%PORT_dual%% ipv6only=off; }' : '';
    return <<"EOF";
%%GLOBALS%%
error_log stderr info;
error_log syslog:server=127.0.0.1:$SYS,tag=main,nohostname info;
error_log memory:1m debug;
events {}
http {
    %%TEMPS%%
    $http
    log_format noaddr '\$remote_port \$status "\$request"';
    access_log %%TESTDIR%%/access.log noaddr;
    client_header_timeout 1s;
    client_body_timeout 1s;
    large_client_header_buffers 2 1k;
    ssl_certificate %%TESTDIR%%/crt.pem;
    ssl_certificate_key %%TESTDIR%%/key.pem;

    # connection lines of these go to the main error_log
    server {
        listen 127.0.0.1:%%PORT_main%%;
        $v6
        location / { return 200 "ok\\n"; }
        location /body { proxy_pass http://%%RECORDER%%; }
    }
    server { listen 127.0.0.1:%%PORT_tls%% ssl; }
    server { listen 127.0.0.1:%%PORT_h2%% http2; }
    $ds

    # own error logs: server, location, nested location
    server {
        listen 127.0.0.1:%%PORT_srv%%;
        error_log %%TESTDIR%%/server.log info;
        error_log syslog:server=127.0.0.1:$SYS,tag=srv,nohostname info;
        root %%TESTDIR%%/html;
        location /loc/ {
            error_log %%TESTDIR%%/location.log info;
            location /loc/deep/ { error_log %%TESTDIR%%/deep.log info; }
        }
    }

    server {
        listen 127.0.0.1:%%PORT_anon%%;
        anon on;
        root %%TESTDIR%%/html;
    }
}
EOF
}

my ($MAIN, $TLS, $H2, $DUAL, $SRV, $ANON) =
    map { $t->port($_) } qw(main tls h2 dual srv anon);

# memory: targets at every level load (nginx -t), with the module on
{
    my ($rc, $out) = $t->nginx_t(<<'EOF');
%%GLOBALS%%
error_log memory:1m debug;
events {}
http {
    anon_error_log on;
    error_log memory:64k info;
    server {
        listen 127.0.0.1:%%PORT_main%%;
        error_log memory:64k debug;
        location / { error_log memory:32k info; }
    }
}
EOF
    is $rc, 0, 'memory: error logs at every level: nginx -t' or diag $out;
}

$t->write_conf(conf('anon_error_log on;'))->run;

my @seen;     # every client address used while anon_error_log is on
my $next = 20;

sub client {
    my $a = sprintf '127.%d.77.%d', $next, $next;
    $next++;
    push @seen, $a;
    return $a;
}

sub cut {    # IPv4 text keeping $bits (16 or 24)
    my ($a, $bits) = @_;
    my @o = split /\./, $a;
    @o[ ($bits // 16) / 8 .. 3 ] = (0) x (4 - ($bits // 16) / 8);
    return join '.', @o;
}

sub sock {
    my (%o) = @_;
    my $s = IO::Socket::IP->new(PeerHost => $o{peer} // '127.0.0.1',
        PeerPort => $o{port}, Proto => 'tcp', Timeout => 5,
        $o{local} ? (LocalHost => $o{local}) : ())
        or die "connect to $o{port}: $@";
    binmode $s;
    return $s;
}

sub exchange {    # send, read until EOF, $until matches, or $secs pass
    my ($s, $bytes, $secs, $until) = @_;
    syswrite $s, $bytes if length $bytes;
    my ($buf, $sel, $end) = ('', IO::Select->new($s), time + ($secs // 5));
    while ((my $left = $end - time) > 0) {
        last if $until && $buf =~ $until;
        last unless $sel->can_read($left);
        my $n = sysread $s, $buf, 65536, length $buf;
        last unless $n;
    }
    return $buf;
}

sub logged {    # the text of $file once a line matches, else a failure
    my ($file, $re, $name) = @_;
    my $text = $t->wait_for_log($file, $re, 3);
    ok defined $text, $name or diag "nothing like $re in $file";
    return $text // '';
}

sub wait_syslog {
    my ($re) = @_;
    my $end = time + 2;
    sleep 0.05 until syslog_text() =~ $re || time > $end;
}

sub nowhere {    # none of the leak forms of @addr in any log or syslog
    my ($name, @addr) = @_;
    my @found = leaks($t->all_texts . syslog_text(),
        map { leak_forms($_) } @addr);
    is_deeply \@found, [], "$name: full address nowhere";
}

my %crashed;

sub no_crash {    # no worker died since the last check
    my ($name) = @_;
    sleep 0.2;
    my @new = grep { /exited on signal/ && !$crashed{$_}++ }
        split /\n/, $t->all_texts;
    ok !@new, "$name: no nginx process crashed" or diag join "\n", @new;
}

my $BAD = "GET /x HTTP/1.1 junk\r\n\r\n";
my $INVAL = qr/client sent invalid request while reading client request/;

# The connection-level cases, each from a new address.

sub round {
    my ($r) = @_;

    # idle connection: client_header_timeout; accept: debug line
    my $a = client();
    my $c = cut($a);
    my $s = sock(port => $MAIN, local => $a);
    my $port = $s->sockport;
    exchange($s, '', 4);
    my $to = qr/client timed out \(110: [^)]*\) while waiting for request/;
    my $srv = qr/server: 127\.0\.0\.0:$MAIN$/m;
    logged('error.log', qr/\[info\] .*$to, client: \Q$c\E, $srv/,
        "$r: idle timeout logged, client and listener truncated");
    logged('error.log', qr/\[debug\] .*\*\d+ accept: \Q$c\E:$port fd:/,
        "$r: accept: debug line truncated");
    logged('stderr.log', qr/\[info\] .*$to, client: \Q$c\E, $srv/,
        "$r: stderr target: idle timeout truncated");
    my $sys = qr/^<\d+>\w{3} [ \d]\d [\d:]{8} main: .*$to/m;
    wait_syslog(qr/$sys, client: \Q$c\E, /);
    like syslog_text(), qr/$sys, client: \Q$c\E, /,
        "$r: main syslog target got the scrubbed line";
    nowhere("$r: idle timeout", $a);

    my @cases = (
        [ 'invalid request line', $MAIN, $BAD, $INVAL ],
        [ 'invalid method', $MAIN, "GARB\x01GE / HTTP/1.1\r\n\r\n",
          qr/client sent invalid method while reading client request line/ ],
        [ 'invalid header', $MAIN,
          "GET / HTTP/1.1\r\nHost: x\r\nX\0y: z\r\n\r\n",
          qr/client sent invalid header line: .* while reading client/ ],
        [ 'request line too long', $MAIN,
          'GET /' . 'a' x 3000 . " HTTP/1.1\r\nHost: x\r\n\r\n",
          qr/client sent too long URI while reading client request line/ ],
        [ 'TLS: plain HTTP request', $TLS, "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
          qr/client sent plain HTTP request to HTTPS port/ ],
        [ 'TLS: garbage handshake', $TLS,
          "\x16\x03\x01\x00\x05garbagegarbage\r\n\r\n",
          qr/SSL_do_handshake\(\) failed .* while SSL handshaking/ ],
        [ 'HTTP/2: bad SETTINGS frame', $H2,
          "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
            . "\x00\x00\x05\x04\x00\x00\x00\x00\x00abcde",
          qr/client sent SETTINGS frame with incorrect length 5 while/ ],
        [ 'HTTP/2: no preface', $H2, "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
          qr/invalid connection preface while processing HTTP\/2/ ],
    );
    for my $case (@cases) {
        my ($name, $p, $bytes, $msg) = @$case;
        my $a = client();
        my $c = cut($a);
        exchange(sock(port => $p, local => $a), $bytes, 3);
        logged('error.log', qr/$msg.*, client: \Q$c\E, /,
            "$r: $name: logged, client $c");
        nowhere("$r: $name", $a);
    }

    # client_body_timeout: no info line in 1.22, so the debug lines of
    # the connection found by its port, and the access log
    $a = client();
    $c = cut($a);
    $s = sock(port => $MAIN, local => $a);
    $port = $s->sockport;
    exchange($s, "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
        . "\r\nabc", 4);
    my ($n) = logged('error.log', qr/\*\d+ accept: \Q$c\E:$port fd:/,
        "$r: body timeout: accept: line truncated")
        =~ /\*(\d+) accept: \Q$c\E:$port fd:/;
    $n //= 'none';
    logged('error.log', qr/\*$n http finalize request: 408,/,
        "$r: body timeout: request ended 408");
    logged('access.log', qr/^$port 408 "POST \/body HTTP\/1.1"$/m,
        "$r: body timeout: access log 408");
    nowhere("$r: body timeout", $a);

    # keepalive connection closed by the client: address in the message
    $a = client();
    $c = cut($a);
    $s = sock(port => $MAIN, local => $a);
    exchange($s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 3, qr/\r\n\r\nok\n/);
    close $s;
    logged('error.log', qr/\[info\] .*client \Q$c\E closed keepalive conn/,
        "$r: keepalive close logged, client $c");
    nowhere("$r: keepalive close", $a);

    SKIP: {
        skip 'no dual-stack [::] listener here', 3 unless $DS;
        $a = client();
        $c = cut($a);
        $s = sock(port => $DUAL, local => $a);
        $port = $s->sockport;
        exchange($s, $BAD, 3);
        logged('error.log', qr/$INVAL.*, client: ::ffff:\Q$c\E, /,
            "$r: dual-stack: client ::ffff:$c");
        logged('error.log', qr/accept: \[::ffff:\Q$c\E\]:$port fd:/,
            "$r: dual-stack: accept: line truncated");
        nowhere("$r: dual-stack", $a, "::ffff:$a");
    }

    SKIP: {
        skip 'no ::1 here', 2 unless $V6;
        $s = sock(port => $MAIN, peer => '::1');
        $port = $s->sockport;
        exchange($s, "GET /v6-$r HTTP/1.1 junk\r\n\r\n", 3);
        logged('error.log', qr/$INVAL.*, client: ::, server: , request: /
            . qr/"GET \/v6-$r HTTP\/1\.1 junk"/, "$r: ::1: client ::");
        logged('error.log', qr/accept: \[::\]:$port fd:/,
            "$r: ::1: accept: line truncated");
    }

    # server-level error_log, file and syslog
    $a = client();
    $c = cut($a);
    exchange(sock(port => $SRV, local => $a), $BAD, 3);
    logged('server.log', qr/$INVAL.*, client: \Q$c\E, /,
        "$r: server error_log: client $c");
    wait_syslog(qr/ srv: .*$INVAL.*, client: \Q$c\E, /);
    like syslog_text(), qr/ srv: .*$INVAL.*, client: \Q$c\E, /,
        "$r: server syslog target: client $c";
    nowhere("$r: server error_log", $a);

    # location-level error_log, and a nested location's
    for my $loc ([ '/loc/', 'location.log' ], [ '/loc/deep/', 'deep.log' ])
    {
        my ($path, $file) = @$loc;
        $a = client();
        $c = cut($a);
        exchange(sock(port => $SRV, local => $a),
            "GET ${path}missing-$r HTTP/1.1\r\nHost: x\r\n"
            . "Connection: close\r\n\r\n", 3);
        logged($file, qr/open\(\) ".*\Q${path}missing-$r\E" failed \(2: /
            . qr/No such file or directory\), client: \Q$c\E, /,
            "$r: $file: open() failed, client $c");
        nowhere("$r: $file", $a);
    }
}

round('start');

ok $t->reload, 'reload';
no_crash('reload');
round('reload');

for my $f (qw(error server location deep access)) {
    rename "$d/$f.log", "$d/rotated-$f.log" or die "rename $f.log: $!";
}
$t->reopen;
ok -s "$d/error.log", 'reopen: error.log created again';
round('reopen');
ok -s "$d/rotated-error.log" && -s "$d/error.log",
    'reopen: lines in the rotated and in the new error.log';

# http-level prefixes apply to the error log, and an http-level
# error_log added by a reload is covered

ok $t->reload(conf("anon_error_log on;\n    anon_ipv4_prefix 24;\n"
    . "    anon_ipv6_prefix 64;\n"
    . '    error_log %%TESTDIR%%/http.log debug;')),
    'reload with prefixes 24 and 64 and an http-level error_log';
no_crash('reload after reopen');
{
    my $a = client();
    my $c = cut($a, 24);
    my $s = sock(port => $MAIN, local => $a);
    my $port = $s->sockport;
    exchange($s, $BAD, 3);
    logged('http.log', qr/$INVAL.*, client: \Q$c\E, /,
        "prefix 24: http-level error_log: client $c");
    logged('http.log', qr/accept: \Q$c\E:$port fd:/,
        'prefix 24: http-level error_log: accept: line truncated');
    nowhere('prefix 24', $a);

    SKIP: {
        skip 'no dual-stack [::] listener here', 2 unless $DS;
        $a = client();
        $c = cut($a, 24);
        exchange(sock(port => $DUAL, local => $a), $BAD, 3);
        logged('http.log', qr/$INVAL.*, client: ::ffff:\Q$c\E, /,
            "prefix 24: client ::ffff:$c");
        nowhere('prefix 24: dual-stack', $a, "::ffff:$a");
    }
}

# Every line written since the workers first started is already
# scrubbed: anon-scrub (the same core, with the widest prefixes used
# here) leaves it unchanged.  ::1 shows up nowhere either (before that,
# the master's own bind() lines name it).

sub rescrub {    # through anon-scrub, in pieces of whole lines under 1 MB
    my ($text) = @_;
    my $out = '';
    my @lines = split /^/m, $text;
    while (@lines) {
        my $piece = '';
        $piece .= shift @lines while @lines && length $piece < 500_000;
        my $in = "$d/rescrub.in";
        open my $fh, '>:raw', $in or die "$in: $!";
        print {$fh} $piece;
        close $fh;
        $out .= `'$SCRUB' -4 24 -6 64 < '$in'`;
        unlink $in;
        return undef if $?;
    }
    return $out;
}

sub first_diff {
    my ($x, $y) = @_;
    my @x = split /\n/, $x;
    my @y = split /\n/, $y;
    for my $i (0 .. $#x) {
        return "line: $x[$i]\nscrubbed: " . ($y[$i] // '')
            if $x[$i] ne ($y[$i] // '');
    }
    return 'line count differs';
}

{
    my @texts = ((map { [ $_, $t->file($_) ] } sort glob "$d/*.log"),
        [ 'syslog', syslog_text() ]);
    for (@texts) {
        my ($name, $text) = @$_;
        $name =~ s{.*/}{};
        $text =~ s/\A.*?(?=^[^\n]*start worker process)//ms;
        next unless length $text;
        my $again = rescrub($text);
        ok defined $again && $again eq $text,
            "$name: every line already scrubbed"
            or diag first_diff($text, $again // '');
        is_deeply [ leaks($text, '::1') ], [], "$name: no ::1";
    }
}

# No address used while anon_error_log was on is anywhere, after all.

nowhere('all cases', @seen, map { "::ffff:$_" } @seen);

# anon_error_log off (the default): the full address; with anon on the
# request's own lines still show it truncated.

ok $t->reload(conf('')), 'reload without anon_error_log';
no_crash('reload with prefixes');
{
    my $a = '127.201.77.201';
    exchange(sock(port => $MAIN, local => $a), $BAD, 3);
    logged('error.log', qr/$INVAL.*, client: \Q$a\E, /,
        'anon_error_log off: full address logged');

    $a = '127.202.77.202';
    my $c = cut($a);
    exchange(sock(port => $ANON, local => $a),
        "GET /missing-off HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        3);
    my ($line) = logged('error.log', qr/open\(\) .*missing-off/,
        'anon on, anon_error_log off: open() failed logged')
        =~ /^(.*open\(\) .*missing-off.*)$/m;
    like $line // '', qr/, client: \Q$c\E,/,
        'anon on, anon_error_log off: request line shows the truncated client';
    is_deeply [ leaks($line // '', $a) ], [],
        'anon on, anon_error_log off: no full address in that line';
}

# On again, then a reload to a configuration without the module: the
# master destroys the old cycle, which unloads the module, and must not
# call its log writer afterwards.

ok $t->reload(conf('anon_error_log on;')), 'reload with anon_error_log on';
no_crash('reload after anon_error_log off');
{
    my @old = $t->worker_pids;
    (my $plain = conf('')) =~ s{%%GLOBALS%%}{pid %%TESTDIR%%/nginx.pid;
error_log %%TESTDIR%%/error.log debug;
daemon off;
master_process on;
worker_processes 1;};
    $plain =~ s/^\s*anon on;\n//m;
    my $ok = $t->reload($plain);
    ok $ok, 'reload to a configuration without the module';
    if (!$ok && !$t->worker_pids) {    # master gone: end its workers
        kill 'TERM', grep { kill 0, $_ } @old;
    }
}

$t->done_checks;
done_testing;
