// The embedded stack's Kinesis API: kinesalite, on loopback only, with its records in a LevelDB store
// on disk (so memory stays flat however long the stream grows). Started and stopped by
// gamestream/embedded/kinesalite.py; its CLI cannot bind loopback only, hence this file. HOST (default
// 127.0.0.1) is for containers, where other services must reach it.
//
// Records older than the retention are deleted every --sweep-seconds (default 300) and their range
// compacted, so the store stays the size of the retention. Not more often: each compaction adds a few
// KB to LevelDB's own LOG in the store, which only a restart starts afresh. The retention is the
// stream's own RetentionPeriodHours (24 h unless changed, as on Kinesis), or --retention-seconds when
// shorter.
//
//   node server.js PORT STORE_DIR [HOST] [--retention-seconds N] [--sweep-seconds N]
'use strict';

const {parseArgs} = require('util');

const SWEEP_BATCH_KEYS = 5000;  // keys a sweep reads and deletes at once: a day's backlog never sits in memory

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
const USAGE = 'usage: node server.js PORT STORE_DIR [HOST] [--retention-seconds N] [--sweep-seconds N]';
let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {'retention-seconds': {type: 'string'}, 'sweep-seconds': {type: 'string', default: '300'}},
  });
} catch (err) {
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
const [port, storeDir, host = '127.0.0.1'] = args.positionals;
const retentionSeconds = Number(args.values['retention-seconds'] ?? Infinity);
const sweepSeconds = Number(args.values['sweep-seconds']);
const MAX_TIMER_MS = 2 ** 31 - 1;  // setTimeout's longest delay: a longer one fires at once
const validNumbers = retentionSeconds > 0 && sweepSeconds > 0 && sweepSeconds * 1000 <= MAX_TIMER_MS;
if (!port || !storeDir || args.positionals.length > 3 || !validNumbers) {
  console.error(USAGE);
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

// kinesalite keeps its store to itself: catch it as kinesalite creates it, for the retention sweep
const kinesaliteDb = require('kinesalite/db');
const createStore = kinesaliteDb.create;
let store;
kinesaliteDb.create = (options) => (store = createStore(options));
const server = kinesalite({path: storeDir, createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000});
kinesaliteDb.create = createStore;

server.listen(Number(port), host, () => console.log(`kinesalite listening on ${host}:${port}, store ${storeDir}`));
const stopSweeps = sweepEvery(store, sweepSeconds * 1000, retentionSeconds * 1000);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    stopSweeps();
    server.close(() => process.exit(0));
  });
}

// kinesalite 3.3.3 deletes a record past the retention only when a GetRecords scan passes over it, which
// a reader at the tip never does: its store grew by about 7 GB a day. So every `intervalMs` (each sweep
// after the previous one ended, never two at once) the records of every stream older than the
// stream's retention, or `serverRetentionMs` when shorter, are deleted. Returns a function that stops them.
function sweepEvery(store, intervalMs, serverRetentionMs) {
  let timer;
  const next = () => {
    timer = setTimeout(() => {
      sweep(store, serverRetentionMs)
        .catch((err) => console.error('kinesalite: retention sweep failed:', err))
        .finally(next);
    }, intervalMs);
  };
  next();
  return () => clearTimeout(timer);
}

async function sweep(store, serverRetentionMs) {
  // the streams are read first: an open LevelDB iterator would keep compacted-away files on disk
  const streams = [];
  for await (const {key, value} of store.metaDb.createReadStream()) streams.push({name: key, stream: value});
  for (const {name, stream} of streams) {
    const started = Date.now();
    const cutoff = started - Math.min(stream.RetentionPeriodHours * 3600 * 1000, serverRetentionMs);
    const streamDb = store.getStreamDb(name);
    let deleted = 0;
    for (let shardIx = 0; shardIx < stream.Shards.length; shardIx++) {
      deleted += await sweepShard(streamDb, shardIx, cutoff);
    }
    if (deleted) {
      console.log(JSON.stringify({event: 'kinesalite_retention_sweep', stream: name, deleted,
                                  seconds: (Date.now() - started) / 1000}));
    }
  }
}

// A shard's records are in key order by sequence number, which grows with arrival time: delete from
// the shard's start up to the first record that arrived at or after `cutoff` (kinesalite's own test
// of age, on the arrival second in the sequence number), then compact that range. Returns how many.
async function sweepShard(streamDb, shardIx, cutoff) {
  const shardStart = kinesaliteDb.shardIxToHex(shardIx) + '/';
  const shardEnd = kinesaliteDb.shardIxToHex(shardIx + 1);
  let after = shardStart;
  let deleted = 0;
  for (;;) {
    const old = [];
    for await (const key of streamDb.createKeyStream({gt: after, lt: shardEnd, limit: SWEEP_BATCH_KEYS})) {
      if (kinesaliteDb.parseSequence(key.split('/')[1]).seqTime >= cutoff) break;
      old.push(key);
    }
    if (old.length) {
      await streamDb.batch(old.map((key) => ({type: 'del', key})));
      deleted += old.length;
      after = old[old.length - 1];
    }
    if (old.length < SWEEP_BATCH_KEYS) break;  // a young record, or the shard's end
  }
  if (deleted) await compactRange(streamDb, shardStart, after);
  return deleted;
}

// Deleted records take space until LevelDB compacts their range, which it may not do for a long time
// when nothing is written there again (and nothing is: new records get new keys). Compacting it now
// makes the files shrink. The range is in the stream's own keys; LevelDB sees them under subleveldown's prefix.
function compactRange(streamDb, start, end) {
  let layer = streamDb;
  while (layer.type !== 'subleveldown') layer = layer.db;
  return new Promise((resolve, reject) => {
    layer.leveldown.compactRange(layer.prefix + start, layer.prefix + end, (err) => (err ? reject(err) : resolve()));
  });
}
