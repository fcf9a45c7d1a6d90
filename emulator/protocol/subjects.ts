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

  /** Payload chunks addressed to a device (only the server sends them). */
  data(actor: ActorName): string {
    return `${this.root}.data.${actor}`;
  }

  /**
   * Payload chunks from one device to the server: one subject per device, which only that
   * device may publish on, so the subject names the sender and the server takes it from
   * there, never from what the chunk says (docs/trust.md). The server subscribes to
   * `dataFrom('device.*')`.
   */
  dataFrom(device: ActorName): string {
    return `${this.root}.data.server.from.${device}`;
  }

  /** Small event notices to one actor (the server's "gradient is coming"). */
  events(actor: ActorName): string {
    return `${this.root}.evt.${actor}`;
  }

  /**
   * What one actor tells the coordinator unasked (a hold of its link for an outage, tc mode;
   * a crashing device's last report): one subject per actor, which only that actor may
   * publish on, so the coordinator knows who asks (docs/trust.md). It subscribes to
   * `toCoordinator`.
   */
  coordinatorFrom(actor: ActorName): string {
    return `${this.root}.ctl.coordinator.from.${actor}`;
  }

  /** Every actor's subject towards the coordinator (coordinatorFrom), for its one subscription. */
  get toCoordinator(): string {
    return `${this.root}.ctl.coordinator.from.>`;
  }

  /** The sender an actor's subject names, from `dataFrom`, `toServerFrom` or `coordinatorFrom`: what follows `.from.`. */
  static sender(subject: string): string {
    const at = subject.lastIndexOf('.from.');
    return at < 0 ? '' : subject.slice(at + '.from.'.length);
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
