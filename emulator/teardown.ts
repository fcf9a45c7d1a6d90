/**
 * Everything a run creates registers how to undo it, and is undone in reverse order on
 * every exit path. Each step is best effort: one failure never keeps the rest from
 * running; the failures are returned for the log, one line each naming the step. A step
 * fails by throwing or by returning `{ errors: string[] }` with errors in it (what
 * topology's `destroy()` reports, since it carries on past each failed command itself).
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
          for (const e of reportedErrors(await step.undo())) failures.push(`${step.what}: ${e}`);
        } catch (err) {
          failures.push(`${step.what}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      return failures;
    })();
    return this.done;
  }
}

/** The errors of a `{ errors: string[] }` report; nothing for any other result. */
function reportedErrors(result: unknown): string[] {
  if (typeof result !== 'object' || result === null || !('errors' in result)) return [];
  const { errors } = result as { errors: unknown };
  return Array.isArray(errors) ? errors.map((e) => (e instanceof Error ? e.message : String(e))) : [];
}
