/**
 * kill -9 during batch ingest, uploads and an archive run (a few trials each;
 * `npm run soak -- --trials 50` runs the same loops at length and prints the
 * figures, see docs/RELIABILITY.md). IXVAULT_SOAK_TRIALS and
 * IXVAULT_SOAK_REPORT are how the soak drives this file.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BACKEND } from '../helpers/server.js';
import { TRIALS, type TrialOutcome } from './kill-loops.js';

const trials = Number(process.env.IXVAULT_SOAK_TRIALS ?? 3);
const kinds = (process.env.IXVAULT_SOAK_KINDS?.split(',') ?? Object.keys(TRIALS)) as (keyof typeof TRIALS)[];
const report = process.env.IXVAULT_SOAK_REPORT;
const outcomes: TrialOutcome[] = [];

describe(`kill -9 (${BACKEND})`, () => {
  for (const kind of kinds) {
    it(
      `${kind}: every acknowledged record survives, nothing half written, no orphan after the sweep (${trials} trials)`,
      async () => {
        const mine: TrialOutcome[] = [];
        for (let trial = 0; trial < trials; trial++) {
          const outcome = await TRIALS[kind](trial);
          mine.push(outcome);
          outcomes.push(outcome);
          if (report) writeFileSync(report, JSON.stringify({ backend: BACKEND, outcomes }, null, 1));
        }
        expect(mine.filter((o) => o.killedMidway).length).toBeGreaterThan(0);
        expect(mine.reduce((n, o) => n + o.acknowledged, 0)).toBeGreaterThan(0);
        expect(mine.map((o) => o.lost)).toEqual(mine.map(() => 0));
        expect(mine.map((o) => o.halfPresent)).toEqual(mine.map(() => 0));
        expect(mine.map((o) => o.orphansAfterSweep)).toEqual(mine.map(() => 0));
      },
      Math.max(120_000, trials * 60_000),
    );
  }
});
