import { z } from 'zod';
import { deviceFields, type DeviceField } from './config-schema.js';
import { Rng } from './rng.js';
import type { Device } from './system.js';

/**
 * `"devices": { "count": N, field: value | { "uniform": [lo, hi] } }`: N devices d1..dN,
 * each uniform field drawn from a stream keyed by (seed, device index, field), so a
 * 200-device config stays a few lines and is the same on every machine.
 */
function valueOrUniform<T extends z.ZodType>(field: T) {
  return z.union([field, z.strictObject({ uniform: z.tuple([field, field]) })]);
}

export const generatedDevicesSchema = z
  .strictObject({
    count: z.number().int().min(1).max(100_000),
    freqHz: valueOrUniform(deviceFields.freqHz),
    flopsPerCycle: valueOrUniform(deviceFields.flopsPerCycle),
    kappa: valueOrUniform(deviceFields.kappa),
    memoryBytes: valueOrUniform(deviceFields.memoryBytes),
    txPowerDbm: valueOrUniform(deviceFields.txPowerDbm),
    distanceM: valueOrUniform(z.number().gt(0)).optional(),
    bandwidthHz: valueOrUniform(z.number().gt(0)).optional(),
  })
  .superRefine((spec, ctx) => {
    for (const [key, value] of Object.entries(spec)) {
      if (typeof value === 'object' && value !== null && 'uniform' in value && value.uniform[0] > value.uniform[1]) {
        ctx.addIssue({ code: 'custom', path: [key, 'uniform'], message: 'must be [lo, hi] with lo <= hi' });
      }
    }
  });

export type GeneratedDevices = z.output<typeof generatedDevicesSchema>;

export function generateDevices(spec: GeneratedDevices, seed: number): Device[] {
  const fields = Object.keys(deviceFields) as DeviceField[];
  const devices: Device[] = [];
  for (let i = 1; i <= spec.count; i++) {
    const device: Record<string, unknown> = { id: `d${i}` };
    for (const field of fields) {
      const value = spec[field];
      if (value === undefined) continue;
      device[field] = typeof value === 'number' ? value : Rng.of(seed, 'devices', i, field).uniform(value.uniform[0], value.uniform[1]);
    }
    devices.push(device as unknown as Device);
  }
  return devices;
}
