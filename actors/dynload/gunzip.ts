// Turns a downloaded or read body into text: gunzips it when it is gzip (by encoding or magic bytes),
// bounded by max_bytes; a truncated gzip is an error, never a partial list.
import { gunzipSync } from 'node:zlib';

export function gunzipBody(body: Buffer, maxBytes: number, encoded = false): string {
  const magic = body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
  if (!encoded && !magic) return body.toString('utf8');
  try {
    // gunzipSync throws "unexpected end of file" on a cut-off stream: exactly what must be refused
    return gunzipSync(body, { maxOutputLength: maxBytes }).toString('utf8');
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/unexpected end/i.test(msg)) throw new Error('the gzip body is truncated');
    if (/maxOutputLength|Cannot create a Buffer larger|buffer/i.test(msg) && !/incorrect header/i.test(msg)) {
      throw new Error(`the gunzipped body is larger than max_bytes ${maxBytes}`);
    }
    throw new Error(`the gzip body is corrupt: ${msg}`);
  }
}
