import { existsSync, readFileSync, rmSync } from 'node:fs';
import { AppendOnlyFile, writeAtomically } from '../sinks/append-only-file.js';
import { BatchIds } from './batch-ids.js';
import { rowOf } from './console-sink.js';
import type { ProcessorContext, ProcessorSupplier } from './processor.js';

/** Line formats of the file sink. */
export type FileFormat = 'jsonl' | 'csv';

export interface FileSinkOptions {
  readonly path: string;
  readonly format: FileFormat;
  /** CSV columns (default: the first row's). */
  readonly columns?: readonly string[];
  readonly storeName: string;
}

function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Appends the records of each commit to a JSON-lines or CSV file, once each
 * even across crashes: at flush the batch is staged in `<path>.pending-<task>`
 * and its id advances in a changelogged store; only after the commit succeeded
 * is it appended (see {@link AppendOnlyFile}). A restart finds a staged batch
 * and appends it if its commit happened (the store's id moved past it), or drops
 * it if not (the records are processed again). One process writes a file; give
 * each instance its own path.
 */
export function fileSinkProcessor(o: FileSinkOptions): ProcessorSupplier<unknown, unknown, never, never> {
  return () => {
    let ctx!: ProcessorContext<never, never>;
    let ids!: BatchIds;
    let file!: AppendOnlyFile;
    let columns = o.columns;
    const rows: Record<string, unknown>[] = [];
    const pendingPath = () => `${o.path}.pending-${ctx.applicationId}-${o.storeName}-${ctx.taskId}`;
    // Batch ids count per application, sink and task; so does the file's record of what it holds.
    const writer = () => `${ctx.applicationId}/${o.storeName}/${ctx.taskId}`;

    const publishStaged = (): void => {
      if (!existsSync(pendingPath())) return;
      const staged = JSON.parse(readFileSync(pendingPath(), 'utf8')) as { batchId: number; text: string; header: string };
      // Committed exactly when the stored next id moved past the staged batch.
      if (ids.next > staged.batchId) file.append(writer(), staged.batchId, staged.text, staged.header);
      rmSync(pendingPath(), { force: true });
    };

    const format = (batch: readonly Record<string, unknown>[]): { text: string; header: string } => {
      if (o.format === 'jsonl') return { text: batch.map((r) => `${JSON.stringify(r)}\n`).join(''), header: '' };
      columns ??= Object.keys(batch[0] ?? {});
      const cols = columns;
      return { header: `${cols.map(csvField).join(',')}\n`, text: batch.map((r) => `${cols.map((c) => csvField(r[c])).join(',')}\n`).join('') };
    };

    return {
      init: (c) => {
        ctx = c;
        ids = new BatchIds(c.getStateStore(o.storeName));
        file = AppendOnlyFile.at(o.path);
        publishStaged();
      },
      process: (r) => {
        const row = rowOf(r.key, r.value) as Record<string, unknown>;
        rows.push(typeof r.value === 'object' && r.value !== null && !Array.isArray(r.value) ? { key: row.key, ...(r.value as object) } : row);
      },
      flush: () => {
        if (rows.length === 0) return;
        const batchId = ids.next;
        writeAtomically(pendingPath(), JSON.stringify({ batchId, ...format(rows) }));
        ids.advancePast(batchId);
        rows.length = 0;
      },
      committed: () => publishStaged(),
    };
  };
}
