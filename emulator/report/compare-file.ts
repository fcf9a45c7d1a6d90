import { z } from 'zod';

/**
 * compare.json as `sledge compare` writes it, read back for the report. Only what the
 * report uses is checked; other keys (reductions, future additions) pass untouched, so a
 * newer compare.json still reports.
 */
const averages = z.object({ avgRoundDelay: z.number(), avgServerEnergy: z.number() });

export const compareFileSchema = z.object({
  config: z.string().optional(),
  strategies: z
    .array(
      z.object({
        strategy: z.string().min(1),
        run: z.string().min(1),
        predicted: averages.optional(),
        measured: averages.optional(),
      }),
    )
    .min(1),
  reference: z.string().optional(),
  /** 'finished', or how the comparison ended early (some runs may then be missing). */
  status: z.string().optional(),
});

export type CompareFile = z.output<typeof compareFileSchema>;
