import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Headless Chromium (Debian `chromium`) for tests that look at a page the way a reader
 * would. Every launch gets a fresh profile; `close()` kills what is still running (the
 * whole process group: Chromium forks zygote, GPU and renderer processes) and removes
 * the profiles, so call it in afterAll.
 */
export const CHROMIUM = process.env.CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

// The background-networking flags matter: without them this sandbox refuses the
// connections Chromium opens on its own at start-up and the launch stalls.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--hide-scrollbars',
];

export interface ChromiumResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What the layout engine made of each <figure>: its SVG's rendered box and the marks with a non-empty box. */
export interface RenderedFigure {
  id: string;
  width: number;
  height: number;
  marks: number;
}

export class Chromium {
  private readonly running = new Set<ChildProcess>();
  private readonly dirs: string[] = [];

  constructor(private readonly bin: string = CHROMIUM ?? 'chromium') {}

  /** The DOM after the page loaded, serialised. */
  async dumpDom(file: string, extraFlags: string[] = []): Promise<string> {
    const r = await this.launch([...extraFlags, '--dump-dom', pathToFileURL(file).href]);
    if (r.code !== 0) throw new Error(`chromium --dump-dom exited ${r.code}: ${r.stderr.slice(-500)}`);
    return r.stdout;
  }

  async screenshot(file: string, png: string, size: [number, number]): Promise<void> {
    const r = await this.launch([`--screenshot=${png}`, `--window-size=${size[0]},${size[1]}`, pathToFileURL(file).href]);
    if (r.code !== 0 || !existsSync(png)) throw new Error(`chromium --screenshot exited ${r.code}: ${r.stderr.slice(-500)}`);
  }

  /**
   * Lays the page out in a real browser and measures every <figure>'s SVG: a probe page
   * loads it in an iframe (file:// pages may read each other only with
   * --allow-file-access-from-files) and writes the measurements into its own DOM.
   */
  async measureFigures(file: string): Promise<RenderedFigure[]> {
    const dir = this.tempDir('probe');
    const probe = join(dir, 'probe.html');
    writeFileSync(probe, probeHtml(pathToFileURL(file).href));
    const dom = await this.dumpDom(probe, ['--allow-file-access-from-files']);
    const json = /<pre id="result">(.*?)<\/pre>/s.exec(dom)?.[1];
    if (json === undefined) throw new Error('the probe page reported nothing (did the report load?)');
    return JSON.parse(json.replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>')) as RenderedFigure[];
  }

  /** Kills every Chromium still running and removes the profiles. */
  close(): void {
    for (const child of this.running) killGroup(child);
    this.running.clear();
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }

  private tempDir(label: string): string {
    const d = mkdtempSync(join(tmpdir(), `sledge-chromium-${label}-`));
    this.dirs.push(d);
    return d;
  }

  private launch(args: string[], timeoutMs = 60_000): Promise<ChromiumResult> {
    const profile = this.tempDir('profile');
    // detached: its own process group, so that a kill reaches the helpers it forked
    const child = spawn(this.bin, [...FLAGS, `--user-data-dir=${profile}`, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => killGroup(child), timeoutMs);
    return new Promise((resolve, reject) => {
      child.on('error', (err) => {
        clearTimeout(timer);
        this.running.delete(child);
        reject(err);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        this.running.delete(child);
        resolve({ code, stdout, stderr });
      });
    });
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function probeHtml(target: string): string {
  return `<!DOCTYPE html><html><body>
<iframe id="f" src="${target}" style="width:1280px;height:2400px;border:0"></iframe>
<script>
document.getElementById('f').addEventListener('load', () => {
  const doc = document.getElementById('f').contentDocument;
  const out = [...doc.querySelectorAll('figure')].map((fig) => {
    const svg = fig.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    const marks = svg ? [...svg.querySelectorAll('.role-mark > *')].filter((e) => { const b = e.getBBox(); return b.width > 0 || b.height > 0; }).length : 0;
    return { id: fig.id, width: box.width, height: box.height, marks };
  });
  const pre = document.createElement('pre');
  pre.id = 'result';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script></body></html>`;
}
