// Sends Matomo tracking requests with the matomo-tracker npm package, the
// way a site's backend would: node matomo-client.js URL SITE MODE CIP TOKEN
// MODE is "single" (one GET) or "bulk" (one POST with JSON, three events).

'use strict';

const http = require('http');
const MatomoTracker = require('matomo-tracker');

// one request, then exit: no keepalive connection holding the process
http.globalAgent = new http.Agent({ keepAlive: false });

const [url, site, mode, cip, token] = process.argv.slice(2);
const tracker = new MatomoTracker(Number(site), url);

tracker.on('error', (err) => {
    console.error('matomo-tracker error: ' + err);
    process.exitCode = 1;
});

const event = (n) => ({
    url: 'https://www.example.nl/page/' + n + '?q=zoek',
    action_name: 'page ' + n,
    cip: cip,
    token_auth: token,
    ua: 'Mozilla/5.0 (test)'
});

if (mode === 'bulk') {
    tracker.trackBulk([event(1), event(2), event(3)], (body) => {
        console.log('bulk answered: ' + body.trim());
    });

} else {
    tracker.track(event(0));
}
