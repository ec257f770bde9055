/**
 * `npm run example:pos-sales [-- --brokers host:9092] [--sales 5000]`: seed 002's
 * POS aggregations over generated sales; prints the totals per product as they
 * change and the busiest 5-minute windows at the end.
 */
import { parseArgs } from 'node:util';
import { formatTable } from '../../src/sinks/console-table.js';
import { runPosSales, sales } from './pos-sales.js';

const { values: args } = parseArgs({ options: { brokers: { type: 'string' }, sales: { type: 'string', default: '5000' } } });
const result = await runPosSales(sales(Number(args.sales), 60), { print: (t) => void process.stdout.write(t), progress: (l) => console.error(l), ...(args.brokers === undefined ? {} : { brokers: args.brokers.split(',') }) });
const top = [...result.tumbling].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, v]) => ({ product_window: k, total_amount: v }));
console.log(`\nBusiest 5-minute windows:\n${formatTable(top)}`);
