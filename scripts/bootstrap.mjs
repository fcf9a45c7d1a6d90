#!/usr/bin/env node
// Set-up that `npm start` and `npm test` run first, on a fresh clone: npm dependencies,
// the TypeScript build, and the Debian packages the emulator needs. Dependency-free on
// purpose: it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const purpose = process.argv[2] ?? 'build';

// Debian package for each command the emulator runs; `test` also needs the measuring tools.
const SYSTEM = {
  start: { 'nats-server': 'nats-server', 'redis-server': 'redis-server', ip: 'iproute2', tc: 'iproute2' },
  test: { 'nats-server': 'nats-server', 'redis-server': 'redis-server', ip: 'iproute2', tc: 'iproute2', iperf3: 'iperf3', chromium: 'chromium' },
  build: {},
};

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`bootstrap: "${cmd} ${args.join(' ')}" failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

function onPath(cmd) {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];
  return dirs.some((d) => d && existsSync(join(d, cmd)));
}

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) if (entry !== 'node_modules') newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function ensureSystemPackages() {
  const wanted = SYSTEM[purpose] ?? {};
  const missing = [...new Set(Object.entries(wanted).filter(([cmd]) => !onPath(cmd)).map(([, pkg]) => pkg))];
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !onPath('apt-get')) {
    console.error(`bootstrap: missing Debian packages: ${missing.join(' ')} — install them (as root: apt-get install -y ${missing.join(' ')})`);
    process.exit(2);
  }
  console.error(`bootstrap: installing ${missing.join(' ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-q'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

function ensureNodeModules() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && newestMtime(lock) <= newestMtime(marker)) return;
  console.error('bootstrap: installing npm dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
}

function ensureBuild() {
  const stamp = join(root, 'dist', '.buildstamp');
  const sources = Math.max(...['src', 'emulator', 'scripts', 'tsconfig.json', 'package.json'].map((p) => newestMtime(join(root, p))));
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= sources) return;
  run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json']);
  run(process.execPath, [join(root, 'scripts', 'bundle-actor.mjs')]);
  writeFileSync(stamp, new Date().toISOString());
}

// Actors run unprivileged (docs/trust.md): a system user of their own, without a shell or a
// home, when root can make one; sledge falls back to nobody otherwise.
function ensureActorUser() {
  if (process.getuid?.() !== 0 || purpose === 'build') return;
  if (spawnSync('id', ['-u', 'sledge'], { stdio: 'ignore' }).status === 0) return;
  const useradd = ['/usr/sbin/useradd', '/sbin/useradd'].find((p) => existsSync(p));
  if (!useradd) return;
  const r = spawnSync(useradd, ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--user-group', 'sledge'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) console.error('bootstrap: could not create the system user sledge; actors will run as nobody');
}

ensureSystemPackages();
ensureActorUser();
ensureNodeModules();
ensureBuild();

