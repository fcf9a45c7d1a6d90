/**
 * Everything a run creates registers how to undo it, and is undone in reverse order on
 * every exit path. Each step is best effort: one failure never keeps the rest from
 * running; the failures are returned for the log.
 */
export class Teardown {
  private readonly steps: { what: string; undo: () => Promise<unknown> | unknown }[] = [];
  private done: Promise<string[]> | undefined;

  add(what: string, undo: () => Promise<unknown> | unknown): void {
    this.steps.push({ what, undo });
  }

  run(): Promise<string[]> {
    this.done ??= (async () => {
      const failures: string[] = [];
      for (const step of this.steps.reverse()) {
        try {
          await step.undo();
        } catch (err) {
          failures.push(`${step.what}: ${(err as Error).message}`);
        }
      }
      return failures;
    })();
    return this.done;
  }
}
