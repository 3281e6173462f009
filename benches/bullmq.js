// BullMQ itself against a running server: `addBulk` of 2,000 jobs (batches
// of 100), 2,000 `add` awaited one at a time (rate per 500), then a Worker
// of concurrency 10 completing all 4,000; prints seconds per step and, on
// shardis, INFO cluster's colocate lines. The benches/RESULTS.md section
// "An untagged job queue" quotes it.
//
// Usage (BullMQ installed outside the repository):
//   npm install --prefix /tmp/bullmq-deps bullmq@6.7.6 ioredis
//   NODE_PATH=/tmp/bullmq-deps/node_modules node benches/bullmq.js PORT [PREFIX]
// PREFIX defaults to BullMQ's `bull` (no hash tag); `{bull}` tags it.
// The server is flushed first: never point it at data you keep. Only
// 127.0.0.1; every step is bounded (120 s for the worker, 480 s in all).
'use strict';
const { Queue, Worker } = require('bullmq');
const IORedis = require('ioredis');

const port = parseInt(process.argv[2], 10);
const prefix = process.argv[3]; // undefined => BullMQ default 'bull'
const host = '127.0.0.1';
const N_BULK = 2000, BULK_BATCH = 100, N_SINGLE = 2000, CHUNK = 500;
const TOTAL = N_BULK + N_SINGLE;

// Hard kill so nothing can hang forever.
const hard = setTimeout(() => { console.log('HARD TIMEOUT (480s) - exiting'); process.exit(3); }, 480e3);

const errors = [];
const noteErr = (where) => (e) => {
  const msg = `${where}: ${e && e.message ? e.message : e}`;
  if (errors.length < 20) errors.push(msg);
  else if (errors.length === 20) errors.push('... (more errors suppressed)');
};

function withTimeout(p, ms, what) {
  let t;
  return Promise.race([
    p,
    new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timeout after ${ms}ms: ${what}`)), ms); }),
  ]).finally(() => clearTimeout(t));
}
const now = () => performance.now();
const secs = (ms) => (ms / 1000).toFixed(3);

async function colocateLines(admin) {
  try {
    const info = await withTimeout(admin.info('cluster'), 5000, 'INFO cluster');
    return info.split(/\r?\n/).filter((l) => l.startsWith('colocate'));
  } catch (e) { return [`(INFO cluster failed: ${e.message})`]; }
}

async function main() {
  const connection = { host, port };
  const admin = new IORedis({ host, port, maxRetriesPerRequest: 1, connectTimeout: 5000 });
  admin.on('error', noteErr('admin'));
  await withTimeout(admin.flushall(), 10000, 'FLUSHALL');

  const qopts = { connection };
  if (prefix) qopts.prefix = prefix;
  const queue = new Queue('bench', qopts);
  queue.on('error', noteErr('queue'));
  const results = {};
  const extra = [];
  let worker;

  try {
    await withTimeout(queue.waitUntilReady(), 10000, 'queue ready');

    // a. addBulk 2000 in batches of 100
    let t0 = now();
    for (let i = 0; i < N_BULK; i += BULK_BATCH) {
      const batch = [];
      for (let j = i; j < i + BULK_BATCH; j++) batch.push({ name: 'job', data: { i: j } });
      await withTimeout(queue.addBulk(batch), 30000, `addBulk batch at ${i}`);
    }
    results.addBulk = now() - t0;
    console.log(`a. addBulk ${N_BULK} (batches of ${BULK_BATCH}): ${secs(results.addBulk)} s`);
    for (const l of await colocateLines(admin)) console.log(`   after a: ${l}`);

    // b. 2000 single adds, rate per 500-job chunk
    t0 = now();
    let tc = t0;
    const chunkRates = [];
    for (let i = 0; i < N_SINGLE; i++) {
      await withTimeout(queue.add('job', { i: N_BULK + i }), 10000, `add #${i}`);
      if ((i + 1) % CHUNK === 0) {
        const t = now();
        chunkRates.push(CHUNK / ((t - tc) / 1000));
        tc = t;
      }
    }
    results.add = now() - t0;
    console.log(`b. add x${N_SINGLE} (awaited one at a time): ${secs(results.add)} s; ` +
      `rate per ${CHUNK}-chunk (jobs/s): ${chunkRates.map((r) => r.toFixed(0)).join(', ')}`);
    for (const l of await colocateLines(admin)) console.log(`   after b: ${l}`);

    // c. worker, concurrency 10, until all completed
    let failed = 0;
    const wopts = { connection, concurrency: 10 };
    if (prefix) wopts.prefix = prefix;
    t0 = now();
    worker = new Worker('bench', async (job) => ({ ok: job.data.i }), wopts);
    worker.on('error', noteErr('worker'));
    worker.on('failed', (job, e) => { failed++; noteErr('job failed')(e); });
    const deadline = t0 + 120e3;
    let counts = {};
    let lastLog = t0;
    for (;;) {
      counts = await withTimeout(queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed', 'prioritized'),
        10000, 'getJobCounts');
      if (counts.completed + counts.failed >= TOTAL) break;
      const t = now();
      if (t > deadline) throw new Error(`worker step exceeded 120s: ${JSON.stringify(counts)}`);
      if (t - lastLog > 10e3) { extra.push(`   c progress @${secs(t - t0)}s: ${JSON.stringify(counts)}`); lastLog = t; }
      await new Promise((r) => setTimeout(r, 50));
    }
    results.worker = now() - t0;
    for (const l of extra) console.log(l);
    console.log(`c. worker concurrency 10, ${TOTAL} jobs: ${secs(results.worker)} s ` +
      `(${(TOTAL / (results.worker / 1000)).toFixed(0)} jobs/s); counts=${JSON.stringify(counts)}; failed events=${failed}`);
  } catch (e) {
    for (const l of extra) console.log(l);
    console.log(`STEP ERROR: ${e.message}`);
    errors.push(`step: ${e.message}`);
  }

  // d. summary + colocate
  console.log(`SUMMARY port=${port} prefix=${prefix || 'bull(default)'} addBulk=${results.addBulk ? secs(results.addBulk) : 'n/a'}` +
    ` add=${results.add ? secs(results.add) : 'n/a'} worker=${results.worker ? secs(results.worker) : 'n/a'}`);
  const lines = await colocateLines(admin);
  console.log(lines.length ? lines.join('\n') : '(no colocate lines in INFO cluster)');
  console.log(errors.length ? `ERRORS:\n  ${errors.join('\n  ')}` : 'ERRORS: none');

  // close everything (bounded)
  try { if (worker) await withTimeout(worker.close(true), 10000, 'worker.close'); } catch (e) { console.log(e.message); }
  try { await withTimeout(queue.close(), 10000, 'queue.close'); } catch (e) { console.log(e.message); }
  try { await withTimeout(admin.quit(), 5000, 'admin.quit'); } catch (e) { admin.disconnect(); }
  clearTimeout(hard);
  process.exit(errors.length ? 1 : 0);
}

main().catch((e) => { console.log('FATAL', e); process.exit(2); });
