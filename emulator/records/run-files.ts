import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CSV_COLUMNS, csvRow, parseTurnsCsv, type TurnRecord } from './turn-record.js';

const HEADER = `${CSV_COLUMNS.join(',')}\n`;

/**
 * The run's directory (docs/architecture.md §7): manifest.json at the start, turns.csv grown by
 * one synchronous append per finished turn (a Ctrl-C or a crash keeps every finished
 * turn), summary.json at the end, and logs/ with one file per actor. A resumed run
 * (`existing`) keeps what the directory holds.
 */
export class RunFiles {
  readonly logs: string;

  constructor(
    readonly dir: string,
    opts: { existing?: boolean } = {},
  ) {
    this.logs = join(dir, 'logs');
    mkdirSync(this.logs, { recursive: true });
    if (!opts.existing || !existsSync(this.turnsPath)) writeFileSync(this.turnsPath, HEADER);
  }

  get turnsPath(): string {
    return join(this.dir, 'turns.csv');
  }

  /** Where the embedded Redis keeps the run (AOF), so that it outlives a killed launcher. */
  get redisDir(): string {
    return join(this.dir, 'redis');
  }

  writeJson(name: 'manifest.json' | 'summary.json', value: unknown): void {
    writeFileSync(join(this.dir, name), `${JSON.stringify(value, null, 2)}\n`);
  }

  appendTurn(record: TurnRecord): void {
    appendFileSync(this.turnsPath, `${csvRow(record)}\n`);
  }

  readTurns(): TurnRecord[] {
    return existsSync(this.turnsPath) ? parseTurnsCsv(readFileSync(this.turnsPath, 'utf8')) : [];
  }

  /** Replaces turns.csv in one rename, so that a crash leaves either the old file or the new one. */
  rewriteTurns(records: readonly TurnRecord[]): void {
    const tmp = `${this.turnsPath}.tmp`;
    writeFileSync(tmp, HEADER + records.map((r) => `${csvRow(r)}\n`).join(''));
    renameSync(tmp, this.turnsPath);
  }

  log(actor: string): string {
    return join(this.logs, `${actor}.log`);
  }
}
