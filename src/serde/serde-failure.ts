import { SerdeError } from '../errors.js';

/** Caps the text of a failure so a huge bad payload cannot blow up logs or headers. */
function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}

/** A deserialization failure with a reason fit for logs and dead-letter headers. */
export function deserializeError(serde: string, reason: string, cause?: unknown): SerdeError {
  return new SerdeError('RIVULET_SERDE_DESERIALIZE', `Serdes.${serde}: ${clip(reason)}`, cause === undefined ? {} : { cause });
}

/** A serialization failure (the value the application produced cannot be encoded). */
export function serializeError(serde: string, reason: string, cause?: unknown): SerdeError {
  return new SerdeError('RIVULET_SERDE_SERIALIZE', `Serdes.${serde}: ${clip(reason)}`, cause === undefined ? {} : { cause });
}

/** Rejects payloads larger than `maxBytes` before any parsing work is spent on them. */
export function checkSize(serde: string, bytes: Uint8Array, maxBytes: number): void {
  if (bytes.byteLength > maxBytes) {
    throw deserializeError(serde, `payload of ${bytes.byteLength} bytes exceeds maxBytes ${maxBytes}; raise maxBytes if such records are legitimate`);
  }
}
