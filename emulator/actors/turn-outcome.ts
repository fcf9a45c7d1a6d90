import { fixedTimeScale } from '../../src/resolution.js';
import { PHASES, type PhaseDelays, type TurnEnergy } from '../../src/cost.js';
import type { PlannedTurn } from '../../src/plan.js';
import { dbmToWatts, type Device } from '../../src/system.js';
import type { SystemModel } from '../../src/system-model.js';
import type { PhaseWall } from '../protocol/messages.js';
import { faultLabel, type TurnRecord } from '../records/turn-record.js';

const ZERO_ENERGY: TurnEnergy = { server: 0, deviceCompute: 0, deviceTransmit: 0 };

/** What the actors measured of one turn, in wall seconds. */
export interface Measured {
  phases: PhaseWall;
  serverBusyWallS: number;
  coordinatorWallS: number;
}

/**
 * A turn's record from its measurements: phases in emulated seconds and the energies they
 * imply. A crashed turn is measured up to its crash (the device's last report), so its
 * energies are those of the phases it completed, as the model charges them.
 */
export function turnRecord(system: SystemModel, device: Device, planned: PlannedTurn, m: Measured): TurnRecord {
  const { config } = system;
  const timeScale = fixedTimeScale(config.emulation);
  const delay = Object.fromEntries(Object.entries(m.phases).map(([k, v]) => [k, v / timeScale])) as PhaseDelays;
  const f = planned.serverFreqHz;
  const busy = m.serverBusyWallS / timeScale;
  // The server's energy from its measured busy time: cycles = busy · f.
  const serverCycles = busy * f;
  const deviceCycles = (delay.deviceForward + delay.deviceBackward) * device.freqHz;
  const energy: TurnEnergy = {
    server: config.server.staticPowerW * busy + config.server.kappa * serverCycles * f * f,
    deviceCompute: device.kappa * deviceCycles * device.freqHz ** 2,
    deviceTransmit: dbmToWatts(device.txPowerDbm) * (delay.uplink + delay.adapterUp),
  };
  return {
    ...identity(planned),
    predicted: { delay: planned.delay, energy: planned.energy },
    measured: { delay, energy },
    coordinatorWallS: m.coordinatorWallS,
    serverBusyWallS: m.serverBusyWallS,
    timeScale,
  };
}

/** A dropped turn: the device took no part, so both sides are zero. */
export function droppedRecord(planned: PlannedTurn): TurnRecord {
  const zero = { ...Object.fromEntries(PHASES.map((p) => [p, 0])), serverWait: 0, total: 0 } as PhaseDelays;
  return {
    ...identity(planned),
    predicted: { delay: planned.delay, energy: planned.energy },
    measured: { delay: zero, energy: { ...ZERO_ENERGY } },
    coordinatorWallS: 0,
    serverBusyWallS: 0,
  };
}

function identity(planned: PlannedTurn): Pick<TurnRecord, 'round' | 'device' | 'status' | 'fault' | 'startOffset' | 'cut' | 'serverFreqHz' | 'rateUpBps' | 'rateDownBps' | 'retries'> {
  return {
    retries: 0,
    round: planned.round,
    device: planned.device,
    status: planned.status,
    fault: faultLabel(planned.fault),
    startOffset: 0,
    cut: planned.cut,
    serverFreqHz: planned.serverFreqHz,
    rateUpBps: planned.rateUpBps,
    rateDownBps: planned.rateDownBps,
  };
}
