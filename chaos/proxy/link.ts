import type net from 'node:net';
import type { Stream, Toxic } from './toxic.ts';

/** Chunks read but not yet written beyond which the source is paused (Toxiproxy buffers 1024). */
const MAX_QUEUED = 1024;
const EOF = Symbol('eof');

interface Piece {
  chunk: Buffer;
  /** When the chunk was read from the source: latency counts from here, so back-to-back chunks do not add up. */
  arrived: number;
}

/** Per link, per toxic: whether it applies (toxicity drawn once per stage start) and its state. */
interface Stage {
  applies: boolean;
  generation: number;
  /** limit_data: bytes passed so far (survives updates, as in Toxiproxy). */
  passed: number;
  /** bandwidth and slicer: when (performance.now()) the bytes paced so far are due out. */
  dueAt: number;
  /** timeout: closes the connection after `timeout` ms without data. */
  timer?: NodeJS.Timeout;
  /** reset_peer: armed by the first chunk. */
  fired: boolean;
}

export interface ConnectionControl {
  /** Closes both sockets (FIN). */
  close(): void;
  /** Closes both sockets with RST. */
  reset(): void;
  readonly closed: boolean;
}

// Rounded up: libuv timers count whole milliseconds and would otherwise fire up to 1 ms early.
/** A pacing clock behind now by more than this has been idle, not late: it restarts at now. */
const PACE_SLACK_MS = 100;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, Math.ceil(ms))));

/**
 * One direction of a proxied connection: `upstream` is client → server, `downstream` server →
 * client. Chunks pass through the stream's toxics in order, one chunk at a time (order is
 * kept), each toxic handing its output to the next. The toxic list is read afresh for each
 * chunk, so toxics added, changed or removed act on live connections.
 */
export class Link {
  readonly direction: Stream;
  #source: net.Socket;
  #dest: net.Socket;
  #toxics: () => readonly Toxic[];
  #conn: ConnectionControl;
  #onBytes: (received: number, sent: number) => void;
  #queue: (Piece | typeof EOF)[] = [];
  #wake: (() => void) | null = null;
  #stages = new Map<Toxic, Stage>();
  #random: () => number;

  constructor(options: {
    direction: Stream;
    source: net.Socket;
    dest: net.Socket;
    toxics: () => readonly Toxic[];
    conn: ConnectionControl;
    onBytes: (received: number, sent: number) => void;
    random?: () => number;
  }) {
    this.direction = options.direction;
    this.#source = options.source;
    this.#dest = options.dest;
    this.#toxics = options.toxics;
    this.#conn = options.conn;
    this.#onBytes = options.onBytes;
    this.#random = options.random ?? Math.random;
    this.syncStages();
    this.#source.on('data', (chunk: Buffer) => {
      this.#onBytes(chunk.length, 0);
      this.#push({ chunk, arrived: performance.now() });
      if (this.#queue.length >= MAX_QUEUED) this.#source.pause();
    });
    this.#source.once('end', () => this.#push(EOF));
    this.#source.once('close', () => this.#push(EOF));
    void this.#run();
  }

  #push(item: Piece | typeof EOF): void {
    if (item === EOF && this.#queue.includes(EOF)) return;
    this.#queue.push(item);
    this.#wake?.();
  }

  async #next(): Promise<Piece | typeof EOF> {
    while (this.#queue.length === 0) await new Promise<void>((resolve) => (this.#wake = resolve));
    this.#wake = null;
    const item = this.#queue.shift()!;
    if (this.#queue.length < MAX_QUEUED / 2 && this.#source.isPaused()) this.#source.resume();
    return item;
  }

  async #run(): Promise<void> {
    for (;;) {
      const item = await this.#next();
      if (this.#conn.closed) return;
      if (item === EOF) return this.#finish();
      await this.#pass(0, [...this.#toxics()], item);
    }
  }

  #stage(toxic: Toxic): Stage {
    let stage = this.#stages.get(toxic);
    if (!stage || stage.generation !== toxic.generation) {
      stage = this.#startStage(toxic, stage);
      this.#stages.set(toxic, stage);
    }
    return stage;
  }

  /** (Re)starts a toxic's stage on this link: a fresh toxicity draw; limit_data keeps its count. */
  #startStage(toxic: Toxic, previous: Stage | undefined): Stage {
    if (previous?.timer) clearTimeout(previous.timer);
    const applies = toxic.toxicity >= 1 ? true : toxic.toxicity <= 0 ? false : this.#random() < toxic.toxicity;
    const stage: Stage = { applies, generation: toxic.generation, passed: previous?.passed ?? 0, dueAt: 0, fired: false };
    if (applies && toxic.type === 'timeout') this.#armTimeout(toxic, stage);
    return stage;
  }

  #armTimeout(toxic: Toxic, stage: Stage): void {
    if (stage.timer) clearTimeout(stage.timer);
    const ms = toxic.attr('timeout');
    // timeout 0: swallow silently forever (until the toxic goes).
    if (ms > 0) stage.timer = setTimeout(() => this.#conn.close(), ms);
  }

  /**
   * Brings stage state in line with the current toxics: new toxics start (timeout timers
   * arm at once, as in Toxiproxy), removed ones stop, and a removed timeout that was
   * swallowing data closes the connection, because that data is lost.
   */
  syncStages(): void {
    const current = new Set(this.#toxics());
    for (const toxic of current) this.#stage(toxic);
    for (const [toxic, stage] of this.#stages) {
      if (current.has(toxic)) continue;
      if (stage.timer) clearTimeout(stage.timer);
      this.#stages.delete(toxic);
      if (stage.applies && toxic.type === 'timeout') this.#conn.close();
    }
  }

  dispose(): void {
    for (const stage of this.#stages.values()) if (stage.timer) clearTimeout(stage.timer);
    this.#stages.clear();
    this.#wake?.();
  }

  /**
   * Holds the next piece `ms` on the stage's own clock: each slot starts where the last one was
   * due, not when the timer woke, so timer lateness on a busy machine does not add up over a long
   * transfer (waking 1–2 ms late every 100 ms slowed a 1 MB/s transfer by 17 % on a 2-core CI
   * machine), and sub-millisecond slots add up instead of each costing a whole timer tick. After
   * an idle gap the clock restarts at now: a quiet connection saves up no burst.
   */
  async #pace(stage: Stage, ms: number): Promise<void> {
    const now = performance.now();
    stage.dueAt = (now - stage.dueAt > PACE_SLACK_MS ? now : stage.dueAt) + ms;
    if (stage.dueAt - now >= 1) await sleep(stage.dueAt - now);
  }

  async #pass(index: number, toxics: Toxic[], piece: Piece): Promise<void> {
    if (this.#conn.closed) return;
    if (index === toxics.length) return this.#write(piece.chunk);
    const toxic = toxics[index]!;
    const stage = this.#stage(toxic);
    const next = (p: Piece) => this.#pass(index + 1, toxics, p);
    if (!stage.applies) return next(piece);
    switch (toxic.type) {
      case 'noop':
      case 'slow_close':
        return next(piece);
      case 'latency': {
        const jitter = toxic.attr('jitter');
        const delay = toxic.attr('latency') + (jitter > 0 ? Math.floor((this.#random() * 2 - 1) * jitter) : 0);
        await sleep(piece.arrived + delay - performance.now());
        return next(piece);
      }
      case 'bandwidth': {
        const rate = toxic.attr('rate');
        if (rate <= 0) return next(piece);
        // As Toxiproxy: a large chunk goes out rate*100 bytes per 100 ms, a small one after bytes / rate ms.
        for (let offset = 0; offset < piece.chunk.length; offset += rate * 100) {
          const part = piece.chunk.subarray(offset, offset + rate * 100);
          await this.#pace(stage, part.length / rate);
          await next({ chunk: part, arrived: piece.arrived });
        }
        return;
      }
      case 'slicer': {
        const pieces = slice(piece.chunk, toxic.attr('average_size'), toxic.attr('size_variation'), this.#random);
        for (let i = 0; i < pieces.length; i++) {
          if (i > 0) await this.#pace(stage, toxic.attr('delay') / 1000);
          await next({ chunk: pieces[i]!, arrived: piece.arrived });
        }
        return;
      }
      case 'limit_data': {
        const limit = toxic.attr('bytes');
        const room = limit - stage.passed;
        if (room > 0) {
          const chunk = piece.chunk.length > room ? piece.chunk.subarray(0, room) : piece.chunk;
          stage.passed += chunk.length;
          await next({ chunk, arrived: piece.arrived });
        }
        if (stage.passed >= limit) {
          await this.#flush();
          this.#conn.close();
        }
        return;
      }
      case 'timeout':
        // Data is swallowed; each chunk, though dropped, restarts the silence timer.
        this.#armTimeout(toxic, stage);
        return;
      case 'reset_peer':
        if (!stage.fired) {
          stage.fired = true;
          await sleep(toxic.attr('timeout'));
          this.#conn.reset();
        }
        return;
    }
  }

  async #write(chunk: Buffer): Promise<void> {
    if (this.#conn.closed || this.#dest.destroyed) return;
    const ok = this.#dest.write(chunk);
    this.#onBytes(0, chunk.length);
    if (!ok) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#dest.off('drain', done);
          this.#dest.off('close', done);
          resolve();
        };
        this.#dest.on('drain', done);
        this.#dest.on('close', done);
      });
    }
  }

  async #flush(): Promise<void> {
    if (this.#dest.destroyed || this.#dest.writableLength === 0) return;
    await new Promise<void>((resolve) => {
      this.#dest.once('drain', resolve);
      this.#dest.once('close', resolve);
    });
  }

  /**
   * The source ended: EOF passes through the toxics that act on it (reset_peer resets after
   * its timeout, slow_close delays the close), then the whole connection closes once the
   * destination has everything (no half-close, as in Toxiproxy).
   */
  async #finish(): Promise<void> {
    for (const toxic of this.#toxics()) {
      const stage = this.#stage(toxic);
      if (!stage.applies) continue;
      if (toxic.type === 'reset_peer' && !stage.fired) {
        stage.fired = true;
        await sleep(toxic.attr('timeout'));
        return this.#conn.reset();
      }
      if (toxic.type === 'timeout') return;
      if (toxic.type === 'slow_close') await sleep(toxic.attr('delay'));
    }
    await this.#flush();
    // Close this link's destination fully; the other direction then sees its source end,
    // drains what it already read, and closes in turn.
    if (!this.#dest.destroyed) {
      this.#dest.once('finish', () => this.#dest.destroy());
      this.#dest.end();
    }
  }
}

/**
 * Toxiproxy's slicer: halve a chunk (the split point moved by up to ±size_variation) until
 * each piece is within size_variation of average_size.
 */
export function slice(chunk: Buffer, average: number, variation: number, random: () => number): Buffer[] {
  if (average <= 0 || chunk.length <= average + variation) return [chunk];
  const mid = Math.floor(chunk.length / 2) + (variation > 0 ? Math.floor((random() * 2 - 1) * variation) : 0);
  const at = Math.min(chunk.length - 1, Math.max(1, mid));
  return [...slice(chunk.subarray(0, at), average, variation, random), ...slice(chunk.subarray(at), average, variation, random)];
}
