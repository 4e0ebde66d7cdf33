import type { Socket } from 'node:net';
import type { Direction, Toxic } from './toxics.js';

/** What a link asks of its proxy: the toxics in force, and random draws. */
export interface LinkHost {
  toxics(direction: Direction): readonly Toxic[];
  random(): number;
}

/** A chunk with the time it arrived (latency counts from there), or the end of the stream. */
type Item = { chunk: Buffer; arrivedAt: number } | { end: true };

/** Queued bytes past which the source socket is paused (backpressure through the proxy). */
const PAUSE_AT = 64 * 1024;

/**
 * One proxied connection: the client's socket, the upstream socket, and a pump per direction that
 * passes each chunk through the toxics in force when it is sent. Every timer it arms is tracked,
 * so `destroy()` leaves nothing behind.
 */
export class Link {
  readonly #host: LinkHost;
  readonly #sockets: Record<Direction, { from: Socket; to: Socket }>;
  readonly #queues: Record<Direction, Item[]> = { upstream: [], downstream: [] };
  readonly #queued: Record<Direction, number> = { upstream: 0, downstream: 0 };
  readonly #pumping: Record<Direction, boolean> = { upstream: false, downstream: false };
  readonly #sent: Record<Direction, number> = { upstream: 0, downstream: 0 };
  /** Whether each toxic applies to this link (its probability, drawn once). */
  readonly #applies = new Map<number, boolean>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #wakers = new Set<() => void>();
  #destroyed = false;
  readonly #onGone: () => void;

  constructor(host: LinkHost, client: Socket, upstream: Socket, onGone: () => void) {
    this.#host = host;
    this.#onGone = onGone;
    this.#sockets = {
      upstream: { from: client, to: upstream },
      downstream: { from: upstream, to: client },
    };
    for (const direction of ['upstream', 'downstream'] as const) {
      const { from } = this.#sockets[direction];
      from.on('data', (chunk: Buffer) =>
        this.#enqueue(direction, { chunk, arrivedAt: performance.now() }),
      );
      from.on('end', () => this.#enqueue(direction, { end: true }));
      from.on('error', () => {});
      from.on('close', (hadError: boolean) => this.#sourceClosed(direction, hadError));
    }
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** True when `toxic` affects this link (drawn once against its probability). */
  applies(toxic: Toxic): boolean {
    let applies = this.#applies.get(toxic.id);
    if (applies === undefined) {
      applies = toxic.probability >= 1 || this.#host.random() < toxic.probability;
      this.#applies.set(toxic.id, applies);
    }
    return applies;
  }

  /** Runs `action` after `ms`, unless the link is destroyed first. */
  after(ms: number, action: () => void): void {
    if (this.#destroyed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#destroyed) action();
    }, ms);
    this.#timers.add(timer);
  }

  /** Resets both sockets (an RST each way). */
  reset(): void {
    if (this.#destroyed) return;
    for (const socket of [this.#sockets.upstream.from, this.#sockets.upstream.to]) {
      if (!socket.destroyed) socket.resetAndDestroy();
    }
    this.destroy();
  }

  /** Closes both sockets and cancels everything pending. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const wake of this.#wakers) wake();
    this.#wakers.clear();
    this.#sockets.upstream.from.destroy();
    this.#sockets.upstream.to.destroy();
    this.#onGone();
  }

  #active(direction: Direction): Toxic[] {
    return this.#host.toxics(direction).filter((toxic) => this.applies(toxic));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#destroyed || ms <= 0) return resolve();
      const wake = () => {
        this.#wakers.delete(wake);
        resolve();
      };
      this.#wakers.add(wake);
      this.after(ms, wake);
    });
  }

  #enqueue(direction: Direction, item: Item): void {
    if (this.#destroyed) return;
    this.#queues[direction].push(item);
    if ('chunk' in item) {
      this.#queued[direction] += item.chunk.length;
      if (this.#queued[direction] > PAUSE_AT) this.#sockets[direction].from.pause();
    }
    void this.#pump(direction);
  }

  #sourceClosed(direction: Direction, hadError: boolean): void {
    if (this.#destroyed) return;
    const slow = this.#active(direction).find((t) => t.spec.kind === 'slowClose');
    const delay = slow?.spec.kind === 'slowClose' ? slow.spec.ms : 0;
    // A reset is passed on as one; a clean close lets queued data and the FIN go through first.
    if (hadError) this.after(delay, () => this.reset());
    else this.#enqueue(direction, { end: true });
  }

  async #pump(direction: Direction): Promise<void> {
    if (this.#pumping[direction]) return;
    this.#pumping[direction] = true;
    const queue = this.#queues[direction];
    while (queue.length > 0 && !this.#destroyed) {
      const item = queue.shift() as Item;
      if ('end' in item) {
        await this.#passEnd(direction);
        continue;
      }
      this.#queued[direction] -= item.chunk.length;
      await this.#deliver(direction, item.chunk, item.arrivedAt);
      if (this.#queued[direction] <= PAUSE_AT) this.#sockets[direction].from.resume();
    }
    this.#pumping[direction] = false;
  }

  async #passEnd(direction: Direction): Promise<void> {
    const slow = this.#active(direction).find((t) => t.spec.kind === 'slowClose');
    if (slow?.spec.kind === 'slowClose') await this.#sleep(slow.spec.ms);
    if (this.#destroyed) return;
    const { from, to } = this.#sockets[direction];
    if (!to.destroyed) to.end();
    // Both ways ended: the connection is over.
    const other = this.#sockets[direction === 'upstream' ? 'downstream' : 'upstream'];
    if (from.readableEnded && other.from.readableEnded) this.after(0, () => this.destroy());
  }

  async #deliver(direction: Direction, chunk: Buffer, arrivedAt: number): Promise<void> {
    const toxics = this.#active(direction);
    if (toxics.some((t) => t.spec.kind === 'blackhole')) return;
    // Latency counts from the chunk's arrival, as on a real link: a stream of chunks is shifted
    // by the delay, not slowed by it.
    let delay = 0;
    for (const toxic of toxics) {
      if (toxic.spec.kind !== 'latency') continue;
      const { ms, jitter } = toxic.spec;
      delay += Math.max(0, ms + (this.#host.random() * 2 - 1) * jitter);
    }
    if (delay > 0) {
      await this.#sleep(arrivedAt + delay - performance.now());
      if (this.#destroyed) return;
    }
    let data = chunk;
    let closeAfter = false;
    for (const toxic of toxics) {
      if (toxic.spec.kind !== 'limitData') continue;
      const room = toxic.spec.bytes - this.#sent[direction];
      if (room <= data.length) {
        data = data.subarray(0, Math.max(0, room));
        closeAfter = true;
      }
    }
    const slicer = toxics.find((t) => t.spec.kind === 'slicer');
    const bandwidth = toxics.find((t) => t.spec.kind === 'bandwidth');
    // A rate limit alone trickles in 100 ms slices (as toxiproxy does) rather than holding a
    // whole chunk back and sending it at once.
    const size =
      slicer?.spec.kind === 'slicer'
        ? slicer.spec.size
        : bandwidth?.spec.kind === 'bandwidth'
          ? Math.max(1, Math.floor(bandwidth.spec.bytesPerSecond / 10))
          : data.length;
    for (let offset = 0; offset < data.length && !this.#destroyed; offset += size) {
      const piece = data.subarray(offset, offset + size);
      if (offset > 0 && slicer?.spec.kind === 'slicer') await this.#sleep(slicer.spec.delayMs);
      if (bandwidth?.spec.kind === 'bandwidth') {
        await this.#sleep((piece.length / bandwidth.spec.bytesPerSecond) * 1000);
      }
      if (this.#destroyed) return;
      await this.#write(direction, piece);
    }
    if (closeAfter) this.#closeAfterFlush(direction);
  }

  /** Ends the destination once what was written is flushed, then closes the connection. */
  #closeAfterFlush(direction: Direction): void {
    const { from, to } = this.#sockets[direction];
    from.pause();
    if (to.destroyed) {
      this.destroy();
      return;
    }
    to.end(() => this.destroy());
    // A peer that never reads must not keep the connection open forever.
    this.after(1000, () => this.destroy());
  }

  async #write(direction: Direction, piece: Buffer): Promise<void> {
    const { to } = this.#sockets[direction];
    if (to.destroyed) return;
    this.#sent[direction] += piece.length;
    if (to.write(piece)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        to.off('drain', done);
        to.off('close', done);
        this.#wakers.delete(done);
        resolve();
      };
      to.on('drain', done);
      to.on('close', done);
      this.#wakers.add(done);
    });
  }
}
