/**
 * The input files a request brings for the inputs its mode declares (images, masks): as
 * multipart file parts or base64 strings in JSON, checked here, decoded after admission.
 */
import { type ModeInput, type ModePlugin, modeInputs } from '../core/plugin.ts';
import { decodeBase64 } from './base64.ts';
import { HttpError } from './http-error.ts';
import type { Uploads } from './read-payload.ts';
import type { RequestBody } from './request-schemas.ts';
import { type ImageDecoder, type Upload, type UploadImageSource, uploadImageSource } from './upload-images.ts';

export interface RequestInputs {
  readonly images?: UploadImageSource;
  readonly masks?: UploadImageSource;
}

const NOUN: Record<ModeInput, string> = { images: 'input images', masks: 'masks (white = keep)' };

/** The files given for one input, from one of the two ways; none when the mode does not take it. */
function givenFiles(input: ModeInput, mode: ModePlugin, body: RequestBody, uploads: Uploads): Upload[] {
  const inBody = body[input];
  const inParts = uploads[input];
  if (!modeInputs(mode).includes(input)) {
    if (inParts.length > 0) throw new HttpError(400, 'unknown_field', `${input}: /v1/${mode.name} takes no ${NOUN[input]}`, { field: input });
    return [];
  }
  if (inBody && inParts.length > 0) {
    throw new HttpError(400, 'invalid_field', `${input}: give ${input} either as base64 in the JSON body or as multipart files, not both`, { field: input });
  }
  if (!inBody && inParts.length === 0) {
    throw new HttpError(400, `missing_${input}`, `${input}: ${mode.name} needs ${NOUN[input]}: upload files named "${input}" (multipart/form-data) or give base64 strings in "${input}"`, {
      field: input,
    });
  }
  if (!inBody) return [...inParts];
  return inBody.map((text, i) => {
    const bytes = decodeBase64(text);
    if (!bytes) throw new HttpError(400, 'invalid_image', `${input}[${i}]: not base64 (or a data: URL) of an image`, { field: `${input}[${i}]` });
    return { field: `${input}[${i}]`, name: `${input}[${i}]`, bytes };
  });
}

/** The image and mask sources of a request, at the model's size; masks are one channel, one per image or one for all. */
export function requestInputs(
  mode: ModePlugin,
  body: RequestBody,
  uploads: Uploads,
  shape: { channels: number; height: number },
  decoder: ImageDecoder,
): RequestInputs {
  const images = givenFiles('images', mode, body, uploads);
  const masks = givenFiles('masks', mode, body, uploads);
  if (masks.length > 1 && masks.length !== images.length) {
    throw new HttpError(400, 'invalid_field', `masks: give one mask per image (${images.length}) or one for all, got ${masks.length}`, { field: 'masks' });
  }
  return {
    images: images.length > 0 ? uploadImageSource(decoder, images, shape.height, shape.channels) : undefined,
    masks: masks.length > 0 ? uploadImageSource(decoder, masks, shape.height, 1, Math.max(images.length, masks.length)) : undefined,
  };
}
