/**
 * A userspace link as its sender sees it (docs/architecture.md §6): a serializer that says
 * when bytes ready at a time have fully left it. TokenBucket is the constant-rate one,
 * TracePacer the one that follows a trace (docs/linktrace.md). Times are ms from the
 * transfer's start.
 */
export interface LinkPacer {
  /** When `bytes`, ready to go at `readyAtMs`, have fully left the link. */
  take(bytes: number, readyAtMs: number): number;
  /** When the link is next idle. */
  readonly freeAt: number;
}
