import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunError, UsageError } from '../errors.js';
import type { Topology } from './topology.js';

/**
 * Timed TCP transfers across a device link, for tests, benchmarks and `sledge doctor`:
 * one end on the host bound to the bridge address, the other inside the namespace.
 */

export type Direction = 'up' | 'down';

export interface TransferResult {
  readonly bytes: number;
  /** Receiver side, connection accepted → last byte. */
  readonly seconds: number;
  /** Receiver side, first byte → last byte. */
  readonly firstByteSeconds: number;
}

/** test/fixtures/net-transfer.mjs of this checkout, from src or from dist. */
export function defaultTransferScript(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'test', 'fixtures', 'net-transfer.mjs');
    if (existsSync(candidate)) return candidate;
    dir = resolve(dir, '..');
  }
  throw new RunError('test/fixtures/net-transfer.mjs not found above ' + dirname(fileURLToPath(import.meta.url)));
}

function lines(child: ChildProcess, onLine: (line: string) => void): void {
  let buf = '';
  child.stdout?.on('data', (b: Buffer) => {
    buf += b.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

function stderrOf(child: ChildProcess): () => string {
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString('utf8')));
  return () => err.trim();
}

export interface TransferOptions {
  readonly topology: Topology;
  readonly deviceId: string;
  readonly bytes: number;
  readonly direction: Direction;
  readonly script?: string;
  readonly timeoutMs?: number;
}

/** Sends `bytes` over the device's link in `direction` and times it at the receiver. */
export async function timedTransfer(options: TransferOptions): Promise<TransferResult> {
  const { topology, deviceId, bytes, direction } = options;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`invalid byte count ${bytes}`);
  const script = options.script ?? defaultTransferScript();
  const device = topology.device(deviceId);
  const inNs = (cmd: string[]): string[] => topology.execArgv(deviceId, cmd);
  const [recvAddr, recvArgv, sendArgv] =
    direction === 'up'
      ? [topology.hostAddress, [process.execPath, script, 'recv', topology.hostAddress, '0'], (port: number) =>
          inNs([process.execPath, script, 'send', topology.hostAddress, String(port), String(bytes)])]
      : [device.address, inNs([process.execPath, script, 'recv', device.address, '0']), (port: number) =>
          [process.execPath, script, 'send', device.address, String(port), String(bytes)]];

  const children: ChildProcess[] = [];
  const start = (argv: string[]): ChildProcess => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    return child;
  };
  const timeoutMs = options.timeoutMs ?? 30_000 + (bytes * 8) / 1e3;
  try {
    return await new Promise<TransferResult>((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new RunError(`transfer of ${bytes} bytes ${direction} (${deviceId}) timed out`)), timeoutMs);
      const fail = (e: Error): void => {
        clearTimeout(timer);
        reject(e);
      };
      const receiver = start(recvArgv);
      const recvErr = stderrOf(receiver);
      receiver.on('error', fail);
      receiver.on('exit', (code) => {
        if (code !== 0) fail(new RunError(`receiver at ${recvAddr} exited ${code}: ${recvErr()}`));
      });
      lines(receiver, (line) => {
        const msg = JSON.parse(line) as { listening?: number } & Partial<TransferResult>;
        if (msg.listening !== undefined) {
          const sender = start(sendArgv(msg.listening));
          const sendErr = stderrOf(sender);
          sender.on('error', fail);
          sender.on('exit', (code) => {
            if (code !== 0) fail(new RunError(`sender exited ${code}: ${sendErr()}`));
          });
        } else if (typeof msg.seconds === 'number') {
          clearTimeout(timer);
          if (msg.bytes !== bytes) reject(new RunError(`received ${msg.bytes} of ${bytes} bytes`));
          else resolvePromise(msg as TransferResult);
        }
      });
    });
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
