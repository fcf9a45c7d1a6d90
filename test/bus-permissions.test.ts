import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Subjects } from '../emulator/protocol/subjects.js';
import { startNats, type EmbeddedNats } from '../emulator/servers/nats-server.js';
import { actorBusUser, actorInboxPrefix, coordinatorBusUser, type NatsUser } from '../emulator/trust/bus-users.js';
import { tempDir } from './helpers/emulation.js';

/**
 * Per-role bus users on a real nats-server (docs/trust.md): a device's credentials may
 * publish only on its own subjects towards the server and the coordinator and on the ready
 * subject, and read only what is addressed to it; the server refuses the rest with a
 * permissions violation, so nothing published with them names another device.
 */
describe('a device\'s bus user', () => {
  const runId = 'perm-test';
  const s = new Subjects(runId);
  let dir: string;
  let nats: EmbeddedNats;
  const users = { coordinator: coordinatorBusUser(runId), server: actorBusUser(runId, 'server'), d1: actorBusUser(runId, 'device.d1'), d2: actorBusUser(runId, 'device.d2') };

  beforeAll(async () => {
    dir = await tempDir('bus-permissions');
    nats = await startNats({ dir: join(dir, 'sledge-perm'), runId, users: Object.values(users) });
  }, 30_000);

  afterAll(async () => {
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Connects as `u` and collects the server's permission errors. */
  async function as(u: NatsUser, actor?: string): Promise<{ nc: NatsConnection; errors: string[] }> {
    const errors: string[] = [];
    const nc = await connect({ servers: nats.url, user: u.user, pass: u.password, ...(actor ? { inboxPrefix: actorInboxPrefix(runId, actor) } : {}) });
    void (async () => {
      for await (const st of nc.status()) if (st.type === 'error') errors.push(String((st as { error?: Error }).error?.message ?? JSON.stringify(st)));
    })();
    return { nc, errors };
  }

  it('is refused publishing on the server\'s control subject and on another device\'s subjects, and subscribing to ">"', async () => {
    const { nc, errors } = await as(users.d1, 'device.d1');
    const coordinator = await as(users.coordinator);
    const seen: string[] = [];
    coordinator.nc.subscribe(s.all, { callback: (_e, m) => void seen.push(m.subject) });
    await coordinator.nc.flush();
    for (const subject of [s.control('server'), s.data('device.d2'), s.control('device.d2'), s.events('device.d2'), s.toServerFrom('device.d2'), 'sledge.other-run.ctl.server']) nc.publish(subject, new Uint8Array([1]));
    // as another device: its data towards the server, its holds and crash reports; and the old shared data subject
    for (const subject of [s.dataFrom('device.d2'), s.coordinatorFrom('device.d2'), s.coordinatorFrom('server'), s.data('server')]) nc.publish(subject, new Uint8Array([1]));
    const everything = nc.subscribe('>');
    const d2inbox = nc.subscribe(`${actorInboxPrefix(runId, 'device.d2')}.>`);
    // what it may do still works: its own adapter request subject, data to the server, notices to the coordinator
    nc.publish(s.toServerFrom('device.d1'), new Uint8Array([1]));
    nc.publish(s.dataFrom('device.d1'), new Uint8Array([1]));
    nc.publish(s.coordinatorFrom('device.d1'), new Uint8Array([1]));
    await nc.flush();
    await coordinator.nc.flush();
    await new Promise((r) => setTimeout(r, 300)); // the server's -ERR lines arrive after the flush's PONG
    expect(seen.sort()).toEqual([s.dataFrom('device.d1'), s.toServerFrom('device.d1'), s.coordinatorFrom('device.d1')].sort());
    const text = errors.join('\n');
    const refused = (subject: string) => new RegExp(`Permissions Violation for Publish to "${subject.replaceAll('.', '\\.')}"`, 'i');
    expect(text).toMatch(refused(s.control('server')));
    expect(text).toMatch(refused(s.dataFrom('device.d2')));
    expect(text).toMatch(refused(s.coordinatorFrom('device.d2')));
    expect(text).toMatch(refused(s.coordinatorFrom('server')));
    expect(text).toMatch(refused(s.data('server')));
    expect(text).toMatch(/Permissions Violation for Subscription to ">"/i);
    expect(text).toMatch(/Permissions Violation for Subscription to "_INBOX\.[0-9a-f]{8}\.>"/i);
    expect(everything.isClosed() || errors.length > 0).toBe(true);
    void d2inbox;
    await nc.close();
    await coordinator.nc.close();
  });

  it('a request from the device is answered in its own inbox; the server may answer it', async () => {
    const server = await as(users.server, 'server');
    server.nc.subscribe(s.toServerFrom('device.*'), { callback: (_e, m) => void m.respond(new TextEncoder().encode("ok")) });
    await server.nc.flush();
    const { nc } = await as(users.d1, 'device.d1');
    const reply = await nc.request(s.toServerFrom('device.d1'), new Uint8Array(), { timeout: 2000 });
    expect(new TextDecoder().decode(reply.data)).toBe('ok');
    await nc.close();
    await server.nc.close();
  });
});
