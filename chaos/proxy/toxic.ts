import { ApiError } from './errors.ts';

export const toxicTypes = ['latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data', 'noop'] as const;
export type ToxicType = (typeof toxicTypes)[number];
export type Stream = 'upstream' | 'downstream';

/** Attribute names per type, with Toxiproxy's units: ms, KB/s (1 KB = 1000 B), bytes, µs for slicer.delay. */
const attributeKeys: Record<ToxicType, readonly string[]> = {
  latency: ['latency', 'jitter'],
  bandwidth: ['rate'],
  slow_close: ['delay'],
  timeout: ['timeout'],
  reset_peer: ['timeout'],
  slicer: ['average_size', 'size_variation', 'delay'],
  limit_data: ['bytes'],
  noop: [],
};

/**
 * One toxic as the API sees it. `generation` changes on every update, so links know to
 * restart the stage (and draw toxicity again), as Toxiproxy does.
 */
export class Toxic {
  readonly name: string;
  readonly type: ToxicType;
  readonly stream: Stream;
  /** The stream as the client spelt it: Toxiproxy echoes it back unchanged. */
  readonly streamAsSent: string;
  toxicity: number;
  attributes: Record<string, number>;
  generation = 0;

  constructor(init: { name: string; type: ToxicType; stream: Stream; streamAsSent: string; toxicity: number; attributes: Record<string, number> }) {
    this.name = init.name;
    this.type = init.type;
    this.stream = init.stream;
    this.streamAsSent = init.streamAsSent;
    this.toxicity = init.toxicity;
    this.attributes = init.attributes;
  }

  attr(key: string): number {
    return this.attributes[key] ?? 0;
  }

  toJSON() {
    return { attributes: this.attributes, name: this.name, type: this.type, stream: this.streamAsSent, toxicity: this.toxicity };
  }
}

const badBody = (detail: string) => new ApiError(400, `bad request body: ${detail}`);

/** Decodes attributes over `base` (missing keys keep their value; unknown keys are ignored, as in Go). */
export function decodeAttributes(type: ToxicType, input: unknown, base: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of attributeKeys[type]) out[key] = base[key] ?? 0;
  if (input === undefined || input === null) return out;
  if (typeof input !== 'object' || Array.isArray(input)) throw badBody('attributes must be an object');
  for (const key of attributeKeys[type]) {
    const value = (input as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw badBody(`attributes.${key} must be an integer`);
    out[key] = value;
  }
  return out;
}

/** POST /proxies/{proxy}/toxics, with Toxiproxy's defaults and checks in its order. */
export function parseNewToxic(body: unknown): Toxic {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badBody('expected a JSON object');
  const input = body as Record<string, unknown>;
  const streamAsSent = input.stream === undefined ? 'downstream' : input.stream;
  if (typeof streamAsSent !== 'string') throw badBody('stream must be a string');
  if (input.toxicity !== undefined && typeof input.toxicity !== 'number') throw badBody('toxicity must be a number');
  if (input.type !== undefined && typeof input.type !== 'string') throw badBody('type must be a string');
  if (input.name !== undefined && typeof input.name !== 'string') throw badBody('name must be a string');
  const lower = streamAsSent.toLowerCase();
  if (lower !== 'upstream' && lower !== 'downstream') throw new ApiError(400, 'stream was invalid, can be either upstream or downstream');
  const type = (input.type ?? '') as string;
  const name = (input.name as string | undefined) || `${type}_${streamAsSent}`;
  if (!(toxicTypes as readonly string[]).includes(type)) throw new ApiError(400, 'invalid toxic type');
  return new Toxic({
    name,
    type: type as ToxicType,
    stream: lower,
    streamAsSent,
    toxicity: (input.toxicity as number | undefined) ?? 1,
    attributes: decodeAttributes(type as ToxicType, input.attributes, {}),
  });
}
