// Node.js libraries against a running server, as applications use them,
// with their defaults (no hash tags: keys spread over every shard):
// bee-queue (a Lua-driven job queue: 300 jobs on 4 workers, a failing job
// retried then failed, a delayed job), rate-limiter-flexible (10 points in
// a window, 30 attempts), redlock (a lock over two keys excludes a second
// taker, then is released) and node-redis (a MULTI over two keys, a SCAN
// iterator). Every result is checked; it prints the milliseconds. It
// flushes the server: use a throw-away one.
//
// Setup: npm install --prefix /tmp/nodeapps bee-queue@2.0.0 ioredis@6.1.0 \
//   rate-limiter-flexible@11.4.0 redlock@5.0.0-beta.2 redis@6.4.0
// Run:   NODE_PATH=/tmp/nodeapps/node_modules node benches/node_apps.js PORT
// (benches/RESULTS.md, "Python job queues" and what follows it.)
const port = Number(process.argv[2]);
const Queue = require('bee-queue');
const Redis = require('ioredis');
const { RateLimiterRedis } = require('rate-limiter-flexible');
const { default: Redlock } = require('redlock');
const { createClient } = require('redis');
function check(what, ok) { if (!ok) { console.log('FAILED', what); process.exitCode = 1; } }
(async () => {
  const r = new Redis({ port });
  await r.flushall();
  const t0 = Date.now();
  // bee-queue
  const q = new Queue('jobs', { redis: { port }, removeOnSuccess: false, activateDelayedJobs: true });
  const n = 300;
  let done = 0;
  q.process(4, async (job) => { if (job.data.fail) throw new Error('boom'); return job.data.x * 2; });
  const results = new Map();
  await new Promise((resolve) => {
    q.on('job succeeded', (id, result) => { results.set(id, result); if (++done === n) resolve(); });
    for (let i = 0; i < n; i++) q.createJob({ x: i }).save();
  });
  const failed = q.createJob({ fail: true }).retries(1);
  await failed.save();
  await new Promise((res) => q.on('job failed', () => res()));
  const delayed = await q.createJob({ x: 1000 }).delayUntil(Date.now() + 300).save();
  await new Promise((res) => q.on('job succeeded', (id) => { if (id === delayed.id) res(); }));
  const counts = await q.checkHealth();
  check('bee-queue results', [...results.values()].reduce((a, b) => a + b, 0) === n * (n - 1) + 2000);
  check('bee-queue health', counts.failed === 1 && counts.succeeded === n + 1);
  await q.close();
  const tBee = Date.now() - t0;
  // rate-limiter-flexible: 10 points per window, 30 attempts
  const rl = new RateLimiterRedis({ storeClient: r, points: 10, duration: 60, keyPrefix: 'rl' });
  let ok = 0, refused = 0;
  for (let i = 0; i < 30; i++) { try { await rl.consume('user-1'); ok++; } catch (e) { refused++; } }
  check('rate limiter admits 10', ok === 10 && refused === 20);
  // redlock
  const redlock = new Redlock([r], { retryCount: 0 });
  const lock = await redlock.acquire(['lock:a', 'lock:b'], 5000);
  let second = true;
  try { await redlock.acquire(['lock:b'], 5000); } catch (e) { second = false; }
  check('redlock excludes', !second);
  await lock.release();
  const again = await redlock.acquire(['lock:b'], 5000);
  await again.release();
  // node-redis v4
  const c = createClient({ url: `redis://127.0.0.1:${port}` });
  await c.connect();
  await c.set('nr:a', '1');
  const m = await c.multi().incr('nr:a').incr('nr:b').exec();
  check('node-redis multi', m[0] === 2 && m[1] === 1);
  const sc = []; for await (const k of c.scanIterator({ MATCH: 'nr:*' })) sc.push(k);
  check('node-redis scan', sc.flat().length === 2);
  await c.quit();
  r.disconnect();
  console.log('bee-queue ms', tBee, 'total ms', Date.now() - t0, process.exitCode ? 'FAILED' : 'ok');
})().catch((e) => { console.log('ERROR', e); process.exit(1); });
