/** Transfer tags: which payload of which turn (and which attempt of it) a stream of chunks carries. */
export interface TurnRef {
  round: number;
  device: string;
  /** 0 or absent on a turn's first run; the coordinator counts re-runs after a bus outage. */
  attempt?: number | undefined;
}

/** A re-run's transfers are told apart from the abandoned run's by the attempt; the first run's tags stay as they were. */
const suffix = (t: TurnRef) => (t.attempt ? `/a${t.attempt}` : '');

export const tags = {
  adaptersDown: (t: TurnRef) => `adapters-down/${t.round}/${t.device}${suffix(t)}`,
  smashed: (t: TurnRef, i: number) => `smashed/${t.round}/${t.device}/${i}${suffix(t)}`,
  gradient: (t: TurnRef, i: number) => `gradient/${t.round}/${t.device}/${i}${suffix(t)}`,
  adaptersUp: (t: TurnRef) => `adapters-up/${t.round}/${t.device}${suffix(t)}`,
};

/**
 * The device a transfer towards the server belongs to (smashed data, returned adapters), or
 * '' for any other tag: the server takes only those, and only from that device's own data
 * subject (docs/trust.md). Device ids hold no '/' (agent/protocol.ts), so the third field is it.
 */
export function uplinkDevice(tag: string): string {
  const [kind, , device] = tag.split('/', 3);
  return (kind === 'smashed' || kind === 'adapters-up') && device ? device : '';
}

/**
 * The key of a transfer's impairment draws (delay, jitter, loss): the tag without the
 * attempt, so that a re-run or a resumed run draws exactly what an uninterrupted run
 * draws for the same transfer, whatever ran before it in the process.
 */
export function drawKey(tag: string): string {
  return tag.replace(/\/a\d+$/, '');
}
