import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = join(__dirname, '../../../src/transport/platformatic');

describe('the platformatic transport (the default) uses only public exports', () => {
  it('imports @platformatic/kafka by its package root only, and nothing of kafkajs or the kafkajs transport', () => {
    const bad: string[] = [];
    for (const f of readdirSync(DIR).filter((n) => n.endsWith('.ts'))) {
      for (const m of readFileSync(join(DIR, f), 'utf8').matchAll(/(?:from |import\()\s*'([^']+)'/g)) {
        const target = m[1]!;
        if (target.startsWith('@platformatic/') && target !== '@platformatic/kafka') bad.push(`${f}: ${target}`);
        if (target.startsWith('kafkajs') || target.includes('/kafkajs/')) bad.push(`${f}: ${target}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
