// Shared by the Node drivers and workers of bench/compare.sh: the work itself (Swell's iterated
// SHA-512), the bodies, the command line, the timed loops, and the one JSON line a driver prints.
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

/** Swell's work, as its worker computes it: sha512(body), then iterations - 1 more rounds over the digest; lowercase hex. */
export function sha512Chain(body, iterations) {
  let digest = createHash('sha512').update(body).digest();
  for (let i = 1; i < iterations; i++) {
    digest = createHash('sha512').update(digest).digest();
  }
  return digest.toString('hex');
}

/** Distinct bodies reused in turn, so the client spends its CPU on the queue and not on random bytes. */
const BODY_POOL = 4096;

/**
 * BODY_POOL bodies of `bytes` printable bytes each (base64 of random bytes: BullMQ's job data is JSON,
 * and the same bodies go to beanstalkd so both hash the same bytes), with each body's expected result.
 */
export function makeBodies(bytes, iterations) {
  const bodies = [];
  for (let i = 0; i < BODY_POOL; i++) {
    bodies.push(randomBytes(Math.ceil((bytes * 3) / 4) + 3).toString('base64').slice(0, bytes));
  }
  return { bodies, expected: bodies.map((b) => sha512Chain(Buffer.from(b), iterations)) };
}

/** The drivers' options; every one is given by compare.sh, the defaults are for running a driver by hand. */
export function options() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      clients: { type: 'string', default: '64' },
      'body-bytes': { type: 'string', default: '1024' },
      iterations: { type: 'string', default: '1' },
      warmup: { type: 'string', default: '8' },
      duration: { type: 'string', default: '15' },
      works: { type: 'string', default: '20000' },
      'warmup-works': { type: 'string', default: '2000' },
      timeout: { type: 'string', default: '120' },
      concurrency: { type: 'string', default: '64' },
    },
  });
  const number = (name) => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number, not ${values[name]}`);
    return n;
  };
  if (!values.port) throw new Error('--port is required');
  return {
    mode: positionals[0],
    port: number('port'),
    clients: number('clients'),
    bodyBytes: number('body-bytes'),
    iterations: number('iterations'),
    warmupS: number('warmup'),
    durationS: number('duration'),
    works: number('works'),
    warmupWorks: number('warmup-works'),
    timeoutS: number('timeout'),
    concurrency: number('concurrency'),
  };
}

/**
 * A driver's limit: compare.sh must end whatever happens (a server that stops answering, a hung
 * connection), so past it the driver gives up and fails. Enqueue runs for a fixed time; end to end
 * gets twice its --timeout for putting the works and waiting for their results. Workers have none:
 * compare.sh stops them.
 */
export function giveUpAfterLimit(opt) {
  const limitS = opt.mode === 'e2e' ? 2 * opt.timeoutS + 60 : opt.warmupS + opt.durationS + 60;
  setTimeout(() => {
    console.error(`gave up after ${limitS} s`);
    process.exit(2);
  }, limitS * 1000).unref();
}

/**
 * Enqueue only: `clients` loops, loop c with one `put(i, c)` in flight, for warmupS seconds uncounted
 * and then durationS seconds counted. A put counts if its acknowledgement arrives inside the measured
 * window (as wrk counts). A loop whose put fails stops; its errors are reported, never hidden.
 */
export async function timedLoops(clients, warmupS, durationS, put) {
  let measuring = false;
  let stopped = false;
  let acked = 0;
  const errors = [];
  const loop = async (c) => {
    for (let i = c; !stopped; i += clients) {
      try {
        await put(i, c);
      } catch (e) {
        errors.push(String(e?.message ?? e));
        return;
      }
      if (measuring) acked++;
    }
  };
  const loops = Array.from({ length: clients }, (_, c) => loop(c));
  await sleep(warmupS * 1000);
  measuring = true;
  const t0 = performance.now();
  await sleep(durationS * 1000);
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  stopped = true;
  await Promise.all(loops);
  return { jobs: acked, seconds, perSecond: acked / seconds, errors: errors.length, firstError: errors[0] };
}

/**
 * End to end: `works` puts from `clients` loops (loop c calls put(i, c)) while the results come back
 * through `record`. Resolves when every result of this round is back (or timeoutS after the last
 * put), with the time from the first put to the last result. Results are checked against the expected digest.
 */
export class Round {
  constructor(works, expected) {
    this.works = works;
    this.expected = expected;
    this.sent = new Map(); // job id -> body index
    this.got = new Map(); // job id -> digest (a result may arrive before its put is acknowledged)
    this.back = 0; // results of this round's jobs; results of jobs from before it do not count
    this.errors = [];
    this.whenAllBack = new Promise((resolve) => (this.allBack = resolve));
  }

  record(id, digest) {
    if (this.got.has(id)) return; // at-least-once delivery: a second result for an id is not a second work
    this.got.set(id, digest);
    if (this.sent.has(id)) this.countBack();
  }

  acknowledged(id, i) {
    this.sent.set(id, i);
    if (this.got.has(id)) this.countBack();
  }

  countBack() {
    if (++this.back >= this.works) this.allBack();
  }

  async run(clients, put, timeoutS) {
    const t0 = performance.now();
    let next = 0;
    const loop = async (c) => {
      while (next < this.works) {
        const i = next++;
        try {
          this.acknowledged(String(await put(i, c)), i);
        } catch (e) {
          this.errors.push(String(e?.message ?? e));
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(clients, this.works) }, (_, c) => loop(c)));
    const enqueueSeconds = (performance.now() - t0) / 1000;
    if (this.errors.length === 0) {
      await Promise.race([this.whenAllBack, sleep(timeoutS * 1000)]);
    }
    const seconds = (performance.now() - t0) / 1000;
    let wrong = 0;
    let missing = 0;
    for (const [id, i] of this.sent) {
      const digest = this.got.get(id);
      if (digest === undefined) missing++;
      else if (digest !== this.expected[i % this.expected.length]) wrong++;
    }
    return {
      jobs: this.back,
      seconds,
      perSecond: this.back / seconds,
      enqueuePerSecond: this.sent.size / enqueueSeconds,
      missing,
      wrong,
      errors: this.errors.length,
      firstError: this.errors[0],
    };
  }
}

/** The driver's answer for compare.sh: one JSON line on stdout. Exits 1 when anything was lost, wrong or failed. */
export function report(result) {
  console.log(JSON.stringify(result));
  const bad = result.errors > 0 || result.missing > 0 || result.wrong > 0;
  process.exit(bad ? 1 : 0);
}
