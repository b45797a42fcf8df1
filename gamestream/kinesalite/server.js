// The embedded stack's Kinesis API: kinesalite, on loopback only, with its records in a LevelDB store
// on disk (so memory stays flat however long the stream grows). Started and stopped by
// gamestream/embedded.py; its CLI cannot bind loopback only, hence this file. HOST (default
// 127.0.0.1) is for containers, where other services must reach it.
//
//   node server.js PORT STORE_DIR [HOST]
'use strict';

try {
  require('leveldown');
} catch (err) {
  console.error(`kinesalite's LevelDB binding (leveldown) does not load: ${err.message}. ` +
                'Run `make install` (npm ci in gamestream/kinesalite) on this machine.');
  process.exit(3);
}

const kinesalite = require('kinesalite');
const [port, store, host = '127.0.0.1'] = process.argv.slice(2);
if (!port || !store) {
  console.error('usage: node server.js PORT STORE_DIR [HOST]');
  process.exit(2);
}

const server = kinesalite({path: store, createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000});
server.listen(Number(port), host, () => console.log(`kinesalite listening on ${host}:${port}, store ${store}`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
