import { formatTable, type Cell } from '../sinks/console-table.js';
import type { KeyValueStore } from '../state/store-api.js';
import type { Change } from './change.js';
import type { ProcessorContext, ProcessorSupplier } from './processor.js';

/** Spark's output modes: new rows (streams), changed rows, or the whole result table. */
export type OutputMode = 'append' | 'update' | 'complete';

export interface ConsoleSinkOptions {
  readonly mode: OutputMode;
  readonly title: string;
  readonly maxRows: number;
  readonly print: (text: string) => void;
  /** `complete`: the store holding the whole table. */
  readonly storeName?: string;
}

/** Resolves the DSL options. */
export function consoleOptions(mode: OutputMode, o: { readonly title?: string; readonly maxRows?: number; readonly print?: (text: string) => void }): ConsoleSinkOptions {
  return { mode, title: o.title ?? '', maxRows: o.maxRows ?? 20, print: o.print ?? ((text) => void process.stdout.write(text)) };
}

/** A row's columns: the key (windowed keys as key, start, end) and the value (objects by field). */
export function rowOf(key: unknown, value: unknown): Record<string, Cell> {
  const row: Record<string, Cell> = {};
  if (typeof key === 'object' && key !== null && 'window' in key && 'key' in key) {
    const w = key as { key: unknown; window: { start: number; end: number } };
    row.key = cell(w.key);
    row.window_start = new Date(w.window.start).toISOString();
    row.window_end = new Date(w.window.end).toISOString();
  } else row.key = cell(key);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) for (const [f, v] of Object.entries(value)) row[f] = cell(v);
  else row.value = cell(value);
  return row;
}

function cell(v: unknown): Cell {
  return v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
}

/**
 * Prints what reached it at each commit as a table, like Spark's console sink:
 * a `Batch: N` header per commit that has output, then the rows — the records
 * since the last commit (`append`), the table rows they changed (`update`), or
 * the whole table (`complete`, from its store). Batches count per task.
 */
export function consoleSinkProcessor(o: ConsoleSinkOptions): ProcessorSupplier<unknown, unknown, never, never> {
  return () => {
    let ctx!: ProcessorContext<never, never>;
    let store: KeyValueStore<unknown, unknown> | undefined;
    let batch = 0;
    const rows: Record<string, Cell>[] = [];
    const changed = new Map<string, Record<string, Cell>>();
    return {
      init: (c) => {
        ctx = c;
        if (o.storeName !== undefined) store = c.getStateStore(o.storeName);
      },
      process: (r) => {
        if (o.mode === 'append') {
          rows.push(rowOf(r.key, r.value));
          return;
        }
        const change = r.value as Change<unknown>;
        // A row deleted in update mode shows as null; complete mode reads the table itself.
        changed.set(JSON.stringify(r.key), rowOf(r.key, change.newValue ?? null));
      },
      flush: () => {
        if (rows.length === 0 && changed.size === 0) return;
        const shown = o.mode === 'append' ? rows : o.mode === 'update' ? [...changed.values()] : (store as KeyValueStore<unknown, unknown>).all().map((e) => rowOf(e.key, e.value));
        const header = `-------------------------------------------\nBatch: ${batch}${o.title === '' ? '' : ` (${o.title}, task ${ctx.taskId})`}\n-------------------------------------------`;
        o.print(`${header}\n${shown.length === 0 ? '(no rows)' : formatTable(shown, o.maxRows)}\n`);
        batch++;
        rows.length = 0;
        changed.clear();
      },
    };
  };
}
