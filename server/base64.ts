/** Base64 with web-standard APIs only (atob/btoa), for PNGs out and uploads in. */

const CHUNK = 0x8000;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DATA_URL = /^data:[\w.+-]+\/[\w.+-]+(;[\w=.+-]+)*;base64,/i;

export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

/** Bytes of base64 text (a `data:...;base64,` prefix and whitespace allowed); undefined when it is not base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  const body = text.replace(DATA_URL, '').replace(/\s+/g, '');
  if (!BASE64.test(body) || body.length % 4 === 1) return undefined;
  let binary: string;
  try {
    binary = atob(body);
  } catch {
    return undefined;
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
