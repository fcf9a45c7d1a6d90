/**
 * Launcher keys (docs/trust.md): an ed25519 pair made by `sledge keygen`. The private key
 * stays with the launcher (a 0600 file); agents are started with the public key as the one
 * they obey (`sledge agent --trust`), as a host obeys its authorized_keys.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { constants, mkdirSync, openSync, readFileSync, closeSync, writeSync, fstatSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export const PRIVATE_KEY_FILE = 'launcher.key';
export const PUBLIC_KEY_FILE = 'launcher.pub';

/** Where `sledge keygen` writes and `sledge run --agents` looks unless told otherwise. */
export function defaultKeyDir(): string {
  return join(homedir(), '.sledge');
}

/** The launcher's private key: SLEDGE_LAUNCHER_KEY names its file, else ~/.sledge/launcher.key. */
export function launcherKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SLEDGE_LAUNCHER_KEY || join(defaultKeyDir(), PRIVATE_KEY_FILE);
}

export function generateLauncherKeys(outDir: string): { privateKey: string; publicKey: string } {
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const priv = join(outDir, PRIVATE_KEY_FILE);
  const pub = join(outDir, PUBLIC_KEY_FILE);
  // O_EXCL: never overwrite a key an agent somewhere already trusts; O_NOFOLLOW: never write through a planted link
  writeNew(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
  writeNew(pub, publicKey.export({ type: 'spki', format: 'pem' }) as string, 0o644);
  return { privateKey: priv, publicKey: pub };
}

function writeNew(path: string, text: string, mode: number): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${path} exists: keygen never overwrites a key (remove it, or use --out DIR)`);
    throw new UsageError(`cannot write ${path}: ${(err as Error).message}`);
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** Reads a key file without following a symlink; `what` names it in the one-line error. */
function readKeyFile(path: string, what: string): { text: string; mode: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file (sledge keygen makes a pair)' : code === 'ELOOP' ? 'a symlink, not followed' : (err as Error).message;
    throw new UsageError(`${what} ${path}: ${why}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > 64 * 1024) throw new UsageError(`${what} ${path}: not a key file`);
    return { text: readFileSync(fd, 'utf8'), mode: st.mode & 0o777 };
  } finally {
    closeSync(fd);
  }
}

export function loadPrivateKey(path: string): KeyObject {
  const { text, mode } = readKeyFile(path, 'launcher key');
  if (mode & 0o077) throw new UsageError(`launcher key ${path}: mode ${mode.toString(8)}, readable by others; chmod 600 it`);
  try {
    const key = createPrivateKey(text);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key`);
    return key;
  } catch (err) {
    throw new UsageError(`launcher key ${path}: not an ed25519 private key (${(err as Error).message})`);
  }
}

/** One or more PEM public keys (concatenated, like lines of authorized_keys). */
export function loadTrustedKeys(path: string): KeyObject[] {
  const { text } = readKeyFile(path, '--trust');
  const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw new UsageError(`--trust ${path}: no public key in it (give it the launcher.pub that sledge keygen wrote)`);
  return blocks.map((b) => {
    try {
      const key = createPublicKey(b);
      if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key`);
      return key;
    } catch (err) {
      throw new UsageError(`--trust ${path}: not an ed25519 public key (${(err as Error).message})`);
    }
  });
}

/** A short, stable name of a public key for logs: the first 16 hex digits of its SHA-256. */
export function keyId(key: KeyObject): string {
  const der = (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
  return createHashHex(der).slice(0, 16);
}

function createHashHex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
