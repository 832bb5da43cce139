/**
 * The model card inside an ONNX file (tools/model_card.py writes it): the ModelProto's
 * metadata_props entry `ddim.card`, JSON with the diffusion parameters the network was
 * trained with, its image geometry and, for a conditional network, its classes. Read from
 * the file's bytes by scanning the top-level protobuf fields (the graph is skipped, not
 * parsed), so it works on every backend and costs one pass over the bytes.
 */
import * as v from 'valibot';
import { BETA_SCHEDULES } from '../math/betas.ts';
import { OBJECTIVES } from '../math/ddim-step.ts';
import { UserError, oneLine } from '../errors.ts';

export const CARD_KEY = 'ddim.card';
const METADATA_PROPS = 14;

const count = (min: number) => v.pipe(v.number(), v.integer(), v.minValue(min));

const CardSchema = v.looseObject({
  format: v.literal('ddim-toolkit/model-card@1'),
  diffusion: v.looseObject({
    total_steps: count(1),
    beta_schedule: v.picklist(BETA_SCHEDULES),
    beta_start: v.number(),
    beta_end: v.number(),
    objective: v.picklist(OBJECTIVES),
    betas: v.optional(v.array(v.number())),
  }),
  data: v.looseObject({
    img_size: count(1),
    img_channels: count(1),
    num_classes: v.optional(count(1)),
    class_names: v.optional(v.array(v.string())),
  }),
  null_class: v.optional(v.pipe(v.number(), v.integer())),
});

export type ModelCard = v.InferOutput<typeof CardSchema>;

/** A varint at `at`: its value (exact up to 2^53) and where the next field starts. */
function readVarint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    value += (bytes[i]! & 0x7f) * scale;
    scale *= 128;
    if (bytes[i]! < 0x80) return [value, i + 1];
  }
  throw new RangeError('truncated varint');
}

/** A length-delimited field of a message: its number, its payload, and the bytes it spans (tag included). */
interface FieldSpan {
  readonly field: number;
  readonly payload: Uint8Array;
  readonly start: number;
  readonly end: number;
}

/** The length-delimited fields of a message, in order (other wire types are skipped). */
function lengthDelimited(bytes: Uint8Array): FieldSpan[] {
  const found: FieldSpan[] = [];
  let at = 0;
  while (at < bytes.length) {
    const start = at;
    const [tag, next] = readVarint(bytes, at);
    const wire = tag % 8;
    at = next;
    if (wire === 0) at = readVarint(bytes, at)[1];
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const [length, payloadStart] = readVarint(bytes, at);
      if (payloadStart + length > bytes.length) throw new RangeError('truncated field');
      at = payloadStart + length;
      found.push({ field: Math.floor(tag / 8), payload: bytes.subarray(payloadStart, at), start, end: at });
    } else throw new RangeError(`wire type ${wire}`);
  }
  return found;
}

function fieldPayloads(bytes: Uint8Array, field: number): Uint8Array[] {
  return lengthDelimited(bytes)
    .filter((span) => span.field === field)
    .map((span) => span.payload);
}

/** The metadata_props entries of an ONNX file's bytes: key, value and where each lies. */
function metadataEntries(bytes: Uint8Array): { key: string; value: string; start: number; end: number }[] {
  const decoder = new TextDecoder();
  return lengthDelimited(bytes)
    .filter((span) => span.field === METADATA_PROPS)
    .map((span) => ({
      key: decoder.decode(fieldPayloads(span.payload, 1).at(-1) ?? new Uint8Array()),
      value: decoder.decode(fieldPayloads(span.payload, 2).at(-1) ?? new Uint8Array()),
      start: span.start,
      end: span.end,
    }));
}

/**
 * The file's bytes without its model card entries: the network itself. Its digest identifies
 * a run's model (run fingerprints), so giving a file its card does not make its runs another's.
 */
export function withoutModelCard(bytes: Uint8Array): Uint8Array {
  let cards: { start: number; end: number }[];
  try {
    cards = metadataEntries(bytes).filter((entry) => entry.key === CARD_KEY);
  } catch {
    return bytes;
  }
  if (cards.length === 0) return bytes;
  const kept = new Uint8Array(bytes.length - cards.reduce((n, c) => n + c.end - c.start, 0));
  let from = 0;
  let to = 0;
  for (const card of cards) {
    kept.set(bytes.subarray(from, card.start), to);
    to += card.start - from;
    from = card.end;
  }
  kept.set(bytes.subarray(from), to);
  return kept;
}

/** The text of metadata_props[key] in an ONNX file's bytes (the last entry wins, as protobuf merges). */
export function onnxMetadata(bytes: Uint8Array, key: string): string | undefined {
  return metadataEntries(bytes).findLast((entry) => entry.key === key)?.value;
}

/** The model card of an ONNX file's bytes; undefined when it has none. A card that does not read is a one-line error. */
export function readModelCard(bytes: Uint8Array, path: string): ModelCard | undefined {
  let text: string | undefined;
  try {
    text = onnxMetadata(bytes, CARD_KEY);
  } catch {
    return undefined; // not protobuf we can scan: onnxruntime will say what is wrong with the file
  }
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UserError(`model ${oneLine(path)}: its model card (metadata "${CARD_KEY}") is not JSON; rewrite it with tools/add_model_card.py`);
  }
  const result = v.safeParse(CardSchema, json);
  if (!result.success) {
    const issue = result.issues[0];
    const where = issue.path?.map((p) => String(p.key)).join('.') ?? '';
    throw new UserError(`model ${oneLine(path)}: its model card has ${where ? `${where}: ` : ''}${oneLine(issue.message)}; rewrite it with tools/add_model_card.py`);
  }
  return result.output;
}
