package AnonTest;

=head1 NAME

AnonTest - integration-test harness for ngx_http_anon_module

=head1 SYNOPSIS

    use Test::More;
    use AnonTest;
    my $t = AnonTest->new;             # module => 0: plain nginx
    $t->write_conf(<<'EOF')->run;
    %%GLOBALS%%
    events {}
    http {
        %%TEMPS%%
        access_log %%TESTDIR%%/access.log;
        server {
            listen 127.0.0.1:%%PORT_1%%;
            location / { proxy_pass http://%%RECORDER%%; }
        }
    }
    EOF
    my ($status, $h, $body) = parse_response($t->http_get($t->port(1), '/'));
    $t->done_checks;
    done_testing;

=head1 METHODS

=over

=item new(module => 1|0|PATH, log_level => 'info')

Temp dir (0755; kept and shown if $ENV{ANON_TEST_LEAVE}).  Module 1 is
$ENV{ANON_MODULE} or build/ngx_http_anon_module.so; nginx is
$ENV{NGINX_BIN} or /usr/sbin/nginx.  B<dir> returns the directory.

=item port(NAME)

A free 127.0.0.1 (and [::1]) port per NAME, bound until nginx starts.
Names 'recorder' and 'fastcgi' belong to the helper servers.

=item write_conf(TEMPLATE), write_file(NAME, TEMPLATE)

Write TESTDIR/nginx.conf or another file, replacing %%PORT_n%%,
%%TESTDIR%%, %%MODULE%% (the load_module line or nothing), %%GLOBALS%%
(load_module, pid, error_log TESTDIR/error.log LEVEL, daemon off,
master_process on, worker_processes 1), %%TEMPS%% (*_temp_path in
TESTDIR, for http{}), %%RECORDER%% and %%FASTCGI%% (127.0.0.1:port;
using one makes run() start that server).  Set access_log to a
TESTDIR/*.log file (or off), else nginx uses /var/log/nginx.

=item run, stop, reload([TEMPLATE]), reopen, worker_pids

run() dies with error.log if nginx is not up within 5s; reload() is
true once new workers replaced the old; stop() also ends the helpers
and happens anyway on DESTROY, at END, or if the test is killed.

=item nginx_t(TEMPLATE)

(exit code, output) of nginx -t on that config; error.log untouched.

=item recorded, fastcgi_params_seen

Raw requests the recording upstream got; one { NAME => VALUE } per
FastCGI request.

=item http_get(DEST, URI, %HEADERS), http_raw(DEST, BYTES),
http_keepalive(DEST, [[URI, \%HEADERS], ...])

Raw response(s); DEST is a port or { port, peer => '::1', local =>
'127.3.4.5', timeout => 5 }; a header value may be an array ref.  On
timeout they return what arrived.

=item file(NAME), access_log([NAME]), error_log([NAME]),
wait_for_log(NAME, REGEX [, SECS]), all_texts

File contents ('' if missing); wait_for_log returns them once REGEX
matches (undef after 2s); all_texts joins every TESTDIR/*.log.

=item Environment

$ENV{ANON_TEST_NGINX_ENV}: NAME=VALUE pairs, separated by white space,
added to the environment of nginx only (run, nginx_t), e.g. LD_PRELOAD
and ASAN_OPTIONS for a module built with AddressSanitizer (make
test-asan).  $ENV{ANON_TEST_TIMEOUT_SCALE} (default 1) multiplies the
harness's own time limits: start, reload, stop, client and log waits.

=item done_checks(ignore => REGEX)

Stops nginx, then one test: no [alert]/[emerg]/[crit], no "exited on
signal" in error.log, clean exit status.

=back

Exported: B<parse_response>(RAW) gives (status, {lower-case name =>
value}, de-chunked body); B<random_addresses>(N, SEED), B<leak_forms>,
B<leaks>(TEXT, @ADDRS), B<canonical>: see AnonTest::Addr.

=cut

use strict;
use warnings;
use Carp qw(croak);
use Cwd qw(abs_path);
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Temp ();
use IO::Select;
use IO::Socket::IP;
use POSIX qw(WNOHANG);
use Scalar::Util qw(weaken);
use Test::More ();
use Time::HiRes qw(time sleep);
use AnonTest::Addr qw(random_addresses leak_forms leaks canonical);
use AnonTest::Servers;

our @EXPORT = qw(parse_response random_addresses leak_forms leaks canonical);

my $DEFAULT_MODULE =
    abs_path(dirname(__FILE__) . '/../..') . '/build/ngx_http_anon_module.so';
my $HAVE6 = IO::Socket::IP->new(LocalHost => '::1', Proto => 'tcp') ? 1 : 0;
my $SCALE = ($ENV{ANON_TEST_TIMEOUT_SCALE} // '') =~ /\A\d+(?:\.\d+)?\z/
    && $ENV{ANON_TEST_TIMEOUT_SCALE} > 0 ? $ENV{ANON_TEST_TIMEOUT_SCALE} : 1;
my @LIVE;

sub new {
    my ($class, %opt) = @_;
    my $mod = $opt{module} // 1;
    $mod = $ENV{ANON_MODULE} // $DEFAULT_MODULE if $mod eq '1';
    croak "module $mod not found (make?)" if $mod && !-f $mod;
    my $tmp = File::Temp->newdir('anon-test-XXXXXX', TMPDIR => 1,
        CLEANUP => !$ENV{ANON_TEST_LEAVE});
    chmod 0755, $tmp->dirname;
    Test::More::diag("keeping $tmp") if $ENV{ANON_TEST_LEAVE};
    for my $sig (qw(INT TERM)) {
        $SIG{$sig} = sub { exit 1 } if ($SIG{$sig} // 'DEFAULT') eq 'DEFAULT';
    }
    $SIG{PIPE} = 'IGNORE';
    my $self = bless { tmp => $tmp, dir => $tmp->dirname, module => $mod,
        level => $opt{log_level} // 'info', owner => $$, ports => {},
        held => {}, servers => {}, errlog => 'error.log',
        nginx => $ENV{NGINX_BIN} // '/usr/sbin/nginx' }, $class;
    push @LIVE, $self;
    weaken $LIVE[-1];
    return $self;
}

sub dir { $_[0]{dir} }

sub port {
    my ($self, $name) = @_;
    return $self->{ports}{$name} if $self->{ports}{$name};
    my %used = map { $_ => 1 } values %{ $self->{ports} };
    for (1 .. 1000) {
        my $p = 20000 + int rand 10000;
        next if $used{$p};
        my @s = map {
            IO::Socket::IP->new(LocalHost => $_, LocalPort => $p,
                Proto => 'tcp') || ()
        } '127.0.0.1', $HAVE6 ? '::1' : ();
        next if @s < 1 + $HAVE6;
        $self->{held}{$p} = \@s;
        return $self->{ports}{$name} = $p;
    }
    croak 'no free port';
}

sub _var {
    my ($self, $name) = @_;
    my $d = $self->{dir};
    my $mod = $self->{module} ? "load_module $self->{module};" : '';
    return $self->port($1) if $name =~ /\APORT_(\w+)\z/;
    return '127.0.0.1:' . $self->port(lc $name)
        if $name eq 'RECORDER' || $name eq 'FASTCGI';
    return {
        TESTDIR => $d,
        MODULE  => $mod,
        GLOBALS => "$mod\npid $d/nginx.pid;\n"
            . "error_log $d/$self->{errlog} $self->{level};\n"
            . "daemon off;\nmaster_process on;\nworker_processes 1;\n",
        TEMPS => join('', map { "${_}_temp_path $d/${_}_temp;\n" }
            qw(client_body proxy fastcgi uwsgi scgi)),
    }->{$name} // croak "unknown placeholder %%$name%%";
}

sub write_file {    # substituted TEMPLATE to TESTDIR/NAME; returns the text
    my ($self, $name, $tpl) = @_;
    (my $text = $tpl) =~ s/%%(\w+)%%/$self->_var($1)/ge;
    my $path = "$self->{dir}/$name";
    make_path(dirname($path), { mode => 0755 });
    open my $fh, '>', $path or croak "$path: $!";
    print {$fh} $text;
    close $fh or croak "$path: $!";
    return $text;
}

sub write_conf {
    my ($self, $tpl) = @_;
    $self->{conf} = $self->write_file('nginx.conf', $tpl);
    return $self;
}

sub _start_servers {
    my ($self) = @_;
    delete $self->{held};    # let nginx and the helpers bind their ports
    for my $kind (qw(recorder fastcgi)) {
        my $port = $self->{ports}{$kind} or next;
        $self->{servers}{$kind} //= AnonTest::Servers::start($kind, $port,
            "$self->{dir}/$kind.log");
    }
}

sub _fail {
    my ($self, $msg) = @_;
    croak "$msg\n--- error.log:\n" . $self->error_log
        . "--- stderr:\n" . $self->file('stderr.log');
}

sub run {
    my ($self) = @_;
    local $?;
    my $d = $self->{dir};
    my $conf = $self->{conf} // croak 'write_conf() first';
    croak 'config needs %%GLOBALS%% (pid in TESTDIR)'
        unless $conf =~ /^\s*pid\s+\Q$d\E/m;
    $self->stop if $self->{pid};
    $self->_start_servers;
    unlink "$d/nginx.pid";
    my $pid = fork // croak "fork: $!";
    if (!$pid) {
        open STDOUT, '>>', "$d/stderr.log";
        open STDERR, '>&', \*STDOUT;
        _nginx_env();
        exec $self->{nginx}, '-p', "$d/", '-c', "$d/nginx.conf",
            '-e', "$d/error.log"
            or POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    my $parent = $$;
    my $dog = fork // croak "fork: $!";
    if (!$dog) {    # watchdog: stops nginx if the test process is killed
        $SIG{$_} = sub { POSIX::_exit(0) } for qw(TERM INT HUP);
        sleep 0.2 while getppid() == $parent;
        kill 'TERM', $pid;
        POSIX::_exit(0);
    }
    $self->{watchdog} = $dog;
    my $end = time + 5 * $SCALE;
    until ($self->_ready) {
        if (waitpid($pid, WNOHANG) == $pid) {
            delete $self->{pid};
            $self->_fail("nginx exited with status $?");
        }
        if (time > $end) {
            $self->stop;
            $self->_fail("nginx not ready after @{[ 5 * $SCALE ]}s");
        }
        sleep 0.02;
    }
    return $self;
}

sub _nginx_env {    # in the child, before exec: $ENV{ANON_TEST_NGINX_ENV}
    for (split ' ', $ENV{ANON_TEST_NGINX_ENV} // '') {
        my ($k, $v) = /\A(\w+)=(.*)\z/s or next;
        $ENV{$k} = $v;
    }
}

sub _ready {    # pid file written, every listen address bound
    my ($self) = @_;
    my $pid = $self->file('nginx.pid');
    return 0 unless $pid =~ /^(\d+)/ && $1 == $self->{pid};
    for ($self->{conf} =~ /^\s*listen\s+([^\s;]+)/mg) {
        my ($host, $port) = /\A\[(.+)\]:(\d+)\z/ ? ($1, $2)
            : /\A([^:]+):(\d+)\z/ ? ($1, $2) : /\A(\d+)\z/ ? ('', $1)
            : next;
        $host = '127.0.0.1' if $host =~ /\A(?:\*|localhost|)\z/;
        next unless $host =~ /\A(?:127\.[\d.]+|::1)\z/;    # probe loopback
        return 0 if IO::Socket::IP->new(LocalHost => $host,
            LocalPort => $port, Proto => 'tcp');
    }
    return 1;
}

sub _reap {    # signal $pid, wait up to $secs; exit status or undef
    my ($pid, $sig, $secs) = @_;
    kill $sig, $pid;
    my $end = time + $secs;
    while (time < $end) {
        my $r = waitpid $pid, WNOHANG;
        return $r == $pid ? $? : -1 if $r;
        sleep 0.02;
    }
    return undef;
}

sub stop {
    my ($self) = @_;
    return $self if $self->{owner} != $$;
    local $?;
    if (my $pid = delete $self->{pid}) {
        $self->{status} = _reap($pid, 'QUIT', 10 * $SCALE)
            // _reap($pid, 'TERM', 3 * $SCALE)
            // _reap($pid, 'KILL', 3);
    }
    _reap($_, 'TERM', 2) for grep { $_ } delete $self->{watchdog};
    for my $pid (values %{ $self->{servers} }) {
        _reap(-$pid, 'TERM', 2) // _reap(-$pid, 'KILL', 2);
        waitpid $pid, 0;
    }
    $self->{servers} = {};
    return $self;
}

sub DESTROY { local ($@, $?); $_[0]->stop }
END { local $?; $_ && $_->stop for @LIVE }

sub worker_pids {
    my ($self) = @_;
    my $master = $self->{pid} or return;
    my @pids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // next;
        push @pids, $1 if $line =~ /^(\d+) \(.*\) \S+ (\d+) / && $2 == $master;
    }
    return @pids;
}

sub reload {
    my ($self, $tpl) = @_;
    $self->write_conf($tpl) if defined $tpl;
    $self->_start_servers;
    my %old = map { $_ => 1 } $self->worker_pids;
    my $emerg = () = $self->error_log =~ /\[emerg\]/g;
    kill 'HUP', $self->{pid} // croak 'nginx is not running';
    my ($end, $new) = (time + 5 * $SCALE, 0);
    while (time < $end) {
        my @now = $self->worker_pids;
        $new = grep { !$old{$_} } @now;
        return 1 if $new && !grep { $old{$_} } @now;
        return 0 if !$new && $emerg < (() = $self->error_log =~ /\[emerg\]/g);
        sleep 0.05;
    }
    return $new ? 1 : 0;
}

sub reopen {
    my ($self) = @_;
    kill 'USR1', $self->{pid} // croak 'nginx is not running';
    sleep 0.5;
    return $self;
}

sub nginx_t {
    my ($self, $tpl) = @_;
    my $d = $self->{dir};
    local $self->{errlog} = 'nginx_t.err';
    $self->write_file('nginx_t.conf', $tpl);
    my $pid = fork // croak "fork: $!";
    if (!$pid) {
        open STDOUT, '>', "$d/nginx_t.out";
        open STDERR, '>&', \*STDOUT;
        _nginx_env();
        exec $self->{nginx}, '-t', '-p', "$d/", '-c', "$d/nginx_t.conf",
            '-e', "$d/nginx_t.err"
            or POSIX::_exit(127);
    }
    local $?;
    waitpid $pid, 0;
    return ($? >> 8, $self->file('nginx_t.out'));
}

sub recorded {
    AnonTest::Servers::records("$_[0]{dir}/recorder.log", 'REQUEST');
}

sub fastcgi_params_seen {
    my ($self) = @_;
    return map {
        +{ map { map { s/\\(n|\\)/$1 eq 'n' ? "\n" : '\\'/ger }
            split /=/, $_, 2 } split /\n/ }
    } AnonTest::Servers::records("$self->{dir}/fastcgi.log", 'FASTCGI');
}

# HTTP client

sub _connect {
    my ($dest) = @_;
    my %o = ref $dest ? %$dest : (port => $dest);
    my $s = IO::Socket::IP->new(PeerHost => $o{peer} // '127.0.0.1',
        PeerPort => $o{port}, Proto => 'tcp',
        Timeout => ($o{timeout} // 5) * $SCALE,
        $o{local} ? (LocalHost => $o{local}) : ())
        or croak "connect to port $o{port}: $@";
    binmode $s;
    return ($s, time + ($o{timeout} // 5) * $SCALE);
}

sub _request {
    my ($uri, $h, $close) = @_;
    my %h = %{ $h // {} };
    my $req = "GET $uri HTTP/1.1\r\n";
    $req .= "Host: localhost\r\n" unless grep { lc eq 'host' } keys %h;
    $req .= "Connection: close\r\n"
        if $close && !grep { lc eq 'connection' } keys %h;
    for my $k (sort keys %h) {
        $req .= "$k: $_\r\n"
            for grep { defined } ref $h{$k} ? @{ $h{$k} } : $h{$k};
    }
    return "$req\r\n";
}

sub _read_more {    # bytes read; 0 on EOF, undef on timeout or error
    my ($s, $buf, $end) = @_;
    my $left = $end - time;
    return undef if $left <= 0 || !IO::Select->new($s)->can_read($left);
    return sysread $s, $$buf, 65536, length $$buf;
}

sub http_raw {
    my ($self, $dest, $bytes) = @_;
    my ($s, $end) = _connect($dest);
    my $off = 0;
    while ($off < length $bytes) {
        my $n = syswrite $s, $bytes, length($bytes) - $off, $off;
        last unless $n;
        $off += $n;
    }
    my $buf = '';
    1 while _read_more($s, \$buf, $end);
    return $buf;
}

sub http_get {
    my ($self, $dest, $uri, %h) = @_;
    return $self->http_raw($dest, _request($uri, \%h, 1));
}

sub http_keepalive {
    my ($self, $dest, $reqs) = @_;
    my ($s, $end) = _connect($dest);
    my ($buf, @res) = ('');
    for my $i (0 .. $#$reqs) {
        my ($uri, $h) = ref $reqs->[$i] ? @{ $reqs->[$i] } : $reqs->[$i];
        syswrite $s, _request($uri, $h, $i == $#$reqs) or last;
        while (1) {
            my $len = length $buf
                ? AnonTest::Servers::message_end(\$buf, 1) : undef;
            if (defined $len && $len >= 0) {
                push @res, substr $buf, 0, $len, '';
                last;
            }
            next if _read_more($s, \$buf, $end);
            push @res, $buf if length $buf;
            return @res;
        }
    }
    return @res;
}

sub parse_response {
    my ($raw) = @_;
    return unless defined $raw && $raw =~ /\r?\n\r?\n/;
    my ($head, $body) = (substr($raw, 0, $-[0]), substr $raw, $+[0]);
    my ($line, @lines) = split /\r?\n/, $head;
    my ($status) = $line =~ m{\AHTTP/\S+\s+(\d+)};
    my %h;
    for (@lines) {
        my ($k, $v) = /\A([^:]+):\s*(.*?)\s*\z/ or next;
        $h{ lc $k } = exists $h{ lc $k } ? "$h{lc $k}, $v" : $v;
    }
    if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        my $out = '';
        while ($body =~ /\G([0-9a-f]+)[^\n]*\n/gci && hex $1) {
            my $n = hex $1;
            $out .= substr $body, pos $body, $n;
            pos($body) = pos($body) + $n + 2;
        }
        $body = $out;
    }
    return ($status, \%h, $body);
}

# Logs and checks

sub file {
    my ($self, $name) = @_;
    my $path = $name =~ m{\A/} ? $name : "$self->{dir}/$name";
    open my $fh, '<', $path or return '';
    binmode $fh;
    local $/;
    return scalar <$fh> // '';
}

sub access_log { $_[0]->file($_[1] // 'access.log') }
sub error_log  { $_[0]->file($_[1] // 'error.log') }

sub wait_for_log {
    my ($self, $name, $re, $timeout) = @_;
    my $end = time + ($timeout // 2) * $SCALE;
    while (1) {
        my $text = $self->file($name);
        return $text if $text =~ $re;
        return undef if time > $end;
        sleep 0.05;
    }
}

sub all_texts {
    my ($self) = @_;
    return join "\n", map { $self->file($_) } sort glob "$self->{dir}/*.log";
}

sub done_checks {
    my ($self, %opt) = @_;
    $self->stop;
    my @bad = grep {
        /\[(?:alert|emerg|crit)\]|exited on signal|core dumped/
            && !($opt{ignore} && $_ =~ $opt{ignore})
    } split /\n/, $self->error_log;
    push @bad, "nginx exit status $self->{status}" if $self->{status};
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    Test::More::ok(!@bad, 'no nginx crash or alert in error.log')
        or Test::More::diag(join "\n", @bad);
    return !@bad;
}

1;
