/**
 * Every NATS subject of a run, namespaced by its id (docs/architecture.md §2). Actors know each
 * other only through these, so a device on another host joins with a NATS URL alone.
 */
export type ActorName = 'server' | `device.${string}`;

export function deviceActor(deviceId: string): ActorName {
  return `device.${deviceId}`;
}

export class Subjects {
  readonly root: string;

  constructor(readonly runId: string) {
    this.root = `sledge.${runId}`;
  }

  /** Request/reply control of one actor (prepare, turn, shutdown). */
  control(actor: ActorName): string {
    return `${this.root}.ctl.${actor}`;
  }

  /**
   * A device's own requests to the server (its adapters): one subject per device, so that
   * the bus's permissions let a device ask only for itself and never reach the server's
   * control subject, which is the coordinator's (docs/trust.md).
   */
  toServerFrom(device: ActorName): string {
    return `${this.root}.ctl.server.from.${device}`;
  }

  /** Payload chunks addressed to one actor. */
  data(actor: ActorName): string {
    return `${this.root}.data.${actor}`;
  }

  /** Small event notices to one actor (the server's "gradient is coming"). */
  events(actor: ActorName): string {
    return `${this.root}.evt.${actor}`;
  }

  /** Requests to the coordinator (an actor asking for its link to be held, tc mode). */
  get coordinator(): string {
    return `${this.root}.ctl.coordinator`;
  }

  /** Actors announce themselves here once they listen. */
  get ready(): string {
    return `${this.root}.ready`;
  }

  /** Everything of the run, for tests and for counting foreign traffic. */
  get all(): string {
    return `${this.root}.>`;
  }
}
