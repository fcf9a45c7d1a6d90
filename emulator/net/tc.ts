import { assertNetnsName } from './names.js';
import { batchInput, spawnRunner, type BatchLine, type Runner } from './exec.js';

export interface TcQdisc {
  readonly kind: string;
  readonly handle: string;
  readonly dev: string;
  readonly root: boolean;
}

/** The `tc` command, with the same batch/JSON split as Ip. */
export class Tc {
  constructor(readonly runner: Runner = spawnRunner) {}

  private argv(netns: string | undefined, args: readonly string[]): string[] {
    return netns === undefined ? ['tc', ...args] : ['tc', '-n', assertNetnsName(netns), ...args];
  }

  async run(args: readonly string[], netns?: string): Promise<string> {
    return (await this.runner(this.argv(netns, args))).stdout;
  }

  async batch(lines: readonly BatchLine[], options: { netns?: string; force?: boolean } = {}): Promise<void> {
    if (lines.length === 0) return;
    const stdin = batchInput(lines);
    const flags = options.force ? ['-force', '-batch', '-'] : ['-batch', '-'];
    await this.runner(this.argv(options.netns, flags), { stdin });
  }

  async listQdiscs(netns?: string): Promise<TcQdisc[]> {
    const out = await this.run(['-j', 'qdisc', 'show'], netns);
    const raw = JSON.parse(out || '[]') as Array<{ kind: string; handle: string; dev: string; root?: boolean }>;
    return raw.map((q) => ({ kind: q.kind, handle: q.handle, dev: q.dev, root: q.root === true }));
  }
}
