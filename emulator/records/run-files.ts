import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CSV_COLUMNS, csvRow, type TurnRecord } from './turn-record.js';

/**
 * The run's directory (DESIGN.md 4.5): manifest.json at the start, turns.csv grown by
 * one synchronous append per finished turn (a Ctrl-C or a crash keeps every finished
 * turn), summary.json at the end, and logs/ with one file per actor.
 */
export class RunFiles {
  readonly logs: string;

  constructor(readonly dir: string) {
    this.logs = join(dir, 'logs');
    mkdirSync(this.logs, { recursive: true });
    writeFileSync(join(dir, 'turns.csv'), `${CSV_COLUMNS.join(',')}\n`);
  }

  writeJson(name: 'manifest.json' | 'summary.json', value: unknown): void {
    writeFileSync(join(this.dir, name), `${JSON.stringify(value, null, 2)}\n`);
  }

  appendTurn(record: TurnRecord): void {
    appendFileSync(join(this.dir, 'turns.csv'), `${csvRow(record)}\n`);
  }

  log(actor: string): string {
    return join(this.logs, `${actor}.log`);
  }
}
