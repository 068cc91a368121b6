package AnonTest::Addr;

=head1 NAME

AnonTest::Addr - client addresses and leak search for the ngx_anon tests

=head1 FUNCTIONS

B<random_addresses>(N, SEED): N deterministic { text, form, canonical,
v4 } hashes cycling through the forms ipv4, ipv6_doc (2001:db8::/32),
ipv6, ipv6_long (upper case, uncompressed), mapped (::ffff:a.b.c.d),
compat (::a.b.c.d), 6to4, teredo, nat64 (64:ff9b::a.b.c.d), isatap_ll
(fe80::5efe:a.b.c.d) and isatap; v4 is the embedded client IPv4.

B<canonical>(TEXT): the address as nginx prints it.  B<parse_ip6>(TEXT):
8 integers or ().

B<leak_forms>(TEXT): strings that reveal the whole address: TEXT, its
canonical and uncompressed forms, and for embedded IPv4 the dotted
address and its two hex groups ("c633:6407"; Teredo de-obfuscated).

B<leaks>(TEXT, @ADDRS): those of @ADDRS (strings or { text }) found in
TEXT as whole tokens, case-insensitively: no [0-9A-Fa-f.:] just before,
no hex digit, ':' or '.digit' just after.  Dotted IPv4 may touch ':'
("::ffff:" before, ":port" after); "hhhh:hhhh" may touch ':' too.

=cut

use strict;
use warnings;
use Digest::MD5 qw(md5);
use Exporter qw(import);

our @EXPORT_OK = qw(random_addresses leak_forms leaks canonical parse_ip6);

my $V4 = qr/\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/;

# IPv6 text (optionally with a dotted IPv4 tail) -> 8 integers, or ().
sub parse_ip6 {
    my $s = lc shift;
    my @tail;
    if ($s =~ s/($V4)\z//) {
        my @o = split /\./, $1;
        @tail = ($o[0] << 8 | $o[1], $o[2] << 8 | $o[3]);
        $s =~ s/(?<=[0-9a-f]):\z//;
    }
    return () if $s !~ /:/ || $s =~ /:::/;
    my @part = split /::/, $s, -1;
    return () if @part > 2;
    my @l = grep { length } split /:/, $part[0];
    my @r = @part > 1 ? (grep { length } split /:/, $part[1]) : ();
    return () if grep { !/\A[0-9a-f]{1,4}\z/ } @l, @r;
    my $fill = 8 - @l - @r - @tail;
    return () if $fill < 0 || (@part == 1 && $fill);
    return map { ref $_ ? @$_ : $_ }
        (map { hex } @l), [ (0) x $fill ], (map { hex } @r), @tail;
}

# Text as nginx prints it (ngx_inet6_ntop); IPv4 without leading zeros.
sub canonical {
    my ($text) = @_;
    return join '.', map { 0 + $_ } split /\./, $text if $text =~ /\A$V4\z/;
    my @g = parse_ip6($text) or return $text;
    my ($zero, $max, $run, $start) = (-1, 1, 0, -1);
    for my $i (0 .. 7) {
        if ($g[$i]) {
            ($zero, $max) = ($start, $run) if $max < $run;
            $run = 0;
        } elsif ($run++ == 0) {
            $start = $i;
        }
    }
    ($zero, $max) = ($start, $run) if $max < $run;
    my ($n, $out) = (8, '');
    if ($zero == 0) {
        $n = 6 if ($max == 5 && $g[5] == 0xffff) || $max == 6
            || ($max == 7 && $g[7] >> 8 != 0 && ($g[7] & 0xff) != 1);
        $out = ':';
    }
    for (my $i = 0; $i < $n; $i++) {
        if ($i == $zero) {
            $out .= ':';
            $i += $max - 1;
            next;
        }
        $out .= sprintf('%x', $g[$i]) . ($i < 7 ? ':' : '');
    }
    $out .= _dotted($g[6], $g[7]) if $n == 6;
    return $out;
}

sub _dotted { join '.', $_[0] >> 8, $_[0] & 0xff, $_[1] >> 8, $_[1] & 0xff }

# Strings that would reveal the full address given as text.
sub leak_forms {
    my ($text) = @_;
    my @f = ($text, canonical($text));
    my @g = parse_ip6($text);
    if (@g) {
        push @f, join ':', map { sprintf '%x', $_ } @g;
        my $z = !grep { $_ } @g[0 .. 4];
        my @v4 =
              ($z && $g[5] == 0xffff) || ($z && !$g[5] && $g[6])
              || ($g[0] == 0x64 && $g[1] == 0xff9b && !grep { $_ } @g[2 .. 5])
              || ($g[5] == 0x5efe && !($g[4] & 0xfdff)) ? @g[6, 7]
            : $g[0] == 0x2002                        ? @g[1, 2]
            : $g[0] == 0x2001 && $g[1] == 0          ? @g[6, 7]
            :                                          ();
        if (@v4) {
            push @f, sprintf '%x:%x', @v4;
            @v4 = map { $_ ^ 0xffff } @v4 if $g[0] == 0x2001 && !$g[1];
            push @f, _dotted(@v4);
        }
    }
    my %seen;
    return grep { !$seen{ lc $_ }++ } @f;
}

# Which of the given addresses (strings or {text => ...}) appear in $text
# as whole tokens.  Dotted IPv4 may touch ':' (port, ::ffff: prefix);
# a "hhhh:hhhh" fragment only needs non-hex neighbours.
sub leaks {
    my ($text, @addr) = @_;
    my (@found, %seen);
    for my $s (map { ref $_ ? $_->{text} : $_ } @addr) {
        next if $seen{ lc $s }++;
        my $re = $s =~ /\A[\d.]+\z/
            ? qr/(?<![0-9A-Fa-f.])\Q$s\E(?![0-9A-Fa-f]|\.[0-9])/
            : $s =~ /\A[0-9a-f]{1,4}:[0-9a-f]{1,4}\z/i
            ? qr/(?<![0-9A-Fa-f])\Q$s\E(?![0-9A-Fa-f])/i
            : qr/(?<![0-9A-Fa-f.:])\Q$s\E(?![0-9A-Fa-f:]|\.[0-9])/i;
        push @found, $s if $text =~ $re;
    }
    return @found;
}

my @FORMS = qw(ipv4 ipv6_doc ipv6 ipv6_long mapped compat 6to4 teredo
    nat64 isatap_ll isatap);

# $n deterministic addresses, cycling through all forms.
sub random_addresses {
    my ($n, $seed) = @_;
    my $hex = sub { join ':', map { sprintf '%x', $_ } @_ };
    my @out;
    for my $i (0 .. $n - 1) {
        my $md5 = md5(($seed // 1) . ":$i");
        my @r = unpack 'n8', $md5;
        my @o = unpack 'C4', $md5;
        @o = (1 + $o[0] % 223, map { 1 + $_ % 254 } @o[1 .. 3]);
        $o[0]++ if $o[0] == 10 || $o[0] == 127;
        my $v4 = join '.', @o;
        my @w = ($o[0] << 8 | $o[1], $o[2] << 8 | $o[3]);
        my $f = $FORMS[ $i % @FORMS ];
        my $text =
              $f eq 'ipv4'      ? $v4
            : $f eq 'ipv6_doc'  ? canonical($hex->(0x2001, 0xdb8, @r[2, 3],
                ($r[4] & 1 ? (0, 0) : @r[4, 5]), @r[6, 7]))
            : $f eq 'ipv6'      ? $hex->(0x2400 + $r[0] % 0xb00, @r[1 .. 7])
            : $f eq 'ipv6_long' ? join(':', map { sprintf '%04X', $_ }
                0x2a00 + $r[1] % 256, $r[2], 0, 0, @r[4 .. 7])
            : $f eq 'mapped'    ? "::ffff:$v4"
            : $f eq 'compat'    ? "::$v4"
            : $f eq '6to4'      ? $hex->(0x2002, @w, @r[3 .. 7])
            : $f eq 'teredo'    ? $hex->(0x2001, 0, 0x4136, 0xe378, 0x8000,
                $r[3], map { $_ ^ 0xffff } @w)
            : $f eq 'nat64'     ? "64:ff9b::$v4"
            : $f eq 'isatap_ll' ? "fe80::5efe:$v4"
            : $hex->(0x2001, 0xdb8, @r[3, 4]) . ":200:5efe:$v4";
        push @out, { text => $text, form => $f,
            canonical => canonical($text),
            ($f =~ /ipv6/ ? () : (v4 => $v4)) };
    }
    return @out;
}

1;
