// BullMQ's one worker for bench/compare.sh: a single Node process with one Worker of --concurrency
// jobs in flight. Each job computes the iterated SHA-512 of its body and returns the hex digest,
// which BullMQ stores with the job (durably, in the AOF) and announces to QueueEvents listeners.
//
// Concurrency: the jobs cost microseconds of CPU and a Redis round trip (with an fsync) each, so one
// job at a time would leave Node idle on the round trips; a user tuning a worker for short jobs raises
// concurrency, as Swell's worker leases many works at once. compare.sh passes 64 unless told otherwise.
import { Worker } from 'bullmq';
import { options, sha512Chain } from './common.mjs';

const opt = options();
const worker = new Worker(
  'swell-bench',
  async (job) => sha512Chain(Buffer.from(job.data.body), job.data.iterations),
  { connection: { host: '127.0.0.1', port: opt.port, maxRetriesPerRequest: null }, concurrency: opt.concurrency },
);
worker.on('error', (e) => console.error(`bullmq worker: ${e.message}`));
await worker.waitUntilReady();
console.log(`ready: bullmq worker, concurrency ${opt.concurrency}`);
