import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { batchInput, type BatchLine } from './exec.js';
import { assertNetnsName } from './names.js';

/**
 * A long-lived `tc [-n NS] -force -batch -`: each line written is applied as it arrives,
 * so a rate step costs a write, not an exec (docs/linktrace.md). One per host side and
 * one per namespace; `-force` keeps it going past a failed line, which is counted from
 * its stderr. htb's "quantum is big" warnings would show here too: the shaper sets the
 * quantum explicitly (shaper.ts), and any that still appear are counted apart.
 */
export class TcPipe {
  private readonly child: ChildProcessWithoutNullStreams;
  private closed = false;
  /** Lines tc refused (its stderr said so), and htb quantum warnings. */
  errors = 0;
  quantumWarnings = 0;
  lastError = '';
  written = 0;
  private readonly exited: Promise<void>;

  constructor(readonly netns?: string) {
    const argv = netns === undefined ? ['-force', '-batch', '-'] : ['-n', assertNetnsName(netns), '-force', '-batch', '-'];
    this.child = spawn('tc', argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    this.child.stdin.on('error', () => {});
    this.child.stdout.resume();
    this.child.stderr.setEncoding('utf8').on('data', (s: string) => {
      for (const line of s.split('\n')) {
        if (line.trim() === '') continue;
        if (/quantum of class .* is big/i.test(line)) this.quantumWarnings++;
        else {
          this.errors++;
          this.lastError = line.trim();
        }
      }
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', () => {
        this.closed = true;
        resolve();
      });
      this.child.on('error', () => {
        this.closed = true;
        resolve();
      });
    });
  }

  write(lines: readonly BatchLine[]): void {
    if (this.closed || lines.length === 0) return;
    this.written += lines.length;
    this.child.stdin.write(batchInput(lines));
  }

  get alive(): boolean {
    return !this.closed;
  }

  /** Ends the batch: tc applies what is left and exits. */
  async close(): Promise<void> {
    if (!this.closed) this.child.stdin.end();
    await this.exited;
  }
}
