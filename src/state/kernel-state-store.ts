import { decode, encode } from '@msgpack/msgpack';
import { StateError } from '../errors.js';
import type { Serde } from '../serde/serde.js';
import { WasmWindowKernel } from '../wasm/wasm-window-kernel.js';
import { MAX_KEY_ID, type WindowSpec } from '../wasm/window-stats-kernel.js';
import { isStringSerde } from '../serde/string-serde.js';
import { bytesToKey } from './byte-keys.js';
import type { PersistableState, StoreChange } from './working-table.js';

const STATE_KEY = new TextEncoder().encode('kernel');

/**
 * The state of a WASM-backed windowed statistics operator: the kernel and the
 * interning of the operator's keys to the dense u32 ids the kernel works on.
 * Persisted at commit as one entry (key table + kernel bytes) when it changed.
 */
export class KernelStateStore<K> implements PersistableState {
  readonly kernel: WasmWindowKernel;
  private readonly ids = new Map<string, number>();
  private readonly keys: K[] = [];
  private readonly keyBytes: Uint8Array[] = [];
  private changed = false;
  /** String keys under the UTF-8 string serde are their own identity: no serializing per record. */
  private readonly byString: boolean;

  constructor(
    readonly name: string,
    spec: WindowSpec,
    private readonly keySerde: Serde<K>,
  ) {
    this.kernel = new WasmWindowKernel(spec);
    this.byString = isStringSerde(keySerde as Serde<unknown>);
  }

  /** The kernel id of `key`, assigning the next id to a new key. */
  intern(key: K): number {
    let bytes: Uint8Array | undefined;
    let s: string;
    if (this.byString && typeof key === 'string') {
      s = key;
    } else {
      bytes = this.keySerde.serialize(key);
      s = bytesToKey(bytes);
    }
    let id = this.ids.get(s);
    if (id === undefined) {
      bytes ??= this.keySerde.serialize(key);
      // Past the kernel's key space the kernel marks the record INVALID_KEY; the operator counts and drops it.
      if (this.keys.length > MAX_KEY_ID) return MAX_KEY_ID + 1;
      id = this.keys.length;
      this.ids.set(s, id);
      this.keys.push(key);
      this.keyBytes.push(bytes);
    }
    return id;
  }

  keyOf(id: number): K {
    const k = this.keys[id];
    if (k === undefined) throw new StateError('RIVULET_STATE_UNKNOWN_KEY_ID', `${this.name}: kernel returned key id ${id}, which was never interned; the store state is inconsistent`);
    return k;
  }

  /** Marks the kernel state as changed since the last commit. */
  touch(): void {
    this.changed = true;
  }

  size(): number {
    return this.keys.length;
  }

  drainChanges(): StoreChange[] {
    if (!this.changed) return [];
    this.changed = false;
    const value = encode({ keys: this.keyBytes, kernel: this.kernel.exportState() });
    return [{ key: STATE_KEY, value }];
  }

  restore(_key: Uint8Array, value: Uint8Array | null): void {
    this.ids.clear();
    this.keys.length = 0;
    this.keyBytes.length = 0;
    if (value === null) return;
    const decoded = decode(value) as { keys: Uint8Array[]; kernel: Uint8Array };
    for (const b of decoded.keys) {
      const key = this.keySerde.deserialize(b);
      this.ids.set(this.byString && typeof key === 'string' ? key : bytesToKey(b), this.keys.length);
      this.keys.push(key);
      this.keyBytes.push(b);
    }
    this.kernel.importState(decoded.kernel);
  }

  close(): void {
    this.kernel.close();
  }
}
