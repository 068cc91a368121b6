package AnonTest::GeoDB;

=head1 NAME

AnonTest::GeoDB - small MaxMind DB files for the anon_geoip2 tests

=head1 SYNOPSIS

    use AnonTest::GeoDB qw(mmdb write_mmdb city flat);

    write_mmdb("$dir/city.mmdb", schema => 'maxmind', networks => [
        '198.51.100.0/24' => city(country => 'NL', region => 'NH',
            city => 'Amsterdam', lat => 52.374, long => 4.8897),
        '198.51.0.0/24'   => city(country => 'BE'),
    ]);
    my $bytes = mmdb(schema => 'flat', ip_version => 4, networks => [
        '198.51.100.0/24' => flat(country => 'NL', city => 'Amsterdam'),
    ]);

=head1 FUNCTIONS

=over

=item mmdb(%opt), write_mmdb(PATH, %opt)

The database as a byte string, or written to PATH.  B<schema> is
'maxmind' (GeoIP2 City: C<country iso_code>, C<city names en>,
C<subdivisions 0 iso_code>, C<location latitude>) or 'flat' (as the
ip-location-db databases: C<country_code>, C<state1>, C<city>,
C<latitude>); B<ip_version> 6 (default; IPv4 networks go to ::/96, and
::ffff:0:0/96 is not aliased) or 4; B<networks> a list of CIDR => record
pairs; B<type> the database_type.  Reserved networks (documentation
ranges included) are kept.

=item city(%place), flat(%place)

A record of either schema for country, region (a subdivision code),
region_name, city, lat, long.  city() also carries the value types the
module formats: geoname_id (uint32), accuracy_radius (uint16),
is_in_european_union (boolean), anon_test int32 and uint64.

=back

Built with MaxMind::DB::Writer (Debian: libmaxmind-db-writer-perl).

=cut

use strict;
use warnings;
use Carp qw(croak);
use Exporter qw(import);
use MaxMind::DB::Writer::Tree;

our @EXPORT_OK = qw(mmdb write_mmdb city flat);

my %TYPES = (
    maxmind => {
        accuracy_radius      => 'uint16',
        anon_test            => 'map',
        city                 => 'map',
        code                 => 'utf8_string',
        continent            => 'map',
        country              => 'map',
        en                   => 'utf8_string',
        geoname_id           => 'uint32',
        int32                => 'int32',
        is_in_european_union => 'boolean',
        iso_code             => 'utf8_string',
        latitude             => 'double',
        location             => 'map',
        longitude            => 'double',
        names                => 'map',
        subdivisions         => [ 'array', 'map' ],
        uint64               => 'uint64',
    },
    flat => {
        city         => 'utf8_string',
        country_code => 'utf8_string',
        latitude     => 'float',
        longitude    => 'float',
        postcode     => 'utf8_string',
        state1       => 'utf8_string',
        state2       => 'utf8_string',
        timezone     => 'utf8_string',
    },
);

sub city {
    my (%p) = @_;
    my %r = (
        continent => { code => 'EU', names => { en => 'Europe' } },
        country   => {
            iso_code   => $p{country},
            geoname_id => 2750405,
            names      => { en => $p{country_name} // "Country $p{country}" },
            is_in_european_union => 1,
        },
        anon_test => { int32 => -42, uint64 => '18446744073709551615' },
    );
    $r{subdivisions} = [ { iso_code => $p{region},
        names => { en => $p{region_name} // "Region $p{region}" } } ]
        if defined $p{region};
    $r{city} = { names => { en => $p{city} } } if defined $p{city};
    $r{location} = { latitude => $p{lat}, longitude => $p{long},
        accuracy_radius => 50 } if defined $p{lat};
    return \%r;
}

sub flat {
    my (%p) = @_;
    return {
        country_code => $p{country},
        state1       => $p{region_name} // '',
        state2       => '',
        city         => $p{city} // '',
        postcode     => '',
        latitude     => $p{lat} // 0,
        longitude    => $p{long} // 0,
        timezone     => 'Europe/Amsterdam',
    };
}

sub mmdb {
    my (%opt) = @_;
    my $schema = $opt{schema} // 'maxmind';
    my $types = $TYPES{$schema} or croak "unknown schema $schema";
    my $tree = MaxMind::DB::Writer::Tree->new(
        ip_version               => $opt{ip_version} // 6,
        record_size              => 24,
        database_type            => $opt{type} // "AnonTest-$schema",
        languages                => ['en'],
        description              => { en => 'ngx_anon test database' },
        remove_reserved_networks => 0,
        alias_ipv6_to_ipv4       => 0,
        map_key_type_callback    => sub {
            $types->{ $_[0] } // croak "no type for key $_[0]";
        },
    );
    my @nets = @{ $opt{networks} // [] };
    while (my ($net, $record) = splice @nets, 0, 2) {
        $tree->insert_network($net, $record);
    }
    open my $fh, '>', \my $bytes or croak $!;
    binmode $fh;
    $tree->write_tree($fh);
    close $fh;
    return $bytes;
}

sub write_mmdb {
    my ($path, %opt) = @_;
    my $bytes = mmdb(%opt);
    open my $fh, '>', $path or croak "$path: $!";
    binmode $fh;
    print {$fh} $bytes;
    close $fh or croak "$path: $!";
    return $path;
}

1;
