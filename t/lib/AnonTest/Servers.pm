package AnonTest::Servers;

# Forked helper servers for AnonTest: a recording HTTP/1.1 upstream and a
# recording FastCGI responder, both on 127.0.0.1.  Every request is
# appended to a log file as one record: a delimiter line
# "#### ANONTEST <KIND> <length> ####", exactly <length> bytes, "\n".

use strict;
use warnings;
use Fcntl qw(:flock);
use IO::Select;
use IO::Socket::IP;
use POSIX ();

our $LIFETIME = 600;    # seconds; every helper process exits after this

# Fork a server of $kind ('recorder' or 'fastcgi'); returns its pid,
# which is also its process group.  Listening when this returns.
sub start {
    my ($kind, $port, $log) = @_;
    my $lsn = IO::Socket::IP->new(LocalHost => '127.0.0.1',
        LocalPort => $port, Listen => 64, ReuseAddr => 1)
        or die "$kind: cannot listen on 127.0.0.1:$port: $@\n";
    my $parent = $$;
    my $pid = fork // die "fork: $!\n";
    if ($pid) {
        close $lsn;
        return $pid;
    }
    eval {
        setpgrp 0, 0;
        $SIG{CHLD} = 'IGNORE';
        $SIG{$_} = sub { POSIX::_exit(0) } for qw(TERM INT HUP ALRM);
        alarm $LIFETIME;
        my $handler = $kind eq 'fastcgi' ? \&_fastcgi : \&_http;
        my $sel = IO::Select->new($lsn);
        while (getppid() == $parent) {
            $sel->can_read(1) or next;
            my $c = $lsn->accept or next;
            my $child = fork;
            if (defined $child && $child == 0) {
                close $lsn;
                alarm $LIFETIME;
                eval { $handler->($c, $log) };
                POSIX::_exit(0);
            }
            close $c;
        }
    };
    POSIX::_exit(0);
}

sub _read {    # one sysread appended to $$buf; dies on EOF
    my ($c, $buf) = @_;
    sysread($c, $$buf, 65536, length $$buf) or die "eof\n";
}

sub _append {
    my ($log, $kind, $data) = @_;
    open my $fh, '>>', $log or die "$log: $!\n";
    binmode $fh;
    flock $fh, LOCK_EX;
    print {$fh} "#### ANONTEST $kind " . length($data) . " ####\n$data\n";
    close $fh;
}

# Records of $kind in $log, as a list of byte strings.
sub records {
    my ($log, $kind) = @_;
    open my $fh, '<', $log or return;
    binmode $fh;
    flock $fh, LOCK_SH;
    my $d = do { local $/; <$fh> };
    my @r;
    while ($d =~ /\G#### ANONTEST \Q$kind\E (\d+) ####\n/gc) {
        my $len = $1;
        push @r, substr $d, pos $d, $len;
        pos($d) = pos($d) + $len + 1;
    }
    return @r;
}

# Offset just past the HTTP message at the start of $$b, undef if it is
# incomplete, -1 for a response that ends at connection close.
sub message_end {
    my ($b, $response) = @_;
    $$b =~ /\r?\n\r?\n/ or return undef;
    my $pos = $+[0];
    my $head = substr $$b, 0, $pos;
    return $pos if $response && $head =~ m{\A\S+ (?:1\d\d|204|304)\b};
    if ($head =~ /^Transfer-Encoding:[^\r\n]*chunked/mi) {
        while (1) {
            my $eol = index $$b, "\n", $pos;
            return undef if $eol < 0;
            my ($size) = substr($$b, $pos, $eol - $pos) =~ /([0-9a-f]+)/i;
            $pos = $eol + 1;
            last if !hex($size // 0);
            $pos += hex($size) + 2;
            return undef if $pos > length $$b;
        }
        while (1) {    # trailer fields up to an empty line
            my $eol = index $$b, "\n", $pos;
            return undef if $eol < 0;
            my $line = substr $$b, $pos, $eol - $pos;
            $pos = $eol + 1;
            return $pos if $line =~ /\A\r?\z/;
        }
    }
    if ($head =~ /^Content-Length:\s*(\d+)/mi) {
        return $pos + $1 <= length $$b ? $pos + $1 : undef;
    }
    return $response ? -1 : $pos;
}

sub _http {
    my ($c, $log) = @_;
    my $buf = '';
    while (1) {
        $buf =~ s/\A(?:\r?\n)+//;
        my $end;
        _read($c, \$buf) until length $buf
            && defined($end = message_end(\$buf, 0));
        my $req = substr $buf, 0, $end, '';
        _append($log, 'REQUEST', $req);
        my ($head) = $req =~ /\A(.*?\r?\n)\r?\n/s;
        my $close = $head =~ /^Connection:[^\r\n]*close/mi
            || ($head =~ m{\A\S+ \S+ HTTP/1\.0}
                && $head !~ /^Connection:[^\r\n]*keep-alive/mi);
        syswrite $c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            . "Content-Length: 9\r\n" . ($close ? "Connection: close\r\n" : '')
            . "\r\nrecorded\n";
        return if $close;
    }
}

sub _fastcgi {
    my ($c, $log) = @_;
    my $buf = '';
    my $take = sub {
        _read($c, \$buf) while length $buf < $_[0];
        return substr $buf, 0, $_[0], '';
    };
    my ($id, $params, $params_done, $stdin_done) = (1, '', 0, 0);
    until ($params_done && $stdin_done) {
        my (undef, $type, $rid, $clen, $plen) = unpack 'CCnnC', $take->(8);
        my $content = $take->($clen);
        $take->($plen);
        if    ($type == 1) { $id = $rid }
        elsif ($type == 2) { return }
        elsif ($type == 4) { $clen ? ($params .= $content) : $params_done++ }
        elsif ($type == 5) { $stdin_done++ unless $clen }
    }
    my ($pos, @pairs) = (0);
    my $len = sub {
        my $n = ord substr $params, $pos, 1;
        if ($n < 128) {
            $pos++;
            return $n;
        }
        $pos += 4;
        return unpack('N', substr $params, $pos - 4, 4) & 0x7fffffff;
    };
    while ($pos < length $params) {
        my ($nl, $vl) = ($len->(), $len->());
        push @pairs, map { s/\\/\\\\/gr =~ s/\n/\\n/gr }
            substr($params, $pos, $nl) . '=' . substr($params, $pos + $nl, $vl);
        $pos += $nl + $vl;
    }
    _append($log, 'FASTCGI', join '', map { "$_\n" } @pairs);
    my $rec = sub {
        pack('CCnnCx', 1, $_[0], $id, length $_[1], 0) . $_[1];
    };
    syswrite $c, $rec->(6, "Status: 200 OK\r\nContent-Type: text/plain\r\n"
        . "\r\nok\n") . $rec->(6, '') . $rec->(3, pack 'NCx3', 0, 0);
}

1;
