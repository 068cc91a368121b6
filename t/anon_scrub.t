#!/usr/bin/perl

# anon-scrub: build/anon-scrub truncates every address literal in log
# lines from stdin to stdout (combined, JSON and error-log lines, ports,
# brackets, every IPv6 form), honours -4/-6, passes other bytes through
# unchanged (invalid UTF-8, NUL, very long lines), never loses, splits or
# reorders a line, and fails clearly on bad options and I/O errors.

use strict;
use warnings;
use Test::More;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp ();
use POSIX ();
use AnonTest;
use AnonTest::Addr qw(parse_ip6);

my $BIN = $ENV{ANON_SCRUB}
    // abs_path(dirname(__FILE__) . '/..') . '/build/anon-scrub';
die "$BIN is not built (make)\n" unless -x $BIN;

my $tmp = File::Temp->newdir('anon-scrub-XXXXXX', TMPDIR => 1);
my $dir = $tmp->dirname;

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or return '';
    local $/;
    return scalar <$fh> // '';
}

sub spew {
    my ($path, $data) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print {$fh} $data;
    close $fh or die "$path: $!";
}

# run anon-scrub; stdin from a file (or a path such as /), stdout to a
# file (or /dev/full); (exit code or "signal N", stdout, stderr)
sub run_scrub {
    my (%o) = @_;
    my $in = $o{stdin} // do { spew("$dir/in", $o{input} // ''); "$dir/in" };
    my $out = $o{stdout} // "$dir/out";
    unlink "$dir/out", "$dir/err";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDIN, '<', $in or POSIX::_exit(126);
        open STDOUT, '>', $out or POSIX::_exit(126);
        open STDERR, '>', "$dir/err" or POSIX::_exit(126);
        exec { $BIN } $BIN, @{ $o{args} // [] } or POSIX::_exit(127);
    }
    waitpid $pid, 0;
    my $rc = $? & 127 ? 'signal ' . ($? & 127) : $? >> 8;
    return ($rc, slurp("$dir/out"), slurp("$dir/err"));
}

sub scrub {    # stdout of a successful run, undef otherwise
    my ($input, @args) = @_;
    my ($rc, $out, $err) = run_scrub(input => $input, args => \@args);
    diag "anon-scrub @args: exit $rc: $err" if $rc ne '0';
    return $rc eq '0' ? $out : undef;
}

# run anon-scrub with its stdin a pipe the input is written to in pieces
# of the given sizes, as a piped logger gets it; (exit code, stdout)
sub pipe_scrub {
    my ($input, $sizes, @args) = @_;
    unlink "$dir/out";
    my $pid = open my $pipe, '|-' // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', "$dir/out" or POSIX::_exit(126);
        exec { $BIN } $BIN, @args or POSIX::_exit(127);
    }
    my ($off, $i) = (0, 0);
    while ($off < length $input) {
        my $n = syswrite $pipe, $input, $sizes->[ $i++ % @$sizes ], $off;
        die "write: $!" unless defined $n;
        $off += $n;
    }
    close $pipe;
    return ($? & 127 ? 'signal ' . ($? & 127) : $? >> 8, slurp("$dir/out"));
}

# The truncation of a random_addresses() entry with the default prefixes,
# as nginx prints it.
sub expected {
    my ($a) = @_;
    my $f = $a->{form};
    my $v4 = join '.', (split /\./, $a->{v4} // '0.0')[0, 1], 0, 0;
    return $v4 if $f eq 'ipv4';
    my @g = parse_ip6($a->{text});
    my $hi = sprintf '%x', $g[6];
    return
          $f eq 'mapped'    ? "::ffff:$v4"
        : $f eq 'compat'    ? "::$v4"
        : $f eq 'nat64'     ? "64:ff9b::$hi:0"
        : $f eq '6to4'      ? canonical(sprintf '2002:%x::', $g[1])
        : $f eq 'teredo'    ? '2001::'
        : $f eq 'isatap_ll' ? "fe80::5efe:$hi:0"
        : $f eq 'isatap'    ? "2001:db8::200:5efe:$hi:0"
        :                     canonical(sprintf '%x:%x::', @g[0, 1]);
}

# Combined log format.  The address part and $time_local are checked
# apart, so a damaged timestamp does not hide the address result.

{
    my $in = '198.51.100.7 - - [10/Oct/2023:13:55:36 +0000] '
        . '"GET /a?ip=203.0.113.9 HTTP/1.1" 200 612 '
        . '"http://[2001:db8::1]:8080/x" "curl/7.88.1"' . "\n";
    my $out = scrub($in) // '';
    my ($time) = $out =~ /\[([^\]]*)\]/;
    (my $rest = $out) =~ s/\[[^\]]*\]/[]/;
    is $rest, '198.51.0.0 - - [] "GET /a?ip=203.0.0.0 HTTP/1.1" 200 612 '
        . '"http://[2001:db8::]:8080/x" "curl/7.88.1"' . "\n",
        'combined: client, query and referer addresses truncated';
    is $time, '10/Oct/2023:13:55:36 +0000', 'combined: $time_local kept';
}

# JSON log lines.

is scrub('{"time":"2023-10-10T13:55:36+00:00","remote_addr":"198.51.100.7",'
        . '"xff":"198.51.100.7, 2001:db8::1","status":200}' . "\n"
        . '{"remote_addr":"::ffff:203.0.113.9","ua":"Mozilla\/5.0"}' . "\n"),
    '{"time":"2023-10-10T13:55:36+00:00","remote_addr":"198.51.0.0",'
        . '"xff":"198.51.0.0, 2001:db8::","status":200}' . "\n"
        . '{"remote_addr":"::ffff:203.0.0.0","ua":"Mozilla\/5.0"}' . "\n",
    'JSON lines: addresses truncated, the rest kept';

# nginx error-log lines.

{
    my $p = '2023/10/10 13:55:36 [error] 1234#1234: ';
    my @cases = (
        [ '*17 open() "/var/www/favicon.ico" failed (2: No such file or '
            . 'directory), client: 198.51.100.7, server: example.org, '
            . 'request: "GET /favicon.ico HTTP/1.1", host: '
            . '"203.0.113.5:8080", referrer: "http://[2001:db8::5]/"',
          '*17 open() "/var/www/favicon.ico" failed (2: No such file or '
            . 'directory), client: 198.51.0.0, server: example.org, '
            . 'request: "GET /favicon.ico HTTP/1.1", host: '
            . '"203.0.0.0:8080", referrer: "http://[2001:db8::]/"' ],
        [ '*3 client 2001:db8:85a3::8a2e:370:7334 closed keepalive '
            . 'connection',
          '*3 client 2001:db8:: closed keepalive connection' ],
        [ '*9 upstream timed out (110: Connection timed out) while '
            . 'connecting to upstream, client: ::ffff:198.51.100.7, '
            . 'server: , request: "GET / HTTP/1.1", upstream: '
            . '"http://[2001:db8:1::2]:80/", host: "x"',
          '*9 upstream timed out (110: Connection timed out) while '
            . 'connecting to upstream, client: ::ffff:198.51.0.0, '
            . 'server: , request: "GET / HTTP/1.1", upstream: '
            . '"http://[2001:db8::]:80/", host: "x"' ],
        [ '*5 accept: [2001:db8::1]:55555 fd:3',
          '*5 accept: [2001:db8::]:55555 fd:3' ],
        [ '*6 client timed out (110: Connection timed out) while waiting '
            . 'for request, client: 192.0.2.1, server: 0.0.0.0:80',
          '*6 client timed out (110: Connection timed out) while waiting '
            . 'for request, client: 192.0.0.0, server: 0.0.0.0:80' ],
    );
    my $in = join '', map { "$p$_->[0]\n" } @cases;
    my $want = join '', map { "$p$_->[1]\n" } @cases;
    is scrub($in), $want, 'error-log lines: addresses truncated';

    # OpenSSL's error code is not an address; it must survive
    my $ssl = $p . '*8 SSL_do_handshake() failed (SSL: error:0A00010B:'
        . 'SSL routines::wrong version number) while SSL handshaking, '
        . 'client: 198.51.100.7, server: 0.0.0.0:443' . "\n";
    (my $ssl_want = $ssl) =~ s/198\.51\.100\.7/198.51.0.0/;
    is scrub($ssl), $ssl_want,
        'error-log SSL line: client truncated, OpenSSL error code kept';
}

# Ports, brackets, lists.

is scrub('198.51.100.7:4711 [2001:db8::1]:443 [::ffff:198.51.100.7]:80 '
        . 'for="[2001:db8:cafe::17]:4711";proto=https, '
        . 'xff: 203.0.113.7, 10.1.2.3,2001:db8::9' . "\n"),
    '198.51.0.0:4711 [2001:db8::]:443 [::ffff:198.51.0.0]:80 '
        . 'for="[2001:db8::]:4711";proto=https, '
        . 'xff: 203.0.0.0, 10.1.0.0,2001:db8::' . "\n",
    'ports, brackets and lists';

# Every address form, in each kind of line.

my @addrs = random_addresses(2000, 7);
my @tpl = (
    sub { "$_[0] - - \"GET /?n=$_[1] HTTP/1.1\" 200 5 \"-\" \"ua\"" },
    sub { "{\"remote_addr\":\"$_[0]\",\"n\":$_[1]}" },
    sub { "*$_[1] client timed out, client: $_[0], server: x" },
    sub { "xff: 192.0.2.1, $_[0] n=$_[1]" },
    sub { $_[0] =~ /:/ ? "[$_[0]]:$_[1]" : "$_[0]:$_[1]" },
);
my (@in, @want);
for my $i (0 .. $#addrs) {
    my $t = $tpl[ $i % @tpl ];
    push @in, $t->($addrs[$i]{text}, $i);
    (my $w = $t->(expected($addrs[$i]), $i)) =~ s/192\.0\.2\.1/192.0.0.0/;
    push @want, $w;
}
{
    my $out = scrub(join '', map { "$_\n" } @in) // '';
    my @got = split /\n/, $out, -1;
    pop @got if @got && $got[-1] eq '';
    is scalar @got, scalar @in, 'random forms: one line out per line in';
    my @bad = grep { ($got[$_] // '') ne $want[$_] } 0 .. $#want;
    ok !@bad, 'random forms: each address truncated as nginx prints it'
        or diag join "\n", map { "in:   $in[$_]\nwant: $want[$_]\n"
            . 'got:  ' . ($got[$_] // '(none)') } @bad[0 .. 4];
    is_deeply [ leaks($out, map { leak_forms($_->{text}) } @addrs) ], [],
        'random forms: no full address survives';
    is scrub($out), $out, 'random forms: scrubbing again changes nothing';
}

# -4 and -6.

{
    my $in = "198.51.100.7 ::ffff:198.51.100.7 2001:db8:1:2:3:4:5:6\n";
    my %cases = (
        '-4 24'       => "198.51.100.0 ::ffff:198.51.100.0 2001:db8::\n",
        '-4 0'        => "0.0.0.0 ::ffff:0.0.0.0 2001:db8::\n",
        '-4 32'       => "198.51.100.7 ::ffff:198.51.100.7 2001:db8::\n",
        '-6 64'       => "198.51.0.0 ::ffff:198.51.0.0 2001:db8:1:2::\n",
        '-6 0'        => "198.51.0.0 ::ffff:198.51.0.0 ::\n",
        '-6 128'      => "198.51.0.0 ::ffff:198.51.0.0 2001:db8:1:2:3:4:5:6\n",
        '-4 8 -6 16'  => "198.0.0.0 ::ffff:198.0.0.0 2001::\n",
        '-6 48 -4 24' => "198.51.100.0 ::ffff:198.51.100.0 2001:db8:1::\n",
    );
    for my $opt (sort keys %cases) {
        is scrub($in, split / /, $opt), $cases{$opt}, "options $opt";
    }
}

# Bytes that are not addresses pass through unchanged.

{
    my $all = join '', map { chr } 0 .. 255;
    is scrub($all), $all, 'all 256 byte values pass through';
    my $bin = "\xff\xfe\xc3\x28 \x00\x01 text \xe2\x82 \x00\n"
        . "\xc0\xaf\xed\xa0\x80 caf\xc3\xa9 \x00\x00\x00\r\n" . "\x80" x 100;
    is scrub($bin), $bin, 'invalid UTF-8, NUL and CR byte-identical';
    is scrub("\xff198.51.100.7\x00[2001:db8::1]\xfe\n"),
        "\xff198.51.0.0\x00[2001:db8::]\xfe\n",
        'addresses between invalid bytes truncated, the bytes kept';
    is scrub(''), '', 'empty input, empty output';
    is scrub("no newline 198.51.100.7"), 'no newline 198.51.0.0',
        'last line without a newline: none added';
    is scrub("\n\n\r\n\n"), "\n\n\r\n\n", 'empty lines kept';
}

# A 5 MB line of mixed text: addresses truncated, nothing else changed.

{
    my @text = (' "GET /index.html?q=', '" ', "\xff\xfe\x00", ', ',
        ' Mozilla/5.0 (X11; Linux x86_64) ', ' [', ']:8080 ', '; ',
        ' 2023/10/10 ', ' ua=curl/7.88.1 ', " caf\xc3\xa9 ", ' 404 ');
    my @a = random_addresses(500, 9);
    my ($in, $want, $i) = ('', '', 0);
    while (length $in < 5 * 1024 * 1024) {
        my $t = $text[ $i % @text ] . $text[ ($i * 7 + 3) % @text ];
        my $a = $a[ $i++ % @a ];
        $in .= $t . $a->{text};
        $want .= $t . expected($a);
    }
    $in .= " end\n";
    $want .= " end\n";
    my $out = scrub($in) // '';
    is(($out =~ tr/\n//), 1, '5 MB line: still one line');
    ok $out eq $want, '5 MB line: addresses truncated, the rest unchanged'
        or diag 'length ' . length($out) . ', want ' . length($want)
            . ', first difference at byte '
            . (($out ^ $want) =~ /^(\0*)/ && length $1);
    is_deeply [ leaks($out, map { leak_forms($_->{text}) } @a) ], [],
        '5 MB line: no full address';
}

# Lines longer than a read batch (128 KB) and shorter than a megabyte,
# one after another: each kept whole, every address truncated.

{
    my @a = random_addresses(300, 21);
    my ($in, $want, $i) = ('', '', 0);
    for my $len (150_000, 131_000, 262_200, 999_000, 140_000) {
        my $line = '';
        while (length $line < $len) {
            my $a = $a[ $i++ % @a ];
            $line .= "k=$i $a->{text}, ";
            $want .= "k=$i " . expected($a) . ', ';
        }
        $in .= "$line\n";
        $want .= "\n";
    }
    my $out = scrub($in) // '';
    is(($out =~ tr/\n//), 5, 'lines over a read batch: five lines');
    ok $out eq $want, 'lines over a read batch: each scrubbed whole'
        or diag 'first difference at byte '
            . (($out ^ $want) =~ /^(\0*)/ && length $1);
}

# A file of 4 MB and more is read through a mapping: the same bytes as
# through a pipe, from wherever the file position is; data appended while
# it runs is read on; a file that shrinks while it runs, cut on a page
# boundary or inside a page, gives what read(2) gives, not a SIGBUS.

{
    my @a = random_addresses(400, 33);
    my ($big, $want, $i) = ('', '', 0);
    while (length $big < 6 * 1024 * 1024) {
        my $a = $a[ $i++ % @a ];
        my $l = sprintf "%s - - [10/Oct/2023:13:55:36 +0200] \"GET /p/%d "
            . "HTTP/1.1\" 200 %d \"-\" \"ua %s\"\n", $a->{text}, $i,
            $i % 5000, $a->{text};
        $big .= $l;
        (my $w = $l) =~ s/\Q$a->{text}\E/expected($a)/ge;
        $want .= $w;
    }

    my $out = scrub($big) // '';
    ok $out eq $want, 'mapped 6 MB file: every line scrubbed';

    # stdin already 1001 bytes in, not at a page or a line
    spew("$dir/in", $big);
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDIN, '<', "$dir/in" or POSIX::_exit(126);
        sysseek STDIN, 1001, 0 or POSIX::_exit(126);
        open STDOUT, '>', "$dir/out" or POSIX::_exit(126);
        exec { $BIN } $BIN or POSIX::_exit(127);
    }
    waitpid $pid, 0;
    my ($rc, $ref) = pipe_scrub(substr($big, 1001), [65536]);
    ok $? == 0 && $rc == 0 && slurp("$dir/out") eq $ref,
        'mapped file from an offset: the same as through a pipe';

    # while anon-scrub waits on a full pipe: append, or shrink the file
    my $during = sub {
        my ($change) = @_;
        spew("$dir/in", $big);
        pipe my $r, my $w or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $r;
            open STDIN, '<', "$dir/in" or POSIX::_exit(126);
            open STDOUT, '>&', $w or POSIX::_exit(126);
            exec { $BIN } $BIN or POSIX::_exit(127);
        }
        close $w;
        my $got = '';
        sysread $r, $got, 4096 or die "read: $!";
        $change->();
        local $/;
        $got .= <$r> // '';
        waitpid $pid, 0;
        return ($? >> 8, $got);
    };

    my $more = join '', map { "$_->{text} appended\n" } @a[0 .. 99];
    my ($rc2, $got) = $during->(sub {
        open my $fh, '>>:raw', "$dir/in" or die;
        print {$fh} $more;
        close $fh;
    });
    my ($rc3, $ref2) = pipe_scrub($big . $more, [65536]);
    ok $rc2 == 0 && $rc3 == 0 && $got eq $ref2,
        'mapped file appended to while read: the new lines too';

    for my $size (2 * 1024 * 1024, 2 * 1024 * 1024 + 123) {
        my ($rc4, $got4) = $during->(sub { truncate "$dir/in", $size });
        my ($rc5, $ref4) = pipe_scrub(substr($big, 0, $size), [65536]);
        ok $rc4 == 0 && $rc5 == 0 && $got4 eq $ref4,
            "mapped file cut to $size bytes while read: what read(2) gives"
            or diag "exit $rc4, " . length($got4) . ' bytes, want '
                . length($ref4);
    }
}

# 3 MB of nothing but digits and dots: same length, no untruncated quad.

{
    my @o = map { 1 + ($_ * 37 + 11) % 254 } 0 .. 999;
    my $line = '';
    my $k = 0;
    $line .= $o[ $k++ % @o ] . '.' while length $line < 3 * 1024 * 1024;
    chop $line;
    my $out = scrub("$line\n") // '';
    is length $out, length($line) + 1, '3 MB digits and dots: same length';
    is(($out =~ tr/\n//), 1, '3 MB digits and dots: one line');
    chomp(my $o = $out);
    ok $o =~ /\A[0-9.]+\z/, '3 MB digits and dots: only digits and dots';
    my @g = split /\./, $o, -1;
    my ($bad) = grep { !grep { $_ == 0 } @g[ $_ .. $_ + 3 ] } 0 .. $#g - 3;
    ok !defined $bad && @g > 4,
        '3 MB digits and dots: every four groups hold a zero'
        or diag 'untruncated: ' . join '.', @g[ $bad .. $bad + 3 ];
}

# The same through a pipe (reads of at most 64 KB), with an ip:port
# across the first megabyte: none of its discarded octets may survive.

{
    my $in = '12.' . '1.' x 524285 . '198.51.100.7:4711.' . '1.' x 100_000
        . "1 end\n";
    my ($rc, $out) = pipe_scrub($in, [65536]);
    is $rc, 0, 'long run of address characters through a pipe: exit 0';
    unlike $out, qr/(?<![0-9])51\.100\.7(?![0-9])/,
        'long run through a pipe: no discarded octets of 198.51.100.7';
}

# 200,000 lines, written to a pipe in odd pieces as a piped logger would
# get them: none lost, split or reordered, each scrubbed exactly.

{
    my $n = 200_000;
    my @w = map { expected($_) } @addrs;
    my ($in, $want) = ('', '');
    for my $i (0 .. $n - 1) {
        my $j = $i % @addrs;
        my $pre = "$i ";
        my $post = $i % 3 ? " \"GET /p/$i HTTP/1.1\" 200 $j \"-\"\n"
            : $i % 2 ? " x\r\n" : "\n";
        $in .= $pre . $addrs[$j]{text} . $post;
        $want .= $pre . $w[$j] . $post;
    }
    my ($rc, $out) = pipe_scrub($in,
        [ 1, 4093, 65537, 7, 100_000, 333, 1 << 20 ]);
    is $rc, 0, '200,000 lines through a pipe: exit 0';
    my @got = split /\n/, $out;
    my @exp = split /\n/, $want;
    is scalar @got, $n, '200,000 lines: line count kept';
    my @bad = grep { ($got[$_] // '') ne $exp[$_] } 0 .. $#exp;
    ok !@bad, '200,000 lines: in order, non-address parts unchanged'
        or diag "line $bad[0]: got '" . ($got[ $bad[0] ] // '')
            . "', want '$exp[$bad[0]]'";
}

# Usage and errors.

for my $h ('--help', '-h') {
    my ($rc, $out, $err) = run_scrub(args => [$h]);
    is $rc, 0, "$h: exit 0";
    like $out, qr/\Ausage: anon-scrub .*-4 bits.*-6 bits/s,
        "$h: usage on stdout";
    is $err, '', "$h: nothing on stderr";
}

for my $bad ([ '-4', '33' ], [ '-6', 'x' ], ['--bogus'], ['-4'],
    [ '-6', '129' ], [ '-4', '-1' ], [ '-4', '' ], [ '-4', '1x' ])
{
    my ($rc, $out, $err) = run_scrub(input => "198.51.100.7\n",
        args => $bad);
    my $name = join ' ', map { "'$_'" } @$bad;
    is $rc, 2, "bad option $name: exit 2";
    like $err, qr/\Aanon-scrub: .*(?:invalid|usage)/,
        "bad option $name: message on stderr";
    is $out, '', "bad option $name: no output";
}

{
    my ($rc, $out, $err) = run_scrub(input => "198.51.100.7\n" x 1000,
        stdout => '/dev/full');
    is $rc, 1, 'write error (/dev/full): exit 1';
    like $err, qr/\Aanon-scrub: write: \S/, 'write error: message';

    ($rc, $out, $err) = run_scrub(stdin => '/');
    is $rc, 1, 'read error (stdin a directory): exit 1';
    like $err, qr/\Aanon-scrub: read: \S/, 'read error: message';
    is $out, '', 'read error: no output';
}

done_testing;
