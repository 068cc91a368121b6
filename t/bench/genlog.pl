#!/usr/bin/perl

# genlog.pl LINES: a combined-format access log on standard output, the
# same bytes on every run (fixed seed): 70% IPv4 and 30% IPv6 clients,
# browser user agents, referrers, query strings; about 220 bytes a line.

use strict;
use warnings;

my $lines = shift // 1_000_000;

die "usage: genlog.pl [LINES]\n" unless $lines =~ /^\d+\z/;

srand(20240610);

my @agents = (
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 '
        . '(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 '
        . '(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 '
        . '(KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) '
        . 'AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 '
        . 'Mobile/15E148 Safari/604.1',
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like '
        . 'Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
    'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 '
        . 'Firefox/115.0',
    'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
    'curl/7.88.1',
);

my @paths = (
    '/', '/onderwerpen', '/onderwerpen/belastingen', '/actueel/nieuws',
    '/documenten/rapporten/2024/05/14/jaarverslag',
    '/onderwerpen/zorgverzekering/vraag-en-antwoord',
    '/contact', '/zoeken?keyword=kinderopvangtoeslag&page=2',
    '/piwik.php?idsite=1&rec=1&action_name=Home&r=482913',
    '/static/css/main.4f2c1d.css', '/static/js/app.91ab3e.js',
    '/favicon.ico', '/robots.txt', '/sitemap.xml',
);

my @referers = (
    '-', '-', 'https://www.google.com/', 'https://www.bing.com/',
    'https://www.rijksoverheid.nl/', 'https://duckduckgo.com/',
    'https://www.rijksoverheid.nl/onderwerpen',
);

my @methods = ('GET') x 18;
push @methods, 'POST', 'HEAD';

my @status = ((200) x 16, 304, 304, 404, 301);

# first groups of real IPv6 allocations (no 6to4, Teredo or NAT64)
my @v6 = qw(2a02 2a01 2001 2a00 2a10 2600 2605 2c0f 2406 2804);

my @mon = qw(Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec);

my $t = 1718000000;

for my $n (1 .. $lines) {
    my $addr;

    if (rand() < 0.7) {
        $addr = join '.', 1 + int(rand(223)), int(rand(256)), int(rand(256)),
                          int(rand(256));

    } else {
        my @g = ($v6[int(rand(@v6))], sprintf('%x', 1 + int(rand(0xfffe))));

        if (rand() < 0.5) {
            push @g, map { sprintf '%x', 1 + int(rand(0xfffe)) } 1 .. 6;
            $addr = join ':', @g;

        } else {
            push @g, map { sprintf '%x', 1 + int(rand(0xfffe)) } 1 .. 2;
            $addr = join(':', @g) . '::' . sprintf('%x', 1 + int(rand(0xff)));
        }
    }

    $t += int(rand(3));

    my @tm = gmtime($t);
    my $time = sprintf '%02d/%s/%d:%02d:%02d:%02d +0200', $tm[3],
                       $mon[$tm[4]], $tm[5] + 1900, $tm[2], $tm[1], $tm[0];

    my $st = $status[int(rand(@status))];
    my $bytes = $st == 304 ? 0 : 200 + int(rand(60000));

    print "$addr - - [$time] \"$methods[int(rand(@methods))] ",
          "$paths[int(rand(@paths))] HTTP/1.1\" $st $bytes ",
          "\"$referers[int(rand(@referers))]\" ",
          "\"$agents[int(rand(@agents))]\"\n";
}
