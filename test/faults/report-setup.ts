/**
 * Global setup of the fault suite: starts with an empty `test-results/faults-report.json` and,
 * when every file ran, prints the whole accounting table (each file appends its rows).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Accounting, formatTable, REPORT_FILE } from './report.js';

export default function setup(): () => void {
  mkdirSync(dirname(REPORT_FILE), { recursive: true });
  writeFileSync(REPORT_FILE, '[]\n');
  return () => {
    let rows: Accounting[] = [];
    try {
      rows = JSON.parse(readFileSync(REPORT_FILE, 'utf8')) as Accounting[];
    } catch {
      rows = [];
    }
    console.log(`\nfault suite accounting (${REPORT_FILE}):\n${formatTable(rows)}\n`);
  };
}
