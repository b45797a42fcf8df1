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

patchAtTimestampIterator();
const kinesalite = require('kinesalite');

// kinesalite 3.3.3 never answers GetShardIterator AT_TIMESTAMP when no record of the shard arrived at
// or after the timestamp (it waits for a first match that never comes). Kinesis answers with an
// iterator at the shard's tip: here, after the last record scanned (or the shard's start when it is
// empty), so a record arriving meanwhile is not skipped. This wraps the action before kinesalite loads it.
function patchAtTimestampIterator() {
  const db = require('kinesalite/db');
  const path = require.resolve('kinesalite/actions/getShardIterator');
  const original = require(path);
  require.cache[path].exports = function getShardIterator(store, data, cb) {
    if (data.ShardIteratorType !== 'AT_TIMESTAMP' || data.Timestamp == null || data.Timestamp * 1000 > Date.now()) {
      return original(store, data, cb);
    }
    let shardIx;
    try {
      shardIx = db.resolveShardId(data.ShardId).shardIx;
    } catch (err) {
      return original(store, data, cb);
    }
    let found = false;
    let lastSequence = null;
    const records = store.getStreamDb(data.StreamName)
      .createReadStream({gt: db.shardIxToHex(shardIx), lt: db.shardIxToHex(shardIx + 1)});
    records.on('data', (item) => {
      if (found) return;
      if (item.value.ApproximateArrivalTimestamp >= data.Timestamp) {
        found = true;
        records.destroy();
        original(store, data, cb);
      } else {
        lastSequence = item.key.split('/')[1];
      }
    });
    records.on('end', () => {
      if (found) return;
      const tip = lastSequence === null ? {ShardIteratorType: 'TRIM_HORIZON'}
        : {ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: lastSequence};
      original(store, {...data, ...tip, Timestamp: undefined}, cb);
    });
    records.on('error', (err) => {
      if (!found) cb(err);
    });
  };
}
const [port, store, host = '127.0.0.1'] = process.argv.slice(2);
if (!port || !store) {
  console.error('usage: node server.js PORT STORE_DIR [HOST]');
  process.exit(2);
}

// kinesalite rethrows a request's 'error' (`req.on('error', err => { throw err })`), so a client that
// disconnects in the middle of a request (a killed producer, a timed-out call) would take the whole
// server down with it. Such an error concerns that one request: log it and keep serving.
process.on('uncaughtException', (err) => {
  if (err && (err.code === 'ECONNRESET' || err.message === 'aborted')) {
    console.error(`kinesalite: a client aborted its request (${err.message})`);
    return;
  }
  console.error(err);
  process.exit(1);
});

const server = kinesalite({path: store, createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000});
server.listen(Number(port), host, () => console.log(`kinesalite listening on ${host}:${port}, store ${store}`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
