/**
 * A linktrace run's kept trace files (emulator/records/run-traces.ts, docs/linktrace.md
 * "Resume"): the copies and their records, the typed reasons a copy or a record cannot be
 * used, and a config rebuilt from a manifest on the copies planning exactly the same turns.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig, type Config, type LinktraceConfig } from '../../src/config.js';
import { plan } from '../../src/plan.js';
import { SystemModel } from '../../src/system-model.js';
import { configFromManifest } from '../../emulator/records/manifest-config.js';
import { describeTraceCopy, describeTraceRecords, keepTraces, readTraceCopy, traceHash, traceRecordsOf, type TraceRecord } from '../../emulator/records/run-traces.js';

const LTE = new URL('../../configs/lte.json', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'sledge-test-run-traces-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** configs/lte.json as `sledge run` reads it: trace paths relative to the config, each read once. */
function lteConfig(): Config {
  const raw = JSON.parse(readFileSync(LTE, 'utf8')) as unknown;
  const r = parseConfig(raw, (p) => ({ text: readFileSync(resolve(dirname(LTE), p), 'utf8'), source: p, path: resolve(dirname(LTE), p) }));
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}

function linktrace(config: Config): LinktraceConfig {
  if (config.channel.model !== 'linktrace') throw new Error('not a linktrace config');
  return config.channel;
}

let runs = 0;
function runDir(): string {
  return join(scratch, `run-${++runs}`);
}

describe('keeping a run\'s trace files', () => {
  it('copies each file the links name once, recording its sha256, size and where it came from', () => {
    const config = lteConfig();
    const dir = runDir();
    const records = keepTraces(dir, linktrace(config));
    expect(Object.keys(records).sort()).toEqual(['traces/lte-a.down', 'traces/lte-a.up', 'traces/lte-b.down', 'traces/lte-b.up']);
    for (const [path, r] of Object.entries(records)) {
      const original = readFileSync(resolve(dirname(LTE), path));
      expect(r.file).toBe(path); // configs/traces/x is kept as traces/x
      expect(r.from).toBe(resolve(dirname(LTE), path));
      expect(readFileSync(join(dir, r.file)).equals(original)).toBe(true);
      expect(r.sha256).toBe(traceHash(original));
      expect(r.bytes).toBe(original.length);
    }
    expect(existsSync(join(dir, 'traces', 'lte-a.up.tmp'))).toBe(false);
  });

  it('two paths with one file name get two copies; a name is kept to safe characters', () => {
    const files = new Map([
      ['a/x.up', { text: '1\n2\n', source: 'a/x.up' }],
      ['b/x.up', { text: '3\n4\n', source: 'b/x.up' }],
      ['../we ird/..hidden', { text: '5\n', source: '../we ird/..hidden' }],
    ]);
    const dir = runDir();
    const records = keepTraces(dir, { files });
    expect(Object.values(records).map((r) => r.file)).toEqual(['traces/x.up', 'traces/2-x.up', 'traces/hidden']);
    expect(readFileSync(join(dir, 'traces/2-x.up'), 'utf8')).toBe('3\n4\n');
    expect(records['a/x.up']!.from).toBeUndefined();
  });
});

describe('checking a kept trace (typed reasons)', () => {
  const text = '1\n2\n3\n';
  const record = (file = 'traces/t.up'): TraceRecord => ({ file, sha256: traceHash(text), bytes: Buffer.byteLength(text) });
  const withCopy = (content?: string) => {
    const dir = runDir();
    keepTraces(dir, { files: new Map([['t.up', { text, source: 't.up' }]]) });
    if (content !== undefined) writeFileSync(join(dir, 'traces/t.up'), content);
    return dir;
  };

  it('the copy as recorded: its text', () => {
    expect(readTraceCopy(withCopy(), record())).toEqual({ ok: true, text });
  });

  it('a missing copy: missing, and one line naming the file', () => {
    const dir = withCopy();
    rmSync(join(dir, 'traces/t.up'));
    const r = readTraceCopy(dir, record());
    expect(r).toEqual({ ok: false, reason: { kind: 'missing' } });
    if (r.ok) return;
    const line = describeTraceCopy(dir, 't.up', record(), r.reason, 'run1');
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain(`trace ${join(dir, 'traces/t.up')} (the config's "t.up"): no such file; run run1 was planned on it`);
  });

  it('a changed copy (one byte more): changed, with its sha256 and size now', () => {
    const dir = withCopy();
    appendFileSync(join(dir, 'traces/t.up'), '4\n');
    const r = readTraceCopy(dir, record());
    expect(r).toEqual({ ok: false, reason: { kind: 'changed', sha256: traceHash(`${text}4\n`), bytes: Buffer.byteLength(text) + 2 } });
    if (r.ok) return;
    const line = describeTraceCopy(dir, 't.up', record(), r.reason, 'run1');
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/: changed since run run1 started \(sha256 [0-9a-f]{12}…, 6 bytes then, sha256 [0-9a-f]{12}…, 8 bytes now\)/);
  });

  it('same size, other bytes: changed', () => {
    const r = readTraceCopy(withCopy('1\n2\n4\n'), record());
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason.kind).toBe('changed');
  });

  it('a copy that is a directory: unreadable, with its code', () => {
    const dir = withCopy();
    rmSync(join(dir, 'traces/t.up'));
    const r = readTraceCopy(dir, record('traces'));
    expect(r).toEqual({ ok: false, reason: { kind: 'unreadable', code: 'EISDIR' } });
  });
});

describe('the manifest\'s linktrace.traces', () => {
  const good = { file: 'traces/a.up', sha256: 'a'.repeat(64), bytes: 3 };

  it('absent: a run that kept no traces', () => {
    const r = traceRecordsOf(undefined, ['a.up']);
    expect(r).toEqual({ ok: false, reason: { kind: 'absent' } });
    if (!r.ok) expect(describeTraceRecords('m.json', r.reason, 'run1')).toMatch(/^m\.json: run run1 follows link traces but its manifest records no trace files/);
  });

  it('a record naming a file out of traces/, a bad hash or size: malformed', () => {
    for (const bad of [{ ...good, file: '../../etc/passwd' }, { ...good, file: 'traces/../x' }, { ...good, file: 'traces/a/b' }, { ...good, sha256: 'xyz' }, { ...good, bytes: -1 }, { ...good, from: 3 }, null]) {
      const r = traceRecordsOf({ 'a.up': bad }, ['a.up']);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason.kind).toBe('malformed');
    }
    expect(traceRecordsOf([good], []).ok).toBe(false);
  });

  it('a path the config names without a record: unrecorded, naming it', () => {
    expect(traceRecordsOf({ 'a.up': good }, ['a.up', 'a.down'])).toEqual({ ok: false, reason: { kind: 'unrecorded', configPath: 'a.down' } });
    // a config path is any string: "__proto__" is a key like the others, not the records' prototype
    const odd = traceRecordsOf(JSON.parse(`{"a.up": ${JSON.stringify(good)}, "__proto__": ${JSON.stringify(good)}}`), ['a.up', '__proto__']);
    expect(odd.ok && Object.getPrototypeOf(odd.records)).toBe(Object.prototype);
    expect(odd.ok && Object.hasOwn(odd.records, '__proto__')).toBe(true);
  });
});

describe('a linktrace config from its manifest, on the kept copies', () => {
  it('plans exactly the turns of the config it was started with (clock, offsets, stagger); without the copies it is refused', () => {
    const config = lteConfig();
    const dir = runDir();
    const records = keepTraces(dir, linktrace(config));
    // as the manifest holds it: JSON, the parsed traces (Maps) gone
    const stored = JSON.parse(JSON.stringify(config)) as unknown;
    const again = configFromManifest(stored, (p) => {
      const copy = readTraceCopy(dir, records[p]!);
      if (!copy.ok) throw new Error(copy.reason.kind);
      return { text: copy.text, source: p, path: join(dir, records[p]!.file) };
    });
    if (!again.ok) throw new Error(again.errors.join('\n'));
    const channel = linktrace(again.config);
    expect(channel.links).toEqual(linktrace(config).links);
    const before = new SystemModel(config);
    const after = new SystemModel(again.config);
    for (const d of config.devices) expect(after.linkTrace!.link(d.id).offsetS).toBe(before.linkTrace!.link(d.id).offsetS);
    const turns = plan(after, after.strategy()).turns;
    expect(turns).toEqual(plan(before, before.strategy()).turns);
    expect(turns.length).toBe(15);

    const refused = configFromManifest(stored);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.errors[0]).toMatch(/^channel\.links\.\w+\.(up|down): the trace file "traces\/lte-[ab]\.(up|down)" cannot be read here$/);
  });
});
