import type { SystemModel } from '../../src/system-model.js';
import { fixedTimeScale } from '../../src/resolution.js';
import type { Link, TcLink } from '../net/link.js';
import { TcPipe } from '../net/tc-pipe.js';
import { SteppingStats, TraceLink, type TraceStepping } from '../net/trace-link.js';
import { MAX_SCHEDULE_STEPS } from '../protocol/messages.js';
import { paces, SCHEDULE_MIN_STEP_S, TracePacedLink } from '../net/trace-paced-link.js';
import type { Teardown } from '../teardown.js';

/**
 * The emulated step of a trace-following tc link (docs/linktrace.md, "Step size"):
 * 20 ms emulated, but never under 5 ms of wall time, where timers and tc's pipe stop
 * keeping up on a loaded 2-core host (measured in bench:linktrace).
 */
export const STEP_S = 0.02;
export const MIN_STEP_WALL_S = 0.005;

export function traceStepping(system: SystemModel): TraceStepping {
  const timeScale = fixedTimeScale(system.config.emulation);
  return { stepS: Math.max(STEP_S, MIN_STEP_WALL_S / timeScale), timeScale, payloadScale: system.config.emulation.payloadScale };
}

/** What the manifest and the run's linktrace.json say of the stepping. */
export interface SteppingFacts {
  /** tc: the htb step; userspace: the finest schedule step (a long turn's is coarser, docs/linktrace.md). */
  stepS: number;
  stepWallMs: number;
  /** userspace: the most steps a turn's schedule has. */
  maxScheduleSteps?: number;
  mode: 'tc' | 'userspace' | 'none';
  changes: number;
  followedWallS: number;
  changesPerWallS: number;
  pipes: number;
  pipeErrors: number;
  lastPipeError: string;
  quantumWarnings: number;
}

/**
 * Wraps every link of a linktrace run so that it follows its device's trace during turns.
 * A local tc link steps: one tc pipe for the host side (every downlink), one per namespace
 * (uplinks), opened on first use and closed at teardown. A userspace link (one that
 * answers `pacing`) gives its senders the turn's opportunity schedule. Agents' tc links
 * (not in `kernelLinks`, which holds what this host's kernel shapes) are left as they are.
 */
export function followTraces(system: SystemModel, links: ReadonlyMap<string, Link>, kernelLinks: ReadonlyMap<string, TcLink>, teardown: Teardown): { links: Map<string, Link>; facts: () => SteppingFacts } {
  const out = new Map(links);
  const channel = system.linkTrace;
  const stepping = traceStepping(system);
  const stats = new SteppingStats();
  const pipes: TcPipe[] = [];
  let host: TcPipe | undefined;
  const open = (netns?: string) => {
    const p = new TcPipe(netns);
    pipes.push(p);
    return p;
  };
  let tc = false;
  let userspace = false;
  if (channel) {
    for (const [id, link] of links) {
      if (paces(link)) {
        userspace = true;
        out.set(id, new TracePacedLink(link, channel.link(id), stepping));
        continue;
      }
      // only a link this host's kernel shapes steps here; an agent's steps on its own host
      const kernel = kernelLinks.get(id);
      if (kernel === undefined || kernel !== link) continue;
      tc = true;
      host ??= open();
      let ns: TcPipe | undefined;
      out.set(id, new TraceLink(kernel, channel.link(id), stepping, { host, ns: () => (ns ??= open(kernel.netns)) }, stats));
    }
    if (pipes.length) teardown.add('tc pipes of trace-following links', () => Promise.all(pipes.map((p) => p.close())).then(() => undefined));
  }
  // a userspace schedule runs no timer: its step is bounded by the message, not by the host
  const stepS = tc || !userspace ? stepping.stepS : SCHEDULE_MIN_STEP_S;
  return {
    links: out,
    facts: () => ({
      stepS,
      stepWallMs: stepS * stepping.timeScale * 1000,
      ...(userspace ? { maxScheduleSteps: MAX_SCHEDULE_STEPS } : {}),
      mode: tc ? 'tc' : userspace ? 'userspace' : 'none',
      changes: stats.changes,
      followedWallS: stats.followedWallS,
      changesPerWallS: stats.followedWallS > 0 ? stats.changes / stats.followedWallS : 0,
      pipes: pipes.length,
      pipeErrors: pipes.reduce((n, p) => n + p.errors, 0),
      lastPipeError: pipes.map((p) => p.lastError).filter(Boolean).pop() ?? '',
      quantumWarnings: pipes.reduce((n, p) => n + p.quantumWarnings, 0),
    }),
  };
}
